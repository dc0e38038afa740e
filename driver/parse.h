// The number parsers behind the two target paths, ported from the kernel the driver
// ran on. They take a string_view and never look past its end: the /proc write path
// must only read the `count` bytes the writer gave it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace balloonbench {

// The kernel's ctype for the bytes these parsers look at (Latin-1 table: 0xA0 counts
// as space, as in lib/ctype.c).
bool kernel_isspace(unsigned char c);

// simple_strtoull: base 0 picks octal after a leading 0, hex after 0x (only when a hex
// digit follows), else decimal. No sign, no leading space. Wraps on overflow like the
// original. `end` receives the index of the first byte not consumed.
std::uint64_t simple_strtoull(std::string_view text, std::size_t& end, unsigned base);

// memparse: simple_strtoull in base 0 followed by an optional size suffix (either case),
// each a further multiplication by 1024: K, M or G in the 2.6.18 kernel, and also T, P
// or E in Linux's (`linux_suffixes`).
std::uint64_t memparse(std::string_view text, std::size_t& end, bool linux_suffixes = false);

// xenbus_scanf(..., "%llu", ...): skip leading space, require a decimal digit, then
// read decimal digits. Returns nothing when the conversion fails.
std::optional<std::uint64_t> scan_llu(std::string_view text);

// kstrtoul(text, 0, &value), as sysfs's device_store_ulong calls it: an optional '+',
// digits in the base the prefix picks (0x then a hex digit: hex; 0: octal; else
// decimal), at most one newline, then the end of the string, which a NUL byte also
// is (the kernel reads a NUL-terminated copy of the write). 0 and `value` set, else
// -EINVAL (no digit, or anything else after them) or -ERANGE (over 64 bits).
long kstrtoul(std::string_view text, std::uint64_t& value);

}  // namespace balloonbench
