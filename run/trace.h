// A run's trace: each event, the hypercalls it caused (asked, answered), in-flight
// actions, timer arms and fires, work runs, and the state after each event. It is
// data first (the replay tool renders it as text, JSON or a timeline) and is only
// recorded when a Trace is attached, so fuzzing pays nothing for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "driver/driver.h"
#include "driver/env.h"
#include "run/event.h"
#include "run/failure.h"

namespace balloonbench {

struct StateSnapshot {
  std::uint64_t jiffies = 0;
  std::uint64_t current_pages = 0;
  std::uint64_t target_pages = 0;
  std::uint64_t effective_target = 0;
  std::uint64_t balloon_low = 0;
  std::uint64_t balloon_high = 0;
  std::uint64_t driver_pages = 0;
  std::uint64_t hard_limit = kNoHardLimit;
  std::uint64_t tot_pages = 0;
  std::uint64_t max_pages = 0;
  std::uint64_t host_free = 0;
  bool timer_pending = false;
  std::uint64_t timer_expires = 0;
  bool work_pending = false;
  // A driver with a balloon thread (mainline): its state, back-off and whether it sleeps.
  std::optional<ThreadState> thread;
};

enum class TraceKind : std::uint8_t {
  config,
  event,
  hypercall,
  in_flight,
  timer_armed,
  timer_fired,
  work_scheduled,
  work_run,
  work_done,
  note,
  state,
  violation,
  epilogue,
};

struct TraceEntry {
  TraceKind kind = TraceKind::note;
  Phase phase = Phase::boot;
  std::size_t event_index = 0;
  std::uint64_t jiffies = 0;
  std::string text;  // what the entry says, without indentation
  // How many violations the checks had found in the run when the entry was recorded:
  // the k-th violation was found just before the first entry that counts more than k.
  std::size_t violations_found = 0;
  // TraceKind::config: the guest. TraceKind::event: the event applied;
  // TraceKind::in_flight: the action carried out, as the in_flight event that armed it.
  Config config;
  Event event;
  // TraceKind::hypercall: the extents as the driver asked (pfns for a populate and
  // for an auto-translated guest's decrease, frames for a PV decrease) and, after the
  // answer, as Xen left them (a PV populate's first `answer` hold the new frames).
  MemoryOp op = MemoryOp::populate_physmap;
  std::uint64_t asked = 0;
  long answer = 0;
  std::vector<std::uint64_t> extents_asked;
  std::vector<std::uint64_t> extents_answered;
  // TraceKind::state and TraceKind::work_done: the state at that moment
  StateSnapshot state;
  // TraceKind::violation
  InvariantId violation = InvariantId::ledger;
};

const char* trace_kind_name(TraceKind kind);
const char* memory_op_name(MemoryOp op);
// "current=632 target=900 effective=900 balloon=392 (392 low, 0 high) ..."
std::string to_text(const StateSnapshot& state);

class Trace {
 public:
  void add(TraceEntry entry) { entries_.push_back(std::move(entry)); }
  const std::vector<TraceEntry>& entries() const { return entries_; }
  // The whole trace, one line per entry; the same run gives the same bytes.
  std::string to_text() const;

 private:
  std::vector<TraceEntry> entries_;
};

}  // namespace balloonbench
