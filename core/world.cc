#include "world.h"

#include <algorithm>
#include <utility>

namespace balloonbench {
namespace {

// Thrown from the hypercall hook when a work run exceeds its hypercall budget: the
// driver would spin forever, so the run stops there.
struct Livelock {};

std::string n(std::uint64_t value) { return std::to_string(value); }

}  // namespace

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::clean:
      return "clean";
    case Outcome::violation:
      return "violation";
    case Outcome::expected_crash:
      return "expected-crash";
  }
  return "?";
}

World::World(const Config& config, const WorldOptions& options)
    : sim_(config, *this),
      core_(sim_, options.variant, options.mutation),
      checker_(sim_, core_, options.checks),
      trace_(options.trace) {
  if (trace_ != nullptr) {
    std::string text = "config: " + to_text(config) + " variant=" + variant_name(options.variant);
    if (options.mutation != Mutation::none)
      text += std::string(" mutation=") + mutation_name(options.mutation);
    if (trace_ != nullptr) trace(TraceKind::config, std::move(text));
  }
  core_.balloon_init(config.max_pfn, config.nr_pages);
  checker_.begin_step(Phase::boot, 0);
  checker_.boot_check();
  end_step();
}

void World::step(const Event& event) {
  if (stopped_ || finished_) return;
  const std::size_t index = next_index_++;
  phase_ = Phase::event;
  checker_.begin_step(Phase::event, index);
  if (trace_ != nullptr) {
    TraceEntry entry = entry_now(TraceKind::event);
    entry.text = to_text(event);
    trace_->add(std::move(entry));
  }
  try {
    apply(event);
    checker_.step_finished();
  } catch (const KernelBug& bug) {
    checker_.step_abandoned();
    if (sim_.contract_broken()) {
      stopped_ = true;
      outcome_ = Outcome::expected_crash;
      expected_crash_ = "BUG at " + bug.where + " (" + bug.condition +
                        ") after Xen broke its contract on purpose";
      if (trace_ != nullptr) trace(TraceKind::note, "expected crash: " + expected_crash_);
    } else {
      checker_.kernel_bug(bug);
    }
  } catch (const Livelock&) {
    checker_.livelock();
    checker_.step_abandoned();
  }
  end_step();
}

void World::finish() {
  if (finished_) return;
  finished_ = true;
  if (stopped_) return;
  phase_ = Phase::epilogue;
  checker_.begin_step(Phase::epilogue, next_index_);
  if (trace_ != nullptr)
    trace(TraceKind::epilogue, "epilogue: heal, then " + n(kConvergeJiffies) + " jiffies");
  try {
    heal();
    advance(kConvergeJiffies);
    checker_.step_finished();
    converge_judged_ = checker_.effective_target() <= sim_.max_pages();
    if (converge_judged_) {
      checker_.check_converge();
    } else {
      if (trace_ != nullptr)
        trace(TraceKind::note, "converge not judged: effective target " +
                                   n(checker_.effective_target()) + " is above max_pages " +
                                   n(sim_.max_pages()));
    }
  } catch (const KernelBug& bug) {
    checker_.step_abandoned();
    checker_.kernel_bug(bug);
  } catch (const Livelock&) {
    checker_.livelock();
    checker_.step_abandoned();
  }
  end_step();
  if (stopped_) return;
  checker_.begin_step(Phase::epilogue, next_index_);
  checker_.full_scan();
  end_step(/*record_state=*/false);
}

void World::end_step(bool record_state) {
  if (record_state) trace_state();
  sim_.end_step();
  if (checker_.violations().empty()) return;
  stopped_ = true;
  outcome_ = Outcome::violation;
  if (trace_ == nullptr) return;
  for (const Violation& violation : checker_.violations()) {
    TraceEntry entry;
    entry.kind = TraceKind::violation;
    entry.phase = violation.phase;
    entry.event_index = violation.event_index;
    entry.jiffies = sim_.jiffies();
    entry.text = to_text(violation);
    entry.violation = violation.id;
    trace_->add(std::move(entry));
  }
}

