#include "run/invariants.h"

#include <algorithm>
#include <array>
#include <bit>

#include "run/event.h"

namespace balloonbench {
namespace {

std::string n(std::uint64_t value) { return std::to_string(value); }

std::string frame_text(mfn_t mfn) {
  return mfn == kInvalidP2mEntry ? std::string("invalid") : "mfn " + n(mfn);
}

// The parts of a failure's detail that Checker::fail joins: text, a count (as n()
// writes it), a frame (as frame_text() does) or a signed difference.
struct Frame {
  mfn_t mfn;
};
struct Signed {
  std::int64_t value;
};
void append_part(std::string& detail, const char* text) { detail += text; }
void append_part(std::string& detail, std::uint64_t value) { detail += n(value); }
void append_part(std::string& detail, Frame frame) { detail += frame_text(frame.mfn); }
void append_part(std::string& detail, Signed value) { detail += std::to_string(value.value); }

// Out of line and only on a failure: a check that built its detail in place would hold
// the strings' stack slots, which AddressSanitizer fences with redzones on every call,
// passing or not (most of what the per-pfn checks cost before). The parts come by
// value, so that a check's own values take no stack slot either.
template <class... Parts>
[[gnu::noinline, gnu::cold]] void join_into(std::string& detail, Parts... parts) {
  detail.clear();
  (append_part(detail, parts), ...);
}

}  // namespace

Checker::Checker(const Sim& sim, const Driver& core, bool enabled)
    : sim_(sim), core_(&core), enabled_(enabled) {
  reset(core, enabled);
}

void Checker::reset(const Driver& core, bool enabled) {
  core_ = &core;
  enabled_ = enabled;
  journal_.clear();
  list_touched_.clear();
  in_list_.reset(enabled ? sim_.config().max_pfn : 0);
  list_moved_.clear();
  list_low_ = 0;
  list_high_ = 0;
  list_takes_ = 0;
  pending_populate_.reset();
  requested_target_ = core.target_pages();
  spin_jiffies_ = 0;
  spin_passes_ = 0;
  idle_passes_ = 0;
  spin_state_ = {};
  spin_end_state_ = {};
  last_pass_idle_ = false;
  spin_asked_ = false;
  last_eagain_delay_ = 0;
  in_work_ = false;
  work_hypercalls_ = 0;
  work_budget_ = 0;
  populate_failed_ = false;
  livelock_reason_.clear();
  phase_ = Phase::boot;
  event_index_ = 0;
  reported_ids_ = 0;
  violations_.clear();
}

bool Checker::in_list(pfn_t pfn) const {
  const ListEntry* entry = in_list_.find(pfn);
  return entry != nullptr && entry->count != 0;
}

void Checker::begin_step(Phase phase, std::size_t event_index) {
  phase_ = phase;
  event_index_ = event_index;
  reported_ids_ = 0;
}

template <class... Parts>
void Checker::fail(InvariantId id, Parts... parts) {
  std::string detail;
  join_into(detail, parts...);
  report(id, std::move(detail));
}

void Checker::report(InvariantId id, std::string detail) {
  // One report per id and step: the first disagreement is the one worth reading.
  const std::uint32_t bit = 1U << static_cast<unsigned>(id);
  if ((reported_ids_ & bit) != 0) return;
  reported_ids_ |= bit;
  violations_.push_back(Violation{id, phase_, event_index_, std::move(detail)});
}

std::uint64_t Checker::effective_target() const {
  // A thread driver may raise its own target (giving up on an increase, Linux's sets
  // it to current_pages + target_unpopulated, counting the pages backends hold as
  // pages to come back), but lowering it below the toolstack's is giving up on pages
  // that the balloon has.
  const std::uint64_t target = core_->thread_state().has_value()
                                   ? std::max(requested_target_, core_->target_pages())
                                   : core_->target_pages();
  return std::min(target, core_->current_pages() + core_->balloon_low() + core_->balloon_high());
}

void Checker::target_written() { requested_target_ = core_->target_pages(); }

void Checker::text_written(const TextWrite& write) {
  if (!enabled_) return;
  const ExpectedWrite expected =
      expected_write(write.rules, write.file, write.bytes, write.capable);
  // The write, named for a report (only then: fuzzing pays for no text).
  const auto what = [&write] {
    const char* const names[] = {"/proc/xen/balloon", "memory/target", "sysfs target_kb",
                                 "sysfs target", "sysfs back-off knob"};
    return std::string(names[static_cast<unsigned>(write.file)]) + " write " +
           quote_bytes(std::string(write.bytes));
  };
  if (write.file != TextFile::xenstore && write.answer != expected.answer) {
    report(InvariantId::text_write, what() + " answered " + std::to_string(write.answer) +
                                        "; the kernel's parsing answers " +
                                        std::to_string(expected.answer));
    return;
  }
  if (write.file == TextFile::sysfs_knob) {
    if (!expected.value.has_value()) return;
    const std::optional<ThreadState> thread = core_->thread_state();
    if (!thread.has_value()) return;
    const std::uint64_t stored = write.knob == BackoffKnob::max_schedule_delay
                                     ? thread->max_schedule_delay
                                     : thread->max_retry_count;
    if (stored != *expected.value) {
      report(InvariantId::text_write, what() + " stored " + n(stored) + " in " +
                                          backoff_knob_name(write.knob) +
                                          "; the kernel's parsing gives " + n(*expected.value));
    }
    return;
  }
  const std::uint64_t want = expected_target(write.rules, expected, sim_.config().max_pfn,
                                             write.target_before, write.reachable_before);
  if (core_->target_pages() != want) {
    report(InvariantId::text_write, what() + " set target_pages=" + n(core_->target_pages()) +
                                        "; the kernel's parsing gives " + n(want));
  }
}

// progress, for a thread driver. Passes the thread queued for itself at one jiffy,
// each starting where the last ended (counters, list and state): two running that
// moved nothing, or more than the pages it could move, and the thread spins. (A
// timeout of 0, which an administrator gets by writing 0 to max_schedule_delay, is a
// spin asked for; it is not judged.)
bool Checker::thread_spins(bool requeued) {
  spin_asked_ = false;
  if (!enabled_) return false;
  const std::optional<ThreadState> thread = core_->thread_state();
  if (!thread.has_value()) return false;
  const std::array<std::uint64_t, 5> state = thread_counters();
  // A pass the thread queued for itself at the same jiffy, from where the last pass
  // left off, continues the count; one after a wake, time passing, or an event that
  // moved the counters (a backend taking back the page a pass just populated) starts
  // it afresh.
  if (!requeued || sim_.jiffies() != spin_jiffies_ || state != spin_end_state_) {
    spin_jiffies_ = sim_.jiffies();
    spin_passes_ = 0;
    idle_passes_ = 0;
    spin_state_ = state;
    return false;
  }
  ++spin_passes_;
  idle_passes_ = last_pass_idle_ ? idle_passes_ + 1 : 0;
  spin_state_ = state;
  // A pass that moves no page changes the state, so the thread gets a pass per page it
  // may move in either direction, and a few more.
  const std::uint64_t budget = 2 * sim_.config().max_pfn + work_hypercall_budget();
  if (idle_passes_ < 2 && spin_passes_ <= budget) return false;
  if (thread->schedule_delay == 0) {
    spin_asked_ = true;
    livelock_reason_ = "the balloon thread spins at t=" + n(sim_.jiffies()) +
                       " as root asked: max_schedule_delay=0 gives its back-off no sleep";
  } else if (idle_passes_ >= 2) {
    livelock_reason_ =
        "the balloon thread ran " + n(idle_passes_ + 1) + " passes at t=" + n(sim_.jiffies()) +
        " without sleeping and without changing anything (" + bp_state_name(thread->state) +
        ", current_pages=" + n(state[0]) + " target_pages=" + n(state[1]) + "): it spins";
  } else {
    livelock_reason_ = "the balloon thread ran " + n(spin_passes_) +
                       " passes at t=" + n(sim_.jiffies()) +
                       " without sleeping, over the budget of " + n(budget);
  }
  return true;
}

std::array<std::uint64_t, 5> Checker::thread_counters() const {
  const std::optional<ThreadState> thread = core_->thread_state();
  return {core_->current_pages(), core_->target_pages(), core_->balloon_list_size(),
          static_cast<std::uint64_t>(thread->state), thread->retry_count};
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
                                      core_->current_pages(), list_takes_};
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
  if (core_->thread_state().has_value()) {
    spin_end_state_ = thread_counters();
    last_pass_idle_ = spin_end_state_ == spin_state_;
  }
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
    check_pfn(pfn);
  }
  // A pfn that moved on the list but nowhere else (a list bug) is checked here.
  for (const pfn_t pfn : list_touched_) {
    if (sim_.dirty(pfn)) continue;
    check_pfn(pfn);
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
    check_pfn(pfn);
  }
  list_touched_.clear();
}

