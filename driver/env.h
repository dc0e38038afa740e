// The environment interface: everything the balloon core may touch outside its own
// state. The kernel driver reaches Xen through hypercalls, the page allocator, the
// P2M table, a kernel timer and a work queue; here each of those is one method, so the
// same core runs against the simulation in sim.h (or any other implementation).
#pragma once

#include <cstdint>
#include <optional>

namespace balloonbench {

using pfn_t = std::uint64_t;  // guest-physical frame number
using mfn_t = std::uint64_t;  // machine frame number

// The value of a P2M entry that maps nothing (INVALID_P2M_ENTRY).
inline constexpr mfn_t kInvalidP2mEntry = ~mfn_t{0};

// Virtual jiffies per second.
inline constexpr std::uint64_t kHz = 100;

// frame_list is one page of unsigned longs, so a batch holds at most 512 extents.
inline constexpr std::uint64_t kFrameListEntries = 512;

// Bytes per page and the kernel's PAGE_SHIFT.
inline constexpr unsigned kPageShift = 12;

enum class MemoryOp { populate_physmap, decrease_reservation };

// struct xen_memory_reservation: extent_start points into the caller's frame_list.
struct Reservation {
  std::uint64_t* extent_start = nullptr;
  std::uint64_t nr_extents = 0;
  unsigned extent_order = 0;
};

// Which pages an allocation may return: GFP_BALLOON (GFP_HIGHUSER based) prefers
// highmem, GFP_KERNEL only gives lowmem.
enum class Gfp { balloon, kernel };

// Log2 of the pages memory hotplug adds at once (PAGES_PER_SECTION on x86-64: 128 MiB)
// and of those online_pages hands the online callback at once (MAX_ORDER, 4 MiB).
inline constexpr unsigned kSectionShift = 15;
inline constexpr unsigned kOnlineOrder = 10;

// What a driver registers for memory hotplug (Linux's CONFIG_XEN_BALLOON_MEMORY_HOTPLUG):
// set_online_page_callback's callback and a memory notifier. The kernel calls both
// when a memory block the driver added comes online, which userspace asks for.
class MemoryHotplugClient {
 public:
  virtual ~MemoryHotplugClient() = default;
  // The callback, for 2^order pages from `pfn` (struct pages exist, nothing backs them).
  virtual void online_page(pfn_t pfn, unsigned order) = 0;
  // The notifier's MEM_ONLINE, after the block's pages went through online_page.
  virtual void memory_online() = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // HYPERVISOR_memory_op. Returns the number of extents done, or a negative errno.
  virtual long memory_op(MemoryOp op, Reservation& reservation) = 0;
  // HYPERVISOR_update_va_mapping for the kernel's direct mapping of a lowmem pfn.
  // `mfn` is the frame the new PTE carries, or kInvalidP2mEntry to clear the entry
  // (pte 0). A paravirtualised guest's PTEs carry machine frames; an auto-translated
  // guest's carry guest frame numbers, which Xen translates through its physmap.
  // Returns 0, or a negative errno when Xen refuses the mapping.
  virtual int update_va_mapping(pfn_t pfn, mfn_t mfn) = 0;
  // xen_feature(XENFEAT_auto_translated_physmap).
  virtual bool auto_translated() const = 0;

  // Guest page allocator: alloc_page, __free_page, PageHighMem, scrub_pages, page_count.
  virtual std::optional<pfn_t> alloc_page(Gfp gfp) = 0;
  virtual void free_page(pfn_t pfn) = 0;
  virtual bool page_high_mem(pfn_t pfn) const = 0;
  virtual void scrub_page(pfn_t pfn) = 0;
  // page_count: the references held on the page. A page the allocator handed out (and
  // nobody freed) or one it never held has one; a free page has none.
  virtual int page_count(pfn_t pfn) const = 0;

  // The P2M table (phys_to_machine_mapping) and its inverse through the M2P.
  virtual mfn_t pfn_to_mfn(pfn_t pfn) const = 0;
  virtual pfn_t mfn_to_pfn(mfn_t mfn) const = 0;
  // False when the entry cannot be written: Linux's P2M needs a page of its own for a
  // pfn beyond the memory it booted with, and that allocation may fail. 2.6.18's
  // returns nothing; its callers ignore the answer.
  virtual bool set_phys_to_machine(pfn_t pfn, mfn_t mfn) = 0;
  virtual bool phys_to_machine_mapping_valid(pfn_t pfn) const = 0;

  // Time and deferred work: jiffies, mod_timer on the balloon timer, schedule_work
  // on the balloon worker.
  virtual std::uint64_t jiffies() const = 0;
  virtual void mod_timer(std::uint64_t expires) = 0;
  // del_timer: the timer is no longer pending (a thread woken before its timeout).
  virtual void del_timer() = 0;
  virtual void schedule_work() = 0;

  // The guest's memory outlook for Linux's driver: si_mem_available() (pages the
  // kernel could give without swapping) and totalreserve_pages (the allocator's
  // reserve, which the balloon thread treats as the least worth retrying for).
  virtual long si_mem_available() const = 0;
  virtual std::uint64_t totalreserve_pages() const = 0;

  // Memory hotplug. set_online_page_callback and register_memory_notifier, in one.
  virtual void register_memory_hotplug(MemoryHotplugClient& client) = 0;
  // additional_memory_resource: room in the physical address space for `pages` pfns,
  // returned as its first pfn, or nothing when there is none.
  virtual std::optional<pfn_t> additional_memory_resource(std::uint64_t pages) = 0;
  virtual void release_memory_resource(pfn_t first) = 0;
  // add_memory_resource for the region from `first`: struct pages for it, its memory
  // blocks offline. 0, or a negative errno (nothing added).
  virtual int add_memory_resource(pfn_t first) = 0;

  // capable(CAP_SYS_ADMIN) for the writer of /proc/xen/balloon.
  virtual bool capable_sys_admin() const = 0;

  // BUG(): the kernel stops. Implementations must not return.
  [[noreturn]] virtual void bug(const char* file, int line, const char* condition) = 0;
};

}  // namespace balloonbench
