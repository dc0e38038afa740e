// The world a run happens in: the simulation, the balloon core, the checker, the
// recorder, the in-flight actions waiting for a hypercall and the borrowed pages of a
// backend driver. World::step applies one Event and checks the
// catalogue; World::finish runs the liveness epilogue (heal, two seconds of virtual
// time, `converge`) and the epilogue check over what the run touched. World::reset
// starts the next run in place, so that a run costs what it touches, not the size of
// its guest, and from a boot it kept when it has one. Every consumer (fuzz targets,
// properties, the replay tool, benchmarks) drives runs through here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "driver/driver.h"
#include "driver/xen-2.6.18/balloon.h"
#include "run/event.h"
#include "run/invariants.h"
#include "run/recorder.h"
#include "run/trace.h"
#include "sim/sim.h"

namespace balloonbench {

// Guests of up to this many pfns end every run with the full scan, in every engine and
// in the replay tool alike, so a violation only the scan sees reproduces everywhere;
// a larger guest's scan would cost more than its run.
inline constexpr std::uint64_t kFullScanMaxPfn = 512;

enum class FullScan : std::uint8_t {
  small_guests,  // guests of up to kFullScanMaxPfn pfns
  always,        // every guest
  never,         // the epilogue check alone (to compare the two)
};

struct WorldOptions {
  Variant variant = Variant::fixed;
  Mutation mutation = Mutation::none;
  Trace* trace = nullptr;  // record a trace when set
  bool checks = true;      // false: no invariant checks (to measure the bare step)
  // Which runs also end with the scan of every pfn, frame and list entry
  // (Checker::full_scan), the epilogue check's cross-check, in time proportional to
  // the guest.
  FullScan full_scan = FullScan::small_guests;
  // The host's shared frames when the guest is one of several (run/host.h); fixed
  // for the World's life (reset keeps the one it was made with).
  FrameBank* bank = nullptr;
};

// The guest a variant boots from a configuration: Linux's driver runs in a 64-bit PV
// guest, or, when the configuration is auto-translated, in a PVH guest whose memory
// map holds only the pfns Xen populated, 32-bit when it has highmem (docs/fidelity.md);
// the 2.6.18 drivers run in the guest as configured.
Config guest_for(Config config, Variant variant);

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

struct RunResult;

class World final : private SimObserver {
 public:
  // Boots the guest and checks the boot. Throws std::invalid_argument for a
  // configuration that validate() rejects.
  World(const Config& config, const WorldOptions& options);
  // The same as a new World(config, options), reusing this one's memory. Throws
  // std::invalid_argument (leaving this World as it was) for a configuration that
  // validate() rejects.
  void reset(const Config& config, const WorldOptions& options);
  ~World();
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
  RunStats stats() const { return recorder_.stats(); }
  // The run's result so far (after finish(), the whole run's).
  RunResult result() const;

  // What a host of several guests (run/host.h) drives a guest by. A step is opened
  // with the event the trace records for it, has things applied within it (each
  // stopping the step at a BUG or a livelock as step() would) and is closed, which
  // runs the state checks. open_step is false once the run has stopped.
  bool open_step(const Event& as_recorded);
  void apply_within_step(const Event& event);
  // Let time pass to `when` (absolute jiffies), firing the timer and running the work
  // item as they come due, and nothing past `when`.
  void advance_within_step(std::uint64_t when);
  void close_step();
  // A step is open (between open_step or open_epilogue and their close).
  bool in_step() const { return step_open_; }
  // Something is being applied within the open step: the driver may be in the middle
  // of a call, and nothing else may enter it.
  bool busy() const { return busy_; }
  // The earliest jiffy at which the timer fires or the work item may run, or ~0.
  std::uint64_t next_due() const;
  // Done inside the guest's next hypercall, after any armed in-flight action; false
  // (and not armed) when kMaxArmedFaults actions already wait. The heal drops them.
  bool arm_host_action(std::function<void()> action);
  // The liveness epilogue of a guest of a host: open_epilogue heals the guest's faults
  // (the host's frames are the host's to heal) and opens the epilogue step for
  // `window` jiffies, in which the host advances time; close_epilogue ends it,
  // judging `converge` unless `not_judged` says why the host does not (or the
  // back-off or max_pages rule it out), then runs the epilogue check. open_epilogue is
  // false when the run has already stopped.
  bool open_epilogue(std::uint64_t window);
  void close_epilogue(const std::string& not_judged = {});
  // How long past the heal the driver has to converge (its back-off included).
  std::uint64_t converge_window() const;
  // What the guest must reach after the heal: its effective target within max_pages.
  std::uint64_t reachable_target() const;
  // Whether the driver's back-off lets convergence be judged (not over an hour).
  bool back_off_judged() const;

  const Sim& sim() const { return sim_; }
  const Driver& core() const { return *driver_; }
  // Whether this run started from a boot the World kept (see booted_) instead of
  // booting.
  bool boot_was_kept() const { return boot_was_kept_; }
  const Checker& checker() const { return checker_; }
  StateSnapshot snapshot() const { return recorder_.snapshot(); }
  std::size_t lent_vectors() const { return lent_.size(); }
  // Pages lent by alloc_empty_pages and not yet given back, over all vectors.
  std::size_t lent_pages() const;

 private:
  struct ArmedInFlight {
    InFlightAction action;
    std::uint64_t value;
  };

