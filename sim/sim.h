// The simulated world around the balloon core (SPEC §2): a host with a pool of
// machine frames, one domain with tot_pages and max_pages, the guest's page
// allocator, P2M table and kernel mappings, virtual jiffies, one retry timer and one
// work item. Faults are armed here, in the environment, and bend only legal
// behaviour; the one exception (a short or an error decrease answer) needs the
// contract_breaks knob. There is no clock and no hidden randomness: the same calls
// give the same run.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "driver/env.h"
#include "sim/bank.h"
#include "sim/config.h"
#include "sim/lazy_table.h"

namespace balloonbench {

// Machine frames are numbered from here, so that no mfn is also a valid pfn and a
// core that confuses the two talks nonsense to Xen.
inline constexpr mfn_t kMfnBase = mfn_t{1} << 24;

// At most this many faults of one kind wait for their hypercall; more are dropped.
inline constexpr std::size_t kMaxArmedFaults = 64;

enum class FrameOwner : std::uint8_t { free, self, other };

// Frames are indexed by mfn - kMfnBase. Indices and the pfns the M2P holds are kept
// in 32 bits (validate() bounds guests and hosts to match), which halves the largest
// per-run arrays.
using frame_t = std::uint32_t;
inline constexpr std::uint32_t kNoPfn32 = ~std::uint32_t{0};

// The guest allocator's view of a pfn: outside it (ballooned, lent, or never
// populated), free in it, or handed out by it.
enum class PageState : std::uint8_t { outside, free, allocated };

// Everything the simulation knows about one pfn and about one machine frame. Entries
// nobody wrote keep their boot state, which Sim computes from the configuration.
struct PfnState {
  mfn_t p2m = kInvalidP2mEntry;     // P2M (Xen's physmap when auto-translated)
  mfn_t mapped = kInvalidP2mEntry;  // the kernel's direct mapping (lowmem only)
  std::uint32_t dirty_stamp = 0;    // == the step's epoch when dirty in this step
  PageState page_state = PageState::outside;
  std::uint8_t lent = 0;
  std::uint8_t touched = 0;  // written since the run began (listed in touched pfns)
};
struct FrameState {
  std::uint32_t m2p = kNoPfn32;
  FrameOwner owner = FrameOwner::free;
  std::uint8_t fresh = 0;    // populate gave it in this step; the allocator has not
  std::uint8_t touched = 0;  // written since the run began (listed in touched frames)
};

// What Sim::bug throws: the guest kernel stopped at a BUG.
struct KernelBug {
  std::string where;
  std::string condition;
};

// Told about everything that crosses the environment boundary, so that the world can
// check invariants, record the trace and act in the middle of a hypercall:
// hypercall_issued runs after the request is made and before Xen answers it, which is
// where the world carries out its in-flight actions.
class SimObserver {
 public:
  virtual ~SimObserver() = default;
  virtual void hypercall_issued(MemoryOp op, const Reservation& reservation) = 0;
  virtual void hypercall_answered(MemoryOp op, const Reservation& reservation, long rc) = 0;
  virtual void timer_armed(std::uint64_t expires) = 0;
  virtual void work_scheduled() = 0;
  // Memory hotplug added pfns [first, first + pages), offline.
  virtual void memory_added(pfn_t first, std::uint64_t pages) = 0;
  // A memory block came online: the guest has pfns [first, first + pages) more, which
  // the online callback is about to be given.
  virtual void memory_online(pfn_t first, std::uint64_t pages) = 0;
};

// How far memory hotplug may grow a guest's pfns: the simulated physical address
// space (Linux's reaches MAX_PHYSMEM_BITS, far more than a run could walk).
inline constexpr std::uint64_t kHotplugPfnLimit = std::uint64_t{1} << 20;

class Sim final : public Env {
 public:
  // With a bank, the guest shares the host's frames with other guests (sim/bank.h):
  // populate takes from the bank, decrease gives back to it, host_take and host_free
  // move frames between it and the rest of the host, and the configuration's own
  // host_free and host_other are read as 0 (the host holds those frames).
  Sim(const Config& config, SimObserver& observer, FrameBank* bank = nullptr);
  // Start again from `config`, as a new Sim would, keeping the memory already
  // allocated. Throws std::invalid_argument (and leaves the Sim unchanged) for a
  // configuration validate() rejects.
  void reset(const Config& config);

