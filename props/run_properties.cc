#include <memory>
#include <optional>

#include "props/generators.h"
#include "props/properties.h"
#include "props/support.h"

namespace balloonbench::props {
namespace {

thread_local std::optional<Run> g_last_counterexample;

bool broke(const RunResult& result, InvariantId id) {
  for (const Violation& violation : result.violations) {
    if (violation.id == id) return true;
  }
  return false;
}

// One generated run on the core, classified; returns it and its result. With
// `refusals`, Xen may refuse releases and decreases (gen_refusal).
std::pair<Run, RunResult> generated_run(Variant variant, Mutation mutation, bool refusals = false) {
  Config config = *gen_config();
  config.contract_breaks = refusals;
  Run run{config, *gen_events(config)};
  // One world of a port, reset for every case, as the fuzz targets keep theirs:
  // building a new one for each case cost a tenth of a property's time. A source
  // driver's world is not kept: only one source driver may be alive at a time, and
  // other tests in this process make their own.
  thread_local std::unique_ptr<World> world;
  WorldOptions options{variant, mutation, nullptr};
  if (variant != Variant::source && !world) world = std::make_unique<World>(config, options);
  RunResult result = variant == Variant::source ? balloonbench::run(run, options)
                                                : balloonbench::run(*world, run, options);
  classify(guest_for(config, variant), result.stats);
  return {std::move(run), std::move(result)};
}

// Fails the case, keeping its run as the counterexample, when an invariant broke.
void fail_on_violation(const Run& run, const RunResult& result, Variant variant,
                       Mutation mutation) {
  if (result.outcome != Outcome::violation) return;
  record_counterexample(run);
  RC_FAIL(failure_message(run, result, variant, mutation));
}

}  // namespace

const std::optional<Run>& last_counterexample() { return g_last_counterexample; }
void record_counterexample(const Run& run) { g_last_counterexample = run; }
void forget_counterexample() { g_last_counterexample.reset(); }

std::function<void()> run_property(Variant variant, InvariantId id, Mutation mutation) {
  return [variant, id, mutation] {
    const auto [run, result] = generated_run(variant, mutation);
    if (broke(result, id)) {
      record_counterexample(run);
      RC_FAIL(failure_message(run, result, variant, mutation));
    }
  };
}

std::function<void()> catalogue_property(Variant variant, Mutation mutation) {
  return [variant, mutation] {
    const auto [run, result] = generated_run(variant, mutation);
    fail_on_violation(run, result, variant, mutation);
  };
}

std::function<void()> refusal_property(Variant variant, Mutation mutation) {
  return [variant, mutation] {
    const auto [run, result] = generated_run(variant, mutation, true);
    if (result.stats.decreases_refused > 0) {
      RC_TAG("refused decrease");
      if (result.outcome == Outcome::expected_crash) RC_TAG("refusal BUG");
      if (result.outcome == Outcome::clean) RC_TAG("refusal given up");
    }
    fail_on_violation(run, result, variant, mutation);
  };
}

std::function<void()> liveness_property(Variant variant, Mutation mutation) {
  return [variant, mutation] {
    const auto [run, result] = generated_run(variant, mutation);
    if (result.converge_judged) RC_TAG("converge judged");
    if (broke(result, InvariantId::converge) || broke(result, InvariantId::rearm)) {
      // A missing retry timer is the same liveness failure seen one step earlier.
      record_counterexample(run);
      RC_FAIL(failure_message(run, result, variant, mutation));
    }
  };
}

}  // namespace balloonbench::props