void Checker::save_boot(Booted& booted) const {
  booted.in_list_.copy_from(in_list_);
  booted.list_low_ = list_low_;
  booted.list_high_ = list_high_;
}

void Checker::restore_boot(const Driver& core, bool enabled, const Booted& booted) {
  reset(core, enabled);
  if (!enabled_) return;
  in_list_.copy_from(booted.in_list_);
  list_low_ = booted.list_low_;
  list_high_ = booted.list_high_;
}

void Checker::memory_online(pfn_t first, std::uint64_t pages) {
  if (enabled_) in_list_.grow(first + pages);
}

void Checker::epilogue_check() {
  if (!enabled_) return;
  drain_journal();
  list_touched_.clear();
  check_ledger_totals();
  check_list_totals();
  check_max_pages();
  // Every pfn the simulation wrote or the list moved since boot (the rest are as the
  // boot check saw them), and the pfn each frame the simulation wrote names: a pfn
  // whose frame changed hands behind its back is checked through the frame.
  // A bitmap of the guest's pfns orders them and drops repeats in O(max_pfn / 64 + n):
  // a sort of a large guest's thousands of touched pfns cost more than checking them.
  const pfn_t max_pfn = sim_.config().max_pfn;
  epilogue_marks_.assign((max_pfn + 63) / 64, 0);
  const auto mark = [this, max_pfn](pfn_t pfn) {
    if (pfn < max_pfn) epilogue_marks_[pfn / 64] |= std::uint64_t{1} << (pfn % 64);
  };
  for (const pfn_t pfn : sim_.touched_pfns()) mark(pfn);
  for (const pfn_t pfn : list_moved_) mark(pfn);
  for (const std::uint64_t frame : sim_.touched_frames()) {
    check_frame_owned(frame);
    mark(sim_.m2p(kMfnBase + frame));
  }
  epilogue_pfns_.clear();
  for (std::size_t word = 0; word < epilogue_marks_.size(); ++word) {
    for (std::uint64_t bits = epilogue_marks_[word]; bits != 0; bits &= bits - 1) {
      epilogue_pfns_.push_back(word * 64 + static_cast<pfn_t>(std::countr_zero(bits)));
    }
  }
  for (const pfn_t pfn : epilogue_pfns_) {
    check_pfn(pfn);
    // The frame that backed the pfn at boot may have been left behind by it: a
    // frame nothing wrote still says it backs that pfn.
    const mfn_t boot = sim_.boot_p2m(pfn);
    if (boot != kInvalidP2mEntry) check_frame_owned(boot - kMfnBase);
  }
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
    check_pfn(pfn);
  }
}

