#include "run/recorder.h"

#include <algorithm>
#include <utility>

#include "run/invariants.h"

namespace balloonbench {
namespace {

std::string n(std::uint64_t value) { return std::to_string(value); }

}  // namespace

Recorder::Recorder(Trace* trace, const Sim& sim, const Driver& core, const Checker& checker)
    : trace_(trace), sim_(sim), core_(core), checker_(checker) {}

void Recorder::set_position(Phase phase, std::size_t event_index) {
  phase_ = phase;
  event_index_ = event_index;
}

RunStats Recorder::stats() const {
  RunStats stats = stats_;
  stats.allocation_failures = sim_.failed_allocations();
  return stats;
}

StateSnapshot Recorder::snapshot() const {
  StateSnapshot state;
  state.jiffies = sim_.jiffies();
  state.current_pages = core_.current_pages();
  state.target_pages = core_.target_pages();
  state.effective_target = checker_.effective_target();
  state.balloon_low = core_.balloon_low();
  state.balloon_high = core_.balloon_high();
  state.driver_pages = core_.driver_pages();
  state.hard_limit = core_.hard_limit();
  state.tot_pages = sim_.tot_pages();
  state.max_pages = sim_.max_pages();
  state.host_free = sim_.free_frames();
  state.timer_pending = sim_.timer_pending();
  state.timer_expires = sim_.timer_expires();
  state.work_pending = sim_.work_pending();
  state.thread = core_.thread_state();
  return state;
}

TraceEntry Recorder::entry(TraceKind kind) const {
  TraceEntry entry;
  entry.kind = kind;
  entry.phase = phase_;
  entry.event_index = event_index_;
  entry.jiffies = sim_.jiffies();
  entry.violations_found = checker_.violations().size();
  return entry;
}

void Recorder::add(TraceKind kind, std::string text) {
  if (trace_ == nullptr) return;
  TraceEntry made = entry(kind);
  made.text = std::move(text);
  trace_->add(std::move(made));
}

void Recorder::config(const Config& config, Variant variant, Mutation mutation) {
  if (trace_ == nullptr) return;
  std::string text = "config: " + to_text(config) + " variant=" + variant_name(variant);
  if (mutation != Mutation::none) text += std::string(" mutation=") + mutation_name(mutation);
  TraceEntry made = entry(TraceKind::config);
  made.text = std::move(text);
  made.config = config;
  trace_->add(std::move(made));
}

void Recorder::event(const Event& event) {
  if (trace_ == nullptr) return;
  TraceEntry made = entry(TraceKind::event);
  made.text = to_text(event);
  made.event = event;
  trace_->add(std::move(made));
}

void Recorder::state() {
  if (trace_ == nullptr) return;
  TraceEntry made = entry(TraceKind::state);
  made.state = snapshot();
  trace_->add(std::move(made));
}

void Recorder::violations(const std::vector<Violation>& violations) {
  if (trace_ == nullptr) return;
  for (const Violation& violation : violations) {
    TraceEntry made = entry(TraceKind::violation);
    made.phase = violation.phase;
    made.event_index = violation.event_index;
    made.text = to_text(violation);
    made.violation = violation.id;
    trace_->add(std::move(made));
  }
}

void Recorder::epilogue(std::uint64_t jiffies) {
  if (trace_ != nullptr)
    add(TraceKind::epilogue, "epilogue: heal, then " + n(jiffies) + " jiffies");
}

void Recorder::heal() {
  if (trace_ != nullptr)
    add(TraceKind::note, "heal: faults cleared, host_free=" + n(sim_.free_frames()));
}

void Recorder::full_scan(std::uint64_t pfns) {
  if (trace_ != nullptr)
    add(TraceKind::note,
        "full scan: every one of " + n(pfns) + " pfns, every frame and list entry");
}

void Recorder::converge_not_judged(const std::string& why) {
  if (trace_ != nullptr) add(TraceKind::note, "converge not judged: " + why);
}

void Recorder::expected_crash(const std::string& why) {
  if (trace_ != nullptr) add(TraceKind::note, "expected crash: " + why);
}

void Recorder::livelock(MemoryOp op) {
  if (trace_ != nullptr)
    add(TraceKind::note, std::string(memory_op_name(op)) + " over the work run's budget: livelock");
}

void Recorder::memory_added(std::uint64_t first, std::uint64_t pages) {
  ++stats_.memory_added;
  if (trace_ != nullptr) {
    add(TraceKind::note,
        "memory hotplug: pfns " + n(first) + " to " + n(first + pages - 1) + " added, offline");
  }
}

void Recorder::memory_online(std::uint64_t first, std::uint64_t pages) {
  if (trace_ != nullptr) {
    add(TraceKind::note,
        "memory hotplug: pfns " + n(first) + " to " + n(first + pages - 1) + " online");
  }
}

void Recorder::note(std::string text) {
  if (trace_ != nullptr) add(TraceKind::note, std::move(text));
}

void Recorder::hypercall_issued(const Reservation& reservation) {
  if (trace_ == nullptr) return;
  extents_asked_.assign(reservation.extent_start,
                        reservation.extent_start + reservation.nr_extents);
}

void Recorder::hypercall_answered(MemoryOp op, const Reservation& reservation, long rc) {
  if (reservation.nr_extents == kFrameListEntries) ++stats_.full_batches;
  const bool short_answer = rc >= 0 && static_cast<std::uint64_t>(rc) < reservation.nr_extents;
  if (op == MemoryOp::populate_physmap) {
    ++stats_.populates;
    if (rc < 0) {
      ++stats_.populates_negative;
    } else if (rc == 0 && reservation.nr_extents > 0) {
      ++stats_.populates_zero;
    } else if (short_answer) {
      ++stats_.populates_partial;
    }
  } else {
    ++stats_.decreases;
    if (rc < 0) ++stats_.decreases_refused;
  }
  if (trace_ == nullptr) return;
  TraceEntry made = entry(TraceKind::hypercall);
  made.op = op;
  made.asked = reservation.nr_extents;
  made.answer = rc;
  made.extents_asked = std::move(extents_asked_);
  extents_asked_.clear();
  made.extents_answered.assign(reservation.extent_start,
                               reservation.extent_start + reservation.nr_extents);
  std::string verdict;
  if (rc < 0) {
    verdict = " (error)";
  } else if (short_answer) {
    verdict = rc == 0 ? " (none)" : " (partial)";
  }
  made.text = std::string(memory_op_name(op)) + " asked " + n(reservation.nr_extents) + " -> " +
              std::to_string(rc) + verdict;
  trace_->add(std::move(made));
}

void Recorder::in_flight(InFlightAction action, std::uint64_t value) {
  ++stats_.in_flight_actions;
  if (trace_ == nullptr) return;
  TraceEntry made = entry(TraceKind::in_flight);
  made.text = std::string("in flight: ") + in_flight_name(action) + " " + n(value);
  made.event = events::in_flight(action, value);
  trace_->add(std::move(made));
}

void Recorder::timer_armed(std::uint64_t expires) {
  ++stats_.timer_arms;
  if (retry_running_) ++stats_.timer_rearms;
  if (trace_ != nullptr) add(TraceKind::timer_armed, "timer armed for t=" + n(expires));
}

void Recorder::timer_fired() {
  ++stats_.timer_fires;
  retry_due_ = true;
  if (trace_ != nullptr) add(TraceKind::timer_fired, "timer fires at t=" + n(sim_.jiffies()));
}

void Recorder::work_scheduled() {
  if (trace_ != nullptr) add(TraceKind::work_scheduled, "work scheduled");
}

void Recorder::work_started() {
  ++stats_.work_runs;
  retry_running_ = std::exchange(retry_due_, false);
  if (trace_ != nullptr) add(TraceKind::work_run, "work runs at t=" + n(sim_.jiffies()));
}

void Recorder::work_finished() {
  retry_running_ = false;
  if (core_.hard_limit() != kNoHardLimit) ++stats_.hard_limit_latches;
  if (trace_ == nullptr) return;
  TraceEntry made = entry(TraceKind::work_done);
  made.text = "work returns: current=" + n(core_.current_pages()) +
              " current_target()=" + n(core_.current_target());
  if (const std::optional<ThreadState> thread = core_.thread_state()) {
    made.text += std::string("; thread ") + (thread->sleeping ? "sleeps" : "runs again") + " in " +
                 bp_state_name(thread->state) + " (schedule_delay=" + n(thread->schedule_delay) +
                 "s retry_count=" + n(thread->retry_count) +
                 " target_unpopulated=" + n(thread->target_unpopulated) + ")";
  }
  made.state = snapshot();
  trace_->add(std::move(made));
}

void Recorder::alloc_empty(const std::vector<pfn_t>* pages, std::size_t vector_index) {
  if (trace_ == nullptr) return;
  if (pages == nullptr) {
    add(TraceKind::note, "alloc_empty_pages failed");
  } else {
    add(TraceKind::note, "lent " + n(pages->size()) + " pages as vector #" + n(vector_index));
  }
}

void Recorder::free_empty(std::size_t which, std::size_t pages, bool anything_lent) {
  if (trace_ == nullptr) return;
  if (!anything_lent) {
    add(TraceKind::note, "nothing is lent");
  } else {
    add(TraceKind::note, "vector #" + n(which) + " returns " + n(pages) + " pages");
  }
}

void Recorder::release_driver_page(const pfn_t* pfn) {
  if (trace_ == nullptr) return;
  add(TraceKind::note, pfn == nullptr ? std::string("nothing is lent")
                                      : "pfn " + n(*pfn) + " goes back to the balloon");
}

void Recorder::work_not_run() {
  if (trace_ == nullptr) return;
  add(TraceKind::note, sim_.work_pending() ? "work delayed until t=" + n(sim_.work_blocked_until())
                                           : std::string("no work pending"));
}

void Recorder::host_moved(bool taken, std::uint64_t frames) {
  if (trace_ == nullptr) return;
  add(TraceKind::note, taken ? "another guest takes " + n(frames) + " frames"
                             : "other guests free " + n(frames) + " frames");
}

void Recorder::max_pages_set() {
  if (trace_ != nullptr) add(TraceKind::note, "max_pages is now " + n(sim_.max_pages()));
}

void Recorder::contract_break_ignored() {
  if (trace_ != nullptr) add(TraceKind::note, "ignored: the contract_breaks knob is off");
}

void Recorder::proc_write(long rc) {
  if (trace_ != nullptr) add(TraceKind::note, "write returned " + std::to_string(rc));
}

void Recorder::store_returned(long rc) {
  if (trace_ != nullptr) add(TraceKind::note, "store returned " + std::to_string(rc));
}

void Recorder::proc_read(std::string text) {
  if (trace_ == nullptr) return;
  std::replace(text.begin(), text.end(), '\n', '|');
  add(TraceKind::note, "read: " + text);
}

}  // namespace balloonbench
