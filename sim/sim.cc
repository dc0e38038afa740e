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
// Entries in one page of Linux's P2M (P2M_PER_PAGE).
constexpr std::uint64_t kP2mPerPage = 512;

// A step coprime with `total`, so that k * step mod total visits every frame once and
// the guest's pfns land on scattered mfns rather than mfn == pfn + constant.
std::uint64_t scramble_step(std::uint64_t total) {
  if (total < 3) return 1;
  std::uint64_t step = (total * 5 / 8) | 1;
  while (std::gcd(step, total) != 1) step += 2;
  return step;
}

// The inverse of `step` modulo `total` (they are coprime), so that a frame's place in
// the boot order can be found without walking it.
std::uint64_t inverse_mod(std::uint64_t step, std::uint64_t total) {
  if (total < 2) return 0;
  std::int64_t r0 = static_cast<std::int64_t>(total);
  std::int64_t r1 = static_cast<std::int64_t>(step % total);
  std::int64_t t0 = 0;
  std::int64_t t1 = 1;
  while (r1 != 0) {
    const std::int64_t q = r0 / r1;
    std::int64_t next = r0 - q * r1;
    r0 = r1;
    r1 = next;
    next = t0 - q * t1;
    t0 = t1;
    t1 = next;
  }
  if (t0 < 0) t0 += static_cast<std::int64_t>(total);
  return static_cast<std::uint64_t>(t0);
}

const char* basename_of(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash != nullptr ? slash + 1 : path;
}

[[noreturn]] void throw_kernel_bug(const char* file, int line, const char* condition) {
  throw KernelBug{std::string(basename_of(file)) + ":" + std::to_string(line), condition};
}

}  // namespace

Sim::Sim(const Config& config, SimObserver& observer, FrameBank* bank)
    : config_(config), observer_(observer), bank_(bank) {
  reset(config);
}

// Only what a run will touch is made: every pfn and frame keeps its boot state
// (set_boot_pfn, boot_frame) until it is first written, and the free lists and host pools
// start as implicit runs.
void Sim::reset(const Config& config) {
  if (const std::string why = validate(config); !why.empty()) throw std::invalid_argument(why);
  config_ = config;
  if (bank_ != nullptr) {
    // The host holds the free frames and the rest; this guest's frame table starts
    // with its own and grows as it takes more (take_free_frame).
    config_.host_free = 0;
    config_.host_other = 0;
  }
  boot_frames_ = config_.nr_pages + config_.host_free + config_.host_other;
  scramble_step_ = scramble_step(boot_frames_);
  unscramble_step_ = inverse_mod(scramble_step_, boot_frames_);
  total_frames_ = boot_frames_;
  frames_.reset(total_frames_);
  pfns_.reset(config_.max_pfn);
  touched_pfns_.clear();
  touched_frames_.clear();
  fresh_list_.clear();
  free_pool_.reset(config_.nr_pages, config_.host_free);
  other_pool_.reset(config_.nr_pages + config_.host_free, config_.host_other);
  const std::uint64_t low = std::min(config.nr_pages, config.max_low_pfn);
  free_low_.reset(0, low);
  free_high_.reset(config.max_low_pfn, config.nr_pages - low);
  populated_count_ = config.nr_pages;
  tot_pages_ = config.nr_pages;
  max_pages_ = config.max_pages;
  capable_ = true;
  jiffies_ = 0;
  timer_pending_ = false;
  timer_expires_ = 0;
  timer_late_ = 0;
  work_pending_ = false;
  work_blocked_until_ = 0;
  mem_pressure_ = 0;
  lent_count_ = 0;
  populate_faults_.clear();
  decrease_faults_.clear();
  alloc_skip_ = 0;
  alloc_fail_ = 0;
  contract_broken_ = false;
  failed_allocations_ = 0;
  hotplug_ = nullptr;
  resources_.clear();
  added_end_ = config_.max_pfn;
  dirty_.clear();
  epoch_ = 1;
}