// ledger: Xen, the driver and the kernel agree on the reservation.
void Checker::check_ledger_totals() {
  const std::uint64_t current = core_->current_pages();
  if (sim_.tot_pages() != current || core_->totalram_pages() != current ||
      sim_.populated_count() != current) {
    fail(InvariantId::ledger, "tot_pages=", sim_.tot_pages(), " current_pages=", current,
         " totalram_pages=", core_->totalram_pages(), " populated pfns=", sim_.populated_count());
  }
  // A thread driver counts the pages backends hold in target_unpopulated.
  if (const std::optional<ThreadState> thread = core_->thread_state();
      thread.has_value() && thread->target_unpopulated != sim_.lent_count()) {
    fail(InvariantId::ledger, "target_unpopulated=", thread->target_unpopulated,
         " but backends hold ", sim_.lent_count(), " pages");
  }
}

// ledger and p2m of one pfn, from its state read once (Sim::stored_pfn_state): a pfn
// nothing wrote has its boot state computed, which a read per field would repeat.
void Checker::check_pfn(pfn_t pfn) {
  const PfnState* stored = sim_.stored_pfn_state(pfn);
  if (stored != nullptr) {
    check_pfn_state(pfn, *stored);
  } else {
    check_pfn_state(pfn, sim_.boot_pfn_state(pfn));
  }
}

