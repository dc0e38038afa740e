#include "driver/linux/balloon.h"

#include <algorithm>
#include <string>

#include "driver/parse.h"
#include "driver/port_kernel.h"

namespace balloonbench {
namespace {

// Kernel errno values this driver returns.
constexpr long kEnomem = 12;
constexpr long kEperm = 1;

// RETRY_UNLIMITED (include/xen/balloon.h).
constexpr std::uint64_t kRetryUnlimited = 0;

// The balloon thread's timeouts, in jiffies.
constexpr std::uint64_t kHourJiffies = 3600 * kHz;

}  // namespace

LinuxBalloon::LinuxBalloon(Env& env, Mutation mutation, bool memory_hotplug)
    : env_(env),
      mutation_(mutation),
      memory_hotplug_(memory_hotplug),
      frame_list_(kFrameListEntries) {}

std::vector<pfn_t> LinuxBalloon::balloon_list_pages() const {
  std::vector<pfn_t> pages(ballooned_pages_.size());
  for (std::size_t i = 0; i < pages.size(); ++i) pages[i] = ballooned_pages_.at(i);
  return pages;
}

std::optional<ThreadState> LinuxBalloon::thread_state() const {
  ThreadState state;
  state.state = balloon_state_;
  state.schedule_delay = stats_.schedule_delay;
  state.max_schedule_delay = stats_.max_schedule_delay;
  state.retry_count = stats_.retry_count;
  state.max_retry_count = stats_.max_retry_count;
  state.target_unpopulated = stats_.target_unpopulated;
  state.sleeping = thread_sleeping_;
  return state;
}

bool LinuxBalloon::has(OptionalEntry entry) const { return entry == OptionalEntry::backoff_knobs; }

// balloon_init and balloon_add_regions. A PV guest: xen_released_pages is 0 (the
// simulation's guest gives nothing back at boot), and the extra region is every pfn
// Xen did not populate, which the kernel never counted in totalram_pages. A PVH guest:
// get_num_physpages() is every pfn of its memory map, all populated (the world gives
// it no other, run/world.cc), and it has no extra region: the same two lines.
void LinuxBalloon::balloon_init(pfn_t max_pfn, pfn_t nr_pages) {
  stats_.current_pages = std::min(nr_pages, max_pfn);
  stats_.target_pages = stats_.current_pages;
  stats_.balloon_low = 0;
  stats_.balloon_high = 0;
  stats_.total_pages = stats_.current_pages;

  stats_.schedule_delay = 1;
  stats_.max_schedule_delay = 32;
  stats_.retry_count = 1;
  stats_.max_retry_count = 4;
  totalram_pages_ = stats_.current_pages;

  // set_online_page_callback(&xen_online_page), register_memory_notifier(&xen_memory_nb).
  if (memory_hotplug_) env_.register_memory_hotplug(*this);

  // balloon_add_regions: one extra region, [nr_pages, max_pfn).
  const pfn_t extra_pfn_end = max_pfn;
  for (pfn_t pfn = nr_pages; pfn < extra_pfn_end; ++pfn) balloon_append(pfn);
  if (nr_pages < extra_pfn_end) stats_.total_pages += extra_pfn_end - nr_pages;

  // kthread_run: the thread goes straight to its first wait.
  balloon_thread_wait();

  // xen_balloon_init registers the watch on memory/target, and xenstored fires a new
  // watch once: the toolstack's target is the boot allocation. It sets the target the
  // guest has, wakes nobody, and fixes target_diff.
  watch_target(std::to_string(stats_.current_pages << (kPageShift - 10)));
}

// Lowmem is re-populated first, so highmem pages go at the list's tail.
void LinuxBalloon::balloon_append(pfn_t pfn) {
  if (env_.page_high_mem(pfn)) {
    ballooned_pages_.add_tail(pfn);
    ++stats_.balloon_high;
  } else {
    ballooned_pages_.add_head(pfn);
    ++stats_.balloon_low;
  }
}

std::optional<pfn_t> LinuxBalloon::balloon_retrieve(bool require_lowmem) {
  if (ballooned_pages_.empty()) return std::nullopt;
  if (require_lowmem && env_.page_high_mem(ballooned_pages_.at(0))) return std::nullopt;
  pfn_t pfn = 0;
  ballooned_pages_.take_head(pfn);
  if (env_.page_high_mem(pfn)) {
    --stats_.balloon_high;
  } else {
    --stats_.balloon_low;
  }
  return pfn;
}

void LinuxBalloon::update_schedule() {
  if (balloon_state_ == BpState::wait || balloon_state_ == BpState::ecanceled) return;

  if (balloon_state_ == BpState::done) {
    stats_.schedule_delay = 1;
    stats_.retry_count = 1;
    return;
  }

  ++stats_.retry_count;

  if (stats_.max_retry_count != kRetryUnlimited && stats_.retry_count > stats_.max_retry_count) {
    stats_.schedule_delay = 1;
    stats_.retry_count = 1;
    balloon_state_ = BpState::ecanceled;
    return;
  }

  stats_.schedule_delay <<= 1;

  if (stats_.schedule_delay > stats_.max_schedule_delay) {
    stats_.schedule_delay = stats_.max_schedule_delay;
  }

  balloon_state_ = BpState::eagain;
}

// Without memory hotplug: give up on the pages that are not there.
// The code before "xen/balloon: fix ballooned page accounting without hotplug
// enabled" set the target to current_pages, forgetting the pages backends hold.
//
// With it: add memory, whole sections of it, for what the target (and what backends
// hold) asks beyond every page the driver knows of, and wait for it to come online.
LinuxBalloon::BpState LinuxBalloon::reserve_additional_memory() {
  if (!memory_hotplug_) {
    stats_.target_pages = stats_.current_pages;
    if (mutation_ != Mutation::fix_accounting_without_hotplug) {
      stats_.target_pages += stats_.target_unpopulated;
    }
    return BpState::ecanceled;
  }

  const auto credit =
      static_cast<long>(stats_.target_pages + stats_.target_unpopulated - stats_.total_pages);

  // Already hotplugged enough pages? Wait for them to be onlined.
  if (credit <= 0) return BpState::wait;

  // round_up(credit, PAGES_PER_SECTION), in long as the macro's mask is cast to
  // credit's type, then unsigned long; and the resource's size in bytes, which
  // wraps as phys_addr_t does.
  constexpr std::uint64_t kSectionMask = (std::uint64_t{1} << kSectionShift) - 1;
  const std::uint64_t balloon_hotplug =
      ((static_cast<std::uint64_t>(credit) - 1) | kSectionMask) + 1;
  const std::uint64_t size = balloon_hotplug << kPageShift;

  const std::optional<pfn_t> resource = env_.additional_memory_resource(size >> kPageShift);
  if (!resource.has_value()) return BpState::ecanceled;  // err: nothing to release

  // A paravirtualised guest's P2M must hold invalid entries for the new pfns before
  // add_memory builds their page tables.
  if (!env_.auto_translated()) {
    for (std::uint64_t i = 0; i < balloon_hotplug; ++i) {
      if (!env_.set_phys_to_machine(*resource + i, kInvalidP2mEntry)) {
        // "set_phys_to_machine() failed, no memory added"
        env_.release_memory_resource(*resource);
        return BpState::ecanceled;
      }
    }
  }

  // add_memory_resource may online the memory through xen_online_page, which takes
  // balloon_mutex: the caller's lock is dropped around it.
  balloon_mutex_held_ = false;
  const int rc = env_.add_memory_resource(*resource);
  balloon_mutex_held_ = true;

  if (rc != 0) {
    // "Cannot add additional memory"
    env_.release_memory_resource(*resource);
    return BpState::ecanceled;
  }

  stats_.total_pages += balloon_hotplug;

  return BpState::wait;
}

// xen_online_page: the new pages go to the balloon, with nothing behind them.
void LinuxBalloon::online_page(pfn_t pfn, unsigned order) {
  BALLOON_BUG_ON(balloon_mutex_held_);  // mutex_lock by the lock's holder: a deadlock
  MutexGuard lock(balloon_mutex_held_);
  const std::uint64_t size = std::uint64_t{1} << order;
  for (std::uint64_t i = 0; i < size; ++i) balloon_append(pfn + i);
}

// xen_memory_notifier: MEM_ONLINE wakes the thread.
void LinuxBalloon::memory_online() { wake_up_balloon_thread(); }

// An unsigned long difference read as long, as the C's return converts it.
long LinuxBalloon::current_credit() const {
  return static_cast<long>(stats_.target_pages - stats_.current_pages);
}

bool LinuxBalloon::balloon_is_inflated() const {
  return stats_.balloon_low != 0 || stats_.balloon_high != 0;
}

LinuxBalloon::BpState LinuxBalloon::increase_reservation(std::uint64_t nr_pages) {
  nr_pages = std::min<std::uint64_t>(nr_pages, kFrameListEntries);

  for (std::uint64_t i = 0; i < nr_pages; ++i) {
    if (i >= ballooned_pages_.size()) {
      nr_pages = i;
      break;
    }
    frame_list_[i] = ballooned_pages_.at(i);  // page_to_xen_pfn
  }

  const int rc = xenmem_reservation_increase(static_cast<int>(nr_pages));
  if (rc <= 0) return BpState::eagain;

  for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(rc); ++i) {
    const std::optional<pfn_t> page = balloon_retrieve(false);
    BALLOON_BUG_ON(!page.has_value());

    xenmem_reservation_va_mapping_update(*page, frame_list_[i]);

    // free_reserved_page: back to the allocator, and counted as managed again.
    env_.free_page(*page);
    ++totalram_pages_;
  }

