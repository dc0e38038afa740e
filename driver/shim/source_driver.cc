#include "driver/shim/source_driver.h"

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "driver/parse.h"
#include "driver/shim/context.h"
#include "driver/shim/include/bbshim/source_unit.h"

namespace balloonbench {
namespace {

// Copies that AddressSanitizer does not check: the renamed sections hold the
// driver's globals and the redzones between them.
// The accesses are volatile so that the compiler cannot turn the loops into memcpy
// and memset calls, which AddressSanitizer intercepts and checks anyway.
__attribute__((no_sanitize("address"))) void copy_bytes(char* to, const char* from,
                                                        std::size_t count) {
  volatile char* out = to;
  const volatile char* in = from;
  for (std::size_t i = 0; i < count; ++i) out[i] = in[i];
}
__attribute__((no_sanitize("address"))) void zero_bytes(char* to, std::size_t count) {
  volatile char* out = to;
  for (std::size_t i = 0; i < count; ++i) out[i] = 0;
}

// The unit's initialised data as it was before any run.
const std::vector<char>& boot_data() {
  static const std::vector<char> saved = [] {
    std::vector<char> bytes(static_cast<std::size_t>(__stop_bbsrc_data - __start_bbsrc_data));
    copy_bytes(bytes.data(), __start_bbsrc_data, bytes.size());
    return bytes;
  }();
  return saved;
}

void reset_statics() {
  const std::vector<char>& saved = boot_data();
  copy_bytes(__start_bbsrc_data, saved.data(), saved.size());
  zero_bytes(__start_bbsrc_bss, static_cast<std::size_t>(__stop_bbsrc_bss - __start_bbsrc_bss));
}

// The /proc write handler copies `count` bytes into a 64-byte stack buffer and parses
// up to its NUL: bytes past `count` are whatever the stack held. Zeroing the stack
// below the caller first makes them zero, so the same input gives the same run.
__attribute__((noinline)) void clear_stack_below() {
  volatile char scratch[4096];
  for (volatile char& byte : scratch) byte = 0;  // volatile stores: never elided
}

// Calls the handler with its frame well inside what clear_stack_below() zeroed: the
// top of that function's own frame (return address, saved registers, a sanitizer's
// frame header) is a band it cannot clear, so the handler must start below it.
__attribute__((noinline)) int write_below_cleared(write_proc_t* handler, const char* data,
                                                  unsigned long count, void* arg) {
  [[maybe_unused]] volatile char pad[512];
  pad[0] = 0;  // a volatile store: the frame keeps its size
  return handler(nullptr, data, count, arg);
}

class SourceDriver final : public Driver {
 public:
  explicit SourceDriver(Env& env) {
    (void)boot_data();  // taken before the first run touches anything
    shim::claim(env);
    reset_statics();
  }
  // A backend still holding a lent vector gives it up with the driver.
  ~SourceDriver() override {
    for (auto& entry : lent_) bbshim_kfree(entry.second);
    shim::release();
  }
  SourceDriver(const SourceDriver&) = delete;
  SourceDriver& operator=(const SourceDriver&) = delete;

  void balloon_init(pfn_t guest_max_pfn, pfn_t nr_pages) override {
    shim::Context& shim = shim::context();
    shim.pages.assign(guest_max_pfn, page{});
    shim.on_balloon.assign(guest_max_pfn, 0);
    ::mem_map = shim.pages.data();
    ::max_pfn = guest_max_pfn;
    ::num_physpages = guest_max_pfn;
    ::totalram_pages = 0;
    ::max_low_pfn = lowmem_end(*shim.env, guest_max_pfn);
    // The kernel counts every highmem pfn at boot; the driver takes the ballooned
    // ones off as it appends them.
    ::totalhigh_pages = guest_max_pfn - ::max_low_pfn;
    ::xen_start_info->nr_pages = nr_pages;
    const int rc = bbsrc_call_init();
    if (rc != 0) shim.env->bug(__FILE__, __LINE__, "the driver's init function failed");
  }

  void balloon_set_new_target(std::uint64_t target) override { ::balloon_set_new_target(target); }

  void watch_target(std::string_view value) override {
    shim::Context& shim = shim::context();
    shim.xenstore_target.assign(value);
    if (shim.watch == nullptr || shim.watch->callback == nullptr) return;
    const char* vec[2] = {"memory/target", ""};
    shim.watch->callback(shim.watch, vec, 2);
  }

  long balloon_write(std::string_view buffer) override {
    const shim::Context& shim = shim::context();
    if (!shim.proc_created || shim.proc.write_proc == nullptr) return -5;  // -EIO
    clear_stack_below();
    return write_below_cleared(shim.proc.write_proc, buffer.data(), buffer.size(), shim.proc.data);
  }

  std::string balloon_read() const override {
    const shim::Context& shim = shim::context();
    if (!shim.proc_created || shim.proc.read_proc == nullptr) return {};
    std::vector<char> text(4096, '\0');
    char* start = nullptr;
    int eof = 0;
    const int length = shim.proc.read_proc(text.data(), &start, 0, 4096, &eof, shim.proc.data);
    return length > 0 ? std::string(text.data(), static_cast<std::size_t>(length)) : std::string();
  }

  void balloon_release_driver_page(pfn_t pfn) override {
    ::balloon_release_driver_page(::mem_map + pfn);
  }

  // The sysfs stores live in the driver's sysfs.c, not in balloon.c: the shim stands
  // in for them (as 2.6.18-xen's do: the admin capability, a runt check, then the
  // number, KiB for target_kb, a memparse size for target), and calls the driver's
  // balloon_set_new_target.
  long store_target_kb(std::string_view buffer) override {
    if (const long refused = store_refused(buffer)) return refused;
    std::size_t end = 0;
    const std::uint64_t target_bytes = simple_strtoull(buffer, end, 0) << 10;
    ::balloon_set_new_target(target_bytes >> kPageShift);
    return static_cast<long>(buffer.size());
  }

