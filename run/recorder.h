// What a run went through, for people and for statistics: the Recorder owns the trace
// prose (each line a trace entry stamped with phase, event index and time) and the
// run's counters. With no Trace attached it only counts, so fuzzing pays for no text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "driver/driver.h"
#include "driver/xen-2.6.18/balloon.h"
#include "run/event.h"
#include "run/failure.h"
#include "run/trace.h"
#include "sim/sim.h"

namespace balloonbench {

class Checker;

// What a run went through, counted as it happens (cheap enough to keep always), so
// that property tests can classify the situations they reach.
struct RunStats {
  std::uint64_t populates = 0;
  std::uint64_t populates_partial = 0;   // answered 0 < k < n
  std::uint64_t populates_zero = 0;      // answered 0 of n > 0
  std::uint64_t populates_negative = 0;  // answered an error
  std::uint64_t decreases = 0;
  std::uint64_t decreases_refused = 0;  // answered an error (a broken contract)
  std::uint64_t full_batches = 0;       // hypercalls of all 512 frame_list entries
  std::uint64_t allocation_failures = 0;
  std::uint64_t work_runs = 0;
  std::uint64_t timer_arms = 0;
  std::uint64_t timer_rearms = 0;  // arms by a work run the timer started: a retry that failed
  std::uint64_t timer_fires = 0;
  std::uint64_t in_flight_actions = 0;
  std::uint64_t hard_limit_latches = 0;  // legacy: the work ran into a latched limit
  std::uint64_t memory_added = 0;        // regions memory hotplug added (mainline)

  bool operator==(const RunStats&) const = default;
};

class Recorder {
 public:
  Recorder(Trace* trace, const Sim& sim, const Driver& core, const Checker& checker);

  // Where the run is; every entry recorded from now on carries it.
  void set_position(Phase phase, std::size_t event_index);
  RunStats stats() const;
  StateSnapshot snapshot() const;

  // The run's frame: configuration, events, the state after each, violations.
  void config(const Config& config, Variant variant, Mutation mutation);
  void event(const Event& event);
  void state();
  void violations(const std::vector<Violation>& violations);
  void epilogue(std::uint64_t jiffies);
  void heal();
  void full_scan(std::uint64_t pfns);
  void converge_not_judged(const std::string& why);
  void expected_crash(const std::string& why);
  void livelock(MemoryOp op);
  // A line of its own in the trace (the world's notes that have no hook of their own).
  void note(std::string text);
  // Memory hotplug added pfns [first, first + pages), offline; or onlined them.
  void memory_added(std::uint64_t first, std::uint64_t pages);
  void memory_online(std::uint64_t first, std::uint64_t pages);

  // What crossed the environment boundary.
  void hypercall_issued(const Reservation& reservation);
  void hypercall_answered(MemoryOp op, const Reservation& reservation, long rc);
  void in_flight(InFlightAction action, std::uint64_t value);
  void timer_armed(std::uint64_t expires);
  void timer_fired();
  void work_scheduled();
  void work_started();
  void work_finished();

  // What the events did.
  void alloc_empty(const std::vector<pfn_t>* pages, std::size_t vector_index);
  void free_empty(std::size_t which, std::size_t pages, bool anything_lent);
  void release_driver_page(const pfn_t* pfn);  // nullptr: nothing is lent
  void work_not_run();
  void host_moved(bool taken, std::uint64_t frames);
  void max_pages_set();
  void contract_break_ignored();
  void proc_write(long rc);
  void store_returned(long rc);  // a sysfs store
  void proc_read(std::string text);

 private:
  void add(TraceKind kind, std::string text);
  TraceEntry entry(TraceKind kind) const;

  Trace* trace_;
  std::vector<std::uint64_t> extents_asked_;  // of the hypercall in flight, when tracing
  const Sim& sim_;
  const Driver& core_;
  const Checker& checker_;
  Phase phase_ = Phase::boot;
  std::size_t event_index_ = 0;
  RunStats stats_;
  bool retry_due_ = false;      // the timer fired; the next work run is its retry
  bool retry_running_ = false;  // that retry is running now
};

}  // namespace balloonbench
