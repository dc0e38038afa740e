#include "run/codec.h"

#include "driver/env.h"

#include <algorithm>
#include <stdexcept>

namespace balloonbench {
namespace {

// An event's kind is read as a byte modulo the number of kinds the file's version
// knows, and an in-flight action's as modulo the number of actions; a new kind or
// action changes what old files mean. Version 1 knew 19 kinds, version 2 knows 22.
constexpr unsigned kEventKindsVersion1 = 19;
static_assert(kEventKinds == 22 && kInFlightActions == 4,
              "a new event kind or in-flight action changes what bytes decode to: bump "
              "kFormatVersion and keep decoding the older versions with their own counts");
static_assert(static_cast<unsigned>(EventKind::decrease_short) + 1 == kEventKindsVersion1,
              "version 1's kinds keep their numbers; new kinds go after them");

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

// A u16 field on a log scale: the top 3 bits pick an octave [lo * 2^o, lo * 2^(o+1)),
// the low 13 bits the offset in it, and the result is capped at hi (which must be at
// most lo * 2^7). Every doubling of size is as likely as any other under random
// mutation, so most inputs describe small, cheap guests while large ones stay
// reachable. The raw value is XORed with the zero value's, as for Range.
struct Octaves {
  std::uint64_t lo;
  std::uint64_t hi;
  std::uint64_t zero;

