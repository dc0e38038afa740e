// RapidCheck generators for the bench's one vocabulary: configurations, events and
// the text written to the two target paths. Every value stays inside the encoding's
// bounds (docs/encoding.md), so any generated run can be saved as a corpus file, and
// every fault outcome (how much a populate answers, which allocation fails, when the
// toolstack writes mid-hypercall) is a generated value that RapidCheck can shrink.
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "run/event.h"

namespace balloonbench {

// How RapidCheck prints the bench's values in a counterexample.
void showValue(const Event& event, std::ostream& os);
void showValue(const Config& config, std::ostream& os);

namespace props {

// A guest: mostly small (fast runs), sometimes above 512 pfns (full batches), one in
// 21 large (4096 to 785,920 pfns, mostly populated: above minimum_target(), so
// targets balloon it down), sometimes with highmem or auto-translated.
// contract_breaks is off: properties judge the driver under legal behaviour.
inline constexpr std::uint64_t kLargeGuestPfns = 2048;  // larger is a large guest
rc::Gen<Config> gen_config();

// One event for `config`: every entry point and every fault but the contract breaks.
rc::Gen<Event> gen_event(const Config& config);
// The boundaries among those, which gen_event mixes in: targets at, one or two off
// and a batch off where the guest booted, Xen's cap at its holdings, the first and
// last allocation a fault can fail, populates cut at 0, 1, 511 and 512, and /proc
// writes of 0, 1, 2, 63, 64 and 65 bytes.
rc::Gen<Event> gen_boundary_event(const Config& config);
// Boundaries that take two events, which gen_events mixes in: the first or the last
// allocation of a balloon-down of 1, 2, 63 or 64 pages failing, and the same for a
// backend borrowing that many pages (alloc_empty_pages).
rc::Gen<std::vector<Event>> gen_boundary_pair(const Config& config);
// Xen refusing a release or a decrease (decrease_error, which breaks its contract):
// the refusal, then a backend borrowing 1 to 64 pages (whose first zero to three
// one-page releases Xen lets through, each answering 1), a balloon-down, or nothing
// (the run's next decrease meets it). Only a configuration with contract_breaks gives
// it effect.
rc::Gen<std::vector<Event>> gen_refusal(const Config& config);
// A backend borrowing 1, 2, 63 or 64 pages more than the guest booted with in its
// balloon (at most the 64 one borrowing takes), then giving back the first borrowing
// still lent: Linux's driver gives Xen pages of its own for those the balloon lacks and
// wakes nobody; the free leaves that credit and must wake the thread.
rc::Gen<std::vector<Event>> gen_borrow_and_return(const Config& config);
// A run's events: gen_event's, gen_boundary_pair's, gen_borrow_and_return's, and
// gen_refusal's when the configuration has contract_breaks.
rc::Gen<std::vector<Event>> gen_events(const Config& config);

// Text for a /proc/xen/balloon write and what it must do: a number in decimal, hex
// (0x or 0X) or octal with an optional K, M or G suffix, or a T, P or E that only
// Linux's memparse reads as one, and sometimes a newline; a 0x with no hex digit
// after it; or a runt or an over-long write.
struct ProcText {
  std::string text;
  std::uint64_t bytes = 0;  // what 2.6.18's memparse must read (when the write is accepted)
  std::size_t used = 0;     // how many bytes of the text it reads (number and suffix)
};
rc::Gen<ProcText> gen_proc_text();

// Text for a sysfs target store and the page count it sets when accepted (two bytes
// or more): for target_kb a KiB count in decimal, hex or octal, sometimes followed by
// a newline or a suffix simple_strtoull does not read; for target a memparse size as
// for /proc (the count as 2.6.18 reads it). Runts of 0 or 1 bytes too. Always within
// the encoding's 32 bytes.
struct SysfsText {
  std::string text;
  std::uint64_t pages = 0;
};
rc::Gen<SysfsText> gen_sysfs_target_kb_text();
rc::Gen<SysfsText> gen_sysfs_target_text();

// Text for the xenstore memory/target value and the KiB it holds, if it parses: a
// number after up to two bytes of any space the kernel knows, or junk.
struct XenstoreText {
  std::string text;
  std::optional<std::uint64_t> kib;
};
rc::Gen<XenstoreText> gen_xenstore_text();
// A write to one of Linux's back-off knobs: a small number in any base, after an
// optional +, or something kstrtoul refuses (a 0x with no digit, a sign alone, a
// number past 64 bits).
rc::Gen<std::string> gen_knob_text();

// `value` written in `base` (10, 16 or 8) the way memparse reads it.
std::string format_number(std::uint64_t value, unsigned base);

}  // namespace props
}  // namespace balloonbench
