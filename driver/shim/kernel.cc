// The kernel of driver/shim/include/bbshim/kernel.h, over Env. Each primitive does
// what the 2.6.18-xen kernel does for the balloon driver at that point, reduced to
// the call the port (driver/xen-2.6.18/balloon.cc) makes through Env there, so that
// the two can be compared call by call.
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "driver/parse.h"
#include "driver/shim/context.h"

using balloonbench::Env;
using balloonbench::Gfp;
using balloonbench::kInvalidP2mEntry;
using balloonbench::MemoryOp;
using balloonbench::pfn_t;
using balloonbench::Reservation;
using balloonbench::shim::context;

namespace balloonbench::shim {
namespace {

Context g_context;
bool g_claimed = false;

}  // namespace

Context& context() { return g_context; }

void claim(Env& environment) {
  if (g_claimed) throw std::logic_error("only one source driver may be alive at a time");
  g_claimed = true;
  g_context = Context{};
  g_context.env = &environment;
}

void release() {
  // A driver that stopped at a BUG left its blocks behind mid-function; the kernel
  // died with them. Otherwise a block still allocated is the driver's leak, and
  // LeakSanitizer should see it.
  if (g_context.crashed) {
    for (void* block : g_context.allocations) std::free(block);
  }
  g_context = Context{};
  g_claimed = false;
}

bool pfn_of(const list_head* entry, pfn_t& pfn) {
  const std::vector<page>& pages = g_context.pages;
  if (pages.empty()) return false;
  const auto address = reinterpret_cast<std::uintptr_t>(entry);
  const auto first = reinterpret_cast<std::uintptr_t>(pages.data());
  const std::uintptr_t end = first + pages.size() * sizeof(page);
  if (address < first || address >= end) return false;
  pfn = (address - first) / sizeof(page);
  return true;
}

}  // namespace balloonbench::shim

namespace {

constexpr unsigned long kDirectMap = 0xffff880000000000UL;
constexpr unsigned long kPtePresent = 0x001UL;
constexpr unsigned long kPteFrameMask = 0x000ffffffffff000UL;
constexpr unsigned kShift = balloonbench::kPageShift;

Env& env() { return *context().env; }

pfn_t pfn_of_vaddr(unsigned long vaddr) { return (vaddr - kDirectMap) >> kShift; }

std::uint64_t frame_of_pte(pte_t pte) {
  return (pte.pte & kPtePresent) != 0 ? (pte.pte & kPteFrameMask) >> kShift : kInvalidP2mEntry;
}

}  // namespace