  // Env.
  long memory_op(MemoryOp op, Reservation& reservation) override;
  int update_va_mapping(pfn_t pfn, mfn_t mfn) override;
  bool auto_translated() const override { return config_.auto_translated; }
  std::optional<pfn_t> alloc_page(Gfp gfp) override;
  void free_page(pfn_t pfn) override;
  bool page_high_mem(pfn_t pfn) const override { return pfn >= config_.max_low_pfn; }
  void scrub_page(pfn_t pfn) override;
  int page_count(pfn_t pfn) const override;
  mfn_t pfn_to_mfn(pfn_t pfn) const override;
  pfn_t mfn_to_pfn(mfn_t mfn) const override;
  bool set_phys_to_machine(pfn_t pfn, mfn_t mfn) override;
  bool phys_to_machine_mapping_valid(pfn_t pfn) const override;
  std::uint64_t jiffies() const override { return jiffies_; }
  void mod_timer(std::uint64_t expires) override;
  void del_timer() override { timer_pending_ = false; }
  void schedule_work() override;
  // Free pages in the allocator, less the pages a mem_pressure fault holds back.
  long si_mem_available() const override;
  // A fixed share of the guest: max_pfn / 64, at least 32 pages (Linux's is the zones'
  // high watermarks and lowmem reserves, about 1-2% of memory and never nothing).
  std::uint64_t totalreserve_pages() const override {
    return std::max<std::uint64_t>(config_.max_pfn / 64, 32);
  }
  bool capable_sys_admin() const override { return capable_; }
  void register_memory_hotplug(MemoryHotplugClient& client) override { hotplug_ = &client; }
  std::optional<pfn_t> additional_memory_resource(std::uint64_t pages) override;
  void release_memory_resource(pfn_t first) override;
  int add_memory_resource(pfn_t first) override;
  [[noreturn]] void bug(const char* file, int line, const char* condition) override;

  // Faults, armed for what comes next (SPEC §3).
  void arm_populate_limit(std::uint64_t limit);
  void arm_populate_error(std::uint64_t error);
  void arm_decrease_short(std::uint64_t answer);
  // The next decrease answers -error, having removed nothing (only with contract_breaks).
  void arm_decrease_error(std::uint64_t error);
  void arm_alloc_failures(std::uint64_t skip, std::uint64_t count);
  void arm_timer_late(std::uint64_t delay_jiffies);
  void delay_work(std::uint64_t delay_jiffies);
  // The guest's own use of memory, as si_mem_available() sees it: that many pages
  // fewer are available until the next mem_pressure or the heal.
  void arm_mem_pressure(std::uint64_t pages) { mem_pressure_ = pages; }
  // Heal: drop every armed fault and let allocations succeed.
  void clear_faults();

  // The rest of the host. Each returns how many frames actually moved.
  std::uint64_t host_take(std::uint64_t frames);
  std::uint64_t host_free(std::uint64_t frames);
  void set_max_pages(std::uint64_t pages);
  // Make at least `frames` frames free: other guests give theirs back first, then the
  // host grows.
  void ensure_free_frames(std::uint64_t frames);

  // Pages lent to a backend driver by alloc_empty_pages.
  void lend(pfn_t pfn);
  void unlend(pfn_t pfn);
  void set_capable(bool capable) { capable_ = capable; }
  // Userspace onlines every memory block hotplug added (a udev rule writing "online"
  // to each block's state). Returns the pages that came online.
  std::uint64_t online_memory();

  // Time and the work queue, driven by World.
  void set_jiffies(std::uint64_t now) { jiffies_ = now; }
  bool timer_pending() const { return timer_pending_; }
  std::uint64_t timer_expires() const { return timer_expires_; }
  std::uint64_t timer_fire_time() const { return timer_expires_ + timer_late_; }
  void timer_fired();
  bool work_pending() const { return work_pending_; }
  std::uint64_t work_blocked_until() const { return work_blocked_until_; }
  bool work_runnable() const { return work_pending_ && jiffies_ >= work_blocked_until_; }
  void take_work() { work_pending_ = false; }