  stats_.current_pages += static_cast<std::uint64_t>(rc);

  return BpState::done;
}

LinuxBalloon::BpState LinuxBalloon::decrease_reservation(std::uint64_t nr_pages, Gfp gfp) {
  BpState state = BpState::done;

  nr_pages = std::min<std::uint64_t>(nr_pages, kFrameListEntries);

  // LIST_HEAD(pages): list_add puts each new page at the head. Here they go at the
  // back of a vector, and the walk from the head goes from its back (an insert at
  // the front of a vector costs a move of the batch, for every page).
  std::vector<pfn_t> pages;
  pages.reserve(nr_pages);
  for (std::uint64_t i = 0; i < nr_pages; ++i) {
    const std::optional<pfn_t> page = env_.alloc_page(gfp);
    if (!page.has_value()) {
      nr_pages = i;
      state = BpState::eagain;
      break;
    }
    --totalram_pages_;       // adjust_managed_page_count(page, -1)
    env_.scrub_page(*page);  // xenmem_reservation_scrub_page, xen_scrub_pages on
    pages.push_back(*page);
  }

  // kmap_flush_unused(): the simulation has no kmaps, highmem or not.

  // Set up the frame, update the direct mapping, invalidate the P2M, and add to the
  // balloon, walking the local list from its head.
  std::uint64_t i = 0;
  for (auto it = pages.rbegin(); it != pages.rend(); ++it) {
    const pfn_t page = *it;
    frame_list_[i++] = env_.auto_translated() ? page : env_.pfn_to_mfn(page);  // xen_page_to_gfn
    xenmem_reservation_va_mapping_reset(page);
    balloon_append(page);
  }

  // flush_tlb_all()

  const int ret = xenmem_reservation_decrease(static_cast<int>(nr_pages));
  BALLOON_BUG_ON(static_cast<std::uint64_t>(static_cast<long>(ret)) != nr_pages);

  stats_.current_pages -= nr_pages;

  return state;
}

