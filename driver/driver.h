// What a balloon driver offers the bench: its entry points, its work and timer
// functions, and its state, read-only. Every driver the bench runs (the ports, and a
// user's own balloon.c built through the kernel shim) implements Driver and reaches
// the world only through Env (env.h); make_driver builds one by variant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "driver/balloon_list.h"
#include "driver/env.h"
#include "driver/mutation.h"

namespace balloonbench {

// Which driver runs. `fixed` and `legacy` are the 2.6.18-xen port after and before
// "balloon: try harder to balloon up under memory pressure"; `source` is a balloon.c
// built through the kernel shim (only in builds configured with one); `mainline` is
// the port of Linux's drivers/xen/balloon.c (driver/linux/balloon.h).
enum class Variant { fixed, legacy, source, mainline };

const char* variant_name(Variant variant);
std::optional<Variant> parse_variant(std::string_view name);
// The variants this build can run, in declaration order.
const std::vector<Variant>& available_variants();
// Whether the variant is judged as a driver from before the patch (with a hard limit):
// the catalogue expects it to break the invariants legacy breaks.
bool pre_patch(Variant variant);

// hard_limit when no limit is latched (~0UL), and for drivers that have none.
inline constexpr std::uint64_t kNoHardLimit = ~std::uint64_t{0};

// Entry points only some drivers have: the 2.6.18 drivers' /proc/xen/balloon file,
// driver allowance and driver page release; Linux's writable back-off knobs.
// What a write to a file a driver does not have answers, negated: ENOENT.
inline constexpr long kAbsentEntryErrno = 2;

enum class OptionalEntry { proc_file, driver_allowance, release_driver_page, backoff_knobs };

// The sysfs back-off knobs of Linux's driver that a root writer may set
// (/sys/devices/system/xen_memory/xen_memory0/max_schedule_delay, max_retry_count).
enum class BackoffKnob : std::uint8_t { max_schedule_delay, max_retry_count };
inline constexpr unsigned kBackoffKnobs = 2;
const char* backoff_knob_name(BackoffKnob knob);

// The state of a driver that balloons from a kernel thread with back-off (Linux's):
// balloon_state and the balloon_stats fields that steer the thread.
struct ThreadState {
  enum class Bp : std::uint8_t { done, wait, eagain, ecanceled };
  Bp state = Bp::done;
  std::uint64_t schedule_delay = 1;  // seconds
  std::uint64_t max_schedule_delay = 32;
  std::uint64_t retry_count = 1;
  std::uint64_t max_retry_count = 0;  // 0: unlimited
  std::uint64_t target_unpopulated = 0;
  bool sleeping = false;  // waiting on balloon_thread_wq (else runnable)
};
const char* bp_state_name(ThreadState::Bp state);

class Driver {
 public:
  virtual ~Driver() = default;

  // balloon_init: the guest booted with `nr_pages` of its `max_pfn` pfns populated.
  virtual void balloon_init(pfn_t max_pfn, pfn_t nr_pages) = 0;

  // Entry points (SPEC §1.7).
  virtual void balloon_set_new_target(std::uint64_t target) = 0;
  virtual void watch_target(std::string_view value) = 0;  // xenstore memory/target (KiB)
  virtual std::optional<std::vector<pfn_t>> alloc_empty_pages(std::size_t nr_pages) = 0;
  virtual void free_empty_pages(const std::vector<pfn_t>& pagevec) = 0;
  // The sysfs stores of /sys/devices/system/xen_memory/xen_memory0: target_kb takes a
  // number of KiB, target a memparse size in bytes. `buffer` is what was written, its
  // size the store's count. Each returns the count or a negative errno.
  virtual long store_target_kb(std::string_view buffer) = 0;
  virtual long store_target(std::string_view buffer) = 0;

  // Entry points only some drivers have. has() says which; the world skips an event
  // for one a driver lacks, as opening a file that is not there fails. A driver
  // overrides those it has: the defaults below answer for the ones it lacks (a write
  // -ENOENT, a read nothing, a call nothing), so a port holds only its original's code.
  virtual bool has(OptionalEntry entry) const = 0;
  // /proc/xen/balloon (OptionalEntry::proc_file): the count or a negative errno, and
  // what a read shows.
  virtual long balloon_write(std::string_view /*buffer*/) { return -kAbsentEntryErrno; }
  virtual std::string balloon_read() const { return {}; }
  // OptionalEntry::driver_allowance: frontends' pages the driver counts as theirs.
  virtual void balloon_update_driver_allowance(std::int64_t /*delta*/) {}
  // OptionalEntry::release_driver_page: a frontend driver hands back a page with no
  // memory behind it, one it had counted in its allowance: the page joins the balloon
  // and driver_pages drops by one.
  virtual void balloon_release_driver_page(pfn_t /*page*/) {}
  // OptionalEntry::backoff_knobs: a write to a back-off knob: the count, or a negative
  // errno.
  virtual long store_backoff_knob(BackoffKnob /*knob*/, std::string_view /*buffer*/) {
    return -kAbsentEntryErrno;
  }

  // The work function and the timer function. A driver with a kernel thread maps its
  // thread onto them: the work item is the thread made runnable (balloon_process runs
  // one pass of its loop, up to its next wait), the timer is its wait's timeout.
  virtual void balloon_process() = 0;
  virtual void balloon_alarm() = 0;

  // The driver's state.
  virtual std::uint64_t current_pages() const = 0;
  virtual std::uint64_t totalram_pages() const = 0;
  virtual std::uint64_t target_pages() const = 0;
  virtual std::uint64_t balloon_low() const = 0;
  virtual std::uint64_t balloon_high() const = 0;
  virtual std::uint64_t driver_pages() const = 0;
  virtual std::uint64_t hard_limit() const = 0;  // kNoHardLimit when none
  virtual std::uint64_t current_target() const = 0;
  // The thread and its back-off, for a driver that has them.
  virtual std::optional<ThreadState> thread_state() const { return std::nullopt; }
  // The balloon list, from its head.
  virtual std::size_t balloon_list_size() const = 0;
  virtual std::vector<pfn_t> balloon_list_pages() const = 0;

  // Route every balloon list operation to `journal` (nullptr to stop).
  virtual void set_list_journal(std::vector<ListOp>* journal) = 0;

  // A copy of this driver over the same Env, its journal detached, or nullptr. Only a
  // driver whose balloon_init reads the Env and writes nothing to it offers one: a
  // copy made right after balloon_init is then the whole of a boot, which the World
  // keeps to start the next run of the same boot from (World::reset).
  virtual std::unique_ptr<Driver> copy_booted() const { return nullptr; }
  // Become what `booted` is, in place, keeping this driver's journal and reusing its
  // memory. `booted` must be a driver of the same kind (variant and mutation) over the
  // same Env, one that copy_booted made; the caller knows the kinds (World does). A
  // driver that offers no copy_booted has nothing to become.
  virtual void assign_booted(const Driver& /*booted*/) {
    throw std::logic_error("assign_booted on a driver that offers no copy_booted");
  }

 protected:
  Driver() = default;
  Driver(const Driver&) = default;
  Driver& operator=(const Driver&) = delete;
};

// The driver of `variant` over `env`. A mutation other than none must belong to the
// variant (mutation_variant); throws std::invalid_argument otherwise, or for a variant
// this build cannot run. `memory_hotplug` builds Linux's driver (mainline) with
// CONFIG_XEN_BALLOON_MEMORY_HOTPLUG; the other variants have no such option.
std::unique_ptr<Driver> make_driver(Env& env, Variant variant, Mutation mutation,
                                    bool memory_hotplug = false);

}  // namespace balloonbench
