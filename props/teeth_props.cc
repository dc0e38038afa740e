// The property suite's teeth: with a fixed seed, every property that legacy should
// break finds a counterexample on legacy, checked through RapidCheck's result, and
// the same property with the same seed passes on fixed. Each test prints the shrunk
// counterexample's length and how long finding and shrinking took.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "props/properties.h"
#include "props/support.h"

namespace balloonbench::props {
namespace {

constexpr std::uint64_t kSeed = 20261123;
constexpr int kCases = 300;

void expect_teeth(const std::string& id,
                  const std::function<std::function<void()>(Variant)>& make) {
  const auto start = std::chrono::steady_clock::now();
  const Result legacy = check_with(id + "/legacy", make(Variant::legacy), kSeed, kCases);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(legacy.is<rc::detail::FailureResult>()) << id << ": legacy found no counterexample";
  const auto& failure = legacy.get<rc::detail::FailureResult>();
  const std::optional<Run>& shrunk = last_counterexample();
  ASSERT_TRUE(shrunk.has_value());
  std::printf(
      "%s: legacy counterexample after %d passing cases, shrunk to %zu events "
      "(%llu pfns), found and shrunk in %lld ms\n%s\n",
      id.c_str(), failure.numSuccess, shrunk->events.size(),
      static_cast<unsigned long long>(shrunk->config.max_pfn),
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()),
      failure.description.c_str());

  const Result fixed = check_with(id + "/fixed", make(Variant::fixed), kSeed, kCases);
  EXPECT_TRUE(fixed.is<rc::detail::SuccessResult>()) << id << ": fixed failed with the same seed";
}

TEST(PropertyTeeth, no_partial_return) {
  expect_teeth("no-partial-return",
               [](Variant v) { return run_property(v, InvariantId::no_partial_return); });
}

TEST(PropertyTeeth, rearm) {
  expect_teeth("rearm", [](Variant v) { return run_property(v, InvariantId::rearm); });
}

TEST(PropertyTeeth, catalogue) {
  expect_teeth("catalogue", [](Variant v) { return catalogue_property(v); });
}

TEST(PropertyTeeth, refusal) {
  expect_teeth("refusal", [](Variant v) { return refusal_property(v); });
}

TEST(PropertyTeeth, liveness) {
  expect_teeth("liveness", [](Variant v) { return liveness_property(v); });
}

TEST(PropertyTeeth, model) {
  expect_teeth("model", [](Variant v) { return model_property(v); });
}

TEST(PropertyTeeth, EverySeededBugIsCaught) {
  // Within 300 cases, the catalogue property (or, for the bugs only the model can
  // tell, the model) finds each bug the unit tests seed.
  for (const Mutation mutation : all_mutations()) {
    const std::string id = std::string("mutant/") + mutation_name(mutation);
    const Variant variant = mutation_variant(mutation);
    const auto start = std::chrono::steady_clock::now();
    // Linux's driver's bugs sit behind longer paths (a backend emptying the balloon,
    // the guest's memory running out): ten times the cases.
    const int cases = variant == Variant::mainline ? 10 * kCases : kCases;
    Result result = check_with(id, catalogue_property(variant, mutation), kSeed, cases);
    std::string by = "catalogue";
    if (!result.is<rc::detail::FailureResult>() && variant == Variant::fixed) {
      result = check_with(id + "/model", model_property(variant, mutation), kSeed, kCases);
      by = "model";
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    ASSERT_TRUE(result.is<rc::detail::FailureResult>()) << mutation_name(mutation) << " escaped";
    // The catalogue must have caught it through the invariant the bug exists to trip:
    // the shrunk counterexample, replayed, stops at a step that breaks it (a step
    // reports each broken invariant once, in the order the checks run).
    if (by == "catalogue") {
      const RunResult replayed =
          run(*last_counterexample(), WorldOptions{variant, mutation, nullptr});
      ASSERT_EQ(replayed.outcome, Outcome::violation) << mutation_name(mutation);
      const InvariantId expected = *invariant_for_mutation(mutation);
      bool seen = false;
      std::string found;
      for (const Violation& violation : replayed.violations) {
        seen = seen || violation.id == expected;
        found += "\n  " + to_text(violation);
      }
      EXPECT_TRUE(seen) << mutation_name(mutation) << " should break " << invariant_name(expected)
                        << "; the counterexample breaks:" << found;
    }
    std::printf(
        "%s: caught by the %s property after %d passing cases, shrunk to %zu events, %lld ms\n",
        mutation_name(mutation), by.c_str(), result.get<rc::detail::FailureResult>().numSuccess,
        last_counterexample()->events.size(), static_cast<long long>(ms));
  }
}

}  // namespace
}  // namespace balloonbench::props
