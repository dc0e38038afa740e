#include "run/invariants.h"

#include <algorithm>
#include <array>

namespace balloonbench {
namespace {

std::string n(std::uint64_t value) { return std::to_string(value); }

std::string frame_text(mfn_t mfn) {
  return mfn == kInvalidP2mEntry ? std::string("invalid") : "mfn " + n(mfn);
}

}  // namespace

Checker::Checker(const Sim& sim, const Driver& core, bool enabled)
    : sim_(sim), core_(core), enabled_(enabled), in_list_(enabled ? sim.config().max_pfn : 0, 0) {}

void Checker::begin_step(Phase phase, std::size_t event_index) {
  phase_ = phase;
  event_index_ = event_index;
  reported_ids_ = 0;
}

void Checker::report(InvariantId id, std::string detail) {
  // One report per id and step: the first disagreement is the one worth reading.
  const std::uint32_t bit = 1U << static_cast<unsigned>(id);
  if ((reported_ids_ & bit) != 0) return;
  reported_ids_ |= bit;
  violations_.push_back(Violation{id, phase_, event_index_, std::move(detail)});
}

std::uint64_t Checker::effective_target() const {
  return std::min(core_.target_pages(),
                  core_.current_pages() + core_.balloon_low() + core_.balloon_high());
}

std::uint64_t Checker::work_hypercall_budget() const {
  // Without a target change, one work run needs at most a batch per 512 pfns, one
  // short batch and the hypercall that fails.
  return sim_.config().max_pfn / kFrameListEntries + 3;
}

void Checker::drain_journal() {
  for (const ListOp& op : journal_) check_list(op);
  journal_.clear();
}

bool Checker::hypercall_issued(MemoryOp op, const Reservation& reservation) {
  if (!enabled_) return false;
  drain_journal();
  check_no_partial_return_settled();
  check_batch(op, reservation.nr_extents);
  if (op == MemoryOp::populate_physmap) check_at_or_below_target(reservation.nr_extents);
  if (op == MemoryOp::decrease_reservation) check_no_partial_return_extents(reservation);
  return check_progress(op);
}

void Checker::hypercall_answered(MemoryOp op, const Reservation& reservation, long rc) {
  if (!enabled_) return;
  drain_journal();
  check_max_pages();
  if (op != MemoryOp::populate_physmap) return;
  if (rc < 0) {
    // An error answer populated nothing, and no-partial-return is about what a
    // populate gave. A driver that counts pages anyway (legacy reads the error as
    // success) has pages with no frame behind them: the ledger and the P2M say so.
    if (in_work_) populate_failed_ = true;
    return;
  }
  pending_populate_ = PendingPopulate{reservation.nr_extents, static_cast<std::uint64_t>(rc),
                                      core_.current_pages(), list_takes_};
}

void Checker::in_flight_fired(bool target_changed) {
  if (!enabled_) return;
  // Only a new target can justify more hypercalls in one work run (it may even turn
  // the loop round); host memory coming or going cannot.
  if (!in_work_ || !target_changed) return;
  work_budget_ += work_hypercall_budget();
  populate_failed_ = false;
}

void Checker::work_started() {
  if (!enabled_) return;
  in_work_ = true;
  work_hypercalls_ = 0;
  work_budget_ = work_hypercall_budget();
  populate_failed_ = false;
}

void Checker::work_finished() {
  if (!enabled_) return;
  in_work_ = false;
  drain_journal();
  check_no_partial_return_settled();
  check_rearm();
}

void Checker::kernel_bug(const KernelBug& bug) {
  report(InvariantId::no_bug, "BUG at " + bug.where + ": " + bug.condition);
}

void Checker::livelock() { report(InvariantId::progress, livelock_reason_); }

void Checker::step_finished() {
  if (!enabled_) return;
  drain_journal();
  check_no_partial_return_settled();
  check_ledger_totals();
  check_list_totals();
  check_max_pages();
  for (const pfn_t pfn : sim_.dirty_pfns()) {
    check_ledger(pfn);
    check_p2m(pfn);
  }
  // A pfn that moved on the list but nowhere else (a list bug) is checked here.
  for (const pfn_t pfn : list_touched_) {
    if (sim_.dirty(pfn)) continue;
    check_ledger(pfn);
    check_p2m(pfn);
  }
  list_touched_.clear();
}

void Checker::step_abandoned() {
  if (!enabled_) return;
  drain_journal();
  list_touched_.clear();
  pending_populate_.reset();
  in_work_ = false;
}

// The totals, and every pfn balloon_init put on the list. The populated pfns are as
// the simulation booted them; the full scan at the end of the run covers them too.
void Checker::boot_check() {
  if (!enabled_) return;
  drain_journal();
  check_ledger_totals();
  check_list_totals();
  check_max_pages();
  for (const pfn_t pfn : list_touched_) {
    check_ledger(pfn);
    check_p2m(pfn);
  }
  list_touched_.clear();
}

void Checker::full_scan() {
  if (!enabled_) return;
  drain_journal();
  list_touched_.clear();
  check_ledger_totals();
  check_list_walk();  // before the totals: it names the entry that is wrong
  check_list_totals();
  check_max_pages();
  check_frames_owned();
  for (pfn_t pfn = 0; pfn < sim_.config().max_pfn; ++pfn) {
    check_ledger(pfn);
    check_p2m(pfn);
  }
}

// ledger: Xen, the driver and the kernel agree on the reservation.
void Checker::check_ledger_totals() {
  const std::uint64_t current = core_.current_pages();
  if (sim_.tot_pages() != current || core_.totalram_pages() != current ||
      sim_.populated_count() != current) {
    report(InvariantId::ledger, "tot_pages=" + n(sim_.tot_pages()) + " current_pages=" +
                                    n(current) + " totalram_pages=" + n(core_.totalram_pages()) +
                                    " populated pfns=" + n(sim_.populated_count()));
  }
}

// ledger: a pfn is exactly one of populated, ballooned or lent, and it is in the
// guest allocator exactly when it is populated.
void Checker::check_ledger(pfn_t pfn) {
  const bool populated = sim_.populated(pfn);
  const bool ballooned = in_list_[pfn] != 0;
  const bool lent = sim_.lent(pfn);
  const bool in_allocator = sim_.page_state(pfn) == PageState::free;
  if (int{populated} + int{ballooned} + int{lent} != 1 || populated != in_allocator) {
    report(InvariantId::ledger, "pfn " + n(pfn) + " is populated=" + n(populated) +
                                    " ballooned=" + n(ballooned) + " lent=" + n(lent) +
                                    " free-in-allocator=" + n(in_allocator));
  }
}

// p2m: ballooned and lent pfns map nothing; a populated pfn maps a frame the domain
// owns whose M2P entry points back (which makes the frames distinct), and the kernel
// maps a populated lowmem pfn as its P2M says: a PV guest's PTE names the frame, a
// translated guest's the pfn itself. Only a PV guest must also have unmapped a pfn
// with no frame: a translated guest's alloc_empty_pages leaves the PTE of the gfn it
// gave away in place, as the original does.
void Checker::check_p2m(pfn_t pfn) {
  const mfn_t mfn = sim_.p2m_entry(pfn);
  const bool translated = sim_.config().auto_translated;
  const bool pv_lowmem = !translated && !sim_.page_high_mem(pfn);
  if (mfn == kInvalidP2mEntry) {
    if (pv_lowmem && sim_.mapping(pfn) != kInvalidP2mEntry) {
      report(InvariantId::p2m, "pfn " + n(pfn) + " has no P2M entry but the kernel still maps " +
                                   frame_text(sim_.mapping(pfn)));
    }
    return;
  }
  if (in_list_[pfn] != 0 || sim_.lent(pfn)) {
    report(InvariantId::p2m, std::string(in_list_[pfn] != 0 ? "ballooned" : "lent") + " pfn " +
                                 n(pfn) + " has a valid P2M entry, " + frame_text(mfn));
  } else if (!sim_.frame_valid(mfn) || sim_.owner(mfn) != FrameOwner::self) {
    report(InvariantId::p2m,
           "pfn " + n(pfn) + " maps " + frame_text(mfn) + ", which the domain does not own");
  } else if (sim_.m2p(mfn) != pfn) {
    report(InvariantId::p2m, "pfn " + n(pfn) + " maps " + frame_text(mfn) +
                                 " but the M2P maps that frame to pfn " + n(sim_.m2p(mfn)));
  } else if (pv_lowmem && sim_.mapping(pfn) != mfn) {
    report(InvariantId::p2m, "pfn " + n(pfn) + " has P2M " + frame_text(mfn) +
                                 " but the kernel maps " + frame_text(sim_.mapping(pfn)));
  } else if (translated && !sim_.page_high_mem(pfn) && sim_.mapping(pfn) != pfn) {
    report(InvariantId::p2m,
           "translated pfn " + n(pfn) + " is populated but the kernel maps " +
               (sim_.mapping(pfn) == kInvalidP2mEntry ? std::string("nothing")
                                                      : "gfn " + n(sim_.mapping(pfn))) +
               " there");
  }
}

// p2m, full scan: every frame the domain owns is the P2M entry of its M2P pfn.
void Checker::check_frames_owned() {
  for (std::uint64_t frame = 0; frame < sim_.total_frames(); ++frame) {
    const mfn_t mfn = kMfnBase + frame;
    if (sim_.owner(mfn) != FrameOwner::self) continue;
    const pfn_t pfn = sim_.m2p(mfn);
    if (pfn >= sim_.config().max_pfn || sim_.p2m_entry(pfn) != mfn) {
      report(InvariantId::p2m,
             "the domain owns " + frame_text(mfn) + " (M2P pfn " + n(pfn) + ") but no pfn maps it");
      return;
    }
  }
}

// list: applied to each journal entry; lowmem entries precede highmem ones and no pfn
// is on the list twice.
void Checker::check_list(const ListOp& op) {
  const pfn_t pfn = op.pfn;
  if (pfn >= in_list_.size()) {
    report(InvariantId::list, "pfn " + n(pfn) + " beyond max_pfn went through the list");
    return;
  }
  list_touched_.push_back(pfn);
  const bool high = sim_.page_high_mem(pfn);
  if (op.kind == ListOp::take_head) {
    if (in_list_[pfn] > 0) --in_list_[pfn];
    --(high ? list_high_ : list_low_);
    ++list_takes_;
    return;
  }
  if (op.kind == ListOp::add_head && high && list_low_ > 0) {
    report(InvariantId::list, "highmem pfn " + n(pfn) + " added at the head, before " +
                                  n(list_low_) + " lowmem entries");
  }
  if (op.kind == ListOp::add_tail && !high && list_high_ > 0) {
    report(InvariantId::list, "lowmem pfn " + n(pfn) + " added at the tail, after " +
                                  n(list_high_) + " highmem entries");
  }
  if (in_list_[pfn] != 0) report(InvariantId::list, "pfn " + n(pfn) + " is on the list twice");
  if (in_list_[pfn] < 255) ++in_list_[pfn];
  ++(high ? list_high_ : list_low_);
}

void Checker::check_list_totals() {
  const std::uint64_t length = core_.balloon_list_size();
  if (core_.balloon_low() != list_low_ || core_.balloon_high() != list_high_ ||
      core_.balloon_low() + core_.balloon_high() != length) {
    report(InvariantId::list, "balloon_low=" + n(core_.balloon_low()) + " balloon_high=" +
                                  n(core_.balloon_high()) + " but the list holds " + n(length) +
                                  " (" + n(list_low_) + " lowmem, " + n(list_high_) + " highmem)");
  }
}

// list, full scan: walk the list itself.
void Checker::check_list_walk() {
  const std::vector<pfn_t> list = core_.balloon_list_pages();
  std::vector<std::uint8_t> seen(sim_.config().max_pfn, 0);
  bool in_highmem = false;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const pfn_t pfn = list[i];
    if (pfn >= seen.size() || seen[pfn] != 0) {
      report(InvariantId::list,
             "entry " + n(i) + " (pfn " + n(pfn) + ") is a duplicate or out of range");
      return;
    }
    seen[pfn] = 1;
    if (sim_.page_high_mem(pfn)) {
      in_highmem = true;
    } else if (in_highmem) {
      report(InvariantId::list, "lowmem pfn " + n(pfn) + " at entry " + n(i) + " follows highmem");
      return;
    }
  }
}

