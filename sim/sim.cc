#include "sim/sim.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <stdexcept>

namespace balloonbench {
namespace {

constexpr long kEinval = 22;
constexpr std::uint64_t kMaxErrno = 4095;

// A step coprime with `total`, so that k * step mod total visits every frame once and
// the guest's pfns land on scattered mfns rather than mfn == pfn + constant.
std::uint64_t scramble_step(std::uint64_t total) {
  if (total < 3) return 1;
  std::uint64_t step = (total * 5 / 8) | 1;
  while (std::gcd(step, total) != 1) step += 2;
  return step;
}

const char* basename_of(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash != nullptr ? slash + 1 : path;
}

[[noreturn]] void throw_kernel_bug(const char* file, int line, const char* condition) {
  throw KernelBug{std::string(basename_of(file)) + ":" + std::to_string(line), condition};
}

}  // namespace

Sim::Sim(const Config& config, SimObserver& observer) : config_(config), observer_(observer) {
  if (const std::string why = validate(config); !why.empty()) throw std::invalid_argument(why);
  const std::uint64_t total = config.nr_pages + config.host_free + config.host_other;
  owner_.assign(total, FrameOwner::free);
  m2p_.assign(total, kNoPfn32);
  fresh_.assign(total, 0);
  p2m_.assign(config.max_pfn, kInvalidP2mEntry);
  mapped_.assign(config.max_pfn, kInvalidP2mEntry);
  page_state_.assign(config.max_pfn, PageState::outside);
  lent_.assign(config.max_pfn, 0);
  dirty_stamp_.assign(config.max_pfn, 0);

  const std::uint64_t step = scramble_step(total);
  for (std::uint64_t k = 0; k < total; ++k) {
    const auto frame = static_cast<frame_t>(k * step % total);
    const mfn_t mfn = kMfnBase + frame;
    if (k < config.nr_pages) {
      const pfn_t pfn = k;
      owner_[frame] = FrameOwner::self;
      m2p_[frame] = static_cast<std::uint32_t>(pfn);
      set_p2m(pfn, mfn);
      // The kernel's direct map of lowmem: a PV guest's PTEs name the frame, a
      // translated guest's the guest frame number.
      if (!page_high_mem(pfn)) mapped_[pfn] = config.auto_translated ? pfn : mfn;
      page_state_[pfn] = PageState::free;
      (page_high_mem(pfn) ? free_high_ : free_low_).push_back(pfn);
    } else if (k < config.nr_pages + config.host_free) {
      free_pool_.push_back(frame);
    } else {
      owner_[frame] = FrameOwner::other;
      other_pool_.push_back(frame);
    }
  }
  tot_pages_ = config.nr_pages;
  max_pages_ = config.max_pages;
}

long Sim::memory_op(MemoryOp op, Reservation& reservation) {
  observer_.hypercall_issued(op, reservation);
  long rc = -kEinval;
  if (reservation.extent_order == 0) {
    rc = op == MemoryOp::populate_physmap ? populate_physmap(reservation)
                                          : decrease_reservation(reservation);
  }
  assert_host_conserved("memory_op");
  observer_.hypercall_answered(op, reservation, rc);
  return rc;
}

// Always on: a simulation that loses or invents a frame would make every verdict about
// the driver meaningless, so it stops the process rather than report on the driver.
void Sim::assert_host_conserved(const char* after) const {
  const std::uint64_t accounted = free_pool_.size() + other_pool_.size() + tot_pages_;
  if (accounted == owner_.size()) return;
  std::fprintf(stderr,
               "balloonbench: simulation bug after %s: free %zu + other guests %zu + this "
               "domain %llu != %zu host frames\n",
               after, free_pool_.size(), other_pool_.size(),
               static_cast<unsigned long long>(tot_pages_), owner_.size());
  std::abort();
}

// Populate a prefix of the extents: as many as the free pool, max_pages and any armed
// limit allow. PV guests get the new mfns written back; auto-translated guests get
// the frames in Xen's physmap and their extents left as gpfns.
long Sim::populate_physmap(Reservation& reservation) {
  PopulateFault fault{false, ~std::uint64_t{0}};
  if (!populate_faults_.empty()) {
    fault = populate_faults_.front();
    populate_faults_.pop_front();
  }
  if (fault.error) return -static_cast<long>(fault.value);

  const std::uint64_t room = max_pages_ > tot_pages_ ? max_pages_ - tot_pages_ : 0;
  const std::uint64_t limit = std::min({reservation.nr_extents, free_frames(), room, fault.value});
  std::uint64_t done = 0;
  for (; done < limit; ++done) {
    const pfn_t gpfn = reservation.extent_start[done];
    if (gpfn >= config_.max_pfn) break;
    if (config_.auto_translated && populated(gpfn)) break;
    const frame_t frame = take_free_frame();
    const mfn_t mfn = kMfnBase + frame;
    owner_[frame] = FrameOwner::self;
    m2p_[frame] = static_cast<std::uint32_t>(gpfn);
    fresh_[frame] = 1;
    fresh_list_.push_back(frame);
    ++tot_pages_;
    if (config_.auto_translated) {
      set_p2m(gpfn, mfn);
    } else {
      reservation.extent_start[done] = mfn;
    }
    mark_dirty(gpfn);
  }
  return static_cast<long>(done);
}

// Remove a prefix of the frames, stopping at the first one the domain does not own.
long Sim::decrease_reservation(Reservation& reservation) {
  std::uint64_t limit = reservation.nr_extents;
  if (!decrease_faults_.empty()) {
    const std::uint64_t answer = decrease_faults_.front();
    decrease_faults_.pop_front();
    if (config_.contract_breaks && answer < limit) {
      limit = answer;
      contract_broken_ = true;
    }
  }
  std::uint64_t done = 0;
  for (; done < limit; ++done) {
    const std::uint64_t extent = reservation.extent_start[done];
    mfn_t mfn = extent;
    if (config_.auto_translated) {
      if (extent >= config_.max_pfn || !populated(extent)) break;
      mfn = p2m_[extent];
      set_p2m(extent, kInvalidP2mEntry);
      mark_dirty(extent);
    } else {
      if (!frame_valid(mfn) || owner(mfn) != FrameOwner::self) break;
      mark_dirty(m2p(mfn));
    }
    release_frame(static_cast<frame_t>(mfn - kMfnBase));
  }
  return static_cast<long>(done);
}

frame_t Sim::take_free_frame() {
  const frame_t frame = free_pool_.back();
  free_pool_.pop_back();
  return frame;
}

void Sim::release_frame(frame_t frame) {
  owner_[frame] = FrameOwner::free;
  m2p_[frame] = kNoPfn32;
  fresh_[frame] = 0;
  --tot_pages_;
  free_pool_.push_back(frame);
}

int Sim::update_va_mapping(pfn_t pfn, mfn_t mfn) {
  // Only the kernel's direct map of lowmem exists, and Xen maps only frames the
  // domain owns. Clearing an entry (pte 0) is always accepted.
  if (pfn >= config_.max_pfn || page_high_mem(pfn)) return -static_cast<int>(kEinval);
  if (mfn != kInvalidP2mEntry && !mappable(mfn)) return -static_cast<int>(kEinval);
  mapped_[pfn] = mfn;
  mark_dirty(pfn);
  return 0;
}

// What a new PTE may carry. A PV guest's names a machine frame, which the domain must
// own. A translated guest's names a guest frame number, which Xen translates through
// its physmap: it must be a pfn of the guest with a frame behind it.
bool Sim::mappable(mfn_t frame) const {
  if (config_.auto_translated) return frame < config_.max_pfn && populated(frame);
  return frame_valid(frame) && owner(frame) == FrameOwner::self;
}

std::optional<pfn_t> Sim::alloc_page(Gfp gfp) {
  if (alloc_fail_ > 0) {
    if (alloc_skip_ > 0) {
      --alloc_skip_;
    } else {
      --alloc_fail_;
      ++failed_allocations_;
      return std::nullopt;
    }
  }
  std::vector<pfn_t>& list = (gfp == Gfp::balloon && !free_high_.empty()) ? free_high_ : free_low_;
  if (list.empty()) {
    ++failed_allocations_;
    return std::nullopt;
  }
  const pfn_t pfn = list.back();
  list.pop_back();
  page_state_[pfn] = PageState::allocated;
  mark_dirty(pfn);
  return pfn;
}

void Sim::free_page(pfn_t pfn) {
  need_pfn(pfn, "free_page of a pfn beyond max_pfn");
  if (page_state_[pfn] == PageState::free)
    bug(__FILE__, __LINE__, "Bad page state: free_page of a free page");
  page_state_[pfn] = PageState::free;
  (page_high_mem(pfn) ? free_high_ : free_low_).push_back(pfn);
  // The frame behind the page now belongs to the guest's allocator.
  const mfn_t mfn = p2m_[pfn];
  if (frame_valid(mfn)) fresh_[mfn - kMfnBase] = 0;
  mark_dirty(pfn);
}

// Pages are counted as the allocator sees them: one reference for a page it handed
// out (until freed) or never held, none for a free page.
int Sim::page_count(pfn_t pfn) const {
  need_pfn(pfn, "page_count of a pfn beyond max_pfn");
  return page_state_[pfn] == PageState::free ? 0 : 1;
}

void Sim::scrub_page(pfn_t pfn) {
  need_pfn(pfn, "scrub of a pfn beyond max_pfn");
  // Writing to a page with nothing behind it faults the kernel.
  if (!populated(pfn)) bug(__FILE__, __LINE__, "scrub of an unpopulated page");
  // Lowmem is written through the kernel's direct map, in either mode.
  if (!page_high_mem(pfn) && mapped_[pfn] == kInvalidP2mEntry) {
    bug(__FILE__, __LINE__, "scrub of an unmapped lowmem page");
  }
}

mfn_t Sim::pfn_to_mfn(pfn_t pfn) const {
  if (config_.auto_translated) return pfn;
  return pfn < config_.max_pfn ? p2m_[pfn] : kInvalidP2mEntry;
}

pfn_t Sim::mfn_to_pfn(mfn_t mfn) const {
  if (config_.auto_translated) return mfn;
  return frame_valid(mfn) ? m2p(mfn) : kInvalidP2mEntry;
}

void Sim::set_phys_to_machine(pfn_t pfn, mfn_t mfn) {
  if (config_.auto_translated) {
    // Xen keeps the P2M; the guest may only state the identity or invalidate.
    if (pfn != mfn && mfn != kInvalidP2mEntry) {
      bug(__FILE__, __LINE__, "set_phys_to_machine(pfn, mfn) with pfn != mfn when auto-translated");
    }
    return;
  }
  need_pfn(pfn, "set_phys_to_machine of a pfn beyond max_pfn");
  set_p2m(pfn, mfn);
  mark_dirty(pfn);
}

bool Sim::phys_to_machine_mapping_valid(pfn_t pfn) const {
  need_pfn(pfn, "phys_to_machine_mapping_valid of a pfn beyond max_pfn");
  return populated(pfn);
}

void Sim::mod_timer(std::uint64_t expires) {
  timer_pending_ = true;
  timer_expires_ = expires;
  observer_.timer_armed(expires);
}

void Sim::schedule_work() {
  if (work_pending_) return;
  work_pending_ = true;
  observer_.work_scheduled();
}

void Sim::bug(const char* file, int line, const char* condition) {
  throw_kernel_bug(file, line, condition);
}

// The kernel has no struct page beyond max_pfn: touching one is a crash.
void Sim::need_pfn(pfn_t pfn, const char* what) const {
  if (pfn >= config_.max_pfn) throw_kernel_bug(__FILE__, __LINE__, what);
}

void Sim::arm_populate_limit(std::uint64_t limit) {
  if (populate_faults_.size() < kMaxArmedFaults) populate_faults_.push_back({false, limit});
}

void Sim::arm_populate_error(std::uint64_t error) {
  // Linux errno values are 1 to 4095; anything else is not an error answer.
  const std::uint64_t errno_value = std::clamp<std::uint64_t>(error, 1, kMaxErrno);
  if (populate_faults_.size() < kMaxArmedFaults) populate_faults_.push_back({true, errno_value});
}

void Sim::arm_decrease_short(std::uint64_t answer) {
  if (config_.contract_breaks && decrease_faults_.size() < kMaxArmedFaults) {
    decrease_faults_.push_back(answer);
  }
}

void Sim::arm_alloc_failures(std::uint64_t skip, std::uint64_t count) {
  alloc_skip_ = skip;
  alloc_fail_ = count;
}

void Sim::arm_timer_late(std::uint64_t delay_jiffies) { timer_late_ = delay_jiffies; }

void Sim::delay_work(std::uint64_t delay_jiffies) {
  work_blocked_until_ = std::max(work_blocked_until_, jiffies_ + delay_jiffies);
}

void Sim::clear_faults() {
  populate_faults_.clear();
  decrease_faults_.clear();
  alloc_skip_ = 0;
  alloc_fail_ = 0;
  timer_late_ = 0;
  work_blocked_until_ = jiffies_;
}

std::uint64_t Sim::host_take(std::uint64_t frames) {
  const std::uint64_t moved = std::min<std::uint64_t>(frames, free_pool_.size());
  for (std::uint64_t i = 0; i < moved; ++i) {
    const frame_t frame = take_free_frame();
    owner_[frame] = FrameOwner::other;
    other_pool_.push_back(frame);
  }
  assert_host_conserved("host_take");
  return moved;
}

std::uint64_t Sim::host_free(std::uint64_t frames) {
  const std::uint64_t moved = std::min<std::uint64_t>(frames, other_pool_.size());
  for (std::uint64_t i = 0; i < moved; ++i) {
    const frame_t frame = other_pool_.back();
    other_pool_.pop_back();
    owner_[frame] = FrameOwner::free;
    free_pool_.push_back(frame);
  }
  assert_host_conserved("host_free");
  return moved;
}

void Sim::set_max_pages(std::uint64_t pages) { max_pages_ = std::max(pages, tot_pages_); }

void Sim::ensure_free_frames(std::uint64_t frames) {
  if (free_frames() < frames) host_free(frames - free_frames());
  while (free_frames() < frames) {
    free_pool_.push_back(static_cast<frame_t>(owner_.size()));
    owner_.push_back(FrameOwner::free);
    m2p_.push_back(kNoPfn32);
    fresh_.push_back(0);
  }
  assert_host_conserved("ensure_free_frames");
}

void Sim::lend(pfn_t pfn) {
  lent_[pfn] = 1;
  mark_dirty(pfn);
}

void Sim::unlend(pfn_t pfn) {
  lent_[pfn] = 0;
  mark_dirty(pfn);
}

void Sim::timer_fired() {
  timer_pending_ = false;
  timer_late_ = 0;
}

void Sim::set_p2m(pfn_t pfn, mfn_t mfn) {
  const bool was = p2m_[pfn] != kInvalidP2mEntry;
  const bool now = mfn != kInvalidP2mEntry;
  p2m_[pfn] = mfn;
  if (was && !now) --populated_count_;
  if (!was && now) ++populated_count_;
}

void Sim::mark_dirty(pfn_t pfn) {
  if (pfn >= config_.max_pfn || dirty_stamp_[pfn] == epoch_) return;
  dirty_stamp_[pfn] = epoch_;
  dirty_.push_back(pfn);
}

void Sim::end_step() {
  for (const frame_t frame : fresh_list_) fresh_[frame] = 0;
  fresh_list_.clear();
  dirty_.clear();
  contract_broken_ = false;
  if (++epoch_ == 0) {
    std::fill(dirty_stamp_.begin(), dirty_stamp_.end(), 0);
    epoch_ = 1;
  }
}

}  // namespace balloonbench
