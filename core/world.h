// The world a run happens in: the simulation, the balloon core, the checker and the
// borrowed pages of a backend driver. World::step applies one Event and checks the
// catalogue; World::finish runs the liveness epilogue (heal, two seconds of virtual
// time, `converge`) and the full scan. Every consumer (fuzz targets, properties, the
// replay tool, benchmarks) drives runs through here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "balloon.h"
#include "event.h"
#include "invariants.h"
#include "sim.h"
#include "trace.h"

namespace balloonbench {

struct WorldOptions {
  Variant variant = Variant::fixed;
  Mutation mutation = Mutation::none;
  Trace* trace = nullptr;  // record a trace when set
  bool checks = true;      // false: no invariant checks (to measure the bare step)
};

// What a run went through, counted as it happens (cheap enough to keep always), so
// that property tests can classify the situations they reach.
struct RunStats {
  std::uint64_t populates = 0;
  std::uint64_t populates_partial = 0;   // answered 0 < k < n
  std::uint64_t populates_zero = 0;      // answered 0 of n > 0
  std::uint64_t populates_negative = 0;  // answered an error
  std::uint64_t decreases = 0;
  std::uint64_t full_batches = 0;  // hypercalls of all 512 frame_list entries
  std::uint64_t allocation_failures = 0;
  std::uint64_t work_runs = 0;
  std::uint64_t timer_arms = 0;
  std::uint64_t timer_rearms =
      0;  // arms by a work run the timer started: a retry that failed again
  std::uint64_t timer_fires = 0;
  std::uint64_t in_flight_actions = 0;
  std::uint64_t hard_limit_latches = 0;  // legacy: the work ran into a latched limit
};

enum class Outcome : std::uint8_t {
  clean,           // no violation
  violation,       // an invariant failed
  expected_crash,  // the core BUGged after a fault that broke Xen's contract on purpose
};
const char* outcome_name(Outcome outcome);

// Upper bounds on the time an event may move or hold things, so that any Event value
// gives a bounded step.
inline constexpr std::uint64_t kMaxTickJiffies = 60 * kHz;
inline constexpr std::uint64_t kMaxDelayJiffies = 60 * kHz;
// How long the epilogue lets the core converge after the heal.
inline constexpr std::uint64_t kConvergeJiffies = 2 * kHz;

class World final : private SimObserver {
 public:
  // Boots the guest and runs the full scan. Throws std::invalid_argument for a
  // configuration that validate() rejects.
  World(const Config& config, const WorldOptions& options);
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Apply one event, then check. Does nothing once the run has stopped.
  void step(const Event& event);
  // The liveness epilogue and the full scan. Call once, after the last step.
  void finish();

  bool stopped() const { return stopped_; }
  Outcome outcome() const { return outcome_; }
  const std::vector<Violation>& violations() const { return checker_.violations(); }
  // Why the run ended in an expected crash.
  const std::string& expected_crash() const { return expected_crash_; }
  // Whether the epilogue judged `converge` (not when the target is above max_pages).
  bool converge_judged() const { return converge_judged_; }
  std::size_t events_applied() const { return next_index_; }
  RunStats stats() const {
    RunStats stats = stats_;
    stats.allocation_failures = sim_.failed_allocations();
    return stats;
  }

  const Sim& sim() const { return sim_; }
  const BalloonCore& core() const { return core_; }
  const Checker& checker() const { return checker_; }
  StateSnapshot snapshot() const;
  std::size_t lent_vectors() const { return lent_.size(); }

 private:
  void apply(const Event& event);
  void proc_write(const std::string& bytes, bool capable);
  void proc_read();
  void advance(std::uint64_t ticks);
  void fire_timer();
  void run_work();
  void heal();
  void end_step(bool record_state = true);
  // A trace entry of `kind`, stamped with the phase, event index and time now.
  TraceEntry entry_now(TraceKind kind) const;
  void trace(TraceKind kind, std::string text);
  void trace_state();

  // SimObserver.
  void hypercall_issued(MemoryOp op, const Reservation& reservation) override;
  void in_flight(InFlightAction action, std::uint64_t value) override;
  void hypercall_answered(MemoryOp op, const Reservation& reservation, long rc) override;
  void timer_armed(std::uint64_t expires) override;
  void work_scheduled() override;

  Sim sim_;
  BalloonCore core_;
  Checker checker_;
  Trace* trace_;
  std::vector<std::vector<pfn_t>> lent_;
  Phase phase_ = Phase::boot;
  std::size_t next_index_ = 0;
  bool stopped_ = false;
  bool finished_ = false;
  bool converge_judged_ = false;
  Outcome outcome_ = Outcome::clean;
  std::string expected_crash_;
  RunStats stats_;
  bool retry_due_ = false;      // the timer fired; the next work run is its retry
  bool retry_running_ = false;  // that retry is running now
};

struct RunResult {
  Outcome outcome = Outcome::clean;
  std::vector<Violation> violations;
  std::size_t events_applied = 0;
  bool converge_judged = false;
  std::string expected_crash;
  RunStats stats;
};

// Boot, every event, then finish(). Throws std::invalid_argument for a bad config.
RunResult run(const Run& run, const WorldOptions& options);

}  // namespace balloonbench