// Stop waiting if either the state is BP_DONE and ballooning is needed, or the credit
// has changed while the state is not BP_DONE. The code before "xen/balloon: fix
// cancelled balloon action" cleared the credit in every state but BP_EAGAIN, so a
// cancelled action with credit left woke the thread at once, over and over.
bool LinuxBalloon::balloon_thread_cond(long credit) const {
  if (mutation_ == Mutation::fix_cancelled_balloon_action) {
    if (balloon_state_ != BpState::eagain) credit = 0;
  } else if (balloon_state_ == BpState::done) {
    credit = 0;
  }
  return current_credit() != credit;  // || kthread_should_stop(): never
}

// The top of balloon_thread's loop: pick the timeout, read the credit, and wait.
void LinuxBalloon::balloon_thread_wait() {
  std::uint64_t timeout = 0;
  // Before "xen/balloon: fix cancelled balloon action": schedule_delay while
  // BP_EAGAIN, an hour in any other state.
  if (mutation_ == Mutation::fix_cancelled_balloon_action && balloon_state_ != BpState::eagain) {
    timeout = kHourJiffies;
  } else
    switch (balloon_state_) {
      case BpState::done:
      case BpState::ecanceled:
        timeout = kHourJiffies;
        break;
      case BpState::eagain:
        timeout = stats_.schedule_delay * kHz;
        break;
      case BpState::wait:
        timeout = kHz;
        break;
    }

  const long credit = current_credit();
  wait_credit_ = credit;

  // wait_event_freezable_timeout: no sleep when the condition holds already, nor
  // when the timeout is 0.
  if (balloon_thread_cond(credit) || timeout == 0) {
    thread_sleeping_ = false;
    env_.schedule_work();
    return;
  }
  thread_sleeping_ = true;
  env_.mod_timer(env_.jiffies() + timeout);
}

