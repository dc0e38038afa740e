// What a write to one of the driver's text files must do, worked out from the kernel's
// parsing rules by code of its own, not by the drivers' parsers (driver/parse.h): the
// oracle behind `text-target`. A parser that reads a wrong but legal number breaks no
// state invariant; this catches it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "driver/driver.h"

namespace balloonbench {

// The files a target is written through, and Linux's back-off knobs.
enum class TextFile { proc, xenstore, sysfs_target_kb, sysfs_target, sysfs_knob };

// The two driver families' rules: the 2.6.18-xen driver (fixed, legacy and the source
// drivers built through the kernel shim) and Linux's (mainline).
enum class TextRules { xen_2_6_18, mainline };
TextRules text_rules(Variant variant);

// What the write answers and, when the driver takes it, the value it stores: the page
// count it asks for (before 2.6.18's floor), or a knob's new value. A xenstore value
// has no answer: `answer` is 0, and `value` empty when the value does not scan.
struct ExpectedWrite {
  long answer = 0;
  std::optional<std::uint64_t> value;
};
// Root writes a knob; `capable` is about the target files.
ExpectedWrite expected_write(TextRules rules, TextFile file, std::string_view bytes, bool capable);

// The target_pages a write to a target file must leave, given what expected_write
// says of it: the target before for a write refused or a value that does not scan;
// else the pages asked for, under 2.6.18's floor for that driver (xen_2_6_18_target,
// from max_pfn, the target before and what the guest could reach then).
std::uint64_t expected_target(TextRules rules, const ExpectedWrite& expected, std::uint64_t max_pfn,
                              std::uint64_t target_before, std::uint64_t reachable_before);

// simple_strtoull(text, &end, base) on a NUL-terminated string, as the kernel shim
// offers it to a source driver, which may name any base: the value (wrapping past 64
// bits) and the index of the first byte not read.
struct ReadNumber {
  std::uint64_t value = 0;
  std::size_t end = 0;
  bool operator==(const ReadNumber&) const = default;
};
ReadNumber expected_strtoull(std::string_view text, unsigned base);

// The target 2.6.18's balloon_set_new_target sets for a request of `pages`: never below
// the floor of max_pfn (8 MiB plus a share of memory) unless the current target
// (target_pages, at most what the guest holds and has ballooned) is lower still.
std::uint64_t xen_2_6_18_target(std::uint64_t pages, std::uint64_t max_pfn,
                                std::uint64_t target_pages, std::uint64_t reachable);

}  // namespace balloonbench
