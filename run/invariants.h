// The invariant catalogue (SPEC §4). Each id has one checking function below; a
// violation names the id, where it was found and the values that disagree.
//
// Checks run at the points where their facts are visible: hypercall checks when a
// hypercall is issued or answered, `rearm` when the work function returns, the state
// checks (`ledger`, `p2m`, `list`) after every step over the pfns that step touched,
// and `converge` at the end of the liveness epilogue. Boot checks the totals and the
// list balloon_init built. At the end of a run, epilogue_check goes over everything
// the run touched (in time proportional to it); full_scan, which goes over every pfn,
// frame and list entry, is its cross-check in tests and debugging.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driver/driver.h"
#include "run/failure.h"
#include "run/text_model.h"
#include "sim/sim.h"

namespace balloonbench {

class Checker {
 public:
  // A disabled checker checks nothing (benchmarks measure the bare step with it);
  // a BUG is still reported, since the run cannot go on. The owner of the core routes
  // the core's balloon list operations to journal() (Driver::set_list_journal).
  Checker(const Sim& sim, const Driver& core, bool enabled = true);
  // Start again for a new run, as a new Checker would, on `core` (the Sim is the same
  // one, reset too), keeping the memory already allocated.
  void reset(const Driver& core, bool enabled);
  // Where the core's list operations go; nullptr for a disabled checker.
  std::vector<ListOp>* journal() { return enabled_ ? &journal_ : nullptr; }
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  void begin_step(Phase phase, std::size_t event_index);

  // Hooks during a step. hypercall_issued returns true when the work function has
  // used up its hypercall budget (`progress`) and the run must stop.
  bool hypercall_issued(MemoryOp op, const Reservation& reservation);
  void hypercall_answered(MemoryOp op, const Reservation& reservation, long rc);
  // An in-flight action ran; `target_changed` if it moved target_pages.
  void in_flight_fired(bool target_changed);
  void work_started();
  void work_finished();
  void kernel_bug(const KernelBug& bug);
  void livelock();

  // After a step that ran to completion: the state checks over what it touched.
  void step_finished();
  // After a step that stopped at a BUG or a livelock: forget its half-done state.
  void step_abandoned();
  // At the end of the liveness epilogue.
  void check_converge();
  // After boot: the totals, and the list as balloon_init built it.
  void boot_check();

  // What a boot leaves in the checker once boot_check passed: the list as the journal
  // told it. With the driver's copy (Driver::copy_booted) it is the whole of a clean
  // boot, which World::reset starts other runs of the same boot from.
  struct ListEntry {
    std::uint8_t count;
    std::uint8_t moved;
  };
  class Booted {
   public:
    // Memory for a list spread over up to `pages` pages of 1,024 pfns.
    void reserve(std::size_t pages) { in_list_.reserve(pages); }

   private:
    friend class Checker;
    LazyTable<ListEntry, 10> in_list_;
    std::uint64_t list_low_ = 0;
    std::uint64_t list_high_ = 0;
  };
  // Call after a boot_check that found nothing, with the journal drained.
  void save_boot(Booted& booted) const;
  // reset(core, enabled), then the state save_boot saw; `core` is a copy of the
  // driver that booted.
  void restore_boot(const Driver& core, bool enabled, const Booted& booted);
  // Memory hotplug onlined pfns [first, first + pages): the list may hold them.
  void memory_online(pfn_t first, std::uint64_t pages);
  // The state checks over every pfn the run touched since boot (the simulation's
  // dirty pfns and the list's entries, step by step), the pfns of every frame the
  // simulation wrote, and the totals: what full_scan would find, at the cost of
  // what the run did.
  void epilogue_check();
  // Every pfn, frame and list entry, whatever the run touched.
  void full_scan();

