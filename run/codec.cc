#include "run/codec.h"

#include "driver/env.h"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace balloonbench {
namespace {

// An event's kind is read as a byte modulo the number of kinds the file's version
// knows, and an in-flight action's as modulo the number of actions; a new kind or
// action changes what old files mean. Version 1 knew 19 kinds, version 2 22, version
// 3 24, version 4 25, version 5 knows 26.
constexpr unsigned kEventKindsVersion1 = 19;
constexpr unsigned kEventKindsVersion2 = 22;
constexpr unsigned kEventKindsVersion3 = 24;
constexpr unsigned kEventKindsVersion4 = 25;
static_assert(kEventKinds == 26 && kInFlightActions == 4,
              "a new event kind or in-flight action changes what bytes decode to: bump "
              "kFormatVersion and keep decoding the older versions with their own counts");
static_assert(static_cast<unsigned>(EventKind::decrease_short) + 1 == kEventKindsVersion1 &&
                  static_cast<unsigned>(EventKind::sysfs_target) + 1 == kEventKindsVersion2 &&
                  static_cast<unsigned>(EventKind::mem_pressure) + 1 == kEventKindsVersion3 &&
                  static_cast<unsigned>(EventKind::decrease_error) + 1 == kEventKindsVersion4,
              "older versions' kinds keep their numbers; new kinds go after them");

// A field's values are [lo, hi]; the raw value 0 decodes to `zero`, so that an input
// of zero bytes describes a useful guest rather than the smallest one. Arithmetic
// wraps, which lets a range hold negative numbers in two's complement.
struct Range {
  std::uint64_t lo;
  std::uint64_t hi;
  std::uint64_t zero;

  std::uint64_t span() const { return hi - lo + 1; }
  bool contains(std::uint64_t value) const { return value - lo < span(); }
  std::uint64_t decode(std::uint64_t raw) const { return lo + (raw + (zero - lo)) % span(); }
  std::uint64_t encode(std::uint64_t value) const {
    return (value - lo + span() - (zero - lo)) % span();
  }
};

// max_pfn, a u16 on a log scale: the top 3 bits pick an octave [16 * 2^o, 16 * 2^(o+1)),
// the low 13 bits the offset in it. Every doubling of size is as likely as any other
// under random mutation, so most inputs describe small, cheap guests while large ones
// stay reachable. The raw value is XORed with the zero value's, as for Range.
// Versions 1 and 2 cap the last octave at 2048. From version 3 on it holds the large
// guests: bits 10 to 12 pick a large octave [2048 * 2^s, 2048 * 2^(s+1)) and the low 10
// bits a step of 2^(s+1) in it (a 1,024th of the octave), capped at the version's
// largest size. Version 4's last large octave (s = 7) goes in steps of 512 pfns, past
// 2 GiB to kDecodeMaxPfn (large_guest_pfns).
constexpr std::uint64_t kLargeBase = kDecodeMinPfn << 7;  // 2048, where the last octave starts
constexpr unsigned kStepBits = 10;

std::uint64_t max_pfn_in_version(std::uint8_t version) {
  return version >= kHugeGuestsVersion    ? kDecodeMaxPfn
         : version >= kLargeGuestsVersion ? kDecodeMaxPfnVersion3
                                          : kDecodeMaxPfnVersion2;
}

std::uint64_t large_step(std::uint8_t version, unsigned octave) {
  const std::uint64_t base = kLargeBase << octave;
  return version >= kHugeGuestsVersion && octave == 7 ? 512 : base >> kStepBits;
}

struct GuestPfns {
  std::uint8_t version;

  static constexpr std::uint64_t kLo = kDecodeMinPfn;
  static constexpr std::uint64_t kZero = 1024;
  static constexpr unsigned kOffsetBits = 13;