  long store_target(std::string_view buffer) override {
    if (const long refused = store_refused(buffer)) return refused;
    std::size_t end = 0;
    const std::uint64_t target_bytes = memparse(buffer, end);
    ::balloon_set_new_target(target_bytes >> kPageShift);
    return static_cast<long>(buffer.size());
  }

  // A 2.6.18-xen style driver: every entry point but Linux's back-off knobs.
  bool has(OptionalEntry entry) const override { return entry != OptionalEntry::backoff_knobs; }

  void balloon_update_driver_allowance(std::int64_t delta) override {
    ::balloon_update_driver_allowance(static_cast<long>(delta));
  }

  std::optional<std::vector<pfn_t>> alloc_empty_pages(std::size_t nr_pages) override {
    page** pagevec = ::alloc_empty_pages_and_pagevec(static_cast<int>(nr_pages));
    if (pagevec == nullptr) return std::nullopt;
    std::vector<pfn_t> pfns(nr_pages);
    for (std::size_t i = 0; i < nr_pages; ++i) {
      pfns[i] = static_cast<pfn_t>(pagevec[i] - ::mem_map);
    }
    lent_.emplace_back(pfns, pagevec);
    return pfns;
  }

  void free_empty_pages(const std::vector<pfn_t>& pfns) override {
    page** pagevec = nullptr;
    for (auto it = lent_.begin(); it != lent_.end(); ++it) {
      if (it->first == pfns) {
        pagevec = it->second;
        lent_.erase(it);
        break;
      }
    }
    if (pagevec == nullptr) {
      // Pages the driver did not lend: hand them over in a vector of the kernel's own.
      pagevec = static_cast<page**>(bbshim_kmalloc(sizeof(page*) * pfns.size()));
      for (std::size_t i = 0; i < pfns.size(); ++i) pagevec[i] = ::mem_map + pfns[i];
    }
    // free_empty_pages_and_pagevec kfree()s the vector.
    ::free_empty_pages_and_pagevec(pagevec, static_cast<int>(pfns.size()));
  }

  void balloon_process() override {
    const shim::Context& shim = shim::context();
    if (shim.work != nullptr && shim.work->func != nullptr) shim.work->func(shim.work->data);
  }

  void balloon_alarm() override {
    const shim::Context& shim = shim::context();
    if (shim.timer != nullptr && shim.timer->function != nullptr) {
      shim.timer->function(shim.timer->data);
    }
  }

  std::uint64_t current_pages() const override { return stats().current_pages; }
  std::uint64_t totalram_pages() const override { return ::totalram_pages; }
  std::uint64_t target_pages() const override { return stats().target_pages; }
  std::uint64_t balloon_low() const override { return stats().balloon_low; }
  std::uint64_t balloon_high() const override { return stats().balloon_high; }
  std::uint64_t driver_pages() const override { return stats().driver_pages; }
  std::uint64_t hard_limit() const override { return stats().hard_limit; }

  // current_target() as the 2.6.18-xen drivers compute it (the function is the
  // file's own): the target, under the hard limit if any, never above what the
  // balloon can give back.
  std::uint64_t current_target() const override {
    const bbsrc_stats now = stats();
    std::uint64_t target = std::min<std::uint64_t>(now.target_pages, now.hard_limit);
    const std::uint64_t reachable = now.current_pages + now.balloon_low + now.balloon_high;
    return std::min(target, reachable);
  }

  std::size_t balloon_list_size() const override { return shim::context().balloon_count; }

  std::vector<pfn_t> balloon_list_pages() const override {
    const shim::Context& shim = shim::context();
    std::vector<pfn_t> pfns;
    if (shim.balloon_head == nullptr) return pfns;
    for (const list_head* at = shim.balloon_head->next; at != shim.balloon_head; at = at->next) {
      pfn_t pfn = 0;
      if (!shim::pfn_of(at, pfn) || pfns.size() > shim.pages.size()) break;  // corrupt list
      pfns.push_back(pfn);
    }
    return pfns;
  }

  void set_list_journal(std::vector<ListOp>* journal) override {
    shim::context().journal = journal;
  }

 private:
  static long store_refused(std::string_view buffer) {
    if (!shim::context().env->capable_sys_admin()) return -1;  // -EPERM
    if (buffer.size() <= 1) return -74;                        // -EBADMSG: a runt
    return 0;
  }

  static bbsrc_stats stats() {
    bbsrc_stats out{};
    bbsrc_read_stats(&out);
    return out;
  }

  // max_low_pfn: highmem, if any, is the top of the guest's pfns.
  static pfn_t lowmem_end(const Env& env, pfn_t guest_max_pfn) {
    pfn_t low = 0;
    pfn_t high = guest_max_pfn;
    while (low < high) {
      const pfn_t mid = low + (high - low) / 2;
      if (env.page_high_mem(mid)) {
        high = mid;
      } else {
        low = mid + 1;
      }
    }
    return low;
  }

  std::vector<std::pair<std::vector<pfn_t>, page**>> lent_;
};

}  // namespace

bool source_driver_pre_patch() { return BALLOONBENCH_DRIVER_SOURCE_PRE_PATCH != 0; }
const char* source_driver_path() { return BALLOONBENCH_DRIVER_SOURCE_PATH; }

std::unique_ptr<Driver> make_source_driver(Env& env) { return std::make_unique<SourceDriver>(env); }

}  // namespace balloonbench