// no-partial-return: after a populate answered k, exactly k pages left the balloon
// and current_pages rose by exactly k before the next hypercall or the step's end.
void Checker::check_no_partial_return_settled() {
  if (!pending_populate_.has_value()) return;
  const PendingPopulate done = *pending_populate_;
  pending_populate_.reset();
  const std::uint64_t taken = list_takes_ - done.takes_before;
  const std::uint64_t rise = core_.current_pages() - done.current_before;
  if (taken != done.answered || rise != done.answered) {
    report(InvariantId::no_partial_return,
           "populate answered " + n(done.answered) + " of " + n(done.asked) + " but " + n(taken) +
               " pages left the balloon and current_pages rose by " +
               std::to_string(static_cast<std::int64_t>(rise)));
  }
}

// no-partial-return: a decrease never hands back a frame populate just gave.
void Checker::check_no_partial_return_extents(const Reservation& reservation) {
  for (std::uint64_t i = 0; i < reservation.nr_extents; ++i) {
    const std::uint64_t extent = reservation.extent_start[i];
    mfn_t mfn = extent;
    if (sim_.config().auto_translated) {
      mfn = extent < sim_.config().max_pfn ? sim_.backing_frame(extent) : kInvalidP2mEntry;
    }
    if (sim_.frame_valid(mfn) && sim_.fresh(mfn)) {
      report(InvariantId::no_partial_return,
             "decrease_reservation hands back " + frame_text(mfn) +
                 ", which populate_physmap gave in this step and the guest never used");
      return;
    }
  }
}