// wake_up(&balloon_thread_wq): the sleeping thread checks its condition again.
void LinuxBalloon::wake_up_balloon_thread() {
  if (!thread_sleeping_ || !balloon_thread_cond(wait_credit_)) return;
  thread_sleeping_ = false;
  env_.del_timer();
  env_.schedule_work();
}

void LinuxBalloon::balloon_alarm() {
  if (!thread_sleeping_) return;
  thread_sleeping_ = false;
  env_.schedule_work();
}

// One pass of balloon_thread's loop after its wait returned, then the next wait.
void LinuxBalloon::balloon_process() {
  {
    BALLOON_BUG_ON(balloon_mutex_held_);
    MutexGuard lock(balloon_mutex_held_);

    const long credit = current_credit();

    if (credit > 0) {
      if (balloon_is_inflated()) {
        balloon_state_ = increase_reservation(static_cast<std::uint64_t>(credit));
      } else {
        balloon_state_ = reserve_additional_memory();
      }
    }

    if (credit < 0) {
      // The kernel builds with -fno-strict-overflow: -credit wraps for LONG_MIN.
      const long minus_credit = static_cast<long>(0UL - static_cast<unsigned long>(credit));
      const long n_pages = std::min(minus_credit, env_.si_mem_available());
      balloon_state_ = decrease_reservation(static_cast<std::uint64_t>(n_pages), Gfp::balloon);
      // n_pages < totalreserve_pages compares as unsigned long. Without this rule
      // (before XSA-300's "xen: let alloc_xenballooned_pages() fail if not enough
      // memory free"), a guest with nothing available retried at once, forever.
      if (mutation_ != Mutation::xsa300_no_reserve_backoff && balloon_state_ == BpState::done &&
          n_pages != minus_credit &&
          static_cast<std::uint64_t>(n_pages) < env_.totalreserve_pages()) {
        balloon_state_ = BpState::eagain;
      }
    }

    update_schedule();
  }

  // cond_resched(), and round the loop.
  balloon_thread_wait();
}

// Resets the target and kicks the thread. No lock: not a read-modify-write.
void LinuxBalloon::balloon_set_new_target(std::uint64_t target) {
  stats_.target_pages = target;
  wake_up_balloon_thread();
}

// xen-balloon.c's watch on memory/target (KiB). A PV guest has no target_diff; an
// auto-translated one (xen_pv_domain() false, and never the initial domain here) keeps
// the difference between static-max and its target when the watch first fires, at
// boot (balloon_init): with the store as it is, 0.
void LinuxBalloon::watch_target(std::string_view value) {
  const std::optional<std::uint64_t> scanned = scan_llu(value);
  if (!scanned.has_value()) return;  // fine (for dom0 at least): just return
  std::uint64_t new_target = *scanned >> (kPageShift - 10);

  if (!watch_fired_) {
    watch_fired_ = true;
    // No memory/static-max (nor memory_static_max) in the simulated store.
    const std::uint64_t static_max = stats_.current_pages;
    target_diff_ =
        !env_.auto_translated() ? 0 : static_cast<long>(static_max - stats_.target_pages);
  }

  balloon_set_new_target(new_target - static_cast<std::uint64_t>(target_diff_));
}

long LinuxBalloon::store_target_kb(std::string_view buffer) {
  if (!env_.capable_sys_admin()) return -kEperm;
  std::size_t end = 0;
  const std::uint64_t target_bytes = simple_strtoull(buffer, end, 0) * 1024;
  balloon_set_new_target(target_bytes >> kPageShift);
  return static_cast<long>(buffer.size());
}

long LinuxBalloon::store_target(std::string_view buffer) {
  if (!env_.capable_sys_admin()) return -kEperm;
  std::size_t end = 0;
  const std::uint64_t target_bytes = memparse(buffer, end, /*linux_suffixes=*/true);
  balloon_set_new_target(target_bytes >> kPageShift);
  return static_cast<long>(buffer.size());
}