  // State, for checkers, traces and tests. The configuration's max_pfn (and
  // max_low_pfn, when the guest had no highmem) grows with memory hotplug.
  const Config& config() const { return config_; }
  // Regions additional_memory_resource reserved and nobody added or released.
  std::size_t memory_resources() const { return resources_.size(); }
  // Pages added by memory hotplug and not yet online.
  std::uint64_t offline_pages() const { return added_end_ - config_.max_pfn; }
  std::uint64_t tot_pages() const { return tot_pages_; }
  std::uint64_t max_pages() const { return max_pages_; }
  // Free frames a populate may take: the host's, shared, when the Sim has a bank.
  std::uint64_t free_frames() const { return bank_ != nullptr ? bank_->free() : free_pool_.size(); }
  bool shares_host() const { return bank_ != nullptr; }
  std::uint64_t other_frames() const { return other_pool_.size(); }
  std::uint64_t total_frames() const { return total_frames_; }
  std::uint64_t populated_count() const { return populated_count_; }
  bool populated(pfn_t pfn) const { return pfn_field(pfn, &PfnState::p2m) != kInvalidP2mEntry; }
  mfn_t p2m_entry(pfn_t pfn) const { return pfn_field(pfn, &PfnState::p2m); }
  // The kernel's direct mapping of a lowmem pfn: the frame a PV guest's PTE names, the
  // guest frame number a translated guest's names, or kInvalidP2mEntry.
  mfn_t mapping(pfn_t pfn) const { return pfn_field(pfn, &PfnState::mapped); }
  PageState page_state(pfn_t pfn) const { return pfn_field(pfn, &PfnState::page_state); }
  bool lent(pfn_t pfn) const { return pfn_field(pfn, &PfnState::lent) != 0; }
  std::uint64_t lent_count() const { return lent_count_; }
  bool frame_valid(mfn_t mfn) const { return mfn >= kMfnBase && mfn - kMfnBase < total_frames_; }
  FrameOwner owner(mfn_t mfn) const { return frame_field(mfn - kMfnBase, &FrameState::owner); }
  pfn_t m2p(mfn_t mfn) const {
    const std::uint32_t pfn = frame_field(mfn - kMfnBase, &FrameState::m2p);
    return pfn == kNoPfn32 ? kInvalidP2mEntry : pfn;
  }
  // A frame populate handed out that the guest has not yet given to its allocator.
  bool fresh(mfn_t mfn) const { return frame_field(mfn - kMfnBase, &FrameState::fresh) != 0; }
  // The frame Xen holds behind a pfn (both modes), or kInvalidP2mEntry.
  mfn_t backing_frame(pfn_t pfn) const { return pfn_field(pfn, &PfnState::p2m); }
  // Everything about a pfn below max_pfn, or a frame index below total_frames().
  PfnState pfn_state(pfn_t pfn) const {
    const PfnState* stored = stored_pfn_state(pfn);
    return stored != nullptr ? *stored : boot_pfn_state(pfn);
  }
  // The state of a pfn written since the run began, or nullptr: it is then as it
  // booted (boot_pfn_state). A reader on every page a driver moves takes this one, as
  // AddressSanitizer checks each copy of a whole PfnState as a memcpy of a region.
  const PfnState* stored_pfn_state(pfn_t pfn) const { return pfns_.find(pfn); }
  PfnState boot_pfn_state(pfn_t pfn) const {
    PfnState state;
    set_boot_pfn(state, pfn);
    return state;
  }
  FrameState frame_state(std::uint64_t frame) const {
    const FrameState* stored = frames_.find(frame);
    return stored != nullptr ? *stored : boot_frame(frame);
  }
  // The frame Xen populated the pfn with at boot, or kInvalidP2mEntry.
  mfn_t boot_p2m(pfn_t pfn) const {
    return pfn < config_.nr_pages ? kMfnBase + frame_of(pfn) : kInvalidP2mEntry;
  }
  // Every pfn (frame index) whose state may differ from boot: those written since the
  // run began, each once, in the order first written.
  const std::vector<pfn_t>& touched_pfns() const { return touched_pfns_; }
  const std::vector<std::uint64_t>& touched_frames() const { return touched_frames_; }
  bool contract_broken() const { return contract_broken_; }
  std::uint64_t failed_allocations() const { return failed_allocations_; }

  // pfns whose state changed since the last clear, each listed once.
  const std::vector<pfn_t>& dirty_pfns() const { return dirty_; }
  bool dirty(pfn_t pfn) const { return pfn_field(pfn, &PfnState::dirty_stamp) == epoch_; }
  // End of a step: forget dirty pfns, fresh frames and the contract-break flag.
  void end_step();

 private:
  // A populate's or a decrease's armed answer: at most `value` extents, or -value.
  struct AnswerFault {
    bool error;
    std::uint64_t value;
  };

  // One field of a pfn's or a frame's state, without copying the rest.
  template <class Field>
  Field pfn_field(pfn_t pfn, Field PfnState::*field) const {
    const PfnState* stored = pfns_.find(pfn);
    return stored != nullptr ? stored->*field : boot_pfn_state(pfn).*field;
  }
  template <class Field>
  Field frame_field(std::uint64_t frame, Field FrameState::*field) const {
    const FrameState* stored = frames_.find(frame);
    return stored != nullptr ? stored->*field : boot_frame(frame).*field;
  }
  // Boot state (SPEC §1.2): the k-th boot frame is frame k * step mod total; the
  // first nr_pages of them back pfns 0, 1, ..., then come the free frames and other
  // guests' frames. Frames the host grew later start free.
  std::uint64_t frame_of(std::uint64_t k) const { return k * scramble_step_ % boot_frames_; }
  // The inverse: a boot frame's place k in the boot order.
  std::uint64_t place_of(std::uint64_t frame) const {
    return frame * unscramble_step_ % boot_frames_;
  }
  // A pfn's boot state, and that of one not populated at boot, written field by field
  // into `state` (a whole PfnState copied is a memcpy).
  void set_boot_pfn(PfnState& state, pfn_t pfn) const;
  FrameState boot_frame(std::uint64_t frame) const;
  static void set_unpopulated(PfnState& state);
  // A pfn populated at boot with the k-th boot frame, and the k-th boot frame's state,
  // from the configuration's values: a loop over a page of entries passes them in
  // registers (Sim::fill_boot_pfns).
  static void set_populated(PfnState& state, pfn_t pfn, std::uint64_t k, pfn_t max_low_pfn,
                            bool translated);
  static void set_boot_frame(FrameState& state, std::uint64_t k, std::uint64_t nr_pages,
                             std::uint64_t free_end);
  FrameState boot_frame_at(std::uint64_t k) const;
  // set_boot_pfn and boot_frame of [first, first + count), for a new page of the tables.
  void fill_boot_pfns(pfn_t first, PfnState* entries, std::uint64_t count) const;
  void fill_boot_frames(std::uint64_t first, FrameState* entries, std::uint64_t count) const;
  PfnState& pfn_entry(pfn_t pfn);
  FrameState& frame_entry(std::uint64_t frame);