// rearm: a work run that leaves the reservation off target leaves the timer pending.
void Checker::check_rearm() {
  const std::uint64_t target = effective_target();
  if (core_.current_pages() != target && !sim_.timer_pending()) {
    report(InvariantId::rearm, "work returned with current_pages=" + n(core_.current_pages()) +
                                   " effective target=" + n(target) +
                                   " and no retry timer pending");
  }
}

// at-or-below-target: no populate asks beyond the effective target.
void Checker::check_at_or_below_target(std::uint64_t asked) {
  const std::uint64_t target = effective_target();
  const std::uint64_t current = core_.current_pages();
  const std::uint64_t room = target > current ? target - current : 0;
  if (asked > room) {
    report(InvariantId::at_or_below_target, "populate asks for " + n(asked) +
                                                " extents with current_pages=" + n(current) +
                                                " and effective target=" + n(target));
  }
}

// at-or-below-target: the reservation never exceeds max_pages.
void Checker::check_max_pages() {
  if (sim_.tot_pages() > sim_.max_pages()) {
    report(InvariantId::at_or_below_target,
           "tot_pages=" + n(sim_.tot_pages()) + " exceeds max_pages=" + n(sim_.max_pages()));
  }
}

// batch: every hypercall fits in frame_list.
void Checker::check_batch(MemoryOp op, std::uint64_t extents) {
  if (extents > kFrameListEntries) {
    report(InvariantId::batch,
           std::string(op == MemoryOp::populate_physmap ? "populate_physmap"
                                                        : "decrease_reservation") +
               " carries " + n(extents) + " extents, more than " + n(kFrameListEntries));
  }
}