// DEVICE_ULONG_ATTR's store (device_store_ulong): kstrtoul, then the whole write.
long LinuxBalloon::store_backoff_knob(BackoffKnob knob, std::string_view buffer) {
  std::uint64_t value = 0;
  if (const long ret = kstrtoul(buffer, value); ret != 0) return ret;
  (knob == BackoffKnob::max_schedule_delay ? stats_.max_schedule_delay : stats_.max_retry_count) =
      value;
  return static_cast<long>(buffer.size());
}

// add_ballooned_pages, without hotplugged unpopulated memory.
int LinuxBalloon::add_ballooned_pages(unsigned nr_pages) {
  if (env_.si_mem_available() < static_cast<long>(nr_pages)) return -static_cast<int>(kEnomem);

  const BpState st = decrease_reservation(nr_pages, Gfp::kernel);  // GFP_USER: lowmem
  if (st != BpState::done) return -static_cast<int>(kEnomem);

  return 0;
}

// xen_alloc_ballooned_pages: pages with no memory behind them, for a backend.
std::optional<std::vector<pfn_t>> LinuxBalloon::alloc_empty_pages(std::size_t count) {
  const auto nr_pages = static_cast<unsigned>(count);
  std::vector<pfn_t> pages;
  unsigned pgno = 0;
  int ret = 0;
  bool undo = false;
  {
    MutexGuard lock(balloon_mutex_held_);

    stats_.target_unpopulated += nr_pages;

    while (pgno < nr_pages) {
      if (const std::optional<pfn_t> page = balloon_retrieve(true)) {
        pages.push_back(*page);
        ++pgno;
        // xen_alloc_p2m_entry: the simulation's P2M covers every pfn; nothing fails.
      } else {
        ret = add_ballooned_pages(nr_pages - pgno);
        if (ret < 0) {
          undo = true;
          break;
        }
      }
    }
  }
  if (!undo) return pages;

  free_empty_pages(pages);
  // free_empty_pages subtracted only pgno pages; target_unpopulated rose by nr_pages.
  // The code before "xen/balloon: fix accounting in alloc_xenballooned_pages error
  // path" stopped there.
  if (mutation_ != Mutation::fix_alloc_error_path_accounting) {
    stats_.target_unpopulated -= nr_pages - pgno;
  }
  return std::nullopt;
}

// xen_free_ballooned_pages.
void LinuxBalloon::free_empty_pages(const std::vector<pfn_t>& pagevec) {
  MutexGuard lock(balloon_mutex_held_);

  for (const pfn_t page : pagevec) balloon_append(page);

  stats_.target_unpopulated -= pagevec.size();

  // The balloon may be too large now: shrink it if needed. (free_wakes_nobody, made
  // up: no Linux lacked this wake_up.)
  if (mutation_ != Mutation::free_wakes_nobody && current_credit() != 0) wake_up_balloon_thread();
}

// mem-reservation.c: XENMEM_populate_physmap of `count` extents of frame_list.
int LinuxBalloon::xenmem_reservation_increase(int count) {
  Reservation reservation;
  reservation.extent_start = frame_list_.data();
  reservation.nr_extents = static_cast<std::uint64_t>(static_cast<long>(count));
  reservation.extent_order = 0;  // EXTENT_ORDER: one extent per page
  return static_cast<int>(env_.memory_op(MemoryOp::populate_physmap, reservation));
}

int LinuxBalloon::xenmem_reservation_decrease(int count) {
  Reservation reservation;
  reservation.extent_start = frame_list_.data();
  reservation.nr_extents = static_cast<std::uint64_t>(static_cast<long>(count));
  reservation.extent_order = 0;
  return static_cast<int>(env_.memory_op(MemoryOp::decrease_reservation, reservation));
}

// A PV guest's P2M entry and direct mapping for a page populate gave a frame.
void LinuxBalloon::xenmem_reservation_va_mapping_update(pfn_t pfn, std::uint64_t frame) {
  if (env_.auto_translated()) return;
  env_.set_phys_to_machine(pfn, frame);
  const int ret = env_.update_va_mapping(pfn, frame);
  BALLOON_BUG_ON(ret != 0);
}

// A PV guest's direct mapping and P2M entry cleared for a page about to go back.
void LinuxBalloon::xenmem_reservation_va_mapping_reset(pfn_t pfn) {
  if (env_.auto_translated()) return;
  const int ret = env_.update_va_mapping(pfn, kInvalidP2mEntry);
  BALLOON_BUG_ON(ret != 0);
  env_.set_phys_to_machine(pfn, kInvalidP2mEntry);
}

}  // namespace balloonbench
