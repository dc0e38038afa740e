// Differential runs: the same Run on two drivers (a port and the `source` driver of
// the same kind), on two identical simulations, compared after every event: the
// hypercalls (operation, extents asked and answered, answer) and the other trace
// entries, the driver's counters, its balloon list in order and its /proc text, and
// the whole simulated state behind every state-changing Env call (P2M, kernel
// mappings, allocator, lent pages, frames, timer, work). The first difference ends
// the run with a side-by-side report.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "driver/driver.h"
#include "run/event.h"
#include "run/failure.h"
#include "sim/sim.h"

namespace balloonbench {

struct Divergence {
  Phase phase = Phase::boot;
  std::size_t event_index = 0;  // the event after which the two differ
  std::string what;             // which fact differs, with both values
  std::string fact;             // the same without values or positions: the group key
  // What each side did in that step, one trace line each.
  std::vector<std::string> left_step;
  std::vector<std::string> right_step;
};

struct DiffResult {
  std::optional<Divergence> divergence;
  std::size_t events_compared = 0;
};

// Runs `run` on `left` and `right` in lockstep. Throws std::invalid_argument for a
// bad config or a variant this build cannot run.
DiffResult diff_run(const Run& run, Variant left, Variant right);

// The first fact in which two simulations of one configuration differ: the host's
// counters, the timer and work item, then the lowest pfn whose P2M entry, kernel
// mapping, allocator state or lending differs ("pfn 12 P2M: 3 vs 4"); nullopt when
// they agree. A pfn neither wrote has its boot state in both, so the cost follows
// the pfns written, not the guest's size.
std::optional<std::string> machine_difference(const Sim& x, const Sim& y);

// The port a source driver is compared with: legacy for a pre-patch driver, else fixed.
Variant port_of_same_kind(Variant variant);

// The report: where, what differs, then both sides' step side by side.
std::string to_text(const Divergence& divergence, Variant left, Variant right);

}  // namespace balloonbench
