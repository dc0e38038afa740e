#include "driver/xen-2.6.18/balloon.h"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>

#include "driver/parse.h"
#include "driver/port_kernel.h"

namespace balloonbench {
namespace {

std::uint64_t pages_to_kb(std::uint64_t pages) { return pages << (kPageShift - 10); }

}  // namespace

BalloonCore::BalloonCore(Env& env, Variant variant, Mutation mutation)
    : env_(env), variant_(variant), mutation_(mutation), frame_list_(kFrameListEntries) {}

std::unique_ptr<Driver> BalloonCore::copy_booted() const {
  auto copy = std::make_unique<BalloonCore>(*this);
  copy->set_list_journal(nullptr);
  return copy;
}

void BalloonCore::assign_booted(const Driver& booted) {
  const auto& other = static_cast<const BalloonCore&>(booted);
  max_pfn_ = other.max_pfn_;
  current_pages_ = other.current_pages_;
  totalhigh_pages_ = other.totalhigh_pages_;
  totalram_pages_ = other.totalram_pages_;
  target_pages_ = other.target_pages_;
  balloon_low_ = other.balloon_low_;
  balloon_high_ = other.balloon_high_;
  driver_pages_ = other.driver_pages_;
  hard_limit_ = other.hard_limit_;
  ballooned_pages_.assign_pages(other.ballooned_pages_);
  frame_list_ = other.frame_list_;
  balloon_mutex_held_ = other.balloon_mutex_held_;
}

std::vector<pfn_t> BalloonCore::balloon_list_pages() const {
  std::vector<pfn_t> pages(ballooned_pages_.size());
  for (std::size_t i = 0; i < pages.size(); ++i) pages[i] = ballooned_pages_.at(i);
  return pages;
}

void BalloonCore::balloon_init(pfn_t max_pfn, pfn_t nr_pages) {
  max_pfn_ = max_pfn;
  // The kernel counted every highmem pfn of the guest in totalhigh_pages at boot,
  // populated or not; balloon_append takes the unpopulated ones off again below.
  // Highmem is the pfns from max_low_pfn up, so the count is max_pfn less the first
  // highmem pfn, found by bisection: the kernel's boot is not ported, and a walk over
  // every pfn would make each run cost the guest's size.
  pfn_t first_high = 0;
  pfn_t past_low = max_pfn;
  while (first_high < past_low) {
    const pfn_t middle = first_high + (past_low - first_high) / 2;
    if (env_.page_high_mem(middle)) {
      past_low = middle;
    } else {
      first_high = middle + 1;
    }
  }
  totalhigh_pages_ = max_pfn - first_high;
  current_pages_ = std::min(nr_pages, max_pfn);
  totalram_pages_ = current_pages_;
  target_pages_ = current_pages_;
  balloon_low_ = 0;
  balloon_high_ = 0;
  driver_pages_ = 0;
  hard_limit_ = kNoHardLimit;
  // Initialise the balloon with the pfns Xen did not populate.
  for (pfn_t pfn = nr_pages; pfn < max_pfn; ++pfn) balloon_append(pfn);
}

// Lowmem is repopulated first, so highmem pages go to the tail of the list. A
// highmem page in the balloon is no longer in use, so it leaves totalhigh_pages.
void BalloonCore::balloon_append(pfn_t pfn) {
  if (env_.page_high_mem(pfn)) {
    if (mutation_ == Mutation::highmem_at_head) {
      ballooned_pages_.add_head(pfn);
    } else {
      ballooned_pages_.add_tail(pfn);
    }
    ++balloon_high_;
    --totalhigh_pages_;
  } else {
    ballooned_pages_.add_head(pfn);
    ++balloon_low_;
  }
}

std::optional<pfn_t> BalloonCore::balloon_retrieve() {
  pfn_t pfn = 0;
  if (!ballooned_pages_.take_head(pfn)) return std::nullopt;
  if (env_.page_high_mem(pfn)) {
    --balloon_high_;
    ++totalhigh_pages_;
  } else {
    --balloon_low_;
  }
  return pfn;
}

// The page's one reference goes (put_page_testzero) and the page is freed cold. The
// simulated allocator keeps no per-CPU hot and cold lists, so a cold free is a free
// (docs/fidelity.md).
void BalloonCore::balloon_free_page(pfn_t pfn) { env_.free_page(pfn); }

std::uint64_t BalloonCore::current_target() const {
  std::uint64_t target = target_pages_;
  if (variant_ == Variant::legacy) target = std::min(target, hard_limit_);
  if (mutation_ == Mutation::overshoot_target) target += 1;
  return std::min(target, current_pages_ + balloon_low_ + balloon_high_);
}

// A continuous piecewise-linear floor of max_pfn: 8 MiB plus half of memory below
// 128 MiB, then 40 MiB plus a quarter, 104 MiB plus an eighth and, from 2 GiB, 296 MiB
// plus a thirty-second. A guest below it keeps what it has: the floor never lies above
// the current target, so it cannot force growth.
std::uint64_t BalloonCore::minimum_target() const {
  const auto mb2pages = [](std::uint64_t mb) { return mb << (20 - kPageShift); };
  const std::uint64_t curr_pages = current_target();
  std::uint64_t min_pages = 0;
  if (max_pfn_ < mb2pages(128)) {
    min_pages = mb2pages(8) + (max_pfn_ >> 1);
  } else if (max_pfn_ < mb2pages(512)) {
    min_pages = mb2pages(40) + (max_pfn_ >> 2);
  } else if (max_pfn_ < mb2pages(2048)) {
    min_pages = mb2pages(104) + (max_pfn_ >> 3);
  } else {
    min_pages = mb2pages(296) + (max_pfn_ >> 5);
  }
  // Don't enforce growth.
  return std::min(min_pages, curr_pages);
}

std::uint64_t BalloonCore::clamp_to_frame_list(std::uint64_t nr_pages) {
  if (mutation_ == Mutation::no_batch_clamp) {
    if (frame_list_.size() < nr_pages) frame_list_.resize(nr_pages);
    return nr_pages;
  }
  return std::min<std::uint64_t>(nr_pages, kFrameListEntries);
}

long BalloonCore::increase_reservation(std::uint64_t nr_pages) {
  nr_pages = clamp_to_frame_list(nr_pages);

  // Walk the first nr_pages ballooned pages without taking them off the list.
  for (std::uint64_t i = 0; i < nr_pages; ++i) {
    BALLOON_BUG_ON(i >= ballooned_pages_.size());
    frame_list_[i] = ballooned_pages_.at(i);
  }

  Reservation reservation{frame_list_.data(), nr_pages, 0};
  const long rc = env_.memory_op(MemoryOp::populate_physmap, reservation);
  // The original compares `long rc` with `unsigned long nr_pages`: C converts rc to
  // unsigned, so a negative answer is not less than nr_pages and legacy takes the
  // success path below for all nr_pages pages, with frame_list still holding the
  // pfns it asked for (SPEC §1.4).
  if (variant_ == Variant::legacy && static_cast<std::uint64_t>(rc) < nr_pages) {
    legacy_hit_hard_limit(reservation, rc);
    return 0;
  }
  if (variant_ != Variant::legacy && rc < 0) return rc;
  if (mutation_ == Mutation::bug_on_short_populate) {
    BALLOON_BUG_ON(rc != static_cast<long>(nr_pages));
  }
  // Pages to take off the balloon: what Xen populated, or for legacy all it asked for.
  const std::uint64_t done =
      variant_ == Variant::legacy ? nr_pages : static_cast<std::uint64_t>(rc);

  const bool pv = !env_.auto_translated();
  for (std::uint64_t i = 0; i < done; ++i) {
    const std::optional<pfn_t> page = balloon_retrieve();
    BALLOON_BUG_ON(!page.has_value());
    const pfn_t pfn = *page;
    BALLOON_BUG_ON(pv && env_.phys_to_machine_mapping_valid(pfn));
    env_.set_phys_to_machine(pfn, frame_list_[i]);
    // Link back into the page tables if not highmem. Both modes do: a translated
    // guest's frame_list still holds the gpfn, which its PTE carries.
    if (!env_.page_high_mem(pfn)) {
      BALLOON_BUG_ON(env_.update_va_mapping(pfn, frame_list_[i]) != 0);
    }
    // Relinquish the page back to the allocator.
    balloon_free_page(pfn);
  }

  if (mutation_ != Mutation::forget_current_pages) current_pages_ += done;
  totalram_pages_ = current_pages_;
  if (variant_ == Variant::legacy) return 0;
  return rc != static_cast<long>(nr_pages) ? 1 : 0;
}

// The code the patch removed: hand a partial answer straight back to Xen and latch
// the reservation reached as the hard limit, which only a new target clears. A zero
// answer hands nothing back. (The original also latches only when rc >= 0, which the
// unsigned comparison before it has already made sure of.)
void BalloonCore::legacy_hit_hard_limit(Reservation& reservation, long rc) {
  if (rc > 0) {
    reservation.nr_extents = static_cast<std::uint64_t>(rc);
    const long ret = env_.memory_op(MemoryOp::decrease_reservation, reservation);
    BALLOON_BUG_ON(ret != rc);
  }
  hard_limit_ = current_pages_ + static_cast<std::uint64_t>(rc) - driver_pages_;
}

long BalloonCore::decrease_reservation(std::uint64_t nr_pages) {
  nr_pages = clamp_to_frame_list(nr_pages);
  long need_sleep = 0;

  for (std::uint64_t i = 0; i < nr_pages; ++i) {
    const std::optional<pfn_t> page = env_.alloc_page(Gfp::balloon);
    if (!page.has_value()) {
      nr_pages = i;
      need_sleep = 1;
      break;
    }
    const pfn_t pfn = *page;
    frame_list_[i] = env_.pfn_to_mfn(pfn);
    env_.scrub_page(pfn);
    // Unmap lowmem from the kernel's page tables, in both modes.
    if (!env_.page_high_mem(pfn)) {
      BALLOON_BUG_ON(env_.update_va_mapping(pfn, kInvalidP2mEntry) != 0);
    }
  }

  // No more mappings: invalidate P2M and add to balloon.
  for (std::uint64_t i = 0; i < nr_pages; ++i) {
    const pfn_t pfn = env_.mfn_to_pfn(frame_list_[i]);
    if (mutation_ != Mutation::keep_p2m_on_decrease) {
      env_.set_phys_to_machine(pfn, kInvalidP2mEntry);
    }
    balloon_append(pfn);
  }

  Reservation reservation{frame_list_.data(), nr_pages, 0};
  const long ret = env_.memory_op(MemoryOp::decrease_reservation, reservation);
  BALLOON_BUG_ON(ret != static_cast<long>(nr_pages));

  current_pages_ -= nr_pages;
  totalram_pages_ = current_pages_;
  return need_sleep;
}

void BalloonCore::balloon_process() {
  BALLOON_BUG_ON(balloon_mutex_held_);
  MutexGuard guard(balloon_mutex_held_);

  long credit = 0;
  bool need_sleep = false;
  do {
    credit = static_cast<long>(current_target() - current_pages_);
    if (credit > 0) need_sleep = increase_reservation(static_cast<std::uint64_t>(credit)) != 0;
    if (credit < 0) need_sleep = decrease_reservation(static_cast<std::uint64_t>(-credit)) != 0;
    if (mutation_ == Mutation::ignore_need_sleep) need_sleep = false;
  } while (credit != 0 && !need_sleep);

  // Schedule more work if there is some still to be done.
  if (current_target() != current_pages_ && mutation_ != Mutation::no_rearm) {
    env_.mod_timer(env_.jiffies() + kHz);
  }
}

// The timer's only job is to schedule the work function.
void BalloonCore::balloon_alarm() {
  if (mutation_ != Mutation::alarm_forgets_work) env_.schedule_work();
}

void BalloonCore::balloon_set_new_target(std::uint64_t target) {
  // No lock needed: these are not read-modify-write updates. Only a new target
  // clears a latched hard limit, and it does so before minimum_target() reads the
  // current target.
  if (variant_ == Variant::legacy) hard_limit_ = kNoHardLimit;
  target_pages_ = std::max(target, minimum_target());
  env_.schedule_work();
}

void BalloonCore::watch_target(std::string_view value) {
  // A value that does not parse is fine (dom0 may have none): ignore it.
  const std::optional<std::uint64_t> kib = scan_llu(value);
  if (!kib.has_value()) return;
  // memory/target is in KiB; PAGE_SHIFT - 10 converts KiB to pages.
  balloon_set_new_target(*kib >> (kPageShift - 10));
}

long BalloonCore::balloon_write(std::string_view buffer) {
  const std::size_t count = buffer.size();
  if (!env_.capable_sys_admin()) return -kEperm;
  if (count <= 1) return -kEbadmsg;  // runt
  if (count > kProcWriteBuffer) return -kEfbig;
  // The original copies into char memstring[64] and terminates only its last byte,
  // so a short write leaves the tail uninitialised and memparse may read it. Here
  // the parser sees exactly the bytes written (less the byte the terminator takes).
  std::string_view memstring = buffer.substr(0, std::min(count, kProcWriteBuffer - 1));
  if (mutation_ == Mutation::proc_write_reads_past_count) {
    memstring = std::string_view(buffer.data(), strnlen(buffer.data(), kProcWriteBuffer - 1));
  }
  std::size_t end = 0;
  const std::uint64_t target_bytes = memparse(memstring, end);
  balloon_set_new_target(target_bytes >> kPageShift);
  return static_cast<long>(count);
}

std::string BalloonCore::balloon_read() const {
  char text[512];
  int len = std::snprintf(text, sizeof text,
                          "Current allocation: %8" PRIu64
                          " kB\n"
                          "Requested target:   %8" PRIu64
                          " kB\n"
                          "Low-mem balloon:    %8" PRIu64
                          " kB\n"
                          "High-mem balloon:   %8" PRIu64
                          " kB\n"
                          "Driver pages:       %8" PRIu64 " kB\n",
                          pages_to_kb(current_pages_), pages_to_kb(target_pages_),
                          pages_to_kb(balloon_low_), pages_to_kb(balloon_high_),
                          pages_to_kb(driver_pages_));
  std::string out(text, static_cast<std::size_t>(len));
  if (variant_ == Variant::legacy) {
    if (hard_limit_ != kNoHardLimit) {
      len = std::snprintf(text, sizeof text, "Xen hard limit:     %8" PRIu64 " kB\n",
                          pages_to_kb(hard_limit_));
      out.append(text, static_cast<std::size_t>(len));
    } else {
      out += "Xen hard limit:          ??? kB\n";
    }
  }
  return out;
}

void BalloonCore::balloon_update_driver_allowance(std::int64_t delta) {
  driver_pages_ += static_cast<std::uint64_t>(delta);
}

// One page of alloc_empty_pages_and_pagevec: give the frame behind `pfn` to Xen.
// Returns false when Xen refused (auto-translated only; a PV guest BUGs instead).
bool BalloonCore::release_empty_page(pfn_t pfn) {
  if (env_.auto_translated()) {
    std::uint64_t gmfn = pfn;
    Reservation reservation{&gmfn, 1, 0};
    long ret = env_.memory_op(MemoryOp::decrease_reservation, reservation);
    // Only an answer of 1 is turned into success; an answer of 0 (no extent handed
    // back) is left as it is, and 0 is what the caller reads as success too. The page
    // then counts as given away while Xen still holds its frame: the original's
    // latent bug, kept (docs/fidelity.md).
    if (ret == 1) ret = 0;  // success
    return ret == 0;
  }
  // dealloc_pte_fn: clear the mapping and the P2M entry, then hand the frame back.
  std::uint64_t mfn = env_.pfn_to_mfn(pfn);
  BALLOON_BUG_ON(env_.update_va_mapping(pfn, kInvalidP2mEntry) != 0);
  env_.set_phys_to_machine(pfn, kInvalidP2mEntry);
  Reservation reservation{&mfn, 1, 0};
  BALLOON_BUG_ON(env_.memory_op(MemoryOp::decrease_reservation, reservation) != 1);
  return true;
}

std::optional<std::vector<pfn_t>> BalloonCore::alloc_empty_pages(std::size_t nr_pages) {
  // The original allocates its page array once, for nr_pages; so does this, for as
  // many as the loop can take (a guest gives up no more pages than it has), up to
  // 4,096: nr_pages comes from the caller unchecked.
  std::vector<pfn_t> pagevec;
  pagevec.reserve(std::min<std::uint64_t>({nr_pages, current_pages_, 4096}));
  bool failed = false;
  while (pagevec.size() < nr_pages) {
    const std::optional<pfn_t> page = env_.alloc_page(Gfp::kernel);
    if (!page.has_value()) {
      failed = true;
      break;
    }
    env_.scrub_page(*page);
    if (!release_empty_page(*page)) {
      balloon_free_page(*page);
      failed = true;
      break;
    }
    totalram_pages_ = --current_pages_;
    pagevec.push_back(*page);
  }

  std::optional<std::vector<pfn_t>> result;
  if (failed) {
    // The pages already given up stay unpopulated: they join the balloon, last first.
    for (auto it = pagevec.rbegin(); it != pagevec.rend(); ++it) balloon_append(*it);
  } else {
    result = std::move(pagevec);
  }
  env_.schedule_work();
  return result;
}

void BalloonCore::free_empty_pages(const std::vector<pfn_t>& pagevec) {
  for (const pfn_t pfn : pagevec) {
    // Each page comes back as alloc_empty_pages lent it: allocated once, never freed.
    BALLOON_BUG_ON(env_.page_count(pfn) != 1);
    balloon_append(pfn);
  }
  env_.schedule_work();
}

// A frontend driver's page whose frame went to another domain (counted in
// driver_pages when it went) joins the balloon, which may repopulate it.
void BalloonCore::balloon_release_driver_page(pfn_t page) {
  balloon_append(page);
  --driver_pages_;
  env_.schedule_work();
}

// sysfs stores. The sysfs layer hands a store the bytes written followed by a NUL, so
// the parsers, which stop at the end of the view, read what the C reads.
long BalloonCore::store_target_kb(std::string_view buffer) {
  const std::size_t count = buffer.size();
  if (!env_.capable_sys_admin()) return -kEperm;
  if (count <= 1) return -kEbadmsg;  // runt
  std::size_t end = 0;
  // A number of KiB in any base simple_strtoull reads, shifted to bytes (wrapping as
  // unsigned long long does), then to pages.
  const std::uint64_t number = simple_strtoull(buffer, end, 0);
  const std::uint64_t target_bytes =
      mutation_ == Mutation::kib_read_as_bytes ? number : number << 10;
  balloon_set_new_target(target_bytes >> kPageShift);
  return static_cast<long>(count);
}

long BalloonCore::store_target(std::string_view buffer) {
  const std::size_t count = buffer.size();
  if (!env_.capable_sys_admin()) return -kEperm;
  if (count <= 1) return -kEbadmsg;  // runt
  std::size_t end = 0;
  const std::uint64_t target_bytes = memparse(buffer, end);
  balloon_set_new_target(target_bytes >> kPageShift);
  return static_cast<long>(count);
}

}  // namespace balloonbench
