// The properties of the suite, as functions of the variant, so that the CI tests run
// them on `fixed` and the teeth tests run the same properties on `legacy`.
#pragma once

#include <functional>
#include <optional>

#include "driver/xen-2.6.18/balloon.h"
#include "run/event.h"
#include "run/invariants.h"

namespace balloonbench::props {

// Generated runs never break `id`.
std::function<void()> run_property(Variant variant, InvariantId id,
                                   Mutation mutation = Mutation::none);
// Generated runs break no invariant at all.
std::function<void()> catalogue_property(Variant variant, Mutation mutation = Mutation::none);
// Generated runs in which Xen refuses one-page releases and decreases (an error
// answer, which breaks its contract) break no invariant: each refusal ends in the
// BUG the original has for it, or the driver gives up cleanly (2.6.18's
// alloc_empty_pages on an auto-translated guest keeps the page and what it had given
// up).
std::function<void()> refusal_property(Variant variant, Mutation mutation = Mutation::none);
// After any generated run, the heal and two seconds of virtual time bring the
// reservation to the effective target.
std::function<void()> liveness_property(Variant variant, Mutation mutation = Mutation::none);
// The model-based stateful test (model.h).
std::function<void()> model_property(Variant variant, Mutation mutation = Mutation::none);

// The run or command sequence of the last case that failed in this thread, as a run;
// RapidCheck's last failing case is its shrunk counterexample.
const std::optional<Run>& last_counterexample();
void record_counterexample(const Run& run);
// Clears it, so that a check that finds nothing does not report an older one.
void forget_counterexample();

}  // namespace balloonbench::props