void Checker::check_pfn_state(pfn_t pfn, const PfnState& state) {
  const bool ballooned = in_list(pfn);
  check_ledger(pfn, state, ballooned);
  check_p2m(pfn, state, ballooned);
}

// ledger: a pfn is exactly one of populated, ballooned or lent, and it is in the
// guest allocator exactly when it is populated.
void Checker::check_ledger(pfn_t pfn, const PfnState& state, bool ballooned) {
  const bool populated = state.p2m != kInvalidP2mEntry;
  const bool lent = state.lent != 0;
  const bool in_allocator = state.page_state == PageState::free;
  if (int{populated} + int{ballooned} + int{lent} != 1 || populated != in_allocator) {
    fail(InvariantId::ledger, "pfn ", pfn, " is populated=", std::uint64_t{populated},
         " ballooned=", std::uint64_t{ballooned}, " lent=", std::uint64_t{lent},
         " free-in-allocator=", std::uint64_t{in_allocator});
  }
}

// p2m: ballooned and lent pfns map nothing; a populated pfn maps a frame the domain
// owns whose M2P entry points back (which makes the frames distinct), and the kernel
// maps a populated lowmem pfn as its P2M says: a PV guest's PTE names the frame, a
// translated guest's the pfn itself. Only a PV guest must also have unmapped a pfn
// with no frame: a translated guest's alloc_empty_pages leaves the PTE of the gfn it
// gave away in place, as the original does.
void Checker::check_p2m(pfn_t pfn, const PfnState& state, bool ballooned) {
  const mfn_t mfn = state.p2m;
  const mfn_t mapped = state.mapped;
  const bool translated = sim_.config().auto_translated;
  const bool pv_lowmem = !translated && !sim_.page_high_mem(pfn);
  if (mfn == kInvalidP2mEntry) {
    if (pv_lowmem && mapped != kInvalidP2mEntry) {
      fail(InvariantId::p2m, "pfn ", pfn, " has no P2M entry but the kernel still maps ",
           Frame{mapped});
    }
    return;
  }
  if (ballooned || state.lent != 0) {
    fail(InvariantId::p2m, ballooned ? "ballooned" : "lent", " pfn ", pfn,
         " has a valid P2M entry, ", Frame{mfn});
    return;
  }
  const FrameState frame = sim_.frame_valid(mfn) ? sim_.frame_state(mfn - kMfnBase) : FrameState{};
  const pfn_t m2p = frame.m2p == kNoPfn32 ? kInvalidP2mEntry : frame.m2p;
  if (!sim_.frame_valid(mfn) || frame.owner != FrameOwner::self) {
    fail(InvariantId::p2m, "pfn ", pfn, " maps ", Frame{mfn}, ", which the domain does not own");
  } else if (m2p != pfn) {
    fail(InvariantId::p2m, "pfn ", pfn, " maps ", Frame{mfn},
         " but the M2P maps that frame to pfn ", m2p);
  } else if (pv_lowmem && mapped != mfn) {
    fail(InvariantId::p2m, "pfn ", pfn, " has P2M ", Frame{mfn}, " but the kernel maps ",
         Frame{mapped});
  } else if (translated && !sim_.page_high_mem(pfn) && mapped != pfn) {
    if (mapped == kInvalidP2mEntry) {
      fail(InvariantId::p2m, "translated pfn ", pfn,
           " is populated but the kernel maps nothing there");
    } else {
      fail(InvariantId::p2m, "translated pfn ", pfn, " is populated but the kernel maps gfn ",
           mapped, " there");
    }
  }
}

// p2m, full scan: every frame the domain owns is the P2M entry of its M2P pfn.
void Checker::check_frames_owned() {
  for (std::uint64_t frame = 0; frame < sim_.total_frames(); ++frame) {
    if (!check_frame_owned(frame)) return;
  }
}

// p2m: a frame the domain owns is the P2M entry of its M2P pfn. False after a report.
bool Checker::check_frame_owned(std::uint64_t frame) {
  const mfn_t mfn = kMfnBase + frame;
  const FrameState state = sim_.frame_state(frame);
  if (state.owner != FrameOwner::self) return true;
  const pfn_t pfn = state.m2p == kNoPfn32 ? kInvalidP2mEntry : state.m2p;
  if (pfn < sim_.config().max_pfn && sim_.p2m_entry(pfn) == mfn) return true;
  fail(InvariantId::p2m, "the domain owns ", Frame{mfn}, " (M2P pfn ", pfn, ") but no pfn maps it");
  return false;
}