// progress: one work run issues a bounded number of hypercalls. Asking again for
// pages right after Xen answered an error, with the target unchanged, is the spin
// itself: against a host that keeps answering the error it never ends.
bool Checker::check_progress(MemoryOp op) {
  if (!in_work_) return false;
  ++work_hypercalls_;
  if (op == MemoryOp::populate_physmap && populate_failed_) {
    livelock_reason_ =
        "the work run asked to populate again at once after an error answer, with the "
        "target unchanged (hypercall " +
        n(work_hypercalls_) + " of the run)";
    return true;
  }
  if (work_hypercalls_ > work_budget_) {
    livelock_reason_ = "one work run issued " + n(work_hypercalls_) +
                       " hypercalls, over its budget of " + n(work_budget_);
    return true;
  }
  return false;
}

// converge: after a heal, the reservation reaches the effective target in time.
void Checker::check_converge() {
  if (!enabled_) return;
  const std::uint64_t target = effective_target();
  if (core_.current_pages() != target) {
    report(InvariantId::converge,
           "2 s after the heal current_pages=" + n(core_.current_pages()) +
               " but the effective target is " + n(target) +
               " (target_pages=" + n(core_.target_pages()) + ", hard_limit=" +
               (core_.hard_limit() == kNoHardLimit ? std::string("none") : n(core_.hard_limit())) +
               ")");
  }
}

}  // namespace balloonbench