  bool large_guests() const { return version >= kLargeGuestsVersion; }
  std::uint64_t hi() const { return max_pfn_in_version(version); }
  static unsigned large_octave(std::uint64_t value) {
    unsigned large = 0;
    while (large < 7 && (kLargeBase << (large + 1)) <= value) ++large;
    return large;
  }
  std::uint64_t plain(std::uint64_t value) const {
    unsigned octave = 0;
    while (octave < 7 && (kLo << (octave + 1)) <= value) ++octave;
    if (octave < 7) return (std::uint64_t{octave} << kOffsetBits) | (value - (kLo << octave));
    const unsigned large = large_octave(value);
    return (std::uint64_t{7} << kOffsetBits) | (std::uint64_t{large} << kStepBits) |
           ((value - (kLargeBase << large)) / large_step(version, large));
  }
  bool contains(std::uint64_t value) const {
    if (value < kLo || value > hi()) return false;
    if (value < kLargeBase) return true;
    const unsigned large = large_octave(value);
    return (value - (kLargeBase << large)) % large_step(version, large) == 0;
  }
  std::uint64_t decode(std::uint64_t raw) const {
    const std::uint64_t bits = (raw ^ plain(kZero)) & 0xffff;
    const std::uint64_t octave = bits >> kOffsetBits;
    const std::uint64_t offset = bits & ((std::uint64_t{1} << kOffsetBits) - 1);
    const std::uint64_t base = kLo << octave;
    if (octave < 7 || !large_guests()) return std::min(base + offset % base, hi());
    return large_guest_pfns(version, static_cast<unsigned>(offset >> kStepBits),
                            offset & ((std::uint64_t{1} << kStepBits) - 1));
  }
  std::uint64_t encode(std::uint64_t value) const { return plain(value) ^ plain(kZero); }
};

// How many bytes a field in pages or frames takes: 2, or 3 from version 3 on when the
// guest is so large that twice its pfns do not fit in 16 bits.
unsigned page_width(std::uint8_t version, std::uint64_t max_pfn) {
  return version >= kLargeGuestsVersion && 2 * max_pfn > 0xffff ? 3 : 2;
}

// A large guest (version 3 on, more than 2048 pfns) reads its fields in pages in
// windows of kLargeWindow pages around where it booted (codec.h).
bool large_guest(std::uint8_t version, std::uint64_t max_pfn) {
  return version >= kLargeGuestsVersion && max_pfn > kDecodeMaxPfnVersion2;
}
std::uint64_t window_below(std::uint64_t center) {
  return center > kLargeWindow ? center - kLargeWindow : 0;
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool at_end() const { return pos_ >= bytes_.size(); }
  std::size_t pos() const { return pos_; }
  bool truncated() const { return truncated_; }

  std::uint64_t uint(unsigned width) {
    std::uint64_t value = 0;
    for (unsigned i = 0; i < width; ++i) value |= std::uint64_t{byte()} << (8 * i);
    return value;
  }
  std::uint8_t byte() {
    if (pos_ >= bytes_.size()) {
      truncated_ = true;
      return 0;
    }
    return bytes_[pos_++];
  }
  std::string text(std::size_t length) {
    const std::size_t available = std::min(length, bytes_.size() - std::min(pos_, bytes_.size()));
    if (available < length) truncated_ = true;
    std::string out(reinterpret_cast<const char*>(bytes_.data()) + pos_, available);
    pos_ += available;
    return out;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  bool truncated_ = false;
};

// The three things done with a layout: read it, write it, check a run fits it.
struct DecodeVisitor {
  Reader& in;
  void number(std::uint64_t& field, unsigned width, Range range) {
    field = range.decode(in.uint(width));
  }
  void number(std::uint64_t& field, unsigned width, GuestPfns range) {
    field = range.decode(in.uint(width));
  }
  // A flags byte: bits 0 to 2, the third only where the layout knows it.
  void flags(bool& first, bool& second, bool& third, bool third_known) {
    const std::uint8_t raw = in.byte();
    first = (raw & 1U) != 0;
    second = (raw & 2U) != 0;
    third = third_known && (raw & 4U) != 0;
  }
  void choice(std::uint64_t& field, const std::vector<std::uint64_t>& table) {
    field = table[in.byte() % table.size()];
  }
  void text(std::string& field, std::size_t max) { field = in.text(in.byte() % (max + 1)); }
};

struct EncodeVisitor {
  std::vector<std::uint8_t>& out;
  void put(std::uint64_t raw, unsigned width) {
    for (unsigned i = 0; i < width; ++i) out.push_back(static_cast<std::uint8_t>(raw >> (8 * i)));
  }
  void number(const std::uint64_t& field, unsigned width, Range range) {
    put(range.encode(field), width);
  }
  void number(const std::uint64_t& field, unsigned width, GuestPfns range) {
    put(range.encode(field), width);
  }
  void flags(const bool& first, const bool& second, const bool& third, bool third_known) {
    put((first ? 1U : 0U) | (second ? 2U : 0U) | (third_known && third ? 4U : 0U), 1);
  }
  void choice(const std::uint64_t& field, const std::vector<std::uint64_t>& table) {
    put(static_cast<std::uint64_t>(std::find(table.begin(), table.end(), field) - table.begin()),
        1);
  }
  void text(const std::string& field, std::size_t /*max*/) {
    put(field.size(), 1);
    out.insert(out.end(), field.begin(), field.end());
  }
};

struct CheckVisitor {
  // The field being visited, named only when one fails: the fuzzers' mutators ask
  // whether every mutant encodes, and a run that does costs no text. The name is
  // `prefix`, then `index` if set, then ` (kind)` if set.
  std::string_view prefix;
  std::optional<std::size_t> index;
  const char* kind = nullptr;
  std::string error;

  std::string what() const {
    std::string name(prefix);
    if (index.has_value()) name += std::to_string(*index);
    if (kind != nullptr) name += std::string(" (") + kind + ")";
    return name;
  }
  void fail(const std::string& why) {
    if (error.empty()) error = what() + ": " + why;
  }
  void number(const std::uint64_t& field, unsigned /*width*/, GuestPfns range) {
    if (!range.contains(field)) {
      fail(std::to_string(field) + " is outside [" + std::to_string(GuestPfns::kLo) + ", " +
           std::to_string(range.hi()) + "] or between the steps of its octave");
    }
  }
  void number(const std::uint64_t& field, unsigned /*width*/, Range range) {
    if (!range.contains(field)) {
      fail(std::to_string(field) + " is outside [" + std::to_string(range.lo) + ", " +
           std::to_string(range.hi) + "]");
    }
  }
  void flags(const bool& /*first*/, const bool& /*second*/, const bool& third, bool third_known) {
    if (third && !third_known) fail("memory_hotplug is set, but this layout has no bit for it");
  }
  void choice(const std::uint64_t& field, const std::vector<std::uint64_t>& table) {
    if (std::find(table.begin(), table.end(), field) == table.end()) {
      fail(std::to_string(field) + " is not one of the encodable values");
    }
  }
  void text(const std::string& field, std::size_t max) {
    if (field.size() > max) fail("text longer than " + std::to_string(max) + " bytes");
  }
};

// The configuration layout: the same in every version but for max_pfn's largest
// octave, which version 3 gives to large guests, whose fields in pages read in
// windows. Later fields' ranges depend on earlier ones. (A visitor that only reads,
// the check, visits a const configuration or event.)
template <class C, class Visitor>
void visit_config(C& c, Visitor& v, std::uint8_t version) {
  v.number(c.max_pfn, 2, GuestPfns{version});
  const std::uint64_t pfns = c.max_pfn;
  if (large_guest(version, pfns)) {
    const std::uint64_t w = kLargeWindow;
    v.number(c.nr_pages, 2, Range{window_below(pfns), pfns, pfns - w / 2});
    v.flags(c.auto_translated, c.contract_breaks, c.memory_hotplug, version >= kHotplugVersion);
    v.number(c.max_low_pfn, 2, Range{std::max<std::uint64_t>(1, window_below(pfns)), pfns, pfns});
    v.number(c.max_pages, 2, Range{c.nr_pages, c.nr_pages + 2 * w, pfns});
    v.number(c.host_free, 2, Range{0, 2 * w, w / 4});
    v.number(c.host_other, 2, Range{0, 2 * w, w / 4});
    return;
  }
  const unsigned width = page_width(version, pfns);
  v.number(c.nr_pages, width, Range{0, pfns, pfns / 2});
  v.flags(c.auto_translated, c.contract_breaks, c.memory_hotplug, version >= kHotplugVersion);
  v.number(c.max_low_pfn, width, Range{1, pfns, pfns});
  v.number(c.max_pages, width, Range{c.nr_pages, 2 * pfns, pfns});
  v.number(c.host_free, width, Range{0, pfns, pfns / 4});
  v.number(c.host_other, width, Range{0, pfns, pfns / 4});
}

// The arguments of each event kind; the kind byte comes before them. A kind keeps its
// layout from the version that introduced it on.
template <class E, class Visitor>
void visit_event_args(E& e, const Config& c, Visitor& v, std::uint8_t version) {
  const std::uint64_t pages = 2 * c.max_pfn;
  const unsigned width = page_width(version, c.max_pfn);
  const bool large = large_guest(version, c.max_pfn);
  // Targets and caps: anywhere up to twice the guest, or near where a large one booted.
  const TargetWindow window = large_guest_target_window(c.nr_pages);
  const Range target = large ? Range{window.lo, window.hi, c.nr_pages} : Range{0, pages, c.max_pfn};
  const Range cap = large ? Range{c.nr_pages, c.nr_pages + 2 * kLargeWindow, c.max_pfn}
                          : Range{0, pages, c.max_pfn};
  const Range host =
      large ? Range{0, 2 * kLargeWindow, kLargeWindow / 4} : Range{0, pages, c.max_pfn / 4};
  const Range in_flight = large ? Range{window.lo, window.hi, window.lo} : Range{0, pages, 0};
  static const std::vector<std::uint64_t> kUnused;
  switch (e.kind) {
    case EventKind::set_target:
      v.number(e.value, 2, target);
      break;
    case EventKind::xenstore_target:
      v.text(e.bytes, kMaxXenstoreBytes);
      break;
    case EventKind::proc_write:
      v.number(e.value, 1, Range{0, 1, 0});
      v.text(e.bytes, kMaxProcWriteBytes);
      break;
    case EventKind::proc_read:
    case EventKind::run_work:
    case EventKind::online_memory:
      break;
    case EventKind::driver_allowance:
      v.number(e.value, 1, Range{~std::uint64_t{127}, 127, 0});  // [-128, 127]
      break;
    case EventKind::alloc_empty:
      v.number(e.value, 1, Range{0, kMaxAllocEmpty, 1});
      break;
    case EventKind::free_empty:
      v.number(e.value, 1, Range{0, 255, 0});
      break;
    case EventKind::tick:
      v.number(e.value, 2, Range{0, 4 * kHz, kHz});
      break;
    case EventKind::host_take:
    case EventKind::host_free:
      v.number(e.value, 2, host);
      break;
    case EventKind::set_max_pages:
      v.number(e.value, 2, cap);
      break;
    case EventKind::populate_limit:
      v.number(e.value, 2, Range{0, kFrameListEntries, 0});
      break;
    case EventKind::populate_error:
      v.choice(e.value, populate_errnos());
      break;
    case EventKind::alloc_fail:
      v.number(e.value, 1, Range{0, 63, 0});
      v.number(e.extra, 1, Range{1, 64, 1});
      break;
    case EventKind::in_flight:
      v.number(e.extra, 1, Range{0, kInFlightActions - 1, 0});
      v.number(e.value, 2, in_flight);
      break;
    case EventKind::timer_late:
    case EventKind::delay_work:
      v.number(e.value, 2, Range{0, 4 * kHz, kHz / 2});
      break;
    case EventKind::decrease_short:
      v.number(e.value, 2, Range{0, kFrameListEntries - 1, 0});
      break;
    // Version 2.
    case EventKind::release_driver_page:
      v.number(e.value, 1, Range{0, 255, 0});
      break;
    case EventKind::sysfs_target_kb:
    case EventKind::sysfs_target:
      v.number(e.value, 1, Range{0, 1, 0});
      v.text(e.bytes, kMaxSysfsBytes);
      break;
    // Version 3.
    case EventKind::sysfs_knob:
      v.number(e.value, 1, Range{0, kBackoffKnobs - 1, 0});
      v.text(e.bytes, kMaxSysfsBytes);
      break;
    case EventKind::mem_pressure:
      v.number(e.value, width, Range{0, c.max_pfn, c.max_pfn / 2});
      break;
    // Version 4.
    case EventKind::decrease_error:
      v.choice(e.value, populate_errnos());
      break;
  }
}

// Fields an event kind does not use must hold their defaults to be encodable.
std::string unused_fields_error(const Event& e) {
  const bool uses_extra = e.kind == EventKind::alloc_fail || e.kind == EventKind::in_flight;
  const bool uses_bytes = e.kind == EventKind::xenstore_target || e.kind == EventKind::proc_write ||
                          e.kind == EventKind::sysfs_knob || e.kind == EventKind::sysfs_target_kb ||
                          e.kind == EventKind::sysfs_target;
  const bool uses_value = e.kind != EventKind::proc_read && e.kind != EventKind::run_work &&
                          e.kind != EventKind::xenstore_target &&
                          e.kind != EventKind::online_memory;
  if (!uses_extra && e.extra != 0) return "extra is not used by this kind and must be 0";
  if (!uses_bytes && !e.bytes.empty()) return "bytes are not used by this kind and must be empty";
  if (!uses_value && e.value != 0) return "value is not used by this kind and must be 0";
  return {};
}

}  // namespace

unsigned event_kinds_in_version(std::uint8_t version) {
  switch (version) {
    case 1:
      return kEventKindsVersion1;
    case 2:
      return kEventKindsVersion2;
    case 3:
      return kEventKindsVersion3;
    case 4:
      return kEventKindsVersion4;
    default:
      return kEventKinds;
  }
}

TargetWindow large_guest_target_window(std::uint64_t nr_pages) {
  return {window_below(nr_pages), nr_pages + kLargeWindow};
}

std::uint64_t large_guest_pfns(std::uint8_t version, unsigned octave, std::uint64_t step) {
  return std::min((kLargeBase << octave) + step * large_step(version, octave),
                  max_pfn_in_version(version));
}

const std::vector<std::uint64_t>& populate_errnos() {
  // ENOMEM, ENOSYS, EFAULT, EINVAL, ESRCH, EPERM, ENOSPC, EBUSY
  static const std::vector<std::uint64_t> kErrnos{12, 38, 14, 22, 3, 1, 28, 16};
  return kErrnos;
}

Run decode(std::span<const std::uint8_t> bytes, DecodeInfo* info) {
  Reader in(bytes);
  DecodeVisitor visitor{in};
  DecodeInfo local;
  local.version = in.byte();
  // Each known version is read by its own layout; any other first byte is read as the
  // current version and reported, so a tool can refuse a file from a newer format.
  local.known_version = local.version >= kOldestFormatVersion && local.version <= kFormatVersion;
  local.read_as = local.known_version ? local.version : kFormatVersion;
  const unsigned kinds = event_kinds_in_version(local.read_as);

  Run run;
  visit_config(run.config, visitor, local.read_as);
  // Every event takes at least its kind byte: one allocation, not one per doubling.
  run.events.reserve(std::min(kDecodeMaxEvents, bytes.size() - std::min(bytes.size(), in.pos())));
  while (!in.at_end()) {
    Event event;
    event.kind = static_cast<EventKind>(in.byte() % kinds);
    visit_event_args(event, run.config, visitor, local.read_as);
    if (run.events.size() < kDecodeMaxEvents) {
      run.events.push_back(std::move(event));
    } else {
      ++local.events_dropped;
    }
  }
  local.bytes_used = in.pos();
  local.truncated = in.truncated();
  if (info != nullptr) *info = local;
  return run;
}

std::string encodable(const Run& run) {
  if (std::string why = validate(run.config); !why.empty()) return "config: " + why;
  if (run.events.size() > kDecodeMaxEvents) {
    return "more than " + std::to_string(kDecodeMaxEvents) + " events";
  }
  CheckVisitor check{"config", {}, nullptr, {}};
  visit_config(run.config, check, kFormatVersion);
  if (!check.error.empty()) return check.error;
  check.prefix = "event #";
  for (std::size_t i = 0; i < run.events.size(); ++i) {
    const Event& event = run.events[i];
    check.index = i;
    check.kind = event_kind_name(event.kind);
    if (static_cast<unsigned>(event.kind) >= kEventKinds) return check.what() + ": unknown kind";
    visit_event_args(event, run.config, check, kFormatVersion);
    if (!check.error.empty()) return check.error;
    if (std::string why = unused_fields_error(event); !why.empty()) {
      return check.what() + ": " + why;
    }
  }
  return {};
}

std::vector<std::uint8_t> encode(const Run& run) {
  if (std::string why = encodable(run); !why.empty()) throw std::invalid_argument(why);
  std::vector<std::uint8_t> out{kFormatVersion};
  EncodeVisitor visitor{out};
  visit_config(run.config, visitor, kFormatVersion);
  for (const Event& event : run.events) {
    out.push_back(static_cast<std::uint8_t>(event.kind));
    visit_event_args(event, run.config, visitor, kFormatVersion);
  }
  return out;
}

namespace {

// A host's events after the guests' configurations: a selector byte, then a guest's
// event (kind byte and arguments, by that guest's configuration) or a rebalance (the
// guests down and up, and the pages, up to twice the up guest).
template <class Visitor>
void visit_rebalance(HostEvent& e, const HostRun& run, Visitor& v) {
  const std::uint64_t count = run.guests.size();
  std::uint64_t down = e.guest;
  std::uint64_t up = e.peer;
  v.number(down, 1, Range{0, count - 1, 0});
  v.number(up, 1, Range{0, count - 1, 1});
  e.guest = static_cast<std::uint8_t>(down);
  e.peer = static_cast<std::uint8_t>(up);
  const Config& c = run.guests[e.peer];
  v.number(e.pages, page_width(kHostLayoutVersion, c.max_pfn),
           Range{0, 2 * c.max_pfn, c.max_pfn / 4});
}

}  // namespace

bool is_host_encoding(std::span<const std::uint8_t> bytes) {
  return !bytes.empty() && bytes[0] == kHostFormatVersion;
}

HostRun decode_host(std::span<const std::uint8_t> bytes, Variant first, Variant others,
                    HostDecodeInfo* info) {
  Reader in(bytes);
  DecodeVisitor visitor{in};
  HostDecodeInfo local;
  local.known_version = in.byte() == kHostFormatVersion;
  HostRun run;
  const std::size_t count = kMinGuests + in.byte() % (kMaxGuests - kMinGuests + 1);
  bool unused = false;
  bool none = false;
  visitor.flags(run.overcommit, unused, none, false);
  run.guests.resize(count);
  for (Config& config : run.guests) visit_config(config, visitor, kHostLayoutVersion);
  run.variants.assign(count, others);
  run.variants[0] = first;
  while (!in.at_end()) {
    HostEvent event;
    const std::uint8_t selector = in.byte();
    if (selector >= kHostToolstackSelector) {
      event.action = (selector & 1U) != 0 ? HostAction::rebalance_in_flight : HostAction::rebalance;
      visit_rebalance(event, run, visitor);
    } else {
      event.guest = static_cast<std::uint8_t>(selector % count);
      event.event.kind =
          static_cast<EventKind>(in.byte() % event_kinds_in_version(kHostLayoutVersion));
      visit_event_args(event.event, run.guests[event.guest], visitor, kHostLayoutVersion);
    }
    if (run.events.size() < kDecodeMaxHostEvents) {
      run.events.push_back(std::move(event));
    } else {
      ++local.events_dropped;
    }
  }
  local.bytes_used = in.pos();
  local.truncated = in.truncated();
  if (info != nullptr) *info = local;
  return run;
}

std::string encodable(const HostRun& run) {
  if (std::string why = validate(run); !why.empty()) return why;
  if (run.events.size() > kDecodeMaxHostEvents) {
    return "more than " + std::to_string(kDecodeMaxHostEvents) + " events";
  }
  HostRun copy = run;
  CheckVisitor check{"guest ", {}, nullptr, {}};
  for (std::size_t i = 0; i < copy.guests.size(); ++i) {
    check.index = i;
    visit_config(copy.guests[i], check, kHostLayoutVersion);
    if (!check.error.empty()) return check.error;
  }
  check.prefix = "event #";
  for (std::size_t i = 0; i < copy.events.size(); ++i) {
    HostEvent& e = copy.events[i];
    check.index = i;
    if (e.action == HostAction::guest) {
      if (e.pages != 0 || e.peer != 0)
        return check.what() + ": a guest's event has no peer or pages";
      if (static_cast<unsigned>(e.event.kind) >= event_kinds_in_version(kHostLayoutVersion))
        return check.what() + ": unknown kind";
      visit_event_args(e.event, copy.guests[e.guest], check, kHostLayoutVersion);
      if (std::string why = unused_fields_error(e.event); !why.empty())
        return check.what() + ": " + why;
    } else {
      if (e.event != Event{}) return check.what() + ": a rebalance has no guest event";
      visit_rebalance(e, copy, check);
    }
    if (!check.error.empty()) return check.error;
  }
  return {};
}

std::vector<std::uint8_t> encode(const HostRun& run) {
  if (std::string why = encodable(run); !why.empty()) throw std::invalid_argument(why);
  HostRun copy = run;
  std::vector<std::uint8_t> out{kHostFormatVersion,
                                static_cast<std::uint8_t>(copy.guests.size() - kMinGuests)};
  EncodeVisitor visitor{out};
  bool unused = false;
  bool none = false;
  visitor.flags(copy.overcommit, unused, none, false);
  for (Config& config : copy.guests) visit_config(config, visitor, kHostLayoutVersion);
  for (HostEvent& e : copy.events) {
    if (e.action == HostAction::guest) {
      out.push_back(e.guest);
      out.push_back(static_cast<std::uint8_t>(e.event.kind));
      visit_event_args(e.event, copy.guests[e.guest], visitor, kHostLayoutVersion);
    } else {
      out.push_back(static_cast<std::uint8_t>(
          kHostToolstackSelector | (e.action == HostAction::rebalance_in_flight ? 1 : 0)));
      visit_rebalance(e, copy, visitor);
    }
  }
  return out;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t byte : bytes) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<std::uint8_t> out;
  int high = -1;
  for (const char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') continue;
    const int d = digit(c);
    if (d < 0) return std::nullopt;
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + d));
      high = -1;
    }
  }
  if (high >= 0) return std::nullopt;
  return out;
}

}  // namespace balloonbench