// list: applied to each journal entry; lowmem entries precede highmem ones and no pfn
// is on the list twice.
void Checker::check_list(const ListOp& op) {
  const pfn_t pfn = op.pfn;
  if (pfn >= sim_.config().max_pfn) {
    fail(InvariantId::list, "pfn ", pfn, " beyond max_pfn went through the list");
    return;
  }
  list_touched_.push_back(pfn);
  const bool high = sim_.page_high_mem(pfn);
  ListEntry& entry =
      in_list_.at(pfn, [](std::uint64_t, ListEntry* entries, std::uint64_t entry_count) {
        std::fill(entries, entries + entry_count, ListEntry{0, 0});
      });
  if (phase_ != Phase::boot && entry.moved == 0) {
    entry.moved = 1;
    list_moved_.push_back(pfn);
  }
  std::uint8_t& count = entry.count;
  if (op.kind == ListOp::take_head) {
    if (count > 0) --count;
    --(high ? list_high_ : list_low_);
    ++list_takes_;
    return;
  }
  if (op.kind == ListOp::add_head && high && list_low_ > 0) {
    fail(InvariantId::list, "highmem pfn ", pfn, " added at the head, before ", list_low_,
         " lowmem entries");
  }
  if (op.kind == ListOp::add_tail && !high && list_high_ > 0) {
    fail(InvariantId::list, "lowmem pfn ", pfn, " added at the tail, after ", list_high_,
         " highmem entries");
  }
  if (count != 0) fail(InvariantId::list, "pfn ", pfn, " is on the list twice");
  if (count < 255) ++count;
  ++(high ? list_high_ : list_low_);
}

void Checker::check_list_totals() {
  const std::uint64_t length = core_->balloon_list_size();
  if (core_->balloon_low() != list_low_ || core_->balloon_high() != list_high_ ||
      core_->balloon_low() + core_->balloon_high() != length) {
    fail(InvariantId::list, "balloon_low=", core_->balloon_low(),
         " balloon_high=", core_->balloon_high(), " but the list holds ", length, " (", list_low_,
         " lowmem, ", list_high_, " highmem)");
  }
}

// list, full scan: walk the list itself.
void Checker::check_list_walk() {
  const std::vector<pfn_t> list = core_->balloon_list_pages();
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
  const std::uint64_t rise = core_->current_pages() - done.current_before;
  if (taken != done.answered || rise != done.answered) {
    fail(InvariantId::no_partial_return, "populate answered ", done.answered, " of ", done.asked,
         " but ", taken, " pages left the balloon and current_pages rose by ",
         Signed{static_cast<std::int64_t>(rise)});
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
      fail(InvariantId::no_partial_return, "decrease_reservation hands back ", Frame{mfn},
           ", which populate_physmap gave in this step and the guest never used");
      return;
    }
  }
}

// rearm, for a thread driver, when a pass returns to its wait:
// - BP_EAGAIN: the thread is due within schedule_delay seconds, the delay doubled
//   since the last BP_EAGAIN (up to max_schedule_delay) and never beyond it;
// - BP_ECANCELED: it waits for a new target or a changed credit, not runnable now;
// - BP_DONE with credit left: it runs again at once;
// - BP_WAIT: it is due within a second.
void Checker::check_thread_rearm(const ThreadState& thread) {
  const std::uint64_t now = sim_.jiffies();
  const bool due_within = [&](std::uint64_t jiffies) {
    return sim_.work_pending() || (sim_.timer_pending() && sim_.timer_expires() <= now + jiffies);
  }(thread.state == ThreadState::Bp::wait ? kHz : thread.schedule_delay * kHz);
  const std::string state = bp_state_name(thread.state);
  switch (thread.state) {
    case ThreadState::Bp::eagain: {
      const std::uint64_t expected =
          last_eagain_delay_ == 0 ? thread.schedule_delay
                                  : std::min(last_eagain_delay_ * 2, thread.max_schedule_delay);
      if (!due_within) {
        report(InvariantId::rearm,
               "the thread returned to its wait in " + state +
                   " but is not due within schedule_delay=" + n(thread.schedule_delay) + "s");
      } else if (thread.schedule_delay > thread.max_schedule_delay) {
        report(InvariantId::rearm,
               "schedule_delay=" + n(thread.schedule_delay) +
                   "s exceeds max_schedule_delay=" + n(thread.max_schedule_delay) + "s");
      } else if (last_eagain_delay_ != 0 && thread.schedule_delay != expected) {
        report(InvariantId::rearm, "the back-off went from " + n(last_eagain_delay_) + "s to " +
                                       n(thread.schedule_delay) + "s, not to " + n(expected) + "s");
      }
      last_eagain_delay_ = thread.schedule_delay;
      return;
    }
    case ThreadState::Bp::ecanceled:
      if (!thread.sleeping) {
        report(InvariantId::rearm,
               "the action was cancelled but the thread is runnable again at once, with "
               "neither a new target nor a changed credit");
      }
      break;
    case ThreadState::Bp::done:
      if (core_->current_pages() != core_->target_pages() && !sim_.work_pending()) {
        report(InvariantId::rearm, "the thread returned to its wait in " + state +
                                       " with credit left and is not runnable");
      }
      break;
    case ThreadState::Bp::wait:
      if (!due_within) {
        report(InvariantId::rearm,
               "the thread returned to its wait in " + state + " but is not due within a second");
      }
      break;
  }
  last_eagain_delay_ = 0;
}