  // The effective target of SPEC §1.3: min(target, current_pages + the balloon). For
  // a driver with a thread (Linux's), the target is the larger of the last one the
  // toolstack wrote and the driver's own target_pages, which it moves when it gives up.
  std::uint64_t effective_target() const;
  // A toolstack write (set_target, memory/target, a sysfs store, an in-flight target)
  // has just reached the driver: its target_pages is what was asked for.
  void target_written();
  // text-write: a write to one of the driver's text files (or Linux's back-off knob
  // `knob`) answered `answer`; check the answer and what the driver stored against
  // the kernel's parsing of `bytes` (run/text_model.h). `target_before` and
  // `reachable_before` are target_pages and current + ballooned pages before it.
  struct TextWrite {
    TextRules rules;
    TextFile file;
    std::string_view bytes;
    bool capable = true;
    long answer = 0;
    std::uint64_t target_before = 0;
    std::uint64_t reachable_before = 0;
    BackoffKnob knob = BackoffKnob::max_schedule_delay;
  };
  void text_written(const TextWrite& write);
  // The target the toolstack last wrote (or the boot target).
  std::uint64_t requested_target() const { return requested_target_; }
  // A thread driver's pass is about to run; `requeued` when the previous pass made the
  // thread runnable itself. True (`progress`) when the thread spins: it runs again at
  // once, from where it left off, after passes that changed nothing, or more often in
  // one jiffy than any balloon needs.
  bool thread_spins(bool requeued);
  // The spin thread_spins found was asked for (a timeout of 0, from root's
  // max_schedule_delay=0): the run stops there, with no violation.
  bool spin_asked() const { return spin_asked_; }
  const std::string& livelock_reason() const { return livelock_reason_; }
  // Hypercalls one work run may issue between in-flight actions.
  std::uint64_t work_hypercall_budget() const;

  const std::vector<Violation>& violations() const { return violations_; }

 private:
  struct PendingPopulate {
    std::uint64_t asked;
    std::uint64_t answered;
    std::uint64_t current_before;
    std::uint64_t takes_before;
  };

  void report(InvariantId id, std::string detail);
  // report() with the detail joined from `parts` (text, counts, frames), built only
  // here: see invariants.cc.
  template <class... Parts>
  [[gnu::noinline, gnu::cold]] void fail(InvariantId id, Parts... parts);
  void drain_journal();

  // One function per invariant.
  void check_ledger_totals();
  void check_pfn(pfn_t pfn);  // ledger and p2m
  void check_pfn_state(pfn_t pfn, const PfnState& state);
  void check_ledger(pfn_t pfn, const PfnState& state, bool ballooned);
  void check_p2m(pfn_t pfn, const PfnState& state, bool ballooned);
  void check_list(const ListOp& op);
  void check_list_totals();
  void check_list_walk();
  void check_frames_owned();
  bool check_frame_owned(std::uint64_t frame);
  bool in_list(pfn_t pfn) const;
  void check_no_partial_return_settled();
  void check_no_partial_return_extents(const Reservation& reservation);
  void check_rearm();
  void check_thread_rearm(const ThreadState& thread);
  void check_at_or_below_target(std::uint64_t asked);
  void check_max_pages();
  void check_batch(MemoryOp op, std::uint64_t extents);
  bool check_progress(MemoryOp op);

  const Sim& sim_;
  const Driver* core_;
  bool enabled_;
  std::vector<ListOp> journal_;
  std::vector<pfn_t> list_touched_;
  // The balloon list as the journal tells it: how often each pfn is on it (at most
  // 255), for pfns below max_pfn, and whether the list moved it since boot (then it
  // is in list_moved_, once, for epilogue_check).
  LazyTable<ListEntry, 10> in_list_;
  std::vector<pfn_t> list_moved_;
  std::vector<pfn_t> epilogue_pfns_;           // epilogue_check's scratch list
  std::vector<std::uint64_t> epilogue_marks_;  // and its bitmap of pfns
  std::uint64_t list_low_ = 0;
  std::uint64_t list_high_ = 0;
  std::uint64_t list_takes_ = 0;

  std::optional<PendingPopulate> pending_populate_;
  // Thread drivers: the toolstack's target, and the passes the thread ran on its own
  // at one jiffy, each from where the last left off (with the state the last began
  // from and ended in, and whether it moved anything).
  std::uint64_t requested_target_ = 0;
  std::uint64_t spin_jiffies_ = 0;
  std::uint64_t spin_passes_ = 0;
  std::uint64_t idle_passes_ = 0;
  std::array<std::uint64_t, 5> spin_state_{};
  std::array<std::uint64_t, 5> spin_end_state_{};
  bool last_pass_idle_ = false;
  std::array<std::uint64_t, 5> thread_counters() const;
  bool spin_asked_ = false;
  // The schedule_delay the last pass left in BP_EAGAIN (0: it ended otherwise).
  std::uint64_t last_eagain_delay_ = 0;
  bool in_work_ = false;
  std::uint64_t work_hypercalls_ = 0;
  std::uint64_t work_budget_ = 0;
  // A populate in this work run answered negative and the target has not moved since.
  bool populate_failed_ = false;
  std::string livelock_reason_;

  Phase phase_ = Phase::boot;
  std::size_t event_index_ = 0;
  std::uint32_t reported_ids_ = 0;  // ids already reported in this step
  std::vector<Violation> violations_;
};

}  // namespace balloonbench