  long populate_physmap(Reservation& reservation);
  long decrease_reservation(Reservation& reservation);
  bool mappable(mfn_t frame) const;
  // An allocation the kernel makes for itself (a P2M or memmap page): false when an
  // armed alloc_fail makes it fail. The page itself is not taken from the guest.
  bool kernel_allocation_succeeds();
  // The reserved region holding pfn, or resources_.end().
  std::vector<std::pair<pfn_t, std::uint64_t>>::const_iterator resource_of(pfn_t pfn) const;
  // The region reserved at exactly `first`; any other pfn is a BUG (`condition`).
  std::vector<std::pair<pfn_t, std::uint64_t>>::const_iterator reserved_region(
      pfn_t first, const char* condition);
  frame_t take_free_frame();
  void release_frame(frame_t frame);
  void set_p2m(pfn_t pfn, mfn_t mfn);
  void mark_dirty(pfn_t pfn);
  void need_pfn(pfn_t pfn, const char* what) const;
  // Host conservation: free + other guests' + this domain's frames == all frames.
  void assert_host_conserved(const char* after) const;

  Config config_;
  SimObserver& observer_;
  FrameBank* bank_ = nullptr;

  // How boot frames are scattered (frame_of) and back again.
  std::uint64_t boot_frames_ = 0;
  std::uint64_t scramble_step_ = 1;
  std::uint64_t unscramble_step_ = 1;

  // Xen: frames (index = mfn - kMfnBase), their owners, the M2P, the domain.
  LazyTable<FrameState, 6> frames_;
  std::uint64_t total_frames_ = 0;
  std::vector<frame_t> fresh_list_;
  LazyStack free_pool_;
  LazyStack other_pool_;
  std::uint64_t tot_pages_ = 0;
  std::uint64_t max_pages_ = 0;

  // The guest: P2M (Xen's physmap when auto-translated), kernel mappings of lowmem
  // (frames for a PV guest, guest frame numbers for a translated one), the
  // allocator's state and free lists, pages lent to backends.
  LazyTable<PfnState, 8> pfns_;
  std::vector<pfn_t> touched_pfns_;
  std::vector<std::uint64_t> touched_frames_;
  LazyStack free_low_;
  LazyStack free_high_;
  std::uint64_t populated_count_ = 0;
  bool capable_ = true;

  // Time and work.
  std::uint64_t jiffies_ = 0;
  bool timer_pending_ = false;
  std::uint64_t timer_expires_ = 0;
  std::uint64_t timer_late_ = 0;
  bool work_pending_ = false;
  std::uint64_t work_blocked_until_ = 0;
  std::uint64_t mem_pressure_ = 0;
  std::uint64_t lent_count_ = 0;  // pfns lent to backends

  // Memory hotplug: the registered client; the end of the pfns added, online ones
  // below max_pfn and offline ones from there; and the regions reserved (first pfn,
  // pages), each after the pfns added and the regions before it.
  MemoryHotplugClient* hotplug_ = nullptr;
  pfn_t added_end_ = 0;
  std::vector<std::pair<pfn_t, std::uint64_t>> resources_;

  // Armed faults.
  std::deque<AnswerFault> populate_faults_;
  std::deque<AnswerFault> decrease_faults_;
  std::uint64_t alloc_skip_ = 0;
  std::uint64_t alloc_fail_ = 0;
  bool contract_broken_ = false;
  std::uint64_t failed_allocations_ = 0;

  // Dirty tracking: a pfn is listed when its stamp differs from the current epoch.
  std::vector<pfn_t> dirty_;
  std::uint32_t epoch_ = 1;

  // Lets the checker's own tests corrupt one fact at a time (tests/ only).
  friend struct SimTestPeer;
};

}  // namespace balloonbench