// rearm: a work run that leaves the reservation off target leaves the timer pending.
void Checker::check_rearm() {
  if (const std::optional<ThreadState> thread = core_->thread_state()) {
    check_thread_rearm(*thread);
    return;
  }
  const std::uint64_t target = effective_target();
  if (core_->current_pages() != target && !sim_.timer_pending()) {
    fail(InvariantId::rearm, "work returned with current_pages=", core_->current_pages(),
         " effective target=", target, " and no retry timer pending");
  }
}

// at-or-below-target: no populate asks beyond the effective target.
void Checker::check_at_or_below_target(std::uint64_t asked) {
  const std::uint64_t target = effective_target();
  const std::uint64_t current = core_->current_pages();
  const std::uint64_t room = target > current ? target - current : 0;
  if (asked > room) {
    fail(InvariantId::at_or_below_target, "populate asks for ", asked,
         " extents with current_pages=", current, " and effective target=", target);
  }
}

// at-or-below-target: the reservation never exceeds max_pages.
void Checker::check_max_pages() {
  if (sim_.tot_pages() > sim_.max_pages()) {
    fail(InvariantId::at_or_below_target, "tot_pages=", sim_.tot_pages(),
         " exceeds max_pages=", sim_.max_pages());
  }
}

// batch: every hypercall fits in frame_list.
void Checker::check_batch(MemoryOp op, std::uint64_t extents) {
  if (extents > kFrameListEntries) {
    fail(InvariantId::batch,
         op == MemoryOp::populate_physmap ? "populate_physmap" : "decrease_reservation",
         " carries ", extents, " extents, more than ", kFrameListEntries);
  }
}

// progress: one work run issues a bounded number of hypercalls. Asking again for
// pages right after Xen answered an error, with the target unchanged, is the spin
// itself: against a host that keeps answering the error it never ends.
bool Checker::check_progress(MemoryOp op) {
  if (!in_work_) return false;
  ++work_hypercalls_;
  if (op == MemoryOp::populate_physmap && populate_failed_) {
    join_into(livelock_reason_,
              "the work run asked to populate again at once after an error answer, with the "
              "target unchanged (hypercall ",
              work_hypercalls_, " of the run)");
    return true;
  }
  if (work_hypercalls_ > work_budget_) {
    join_into(livelock_reason_, "one work run issued ", work_hypercalls_,
              " hypercalls, over its budget of ", work_budget_);
    return true;
  }
  return false;
}

// converge: after a heal, the reservation reaches the effective target in time.
void Checker::check_converge() {
  if (!enabled_) return;
  const std::uint64_t target = effective_target();
  if (core_->current_pages() != target) {
    report(
        InvariantId::converge,
        "after the heal and the time to converge current_pages=" + n(core_->current_pages()) +
            " but the effective target is " + n(target) +
            " (target_pages=" + n(core_->target_pages()) + ", hard_limit=" +
            (core_->hard_limit() == kNoHardLimit ? std::string("none") : n(core_->hard_limit())) +
            ")");
  }
}

}  // namespace balloonbench
