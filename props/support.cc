#include "props/support.h"

#include <algorithm>
#include <iostream>
#include <sstream>

#include "props/properties.h"
#include "run/codec.h"
#include "run/invariants.h"

// RapidCheck's process-wide listener, which its own checks report to and which prints
// the RC_PARAMS="reproduce=..." line for failed properties at exit. The library
// defines it; the installed headers do not declare it.
namespace rc::detail {
TestListener& globalTestListener();
}  // namespace rc::detail

namespace balloonbench::props {
namespace {

// For failures that are the point of the test (the teeth): nothing to report.
class SilentListener final : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const Result&) override {}
};

// FNV-1a: mixes a property's id into the configured seed, so that properties run on
// different cases while RC_PARAMS' seed still determines every one of them.
std::uint64_t seed_for(const std::string& id, std::uint64_t seed) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : id) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return seed ^ hash;
}

}  // namespace

Result check(const std::string& id, const std::function<void()>& property) {
  rc::detail::TestMetadata metadata;
  metadata.id = id;
  metadata.description = id;
  const rc::detail::Configuration& config = rc::detail::configuration();
  rc::detail::TestParams params = config.testParams;
  params.seed = seed_for(id, params.seed);
  // The 5-argument form keeps RC_PARAMS' reproduce= working and reports failures to
  // RapidCheck's listener, which prints the reproduce string at exit.
  const Result result =
      rc::detail::checkProperty(rc::detail::toProperty(property), metadata, params,
                                rc::detail::globalTestListener(), config.reproduce);
  if (result.is<rc::detail::SuccessResult>()) {
    // One line per situation, rather than RapidCheck's table of tag combinations.
    const int cases = result.get<rc::detail::SuccessResult>().numSuccess;
    std::cout << id << ": OK, " << cases << " cases\n";
    for (const auto& [tag, count] : tag_counts(result)) {
      std::cout << "  " << tag << ": " << count << " cases (" << (100 * count / std::max(cases, 1))
                << "%)\n";
    }
  } else {
    rc::detail::printResultMessage(result, std::cout);
    std::cout << std::endl;
  }
  return result;
}

Result check_with(const std::string& id, const std::function<void()>& property, std::uint64_t seed,
                  int cases) {
  rc::detail::TestMetadata metadata;
  metadata.id = id;
  metadata.description = id;
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.seed = seed_for(id, seed);
  params.maxSuccess = cases;
  SilentListener silent;
  forget_counterexample();
  return rc::detail::checkProperty(rc::detail::toProperty(property), metadata, params, silent);
}

std::map<std::string, int> tag_counts(const Result& result) {
  std::map<std::string, int> counts;
  if (!result.is<rc::detail::SuccessResult>()) return counts;
  for (const auto& [tags, cases] : result.get<rc::detail::SuccessResult>().distribution) {
    for (std::string tag : tags) {
      // RapidCheck keeps each tag as it prints it: a string tag comes quoted.
      if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"')
        tag = tag.substr(1, tag.size() - 2);
      counts[tag] += cases;
    }
  }
  return counts;
}

void expect_success_covering(const Result& result, const std::vector<std::string>& required) {
  if (!result.is<rc::detail::SuccessResult>()) {
    std::ostringstream message;
    rc::detail::printResultMessage(result, message);
    ADD_FAILURE() << message.str();
    return;
  }
  const std::map<std::string, int> counts = tag_counts(result);
  const int cases = result.get<rc::detail::SuccessResult>().numSuccess;
  // One case in the whole run is luck, not coverage: each situation must come up in
  // at least kMinTagShare of the cases (the rarest today, a 32-bit mainline guest,
  // comes up in about 2.6%). A run of fewer than 1 / kMinTagShare cases (the
  // one-process suite's 50), in which such a share rounds to no case, checks the
  // properties only.
  const int least = static_cast<int>(cases * kMinTagShare);
  if (least < 1) return;
  for (const std::string& tag : required) {
    const auto found = counts.find(tag);
    const int seen = found == counts.end() ? 0 : found->second;
    EXPECT_GE(seen, least) << "'" << tag << "' came up in " << seen << " of " << cases
                           << " cases, fewer than " << least
                           << ": the generators hardly cover it any more";
  }
}

std::string failure_message(const Run& run, const RunResult& result, Variant variant,
                            Mutation mutation) {
  if (result.violations.empty())
    return "no violation\nreproduce: " + reproduce_command(run, variant, mutation);
  return to_text(invariant_failure(run, result.violations.front(), variant, mutation));
}

void classify(const Config& config, const RunStats& stats) {
  if (stats.populates_partial > 0) RC_TAG("partial populate");
  if (stats.populates_zero > 0) RC_TAG("zero populate");
  if (stats.populates_negative > 0) RC_TAG("negative populate");
  if (stats.allocation_failures > 0) RC_TAG("allocation failure");
  if (stats.timer_rearms > 0) RC_TAG("timer re-armed");
  if (stats.in_flight_actions > 0) RC_TAG("interleaving");
  if (config.max_low_pfn < config.max_pfn) RC_TAG("highmem");
  if (config.auto_translated) RC_TAG("auto-translated");
  if (stats.full_batches > 0) RC_TAG("full batch");
  if (stats.hard_limit_latches > 0) RC_TAG("hard limit latched");
  if (stats.memory_added > 0) RC_TAG("memory hotplug");
}

const std::vector<std::string>& run_situations() {
  static const std::vector<std::string> situations{
      "partial populate", "zero populate", "negative populate", "allocation failure",
      "timer re-armed",   "interleaving",  "highmem",           "auto-translated",
      "full batch"};
  return situations;
}

}  // namespace balloonbench::props
