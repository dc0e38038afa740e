#include "fuzz/text_window.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "run/codec.h"

namespace balloonbench::fuzz {

bool text_target_outside_window(const Config& config, const Event& event, TextRules rules) {
  if (config.max_pfn <= kDecodeMaxPfnVersion2) return false;
  TextFile file = TextFile::proc;
  switch (event.kind) {
    case EventKind::proc_write:
      break;
    case EventKind::xenstore_target:
      file = TextFile::xenstore;
      break;
    case EventKind::sysfs_target_kb:
      file = TextFile::sysfs_target_kb;
      break;
    case EventKind::sysfs_target:
      file = TextFile::sysfs_target;
      break;
    default:
      return false;
  }
  const std::optional<std::uint64_t> pages =
      expected_write(rules, file, event.bytes, event.value == 0).value;
  if (!pages.has_value()) return false;
  const TargetWindow window = large_guest_target_window(config.nr_pages);
  return *pages < window.lo || *pages > window.hi;
}

bool text_target_outside_window(const Run& run, TextRules rules) {
  return std::any_of(run.events.begin(), run.events.end(), [&](const Event& event) {
    return text_target_outside_window(run.config, event, rules);
  });
}

bool text_target_outside_window(const HostRun& run) {
  return std::any_of(run.events.begin(), run.events.end(), [&](const HostEvent& event) {
    return event.action == HostAction::guest && event.guest < run.guests.size() &&
           event.guest < run.variants.size() &&
           text_target_outside_window(run.guests[event.guest], event.event,
                                      text_rules(run.variants[event.guest]));
  });
}

}  // namespace balloonbench::fuzz