  static constexpr unsigned kOffsetBits = 13;
  std::uint64_t plain(std::uint64_t value) const {
    unsigned octave = 0;
    while (octave < 7 && (lo << (octave + 1)) <= value) ++octave;
    return (std::uint64_t{octave} << kOffsetBits) | (value - (lo << octave));
  }
  bool contains(std::uint64_t value) const { return value >= lo && value <= hi; }
  std::uint64_t decode(std::uint64_t raw) const {
    const std::uint64_t bits = (raw ^ plain(zero)) & 0xffff;
    const std::uint64_t base = lo << (bits >> kOffsetBits);
    const std::uint64_t offset = bits & ((std::uint64_t{1} << kOffsetBits) - 1);
    return std::min(base + offset % base, hi);
  }
  std::uint64_t encode(std::uint64_t value) const { return plain(value) ^ plain(zero); }
};

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
  void number(std::uint64_t& field, unsigned width, Octaves range) {
    field = range.decode(in.uint(width));
  }
  void flags(bool& first, bool& second) {
    const std::uint8_t raw = in.byte();
    first = (raw & 1U) != 0;
    second = (raw & 2U) != 0;
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
  void number(std::uint64_t& field, unsigned width, Range range) {
    put(range.encode(field), width);
  }
  void number(std::uint64_t& field, unsigned width, Octaves range) {
    put(range.encode(field), width);
  }
  void flags(bool& first, bool& second) { put((first ? 1U : 0U) | (second ? 2U : 0U), 1); }
  void choice(std::uint64_t& field, const std::vector<std::uint64_t>& table) {
    put(static_cast<std::uint64_t>(std::find(table.begin(), table.end(), field) - table.begin()),
        1);
  }
  void text(std::string& field, std::size_t /*max*/) {
    put(field.size(), 1);
    out.insert(out.end(), field.begin(), field.end());
  }
};

struct CheckVisitor {
  std::string what;  // the field being visited, for the message
  std::string error;
  void fail(const std::string& why) {
    if (error.empty()) error = what + ": " + why;
  }
  void number(std::uint64_t& field, unsigned /*width*/, Octaves range) {
    if (!range.contains(field)) {
      fail(std::to_string(field) + " is outside [" + std::to_string(range.lo) + ", " +
           std::to_string(range.hi) + "]");
    }
  }
  void number(std::uint64_t& field, unsigned /*width*/, Range range) {
    if (!range.contains(field)) {
      fail(std::to_string(field) + " is outside [" + std::to_string(range.lo) + ", " +
           std::to_string(range.hi) + "]");
    }
  }
  void flags(bool& /*first*/, bool& /*second*/) {}
  void choice(std::uint64_t& field, const std::vector<std::uint64_t>& table) {
    if (std::find(table.begin(), table.end(), field) == table.end()) {
      fail(std::to_string(field) + " is not one of the encodable values");
    }
  }
  void text(std::string& field, std::size_t max) {
    if (field.size() > max) fail("text longer than " + std::to_string(max) + " bytes");
  }
};

// The configuration layout, the same in every version. Later fields' ranges depend
// on earlier ones.
template <class Visitor>
void visit_config(Config& c, Visitor& v) {
  v.number(c.max_pfn, 2, Octaves{kDecodeMinPfn, kDecodeMaxPfn, 1024});
  const std::uint64_t pfns = c.max_pfn;
  v.number(c.nr_pages, 2, Range{0, pfns, pfns / 2});
  v.flags(c.auto_translated, c.contract_breaks);
  v.number(c.max_low_pfn, 2, Range{1, pfns, pfns});
  v.number(c.max_pages, 2, Range{c.nr_pages, 2 * pfns, pfns});
  v.number(c.host_free, 2, Range{0, pfns, pfns / 4});
  v.number(c.host_other, 2, Range{0, pfns, pfns / 4});
}

// The arguments of each event kind; the kind byte comes before them. A kind keeps its
// layout from the version that introduced it on.
template <class Visitor>
void visit_event_args(Event& e, const Config& c, Visitor& v) {
  const std::uint64_t pages = 2 * c.max_pfn;
  static const std::vector<std::uint64_t> kUnused;
  switch (e.kind) {
    case EventKind::set_target:
      v.number(e.value, 2, Range{0, pages, c.max_pfn});
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
      v.number(e.value, 2, Range{0, pages, c.max_pfn / 4});
      break;
    case EventKind::set_max_pages:
      v.number(e.value, 2, Range{0, pages, c.max_pfn});
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
      v.number(e.value, 2, Range{0, pages, 0});
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
  }
}

// Fields an event kind does not use must hold their defaults to be encodable.
std::string unused_fields_error(const Event& e) {
  const bool uses_extra = e.kind == EventKind::alloc_fail || e.kind == EventKind::in_flight;
  const bool uses_bytes = e.kind == EventKind::xenstore_target || e.kind == EventKind::proc_write ||
                          e.kind == EventKind::sysfs_target_kb || e.kind == EventKind::sysfs_target;
  const bool uses_value = e.kind != EventKind::proc_read && e.kind != EventKind::run_work &&
                          e.kind != EventKind::xenstore_target;
  if (!uses_extra && e.extra != 0) return "extra is not used by this kind and must be 0";
  if (!uses_bytes && !e.bytes.empty()) return "bytes are not used by this kind and must be empty";
  if (!uses_value && e.value != 0) return "value is not used by this kind and must be 0";
  return {};
}

}  // namespace

unsigned event_kinds_in_version(std::uint8_t version) {
  return version == 1 ? kEventKindsVersion1 : kEventKinds;
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
  visit_config(run.config, visitor);
  while (!in.at_end()) {
    Event event;
    event.kind = static_cast<EventKind>(in.byte() % kinds);
    visit_event_args(event, run.config, visitor);
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
  Run copy = run;
  CheckVisitor check{"config", {}};
  visit_config(copy.config, check);
  if (!check.error.empty()) return check.error;
  for (std::size_t i = 0; i < copy.events.size(); ++i) {
    Event& event = copy.events[i];
    check.what = "event #" + std::to_string(i) + " (" + event_kind_name(event.kind) + ")";
    if (static_cast<unsigned>(event.kind) >= kEventKinds) return check.what + ": unknown kind";
    visit_event_args(event, copy.config, check);
    if (!check.error.empty()) return check.error;
    if (std::string why = unused_fields_error(event); !why.empty()) return check.what + ": " + why;
  }
  return {};
}

std::vector<std::uint8_t> encode(const Run& run) {
  if (std::string why = encodable(run); !why.empty()) throw std::invalid_argument(why);
  Run copy = run;
  std::vector<std::uint8_t> out{kFormatVersion};
  EncodeVisitor visitor{out};
  visit_config(copy.config, visitor);
  for (Event& event : copy.events) {
    out.push_back(static_cast<std::uint8_t>(event.kind));
    visit_event_args(event, copy.config, visitor);
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