// Xen populated pfns [0, nr_pages) with the first boot frames; the kernel maps its
// lowmem directly (a PV guest's PTEs name the frame, a translated guest's the guest
// frame number) and every populated page starts free in the allocator.
void Sim::set_boot_pfn(PfnState& state, pfn_t pfn) const {
  if (pfn < config_.nr_pages) {
    set_populated(state, pfn, frame_of(pfn), config_.max_low_pfn, config_.auto_translated);
  } else {
    set_unpopulated(state);
  }
}

// The setters below write every field: a page of the tables is reused from an earlier
// run, so a field they forgot would carry that run's value into this one.
static_assert(sizeof(PfnState) == 24 && sizeof(FrameState) == 8,
              "a new field of PfnState or FrameState needs a line in set_unpopulated, "
              "set_populated and set_boot_frame");

void Sim::set_unpopulated(PfnState& state) {
  state.p2m = kInvalidP2mEntry;
  state.mapped = kInvalidP2mEntry;
  state.dirty_stamp = 0;
  state.page_state = PageState::outside;
  state.lent = 0;
  state.touched = 0;
}

FrameState Sim::boot_frame(std::uint64_t frame) const {
  return frame < boot_frames_ ? boot_frame_at(place_of(frame)) : FrameState{};
}

// A populated pfn booted with the k-th boot frame.
void Sim::set_populated(PfnState& state, pfn_t pfn, std::uint64_t k, pfn_t max_low_pfn,
                        bool translated) {
  state.p2m = kMfnBase + k;
  state.mapped = pfn >= max_low_pfn ? kInvalidP2mEntry : translated ? pfn : state.p2m;
  state.dirty_stamp = 0;
  state.page_state = PageState::free;
  state.lent = 0;
  state.touched = 0;
}

// The k-th frame of the boot order: the guest's first, then the free ones, then the
// other guests'.
FrameState Sim::boot_frame_at(std::uint64_t k) const {
  FrameState state;
  set_boot_frame(state, k, config_.nr_pages, config_.nr_pages + config_.host_free);
  return state;
}

void Sim::set_boot_frame(FrameState& state, std::uint64_t k, std::uint64_t nr_pages,
                         std::uint64_t free_end) {
  state.m2p = k < nr_pages ? static_cast<std::uint32_t>(k) : kNoPfn32;
  state.owner = k < nr_pages    ? FrameOwner::self
                : k >= free_end ? FrameOwner::other
                                : FrameOwner::free;
  state.fresh = 0;
  state.touched = 0;
}

// A page of boot states, as set_boot_pfn and boot_frame give them one by one, with the
// scramble's product stepped by an addition: a page is made for one write, and the
// modulo per entry was most of what making it cost. The configuration is read into
// locals first: a store to an entry's byte-sized fields may alias any object, so the
// compiler would read (and AddressSanitizer check) config_ again for every entry.
void Sim::fill_boot_pfns(pfn_t first, PfnState* entries, std::uint64_t count) const {
  const std::uint64_t nr_pages = config_.nr_pages;
  const std::uint64_t max_low_pfn = config_.max_low_pfn;
  const bool translated = config_.auto_translated;
  const std::uint64_t frames = boot_frames_;
  std::uint64_t i = 0;
  if (first < nr_pages) {
    const std::uint64_t step = scramble_step_ % frames;
    for (std::uint64_t k = frame_of(first); i < count && first + i < nr_pages; ++i) {
      set_populated(entries[i], first + i, k, max_low_pfn, translated);
      k += step;
      if (k >= frames) k -= frames;
    }
  }
  for (; i < count; ++i) set_unpopulated(entries[i]);
}

void Sim::fill_boot_frames(std::uint64_t first, FrameState* entries, std::uint64_t count) const {
  const std::uint64_t nr_pages = config_.nr_pages;
  const std::uint64_t free_end = config_.nr_pages + config_.host_free;
  const std::uint64_t frames = boot_frames_;
  std::uint64_t i = 0;
  if (first < frames) {
    const std::uint64_t step = unscramble_step_ % frames;
    for (std::uint64_t k = place_of(first); i < count && first + i < frames; ++i) {
      set_boot_frame(entries[i], k, nr_pages, free_end);
      k += step;
      if (k >= frames) k -= frames;
    }
  }
  for (; i < count; ++i) entries[i] = FrameState{};
}