void World::apply(const Event& event) {
  switch (event.kind) {
    case EventKind::set_target:
      core_.balloon_set_new_target(event.value);
      break;
    case EventKind::xenstore_target:
      core_.watch_target(event.bytes);
      break;
    case EventKind::proc_write:
      proc_write(event.bytes, event.value == 0);
      break;
    case EventKind::proc_read:
      proc_read();
      break;
    case EventKind::driver_allowance:
      core_.balloon_update_driver_allowance(static_cast<std::int64_t>(event.value));
      break;
    case EventKind::alloc_empty: {
      std::optional<std::vector<pfn_t>> pages = core_.alloc_empty_pages(event.value);
      if (!pages.has_value()) {
        if (trace_ != nullptr) trace(TraceKind::note, "alloc_empty_pages failed");
        break;
      }
      for (const pfn_t pfn : *pages) sim_.lend(pfn);
      if (trace_ != nullptr)
        trace(TraceKind::note, "lent " + n(pages->size()) + " pages as vector #" + n(lent_.size()));
      lent_.push_back(std::move(*pages));
      break;
    }
    case EventKind::free_empty: {
      if (lent_.empty()) {
        if (trace_ != nullptr) trace(TraceKind::note, "nothing is lent");
        break;
      }
      const std::size_t which = event.value % lent_.size();
      const std::vector<pfn_t> pages = std::move(lent_[which]);
      lent_.erase(lent_.begin() + static_cast<std::ptrdiff_t>(which));
      for (const pfn_t pfn : pages) sim_.unlend(pfn);
      if (trace_ != nullptr)
        trace(TraceKind::note, "vector #" + n(which) + " returns " + n(pages.size()) + " pages");
      core_.free_empty_pages(pages);
      break;
    }
    case EventKind::run_work:
      if (sim_.work_runnable()) {
        run_work();
      } else {
        if (trace_ != nullptr)
          trace(TraceKind::note, sim_.work_pending()
                                     ? "work delayed until t=" + n(sim_.work_blocked_until())
                                     : std::string("no work pending"));
      }
      break;
    case EventKind::tick:
      advance(event.value);
      break;
    case EventKind::host_take: {
      const std::uint64_t moved = sim_.host_take(event.value);
      if (trace_ != nullptr) trace(TraceKind::note, "another guest takes " + n(moved) + " frames");
    } break;
    case EventKind::host_free: {
      const std::uint64_t moved = sim_.host_free(event.value);
      if (trace_ != nullptr) trace(TraceKind::note, "other guests free " + n(moved) + " frames");
    } break;
    case EventKind::set_max_pages:
      sim_.set_max_pages(event.value);
      if (trace_ != nullptr) trace(TraceKind::note, "max_pages is now " + n(sim_.max_pages()));
      break;
    case EventKind::populate_limit:
      sim_.arm_populate_limit(event.value);
      break;
    case EventKind::populate_error:
      sim_.arm_populate_error(event.value);
      break;
    case EventKind::alloc_fail:
      sim_.arm_alloc_failures(event.value, event.extra);
      break;
    case EventKind::in_flight:
      sim_.arm_in_flight(static_cast<InFlightAction>(event.extra % kInFlightActions), event.value);
      break;
    case EventKind::timer_late:
      sim_.arm_timer_late(std::min(event.value, kMaxDelayJiffies));
      break;
    case EventKind::delay_work:
      sim_.delay_work(std::min(event.value, kMaxDelayJiffies));
      break;
    case EventKind::decrease_short:
      if (sim_.config().contract_breaks) {
        sim_.arm_decrease_short(event.value);
      } else {
        if (trace_ != nullptr) trace(TraceKind::note, "ignored: the contract_breaks knob is off");
      }
      break;
  }
}

// A write to /proc/xen/balloon by a writer with or without CAP_SYS_ADMIN.
void World::proc_write(const std::string& bytes, bool capable) {
  sim_.set_capable(capable);
  const long rc = core_.balloon_write(bytes);
  sim_.set_capable(true);
  if (trace_ != nullptr) trace(TraceKind::note, "write returned " + std::to_string(rc));
}

void World::proc_read() {
  std::string text = core_.balloon_read();
  std::replace(text.begin(), text.end(), '\n', '|');
  if (trace_ != nullptr) trace(TraceKind::note, "read: " + text);
}

// Let virtual time pass, firing the timer and running the work item as they come due.
void World::advance(std::uint64_t ticks) {
  const std::uint64_t end = sim_.jiffies() + std::min(ticks, kMaxTickJiffies);
  for (;;) {
    if (sim_.timer_pending() && sim_.timer_fire_time() <= sim_.jiffies()) fire_timer();
    if (sim_.work_runnable()) {
      run_work();
      continue;
    }
    std::uint64_t next = end;
    if (sim_.timer_pending()) next = std::min(next, sim_.timer_fire_time());
    if (sim_.work_pending()) next = std::min(next, sim_.work_blocked_until());
    if (next <= sim_.jiffies()) break;
    sim_.set_jiffies(next);
  }
}

void World::fire_timer() {
  sim_.timer_fired();
  ++stats_.timer_fires;
  retry_due_ = true;
  if (trace_ != nullptr) trace(TraceKind::timer_fired, "timer fires at t=" + n(sim_.jiffies()));
  core_.balloon_alarm();
}