extern "C" {

struct page* mem_map = nullptr;
unsigned long max_pfn = 0;
unsigned long max_low_pfn = 0;
unsigned long totalram_pages = 0;
unsigned long totalhigh_pages = 0;
unsigned long num_physpages = 0;
static start_info_t g_start_info{};
start_info_t* xen_start_info = &g_start_info;
struct mm_struct init_mm {};

void bbshim_bug(const char* file, int line, const char* condition) {
  context().crashed = true;
  env().bug(file, line, condition);
  std::abort();  // Env::bug does not return
}

int printk(const char* format, ...) {
  va_list args;
  va_start(args, format);
  const int length = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  return length;
}

int bbshim_page_high_mem(const struct page* page) {
  return env().page_high_mem(static_cast<pfn_t>(page - mem_map)) ? 1 : 0;
}

int bbshim_page_count(const struct page* page) {
  return env().page_count(static_cast<pfn_t>(page - mem_map));
}

struct page* bbshim_alloc_page(gfp_t gfp) {
  // GFP_HIGHUSER-based flags may give highmem; GFP_KERNEL only lowmem.
  const Gfp kind = (gfp & 0x02u) != 0 ? Gfp::balloon : Gfp::kernel;
  const std::optional<pfn_t> pfn = env().alloc_page(kind);
  if (!pfn.has_value()) return nullptr;
  return mem_map + *pfn;
}

void bbshim_free_page(struct page* page) { env().free_page(static_cast<pfn_t>(page - mem_map)); }

// The allocator's count is the only one the shim keeps: a page it handed out or never
// held has one reference, a free page none. Dropping a reference from a page that has
// one leaves none; dropping one from a page with none is the kernel's BUG.
int bbshim_put_page_testzero(struct page* page) {
  if (bbshim_page_count(page) == 0) {
    env().bug(__FILE__, __LINE__, "put_page_testzero: the page holds no reference");
  }
  return 1;
}

void bbshim_scrub_pages(void* vaddr, unsigned int count) {
  const pfn_t first = pfn_of_vaddr(reinterpret_cast<unsigned long>(vaddr));
  for (unsigned int i = 0; i < count; ++i) env().scrub_page(first + i);
}

void* bbshim_kmalloc(size_t size) {
  void* block = std::malloc(size == 0 ? 1 : size);
  if (block != nullptr) context().allocations.insert(block);
  return block;
}

void bbshim_kfree(const void* pointer) {
  context().allocations.erase(const_cast<void*>(pointer));
  std::free(const_cast<void*>(pointer));
}

void bbshim_list_added(struct list_head* entry, struct list_head* head, int at_tail) {
  pfn_t pfn = 0;
  pfn_t head_pfn = 0;
  if (!balloonbench::shim::pfn_of(entry, pfn) || balloonbench::shim::pfn_of(head, head_pfn)) {
    return;  // not a page joining a list head of the driver's own
  }
  auto& shim = context();
  if (shim.balloon_head == nullptr) shim.balloon_head = head;
  if (shim.balloon_head != head) {
    env().bug(__FILE__, __LINE__, "the shim follows one list of pages; the driver keeps two");
  }
  shim.on_balloon[pfn] = 1;
  ++shim.balloon_count;
  if (shim.journal != nullptr) {
    shim.journal->push_back(balloonbench::ListOp{
        at_tail != 0 ? balloonbench::ListOp::add_tail : balloonbench::ListOp::add_head, pfn});
  }
}

void bbshim_list_removed(struct list_head* entry) {
  pfn_t pfn = 0;
  auto& shim = context();
  if (!balloonbench::shim::pfn_of(entry, pfn) || shim.on_balloon[pfn] == 0) return;
  if (shim.balloon_head->next != entry) {
    env().bug(__FILE__, __LINE__,
              "a page left the balloon list from elsewhere than its head (the list journal "
              "follows only takes from the head)");
  }
  shim.on_balloon[pfn] = 0;
  --shim.balloon_count;
  if (shim.journal != nullptr) {
    shim.journal->push_back(balloonbench::ListOp{balloonbench::ListOp::take_head, pfn});
  }
}

unsigned long bbshim_jiffies(void) { return env().jiffies(); }

void bbshim_init_timer(struct timer_list* timer) {
  timer->function = nullptr;
  timer->data = 0;
  timer->expires = 0;
  context().timer = timer;
}

int bbshim_mod_timer(struct timer_list* timer, unsigned long expires) {
  context().timer = timer;
  timer->expires = expires;
  env().mod_timer(expires);
  return 0;
}

int bbshim_schedule_work(struct work_struct* work) {
  context().work = work;
  env().schedule_work();
  return 1;
}

int bbshim_capable(int capability) { return capability == 21 && env().capable_sys_admin() ? 1 : 0; }

unsigned long long memparse(const char* text, char** end) {
  const std::string_view view(text, std::strlen(text));
  std::size_t consumed = 0;
  const std::uint64_t value = balloonbench::memparse(view, consumed);
  if (end != nullptr) *end = const_cast<char*>(text + consumed);
  return value;
}

unsigned long long simple_strtoull(const char* text, char** end, unsigned int base) {
  const std::string_view view(text, std::strlen(text));
  std::size_t consumed = 0;
  const std::uint64_t value = balloonbench::simple_strtoull(view, consumed, base);
  if (end != nullptr) *end = const_cast<char*>(text + consumed);
  return value;
}

unsigned long simple_strtoul(const char* text, char** end, unsigned int base) {
  return static_cast<unsigned long>(simple_strtoull(text, end, base));
}

int bbshim_xen_feature(int feature) {
  return feature == 2 /* XENFEAT_auto_translated_physmap */ && env().auto_translated() ? 1 : 0;
}

unsigned long bbshim_pfn_to_mfn(unsigned long pfn) { return env().pfn_to_mfn(pfn); }
unsigned long bbshim_mfn_to_pfn(unsigned long mfn) { return env().mfn_to_pfn(mfn); }
void bbshim_set_phys_to_machine(unsigned long pfn, unsigned long mfn) {
  env().set_phys_to_machine(pfn, mfn);
}
int bbshim_phys_to_machine_mapping_valid(unsigned long pfn) {
  return env().phys_to_machine_mapping_valid(pfn) ? 1 : 0;
}

// set_pte_at on init_mm: under Xen the kernel's PTE write is a hypercall, and the
// kernel BUGs if Xen refuses it.
void bbshim_set_kernel_pte(unsigned long addr, pte_t pte) {
  if (env().update_va_mapping(pfn_of_vaddr(addr), frame_of_pte(pte)) != 0) {
    env().bug(__FILE__, __LINE__, "set_pte_at: Xen refused the kernel mapping");
  }
}

int apply_to_page_range(struct mm_struct*, unsigned long addr, unsigned long size, pte_fn_t fn,
                        void* data) {
  for (unsigned long at = addr; at < addr + size; at += 1UL << kShift) {
    const pfn_t pfn = pfn_of_vaddr(at);
    const std::uint64_t mfn = env().pfn_to_mfn(pfn);
    pte_t pte{mfn == kInvalidP2mEntry ? 0UL : (mfn << kShift) | 0x063UL};
    const int rc = fn(&pte, nullptr, at, data);
    if (rc != 0) return rc;
  }
  return 0;
}

long bbshim_memory_op(unsigned int cmd, void* arg) {
  auto* reservation = static_cast<xen_memory_reservation*>(arg);
  MemoryOp op;
  if (cmd == 6 /* XENMEM_populate_physmap */) {
    op = MemoryOp::populate_physmap;
  } else if (cmd == 1 /* XENMEM_decrease_reservation */) {
    op = MemoryOp::decrease_reservation;
  } else {
    return -38;  // -ENOSYS: the simulation knows no other memory_op
  }
  static_assert(sizeof(xen_pfn_t) == sizeof(std::uint64_t));
  Reservation made{reinterpret_cast<std::uint64_t*>(reservation->extent_start),
                   reservation->nr_extents, reservation->extent_order};
  return env().memory_op(op, made);
}

int bbshim_update_va_mapping(unsigned long va, pte_t pte, unsigned long) {
  return env().update_va_mapping(pfn_of_vaddr(va), frame_of_pte(pte));
}

int register_xenbus_watch(struct xenbus_watch* watch) {
  context().watch = watch;
  return 0;
}

void unregister_xenbus_watch(struct xenbus_watch* watch) {
  if (context().watch == watch) context().watch = nullptr;
}

int xenbus_scanf(struct xenbus_transaction, const char* dir, const char* node, const char* format,
                 ...) {
  if (std::strcmp(dir, "memory") != 0 || std::strcmp(node, "target") != 0) return -2;  // -ENOENT
  if (std::strcmp(format, "%llu") != 0) return -22;                                    // -EINVAL
  const std::optional<std::uint64_t> value = balloonbench::scan_llu(context().xenstore_target);
  if (!value.has_value()) return -22;
  va_list args;
  va_start(args, format);
  *va_arg(args, unsigned long long*) = *value;
  va_end(args);
  return 1;
}

// xenstore is up when the driver boots: the notifier runs at once.
int register_xenstore_notifier(struct notifier_block* nb) {
  nb->notifier_call(nb, 0, nullptr);
  return 0;
}

struct proc_dir_entry* create_xen_proc_entry(const char*, unsigned short mode) {
  auto& shim = context();
  shim.proc = proc_dir_entry{};
  shim.proc.mode = mode;
  shim.proc_created = true;
  return &shim.proc;
}

void remove_xen_proc_entry(const char*) { context().proc_created = false; }

// The driver's sysfs directory (drivers/xen/balloon/sysfs.c in the tree the driver
// comes from): the bench writes its target files through SourceDriver instead.
int balloon_sysfs_init(void) { return 0; }
void balloon_sysfs_exit(void) {}

}  // extern "C"