// The entry to write, listed as touched the first time.
PfnState& Sim::pfn_entry(pfn_t pfn) {
  PfnState& state =
      pfns_.at(pfn, [this](std::uint64_t first, PfnState* entries, std::uint64_t count) {
        fill_boot_pfns(first, entries, count);
      });
  if (state.touched == 0) {
    state.touched = 1;
    touched_pfns_.push_back(pfn);
  }
  return state;
}

FrameState& Sim::frame_entry(std::uint64_t frame) {
  FrameState& state =
      frames_.at(frame, [this](std::uint64_t first, FrameState* entries, std::uint64_t count) {
        fill_boot_frames(first, entries, count);
      });
  if (state.touched == 0) {
    state.touched = 1;
    touched_frames_.push_back(frame);
  }
  return state;
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
  if (accounted == total_frames_) return;
  std::fprintf(stderr,
               "balloonbench: simulation bug after %s: free %llu + other guests %llu + this "
               "domain %llu != %llu host frames\n",
               after, static_cast<unsigned long long>(free_pool_.size()),
               static_cast<unsigned long long>(other_pool_.size()),
               static_cast<unsigned long long>(tot_pages_),
               static_cast<unsigned long long>(total_frames_));
  std::abort();
}

// Populate a prefix of the extents: as many as the free pool, max_pages and any armed
// limit allow. PV guests get the new mfns written back; auto-translated guests get
// the frames in Xen's physmap and their extents left as gpfns.
long Sim::populate_physmap(Reservation& reservation) {
  AnswerFault fault{false, ~std::uint64_t{0}};
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
    FrameState& state = frame_entry(frame);
    state.owner = FrameOwner::self;
    state.m2p = static_cast<std::uint32_t>(gpfn);
    state.fresh = 1;
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
    const AnswerFault fault = decrease_faults_.front();
    decrease_faults_.pop_front();
    if (config_.contract_breaks && fault.error) {
      contract_broken_ = true;
      return -static_cast<long>(fault.value);
    }
    if (config_.contract_breaks && fault.value < limit) {
      limit = fault.value;
      contract_broken_ = true;
    }
  }
  std::uint64_t done = 0;
  for (; done < limit; ++done) {
    const std::uint64_t extent = reservation.extent_start[done];
    mfn_t mfn = extent;
    if (config_.auto_translated) {
      if (extent >= config_.max_pfn || !populated(extent)) break;
      mfn = p2m_entry(extent);
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
  if (bank_ == nullptr) return free_pool_.pop([this](std::uint64_t k) { return frame_of(k); });
  // From the shared pool: locally, a frame the guest does not own becomes its own, or
  // the table grows by one when it has none left.
  bank_->take();
  if (!other_pool_.empty()) return other_pool_.pop([this](std::uint64_t k) { return frame_of(k); });
  const frame_t frame = static_cast<frame_t>(total_frames_);
  ++total_frames_;
  frames_.grow(total_frames_);
  frame_entry(frame).owner = FrameOwner::other;
  return frame;
}

void Sim::release_frame(frame_t frame) {
  FrameState& state = frame_entry(frame);
  state.owner = FrameOwner::free;
  state.m2p = kNoPfn32;
  state.fresh = 0;
  --tot_pages_;
  if (bank_ == nullptr) {
    free_pool_.push(frame);
    return;
  }
  // Back to the shared pool; locally the frame is no longer the guest's.
  state.owner = FrameOwner::other;
  other_pool_.push(frame);
  bank_->give();
}

int Sim::update_va_mapping(pfn_t pfn, mfn_t mfn) {
  // Only the kernel's direct map of lowmem exists, and Xen maps only frames the
  // domain owns. Clearing an entry (pte 0) is always accepted.
  if (pfn >= config_.max_pfn || page_high_mem(pfn)) return -static_cast<int>(kEinval);
  if (mfn != kInvalidP2mEntry && !mappable(mfn)) return -static_cast<int>(kEinval);
  pfn_entry(pfn).mapped = mfn;
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

bool Sim::kernel_allocation_succeeds() {
  if (alloc_fail_ == 0) return true;
  if (alloc_skip_ > 0) {
    --alloc_skip_;
    return true;
  }
  --alloc_fail_;
  ++failed_allocations_;
  return false;
}

std::optional<pfn_t> Sim::alloc_page(Gfp gfp) {
  if (!kernel_allocation_succeeds()) return std::nullopt;
  LazyStack& list = (gfp == Gfp::balloon && !free_high_.empty()) ? free_high_ : free_low_;
  if (list.empty()) {
    ++failed_allocations_;
    return std::nullopt;
  }
  const pfn_t pfn = list.pop([](std::uint64_t k) { return k; });
  pfn_entry(pfn).page_state = PageState::allocated;
  mark_dirty(pfn);
  return pfn;
}

void Sim::free_page(pfn_t pfn) {
  need_pfn(pfn, "free_page of a pfn beyond max_pfn");
  PfnState& state = pfn_entry(pfn);
  if (state.page_state == PageState::free)
    bug(__FILE__, __LINE__, "Bad page state: free_page of a free page");
  state.page_state = PageState::free;
  (page_high_mem(pfn) ? free_high_ : free_low_).push(static_cast<std::uint32_t>(pfn));
  // The frame behind the page now belongs to the guest's allocator.
  const mfn_t mfn = state.p2m;
  if (frame_valid(mfn) && fresh(mfn)) frame_entry(mfn - kMfnBase).fresh = 0;
  mark_dirty(pfn);
}

// Pages are counted as the allocator sees them: one reference for a page it handed
// out (until freed) or never held, none for a free page.
int Sim::page_count(pfn_t pfn) const {
  need_pfn(pfn, "page_count of a pfn beyond max_pfn");
  return page_state(pfn) == PageState::free ? 0 : 1;
}

void Sim::scrub_page(pfn_t pfn) {
  need_pfn(pfn, "scrub of a pfn beyond max_pfn");
  // Writing to a page with nothing behind it faults the kernel.
  if (!populated(pfn)) bug(__FILE__, __LINE__, "scrub of an unpopulated page");
  // Lowmem is written through the kernel's direct map, in either mode.
  if (!page_high_mem(pfn) && mapping(pfn) == kInvalidP2mEntry) {
    bug(__FILE__, __LINE__, "scrub of an unmapped lowmem page");
  }
}

mfn_t Sim::pfn_to_mfn(pfn_t pfn) const {
  if (config_.auto_translated) return pfn;
  return pfn < config_.max_pfn ? p2m_entry(pfn) : kInvalidP2mEntry;
}

pfn_t Sim::mfn_to_pfn(mfn_t mfn) const {
  if (config_.auto_translated) return mfn;
  return frame_valid(mfn) ? m2p(mfn) : kInvalidP2mEntry;
}

bool Sim::set_phys_to_machine(pfn_t pfn, mfn_t mfn) {
  if (config_.auto_translated) {
    // Xen keeps the P2M; the guest may only state the identity or invalidate.
    if (pfn != mfn && mfn != kInvalidP2mEntry) {
      bug(__FILE__, __LINE__, "set_phys_to_machine(pfn, mfn) with pfn != mfn when auto-translated");
    }
    return true;
  }
  if (pfn >= config_.max_pfn) {
    // Past the guest's memory only a reserved region's entries may be invalidated.
    // Linux's P2M maps those pfns to themselves (identity) until then, and the first
    // entry of each P2M page (512 entries) written costs that page an allocation.
    const auto region = resource_of(pfn);
    if (region == resources_.end() || mfn != kInvalidP2mEntry) {
      throw_kernel_bug(__FILE__, __LINE__, "set_phys_to_machine of a pfn beyond max_pfn");
    }
    if ((pfn == region->first || pfn % kP2mPerPage == 0) && !kernel_allocation_succeeds()) {
      return false;
    }
  }
  set_p2m(pfn, mfn);
  mark_dirty(pfn);
  return true;
}

std::vector<std::pair<pfn_t, std::uint64_t>>::const_iterator Sim::resource_of(pfn_t pfn) const {
  return std::find_if(resources_.begin(), resources_.end(), [pfn](const auto& region) {
    return pfn >= region.first && pfn - region.first < region.second;
  });
}

// Regions go one after another from the last pfn added: Linux's allocate_resource
// also aligns each to a section, which leaves a hole no driver sees.
std::optional<pfn_t> Sim::additional_memory_resource(std::uint64_t pages) {
  pfn_t first = added_end_;
  for (const auto& [start, count] : resources_) first = std::max(first, start + count);
  if (pages == 0 || pages > kHotplugPfnLimit || first > kHotplugPfnLimit - pages) {
    return std::nullopt;
  }
  resources_.emplace_back(first, pages);
  pfns_.grow(first + pages);
  return first;
}

// The region reserved at exactly `first`: any other pfn is the driver's bug.
std::vector<std::pair<pfn_t, std::uint64_t>>::const_iterator Sim::reserved_region(
    pfn_t first, const char* condition) {
  const auto region = resource_of(first);
  if (region == resources_.end() || region->first != first) bug(__FILE__, __LINE__, condition);
  return region;
}

void Sim::release_memory_resource(pfn_t first) {
  resources_.erase(reserved_region(first, "release_memory_resource of a region never reserved"));
}

// The memory is added offline: userspace onlines it (online_memory).
int Sim::add_memory_resource(pfn_t first) {
  constexpr int kEnomem = 12;
  const auto region = reserved_region(first, "add_memory_resource of a region never reserved");
  if (first != added_end_) {
    bug(__FILE__, __LINE__, "add_memory_resource of a region that does not follow memory");
  }
  if (hotplug_ == nullptr) bug(__FILE__, __LINE__, "memory hotplug with no online callback");
  // The new memory's struct pages (its memmap) are the kernel's allocation.
  if (!kernel_allocation_succeeds()) return -kEnomem;
  const std::uint64_t pages = region->second;
  added_end_ += pages;
  resources_.erase(region);
  observer_.memory_added(first, pages);
  return 0;
}

// Each memory block (a section) on: its pfns join the guest, the kernel maps them,
// online_pages hands them to the callback 2^kOnlineOrder at a time, then the notifier.
std::uint64_t Sim::online_memory() {
  const std::uint64_t offline = added_end_ - config_.max_pfn;
  constexpr std::uint64_t kChunk = std::uint64_t{1} << kOnlineOrder;
  while (config_.max_pfn < added_end_) {
    const pfn_t first = config_.max_pfn;
    const std::uint64_t pages =
        std::min<std::uint64_t>(std::uint64_t{1} << kSectionShift, added_end_ - first);
    if (config_.max_low_pfn == config_.max_pfn) config_.max_low_pfn += pages;
    config_.max_pfn += pages;
    // The direct map: a translated guest's PTEs name the pfns themselves; a PV guest's
    // are not present, as its P2M holds no frame for them.
    if (config_.auto_translated) {
      for (pfn_t pfn = first; pfn < first + pages; ++pfn) {
        if (page_high_mem(pfn)) continue;
        pfn_entry(pfn).mapped = pfn;
        mark_dirty(pfn);
      }
    }
    observer_.memory_online(first, pages);
    pfn_t pfn = first;
    for (; first + pages - pfn >= kChunk; pfn += kChunk) hotplug_->online_page(pfn, kOnlineOrder);
    for (; pfn < first + pages; ++pfn) hotplug_->online_page(pfn, 0);
    hotplug_->memory_online();
  }
  return offline;
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
    decrease_faults_.push_back({false, answer});
  }
}

void Sim::arm_decrease_error(std::uint64_t error) {
  const std::uint64_t errno_value = std::clamp<std::uint64_t>(error, 1, kMaxErrno);
  if (config_.contract_breaks && decrease_faults_.size() < kMaxArmedFaults) {
    decrease_faults_.push_back({true, errno_value});
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
  mem_pressure_ = 0;
}

long Sim::si_mem_available() const {
  const std::uint64_t free_pages = free_low_.size() + free_high_.size();
  return free_pages > mem_pressure_ ? static_cast<long>(free_pages - mem_pressure_) : 0;
}

std::uint64_t Sim::host_take(std::uint64_t frames) {
  if (bank_ != nullptr) return bank_->rest_take(frames);
  const std::uint64_t moved = std::min<std::uint64_t>(frames, free_pool_.size());
  for (std::uint64_t i = 0; i < moved; ++i) {
    const frame_t frame = take_free_frame();
    frame_entry(frame).owner = FrameOwner::other;
    other_pool_.push(frame);
  }
  assert_host_conserved("host_take");
  return moved;
}

std::uint64_t Sim::host_free(std::uint64_t frames) {
  if (bank_ != nullptr) return bank_->rest_give(frames);
  const std::uint64_t moved = std::min<std::uint64_t>(frames, other_pool_.size());
  for (std::uint64_t i = 0; i < moved; ++i) {
    const frame_t frame = other_pool_.pop([this](std::uint64_t k) { return frame_of(k); });
    frame_entry(frame).owner = FrameOwner::free;
    free_pool_.push(frame);
  }
  assert_host_conserved("host_free");
  return moved;
}

void Sim::set_max_pages(std::uint64_t pages) { max_pages_ = std::max(pages, tot_pages_); }

void Sim::ensure_free_frames(std::uint64_t frames) {
  if (free_frames() < frames) host_free(frames - free_frames());
  // A shared host does not grow for one guest: its frames are the host's to give.
  if (bank_ != nullptr) return;
  // New frames start free (boot_frame), so growing the host writes nothing per frame.
  if (free_frames() < frames) {
    const std::uint64_t grown = frames - free_frames();
    for (std::uint64_t i = 0; i < grown; ++i)
      free_pool_.push(static_cast<frame_t>(total_frames_ + i));
    total_frames_ += grown;
    frames_.grow(total_frames_);
  }
  assert_host_conserved("ensure_free_frames");
}

void Sim::lend(pfn_t pfn) {
  if (pfn_entry(pfn).lent == 0) ++lent_count_;
  pfn_entry(pfn).lent = 1;
  mark_dirty(pfn);
}

void Sim::unlend(pfn_t pfn) {
  if (pfn_entry(pfn).lent != 0) --lent_count_;
  pfn_entry(pfn).lent = 0;
  mark_dirty(pfn);
}

void Sim::timer_fired() {
  timer_pending_ = false;
  timer_late_ = 0;
}

void Sim::set_p2m(pfn_t pfn, mfn_t mfn) {
  PfnState& state = pfn_entry(pfn);
  const bool was = state.p2m != kInvalidP2mEntry;
  const bool now = mfn != kInvalidP2mEntry;
  state.p2m = mfn;
  if (was && !now) --populated_count_;
  if (!was && now) ++populated_count_;
}

void Sim::mark_dirty(pfn_t pfn) {
  if (pfn >= config_.max_pfn) return;
  PfnState& state = pfn_entry(pfn);
  if (state.dirty_stamp == epoch_) return;
  state.dirty_stamp = epoch_;
  dirty_.push_back(pfn);
}

void Sim::end_step() {
  for (const frame_t frame : fresh_list_) frame_entry(frame).fresh = 0;
  fresh_list_.clear();
  dirty_.clear();
  contract_broken_ = false;
  if (++epoch_ == 0) {
    pfns_.for_each_stored([](PfnState& state) { state.dirty_stamp = 0; });
    epoch_ = 1;
  }
}

}  // namespace balloonbench