void World::run_work() {
  sim_.take_work();
  ++stats_.work_runs;
  if (trace_ != nullptr) trace(TraceKind::work_run, "work runs at t=" + n(sim_.jiffies()));
  checker_.work_started();
  retry_running_ = std::exchange(retry_due_, false);
  core_.balloon_process();
  retry_running_ = false;
  checker_.work_finished();
  if (core_.hard_limit() != kNoHardLimit) ++stats_.hard_limit_latches;
  if (trace_ == nullptr) return;
  TraceEntry entry = entry_now(TraceKind::work_done);
  entry.text = "work returns: current=" + n(core_.current_pages()) +
               " current_target()=" + n(core_.current_target());
  entry.state = snapshot();
  trace_->add(std::move(entry));
}

// SPEC §3: stop all faults, let allocations succeed, and give the host enough free
// memory for the effective target within max_pages.
void World::heal() {
  sim_.clear_faults();
  const std::uint64_t reachable = std::min(checker_.effective_target(), sim_.max_pages());
  if (reachable > sim_.tot_pages()) sim_.ensure_free_frames(reachable - sim_.tot_pages());
  if (trace_ != nullptr)
    trace(TraceKind::note, "heal: faults cleared, host_free=" + n(sim_.free_frames()));
}

StateSnapshot World::snapshot() const {
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
  return state;
}

TraceEntry World::entry_now(TraceKind kind) const {
  TraceEntry entry;
  entry.kind = kind;
  entry.phase = phase_;
  // During an event, next_index_ has already moved past it.
  entry.event_index = phase_ == Phase::event ? next_index_ - 1 : next_index_;
  entry.jiffies = sim_.jiffies();
  return entry;
}

void World::trace(TraceKind kind, std::string text) {
  if (trace_ == nullptr) return;
  TraceEntry entry = entry_now(kind);
  entry.text = std::move(text);
  trace_->add(std::move(entry));
}

void World::trace_state() {
  if (trace_ == nullptr) return;
  TraceEntry entry = entry_now(TraceKind::state);
  entry.state = snapshot();
  trace_->add(std::move(entry));
}

void World::hypercall_issued(MemoryOp op, const Reservation& reservation) {
  if (checker_.hypercall_issued(op, reservation)) {
    if (trace_ != nullptr)
      trace(TraceKind::note,
            std::string(memory_op_name(op)) + " over the work run's budget: livelock");
    throw Livelock{};
  }
}

void World::in_flight(InFlightAction action, std::uint64_t value) {
  ++stats_.in_flight_actions;
  const std::uint64_t target_before = core_.target_pages();
  if (trace_ != nullptr)
    trace(TraceKind::in_flight,
          std::string("in flight: ") + in_flight_name(action) + " " + n(value));
  switch (action) {
    case InFlightAction::set_target:
      core_.balloon_set_new_target(value);
      break;
    case InFlightAction::host_take:
      sim_.host_take(value);
      break;
    case InFlightAction::host_free:
      sim_.host_free(value);
      break;
    case InFlightAction::set_max_pages:
      sim_.set_max_pages(value);
      break;
  }
  checker_.in_flight_fired(core_.target_pages() != target_before);
}

void World::hypercall_answered(MemoryOp op, const Reservation& reservation, long rc) {
  checker_.hypercall_answered(op, reservation, rc);
  if (reservation.nr_extents == kFrameListEntries) ++stats_.full_batches;
  if (op == MemoryOp::populate_physmap) {
    ++stats_.populates;
    if (rc < 0) {
      ++stats_.populates_negative;
    } else if (rc == 0 && reservation.nr_extents > 0) {
      ++stats_.populates_zero;
    } else if (static_cast<std::uint64_t>(rc) < reservation.nr_extents) {
      ++stats_.populates_partial;
    }
  } else {
    ++stats_.decreases;
  }
  if (trace_ == nullptr) return;
  TraceEntry entry = entry_now(TraceKind::hypercall);
  entry.op = op;
  entry.asked = reservation.nr_extents;
  entry.answer = rc;
  std::string verdict;
  if (rc < 0) {
    verdict = " (error)";
  } else if (static_cast<std::uint64_t>(rc) < reservation.nr_extents) {
    verdict = rc == 0 ? " (none)" : " (partial)";
  }
  entry.text = std::string(memory_op_name(op)) + " asked " + n(reservation.nr_extents) + " -> " +
               std::to_string(rc) + verdict;
  trace_->add(std::move(entry));
}

void World::timer_armed(std::uint64_t expires) {
  ++stats_.timer_arms;
  if (retry_running_) ++stats_.timer_rearms;
  if (trace_ != nullptr) trace(TraceKind::timer_armed, "timer armed for t=" + n(expires));
}

void World::work_scheduled() {
  if (trace_ != nullptr) trace(TraceKind::work_scheduled, "work scheduled");
}

RunResult run(const Run& run, const WorldOptions& options) {
  World world(run.config, options);
  for (const Event& event : run.events) {
    if (world.stopped()) break;
    world.step(event);
  }
  world.finish();
  return RunResult{world.outcome(),         world.violations(),     world.events_applied(),
                   world.converge_judged(), world.expected_crash(), world.stats()};
}

}  // namespace balloonbench