  // A clean boot as the driver and the checker were right after boot_check: a later
  // run of the same boot starts from copies of them instead of booting again, in a
  // fraction of the time a boot of thousands of ballooned pages takes. Kept only for
  // a driver that offers Driver::copy_booted, in runs without a trace, for a guest
  // with the host to itself (no bank), in a World that was reset (one built for a
  // single run keeps nothing). The boots kept are a table of kBootsKept slots indexed
  // by the boot's hash, all made with the first boot kept; a new boot is copied into
  // its slot's memory (Driver::assign_booted, LazyTable::copy_from), and a run from a
  // kept boot into the World's own driver, so that neither allocates more blocks
  // than it frees but when a boot outgrows the memory it is copied into (libFuzzer
  // runs an input a second time, as a leak suspect, whenever its execution allocated
  // more blocks than it freed).
  // Which driver make_driver builds: a variant's core, with a mutation (all that the
  // 2.6.18 cores, the only ones that offer copy_booted, are built from). A driver is
  // copied into another (Driver::assign_booted) only where their kinds are the same.
  struct DriverKind {
    Variant variant = Variant::fixed;
    Mutation mutation = Mutation::none;
    bool operator==(const DriverKind&) const = default;
  };
  struct BootKey {
    Config config;
    DriverKind kind;
    bool checks = true;
    bool operator==(const BootKey&) const = default;
  };
  static std::size_t slot_of(const BootKey& key);
  struct Booted {
    bool kept = false;  // false: the slot is empty (its memory may hold an old boot)
    BootKey key;
    // The driver in the slot's memory, of kind `driver_kind` whether kept or not.
    std::unique_ptr<Driver> driver;
    DriverKind driver_kind;
    Checker::Booted checker;
  };
  static constexpr std::size_t kBootsKept = 512;
  // A decoded guest has at most 4,096 pfns in its balloon at boot (docs/encoding.md):
  // five pages of the checker's list table, however they fall.
  static constexpr std::size_t kBootListPages = 5;

  // The kept boot of `config` and `options`, or nullptr.
  const Booted* kept_boot(const Config& config, const WorldOptions& options) const;
  void keep_boot(const Config& config, const WorldOptions& options);
  // Boots the guest, or takes it as `booted` left it (the driver and the checker
  // already copied from it).
  void boot(const Config& config, const WorldOptions& options, const Booted* booted);
  void apply(const Event& event);
  void apply_entry_point(const Event& event);
  void apply_host(const Event& event);
  void apply_fault(const Event& event);
  void alloc_empty(std::uint64_t pages);
  void note_unwoken_credit(std::uint64_t current_before);
  void target_written(std::uint64_t target_before);
  void free_woke_thread();
  void free_empty(std::uint64_t which);
  void release_driver_page(std::uint64_t which);
  long proc_write(const std::string& bytes, bool capable);
  long sysfs_store(EventKind kind, const std::string& bytes, bool capable);
  // What a write to a text file is checked against (text-write): target_pages and
  // current + ballooned pages before it.
  struct TargetBefore {
    std::uint64_t target;
    std::uint64_t reachable;
  };
  TargetBefore target_before() const;
  void text_written(TextFile file, const Event& event, long answer, TargetBefore before);
  // Let `ticks` jiffies pass (at most kMaxTickJiffies when capped).
  void advance(std::uint64_t ticks, bool capped = true);
  void advance_to(std::uint64_t end);
  bool absent(OptionalEntry entry);
  void fire_timer();
  void run_work();
  void heal();
  void stop_at_bug(const KernelBug& bug);
  void stop_where_asked();
  void end_step(bool record_state = true);
  void carry_out(const ArmedInFlight& armed);
  template <class Action>
  void guarded(Action&& action);

  // SimObserver.
  void hypercall_issued(MemoryOp op, const Reservation& reservation) override;
  void hypercall_answered(MemoryOp op, const Reservation& reservation, long rc) override;
  void timer_armed(std::uint64_t expires) override;
  void work_scheduled() override;
  void memory_added(pfn_t first, std::uint64_t pages) override;
  void memory_online(pfn_t first, std::uint64_t pages) override;

  Sim sim_;
  std::unique_ptr<Driver> driver_;
  DriverKind driver_kind_;  // driver_'s
  Checker checker_;
  Recorder recorder_;
  // The buffer the /proc writer formats each write into and keeps: 64 bytes, the
  // most a /proc write may hold. A driver that reads past a write's count reads what
  // an earlier, longer write left there, which the text-write check sees as another
  // number. Zeroed by reset, so that a run does not see the run before it.
  std::array<char, 64> writer_buffer_{};
  // Armed by in_flight events; each is carried out inside the next hypercall.
  std::deque<ArmedInFlight> in_flight_;
  std::deque<std::function<void()>> host_actions_;
  std::vector<std::vector<pfn_t>> lent_;
  std::size_t next_index_ = 0;
  bool stopped_ = false;
  bool finished_ = false;
  bool converge_judged_ = false;
  Outcome outcome_ = Outcome::clean;
  std::string expected_crash_;
  FullScan full_scan_ = FullScan::small_guests;
  TextRules text_rules_ = TextRules::xen_2_6_18;
  // The work function is running, and it queued itself again.
  bool in_work_ = false;
  bool requeued_by_work_ = false;
  // A borrow left a sleeping thread below its effective target without waking it
  // (note_unwoken_credit); a pass, a new target, or a free (a backend's, or a failed
  // borrow's undoing) that leaves a credit clears it.
  bool credit_unheeded_ = false;
  // The open step stopped at a BUG or a livelock: no state checks when it closes.
  bool step_abandoned_ = false;
  bool step_open_ = false;
  bool busy_ = false;
  std::vector<Booted> booted_;  // kBootsKept slots once a boot was kept
  bool boot_was_kept_ = false;
  // The World was reset at least once: a World built for one run keeps no boot.
  bool reused_ = false;
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
// The same in `world`, reset for the run: what a fuzz target does input after input.
RunResult run(World& world, const Run& run, const WorldOptions& options);

}  // namespace balloonbench
