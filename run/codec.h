// The binary encoding of a Run, shared by the fuzz targets, the corpus, the property
// suite's saved counterexamples and balloon-repro. The layout is documented in
// docs/encoding.md; this header is its only implementation.
//
// Decoding is total: every byte string decodes to a valid, bounded run, so a fuzzer's
// mutations are never wasted. Encoding is the inverse on the runs decoding can give
// (decode(encode(run)) == run); encodable() says why another run is not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "run/event.h"
#include "run/host.h"

namespace balloonbench {

// The first byte of every encoded run. Bump it when a byte string would decode to a
// different run, and keep decoding the old versions: version 1 knows the first 19
// event kinds, version 2 adds release_driver_page, sysfs_target_kb and sysfs_target,
// version 3 reads guests of up to kDecodeMaxPfnVersion3 pfns and adds sysfs_knob and
// mem_pressure, version 4 adds decrease_error and guests of up to kDecodeMaxPfn pfns,
// version 5 reads the flags byte's bit 2 as memory_hotplug (docs/encoding.md).
inline constexpr std::uint8_t kFormatVersion = 5;
inline constexpr std::uint8_t kOldestFormatVersion = 1;
// The first version whose guests go past kDecodeMaxPfnVersion2 pfns.
inline constexpr std::uint8_t kLargeGuestsVersion = 3;
// The first version whose largest octave reaches past 1 GiB, to kDecodeMaxPfn.
inline constexpr std::uint8_t kHugeGuestsVersion = 4;
// The first version with a memory_hotplug flag (older files ignore that bit).
inline constexpr std::uint8_t kHotplugVersion = 5;
// The layout a host's configurations and guest events are read with (docs/encoding.md,
// "Hosts"): version 3's, so that a host file keeps its meaning.
inline constexpr std::uint8_t kHostLayoutVersion = 3;

// The number of event kinds a version's kind byte is read modulo.
unsigned event_kinds_in_version(std::uint8_t version);

// Bounds on one decoded run. max_pfn is read on a log scale (docs/encoding.md), so
// most decoded guests are small and a run costs well under a millisecond; one in
// eight is a large guest (more than 2,048 pfns, up to kDecodeMaxPfn), whose boot
// costs what balloon_init does for the pfns it balloons.
inline constexpr std::uint64_t kDecodeMinPfn = 16;
// Version 4's largest octave starts at 1 GiB (2^18 pfns) and goes in steps of 512
// pfns, so that it holds 2 GiB exactly, where 2.6.18's minimum_target() changes slope.
inline constexpr std::uint64_t kDecodeMaxPfn = (std::uint64_t{1} << 18) + 1023 * 512;
inline constexpr std::uint64_t kDecodeMaxPfnVersion3 = std::uint64_t{1} << 18;
inline constexpr std::uint64_t kDecodeMaxPfnVersion2 = 2048;
// The size of a large guest in version `version`'s octave `octave` (1 to 7: 2048 *
// 2^octave pfns on) at step `step` (0 to 1023) of it, capped at that version's largest.
std::uint64_t large_guest_pfns(std::uint8_t version, unsigned octave, std::uint64_t step);
// A large guest (version 3 on, more than kDecodeMaxPfnVersion2 pfns) reads its fields
// in pages in windows of this many pages around where it booted (docs/encoding.md), so
// that a decoded run boots and moves a few batches, as on a small guest, whatever its
// size.
inline constexpr std::uint64_t kLargeWindow = 4096;
// The targets a large guest that booted with `nr_pages` pages reads its numeric
// targets in, both ends included: kLargeWindow either side of nr_pages (from 0 at the
// lowest). The fuzz targets hold its text targets to the same window
// (fuzz/text_window.h).
struct TargetWindow {
  std::uint64_t lo;
  std::uint64_t hi;
};
TargetWindow large_guest_target_window(std::uint64_t nr_pages);
inline constexpr std::size_t kDecodeMaxEvents = 256;
inline constexpr std::size_t kMaxXenstoreBytes = 24;
inline constexpr std::size_t kMaxProcWriteBytes = 72;  // past the 64-byte buffer: -EFBIG
inline constexpr std::size_t kMaxSysfsBytes = 32;      // any number with a suffix and some junk
inline constexpr std::uint64_t kMaxAllocEmpty = 64;

// The errno values a negative populate or decrease may answer, in encoding order.
const std::vector<std::uint64_t>& populate_errnos();

struct DecodeInfo {
  std::uint8_t version = 0;        // the first byte as found
  bool known_version = false;      // false: read as the current version
  std::uint8_t read_as = 0;        // the version whose layout the run was read with
  std::size_t bytes_used = 0;      // bytes the run was read from
  bool truncated = false;          // the input ended inside a field (read as zeros)
  std::size_t events_dropped = 0;  // whole events past kDecodeMaxEvents, not read
};

Run decode(std::span<const std::uint8_t> bytes, DecodeInfo* info = nullptr);

// Empty when encode() can write `run`, else the first reason it cannot.
std::string encodable(const Run& run);
// Throws std::invalid_argument when encodable() is not empty.
std::vector<std::uint8_t> encode(const Run& run);

// A host of several guests (run/host.h) has its own encoding, told apart by its first
// byte, 'H' (docs/encoding.md, "Hosts"): a guest count, a flags byte, each guest's
// configuration as above, then events, each a selector byte followed by a guest's
// event in the current run layout or by a toolstack rebalance. Decoding is total here
// too. Variants are not encoded: host_variants() gives them.
inline constexpr std::uint8_t kHostFormatVersion = 'H';
inline constexpr std::size_t kDecodeMaxHostEvents = 256;
// Selector bytes from here on are toolstack actions; below it, guest selector % count.
inline constexpr std::uint8_t kHostToolstackSelector = 0xC0;

struct HostDecodeInfo {
  bool known_version = false;  // the first byte is kHostFormatVersion
  std::size_t bytes_used = 0;
  bool truncated = false;
  std::size_t events_dropped = 0;
};

// Every guest runs `others` but guest 0, which runs `first`.
HostRun decode_host(std::span<const std::uint8_t> bytes, Variant first, Variant others,
                    HostDecodeInfo* info = nullptr);
std::string encodable(const HostRun& run);
std::vector<std::uint8_t> encode(const HostRun& run);
// Whether `bytes` are a host's encoding rather than a run's (by the first byte).
bool is_host_encoding(std::span<const std::uint8_t> bytes);

std::string to_hex(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

}  // namespace balloonbench
