#include "run/event.h"

#include <array>
#include <cstdio>
#include <iterator>
#include <utility>

namespace balloonbench {
namespace {

constexpr const char* kEventNames[] = {
    "set_target",      "xenstore_target", "proc_write",     "proc_read",      "driver_allowance",
    "alloc_empty",     "free_empty",      "run_work",       "tick",           "host_take",
    "host_free",       "set_max_pages",   "populate_limit", "populate_error", "alloc_fail",
    "in_flight",       "timer_late",      "delay_work",     "decrease_short", "release_driver_page",
    "sysfs_target_kb", "sysfs_target",    "sysfs_knob",     "mem_pressure",   "decrease_error",
    "online_memory"};
static_assert(std::size(kEventNames) == kEventKinds, "every EventKind needs its name, in order");

constexpr const char* kInFlightNames[] = {"set_target", "host_take", "host_free", "set_max_pages"};
static_assert(std::size(kInFlightNames) == kInFlightActions,
              "every InFlightAction needs its name, in order");

std::string number(std::uint64_t value) { return std::to_string(value); }

}  // namespace

const char* event_kind_name(EventKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < std::size(kEventNames) ? kEventNames[index] : "?";
}

const char* in_flight_name(InFlightAction action) {
  const auto index = static_cast<std::size_t>(action);
  return index < std::size(kInFlightNames) ? kInFlightNames[index] : "?";
}

std::string quote_bytes(const std::string& bytes) {
  std::string out = "\"";
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    switch (byte) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (byte >= 0x20 && byte < 0x7f) {
          out += c;
        } else {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", byte);
          out += hex;
        }
    }
  }
  return out + "\"";
}

std::string to_text(const Event& event) {
  std::string out = event_kind_name(event.kind);
  switch (event.kind) {
    case EventKind::xenstore_target:
      return out + " " + quote_bytes(event.bytes);
    case EventKind::proc_write:
    case EventKind::sysfs_target_kb:
    case EventKind::sysfs_target:
      return out + " " + quote_bytes(event.bytes) +
             (event.value != 0 ? " (without CAP_SYS_ADMIN)" : "");
    case EventKind::proc_read:
    case EventKind::run_work:
    case EventKind::online_memory:
      return out;
    case EventKind::driver_allowance:
      return out + " " + std::to_string(static_cast<std::int64_t>(event.value));
    case EventKind::free_empty:
    case EventKind::release_driver_page:
      return out + " #" + number(event.value);
    case EventKind::populate_error:
      return out + " -" + number(event.value);
    case EventKind::alloc_fail:
      return out + " after " + number(event.value) + " fail " + number(event.extra);
    case EventKind::in_flight:
      return out + " " +
             in_flight_name(static_cast<InFlightAction>(event.extra % kInFlightActions)) + " " +
             number(event.value);
    case EventKind::decrease_short:
      return out + " " + number(event.value) + " (breaks Xen's contract)";
    case EventKind::decrease_error:
      return out + " -" + number(event.value) + " (breaks Xen's contract)";
    case EventKind::sysfs_knob:
      return out + " " + backoff_knob_name(static_cast<BackoffKnob>(event.value % kBackoffKnobs)) +
             " " + quote_bytes(event.bytes);
    default:
      return out + " " + number(event.value);
  }
}

namespace events {
namespace {
Event make(EventKind kind, std::uint64_t value = 0, std::uint64_t extra = 0,
           std::string bytes = {}) {
  return Event{kind, value, extra, std::move(bytes)};
}
}  // namespace

Event set_target(std::uint64_t pages) { return make(EventKind::set_target, pages); }
Event xenstore_target(std::string text) {
  return make(EventKind::xenstore_target, 0, 0, std::move(text));
}
Event proc_write(std::string text, bool capable) {
  return make(EventKind::proc_write, capable ? 0 : 1, 0, std::move(text));
}
Event proc_read() { return make(EventKind::proc_read); }
Event driver_allowance(std::int64_t delta) {
  return make(EventKind::driver_allowance, static_cast<std::uint64_t>(delta));
}
Event alloc_empty(std::uint64_t pages) { return make(EventKind::alloc_empty, pages); }
Event free_empty(std::uint64_t which) { return make(EventKind::free_empty, which); }
Event run_work() { return make(EventKind::run_work); }
Event tick(std::uint64_t jiffies) { return make(EventKind::tick, jiffies); }
Event host_take(std::uint64_t frames) { return make(EventKind::host_take, frames); }
Event host_free(std::uint64_t frames) { return make(EventKind::host_free, frames); }
Event set_max_pages(std::uint64_t pages) { return make(EventKind::set_max_pages, pages); }
Event populate_limit(std::uint64_t extents) { return make(EventKind::populate_limit, extents); }
Event populate_error(std::uint64_t error) { return make(EventKind::populate_error, error); }
Event alloc_fail(std::uint64_t skip, std::uint64_t count) {
  return make(EventKind::alloc_fail, skip, count);
}
Event in_flight(InFlightAction action, std::uint64_t value) {
  return make(EventKind::in_flight, value, static_cast<std::uint64_t>(action));
}
Event timer_late(std::uint64_t jiffies) { return make(EventKind::timer_late, jiffies); }
Event delay_work(std::uint64_t jiffies) { return make(EventKind::delay_work, jiffies); }
Event decrease_short(std::uint64_t answer) { return make(EventKind::decrease_short, answer); }
Event release_driver_page(std::uint64_t which) {
  return make(EventKind::release_driver_page, which);
}
Event sysfs_target_kb(std::string text, bool capable) {
  return make(EventKind::sysfs_target_kb, capable ? 0 : 1, 0, std::move(text));
}
Event sysfs_target(std::string text, bool capable) {
  return make(EventKind::sysfs_target, capable ? 0 : 1, 0, std::move(text));
}
Event sysfs_knob(BackoffKnob knob, std::string text) {
  return make(EventKind::sysfs_knob, static_cast<std::uint64_t>(knob), 0, std::move(text));
}
Event mem_pressure(std::uint64_t pages) { return make(EventKind::mem_pressure, pages); }
Event decrease_error(std::uint64_t error) { return make(EventKind::decrease_error, error); }
Event online_memory() { return make(EventKind::online_memory, 0); }
}  // namespace events

std::string to_text(const Config& config) {
  std::string out = "max_pfn=" + number(config.max_pfn) + " nr_pages=" + number(config.nr_pages) +
                    " max_low_pfn=" + number(config.max_low_pfn) +
                    (config.auto_translated ? " auto-translated" : " pv") +
                    " max_pages=" + number(config.max_pages) +
                    " host_free=" + number(config.host_free) +
                    " host_other=" + number(config.host_other);
  if (config.contract_breaks) out += " contract_breaks";
  if (config.memory_hotplug) out += " memory_hotplug";
  return out;
}

}  // namespace balloonbench
