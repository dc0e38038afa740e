// One vocabulary for the whole bench. A Run is a guest configuration plus a list of
// Events; the fuzz decoder, the property generators and the replay tool all produce
// or consume Runs, and World::step (world.h) applies every Event the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "driver/driver.h"
#include "sim/config.h"

namespace balloonbench {

enum class EventKind : std::uint8_t {
  // Entry points of the driver.
  set_target,        // value: pages (balloon_set_new_target)
  xenstore_target,   // bytes: the memory/target value text (KiB)
  proc_write,        // bytes: what is written; value: 1 if the writer lacks CAP_SYS_ADMIN
  proc_read,         //
  driver_allowance,  // value: signed delta (two's complement)
  alloc_empty,       // value: pages to borrow (alloc_empty_pages)
  free_empty,        // value: which borrowed vector to give back, modulo how many
  run_work,          // run the work item if it is pending and allowed to run
  tick,              // value: jiffies to advance; the timer and work run as due
  // The host, changing under the guest.
  host_take,      // value: free frames another guest takes
  host_free,      // value: frames other guests give back
  set_max_pages,  // value: the domain's new cap (never below what it holds)
  // Faults armed for what happens next.
  populate_limit,  // value: the next populate answers at most this many extents
  populate_error,  // value: the next populate answers -value (legacy Xen)
  alloc_fail,      // value: allocations to let through first; extra: then fail this many
  in_flight,       // extra: InFlightAction; value: its argument; done inside the next hypercall
  timer_late,      // value: the next timer expiry fires this many jiffies late
  delay_work,      // value: the work item may not run for this many jiffies
  decrease_short,  // value: the next decrease answers this (breaks Xen's contract; knob)
  // Entry points of the driver added in format version 2 (kinds keep their numbers).
  release_driver_page,  // value: which lent page a frontend hands back, modulo how many
  sysfs_target_kb,      // bytes: what is written (KiB); value: 1 if the writer lacks CAP_SYS_ADMIN
  sysfs_target,         // bytes: what is written (bytes, memparse); value: as sysfs_target_kb
  // Format version 3: Linux's driver (variant mainline).
  sysfs_knob,    // value: BackoffKnob; bytes: what root writes to that sysfs file
  mem_pressure,  // value: pages the guest's own use keeps out of si_mem_available()
  // Format version 4.
  decrease_error,  // value: the next decrease answers -value (breaks Xen's contract; knob)
  // Format version 5.
  online_memory,  // userspace onlines every memory block hotplug added (mainline)
};
inline constexpr unsigned kEventKinds = static_cast<unsigned>(EventKind::online_memory) + 1;

// What happens between a hypercall's request and its answer.
enum class InFlightAction : std::uint8_t { set_target, host_take, host_free, set_max_pages };
inline constexpr unsigned kInFlightActions =
    static_cast<unsigned>(InFlightAction::set_max_pages) + 1;

struct Event {
  EventKind kind = EventKind::run_work;
  std::uint64_t value = 0;
  std::uint64_t extra = 0;
  std::string bytes;

  bool operator==(const Event&) const = default;
};

struct Run {
  Config config;
  std::vector<Event> events;

  bool operator==(const Run&) const = default;
};

const char* event_kind_name(EventKind kind);
const char* in_flight_name(InFlightAction action);

// Constructors, one per kind, so that runs read like the scenario they describe.
namespace events {
Event set_target(std::uint64_t pages);
Event xenstore_target(std::string text);
Event proc_write(std::string text, bool capable = true);
Event proc_read();
Event driver_allowance(std::int64_t delta);
Event alloc_empty(std::uint64_t pages);
Event free_empty(std::uint64_t which);
Event run_work();
Event tick(std::uint64_t jiffies);
Event host_take(std::uint64_t frames);
Event host_free(std::uint64_t frames);
Event set_max_pages(std::uint64_t pages);
Event populate_limit(std::uint64_t extents);
Event populate_error(std::uint64_t error);
Event alloc_fail(std::uint64_t skip, std::uint64_t count);
Event in_flight(InFlightAction action, std::uint64_t value);
Event timer_late(std::uint64_t jiffies);
Event delay_work(std::uint64_t jiffies);
Event decrease_short(std::uint64_t answer);
Event release_driver_page(std::uint64_t which);
Event sysfs_target_kb(std::string text, bool capable = true);
Event sysfs_target(std::string text, bool capable = true);
Event sysfs_knob(BackoffKnob knob, std::string text);
Event mem_pressure(std::uint64_t pages);
Event decrease_error(std::uint64_t error);
Event online_memory();
}  // namespace events

// One line describing the event, e.g. `set_target 900` or `proc_write "512M\n"`.
std::string to_text(const Event& event);
// One line describing the configuration.
std::string to_text(const Config& config);
// Bytes as a C-style quoted string, escaping anything unprintable.
std::string quote_bytes(const std::string& bytes);

}  // namespace balloonbench
