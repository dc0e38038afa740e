#include "run/text_model.h"

#include <algorithm>

namespace balloonbench {
namespace {

// errno values, as the kernel's headers number them.
constexpr long kEPERM = 1;
constexpr long kENOENT = 2;
constexpr long kEINVAL = 22;
constexpr long kEFBIG = 27;
constexpr long kERANGE = 34;
constexpr long kEBADMSG = 74;

// 2.6.18's /proc/xen/balloon copies a write into char[64] and ends it at its last byte.
constexpr std::size_t kProcBuffer = 64;
constexpr unsigned kPageBits = 12;

// The bytes as C sees them: past the end of the write there is its terminating NUL.
class Text {
 public:
  explicit Text(std::string_view bytes) : bytes_(bytes) {}
  unsigned char operator[](std::size_t i) const {
    return i < bytes_.size() ? static_cast<unsigned char>(bytes_[i]) : '\0';
  }

 private:
  std::string_view bytes_;
};

// The value of `c` as a digit in any base up to 16, or 16 when it is none.
unsigned digit_of(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const unsigned char lower = static_cast<unsigned char>(c | 0x20);
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10U;
  return 16;
}

struct Number {
  std::uint64_t value = 0;
  std::size_t end = 0;     // the first byte not read
  std::size_t digits = 0;  // digits read after the radix prefix
  bool wrapped = false;    // the value went past 64 bits (and wrapped)
};

// Digits of `radix` from `at` on, as unsigned long long arithmetic folds them.
Number fold_digits(const Text& text, std::size_t at, unsigned radix) {
  Number number;
  number.end = at;
  for (unsigned d = digit_of(text[at]); d < radix; d = digit_of(text[number.end])) {
    std::uint64_t times = 0;
    const bool over = __builtin_mul_overflow(number.value, std::uint64_t{radix}, &times);
    number.wrapped =
        __builtin_add_overflow(times, std::uint64_t{d}, &number.value) || over || number.wrapped;
    ++number.end;
    ++number.digits;
  }
  return number;
}

// Where the digits start and their radix, for base 0: "0x" and a hex digit is hex, a
// leading 0 octal, anything else decimal.
std::pair<std::size_t, unsigned> radix_of(const Text& text, std::size_t at) {
  if (text[at] != '0') return {at, 10};
  if ((text[at + 1] | 0x20) == 'x' && digit_of(text[at + 2]) < 16) return {at + 2, 16};
  return {at, 8};
}

// simple_strtoull(text, &end, 0).
Number read_unsigned(const Text& text) {
  const auto [start, radix] = radix_of(text, 0);
  return fold_digits(text, start, radix);
}

// memparse: the number, then one optional size suffix. 2.6.18 knows K, M and G;
// Linux also T, P and E.
std::uint64_t read_size(const Text& text, TextRules rules) {
  const Number number = read_unsigned(text);
  const std::string_view suffixes = rules == TextRules::mainline ? "kmgtpe" : "kmg";
  // Setting bit 5 maps only a letter's capital onto it.
  const std::size_t found = suffixes.find(static_cast<char>(text[number.end] | 0x20));
  if (found == std::string_view::npos) return number.value;
  return number.value << (10 * (found + 1));
}

bool kernel_space(unsigned char c) { return c == ' ' || (c >= 9 && c <= 13) || c == 0xA0; }

}  // namespace

TextRules text_rules(Variant variant) {
  return variant == Variant::mainline ? TextRules::mainline : TextRules::xen_2_6_18;
}

namespace {

// kstrtoul(text, 0, &value) behind a DEVICE_ULONG_ATTR store: an optional '+', digits
// in the prefix's radix, one optional newline, then the end (a NUL ends the kernel's
// copy of the write). A value past 64 bits is -ERANGE, anything else wrong -EINVAL.
ExpectedWrite knob_write(std::string_view bytes) {
  const Text text(bytes);
  const std::size_t sign = text[0] == '+' ? 1 : 0;
  const auto [start, radix] = radix_of(text, sign);
  const Number number = fold_digits(text, start, radix);
  ExpectedWrite out;
  if (number.wrapped) {
    out.answer = -kERANGE;
    return out;
  }
  std::size_t end = number.end;
  if (text[end] == '\n') ++end;
  if (number.digits == 0 || text[end] != '\0') {
    out.answer = -kEINVAL;
    return out;
  }
  out.answer = static_cast<long>(bytes.size());
  out.value = number.value;
  return out;
}

}  // namespace

ExpectedWrite expected_write(TextRules rules, TextFile file, std::string_view bytes, bool capable) {
  const Text whole(bytes);
  const long count = static_cast<long>(bytes.size());
  ExpectedWrite out;
  // sysfs answers an empty write itself, without calling the store.
  const bool sysfs = file == TextFile::sysfs_target_kb || file == TextFile::sysfs_target ||
                     file == TextFile::sysfs_knob;
  if (sysfs && bytes.empty()) return out;
  if (file == TextFile::sysfs_knob) {
    if (rules == TextRules::xen_2_6_18) {
      out.answer = -kENOENT;  // 2.6.18's driver has no back-off knobs
      return out;
    }
    return knob_write(bytes);
  }
  if (file == TextFile::xenstore) {
    // "%llu": white space, then at least one decimal digit.
    std::size_t at = 0;
    while (at < bytes.size() && kernel_space(whole[at])) ++at;
    const Number kib = fold_digits(whole, at, 10);
    if (kib.digits > 0) out.value = kib.value >> (kPageBits - 10);
    return out;
  }
  if (file == TextFile::proc && rules == TextRules::mainline) {
    out.answer = -kENOENT;  // Linux's driver has no /proc/xen/balloon
    return out;
  }
  if (!capable) {
    out.answer = -kEPERM;
    return out;
  }
  // 2.6.18 refuses runts; its /proc file also writes longer than its buffer.
  if (rules == TextRules::xen_2_6_18 && bytes.size() <= 1) {
    out.answer = -kEBADMSG;
    return out;
  }
  if (file == TextFile::proc && bytes.size() > kProcBuffer) {
    out.answer = -kEFBIG;
    return out;
  }
  out.answer = count;
  switch (file) {
    case TextFile::proc:
      // The last byte of the buffer is its terminator.
      out.value = read_size(Text(bytes.substr(0, kProcBuffer - 1)), rules) >> kPageBits;
      break;
    case TextFile::sysfs_target_kb:
      out.value = (read_unsigned(whole).value << 10) >> kPageBits;
      break;
    case TextFile::sysfs_target:
      out.value = read_size(whole, rules) >> kPageBits;
      break;
    case TextFile::xenstore:
    case TextFile::sysfs_knob:
      break;
  }
  return out;
}

std::uint64_t expected_target(TextRules rules, const ExpectedWrite& expected, std::uint64_t max_pfn,
                              std::uint64_t target_before, std::uint64_t reachable_before) {
  if (!expected.value.has_value()) return target_before;
  // 2.6.18 keeps a floor under a new target; Linux sets it as asked: a PV guest has
  // no target_diff, and a PVH guest's is 0 (its watch first fired at boot, on the
  // target it had, and the store has no static-max).
  if (rules == TextRules::mainline) return *expected.value;
  return xen_2_6_18_target(*expected.value, max_pfn, target_before, reachable_before);
}

ReadNumber expected_strtoull(std::string_view bytes, unsigned base) {
  const Text text(bytes);
  if (base == 0) {
    const Number number = read_unsigned(text);
    return {number.value, number.end};
  }
  // A named base 16 skips a 0x prefix whatever follows it. A digit is a hex digit whose
  // value is below the base (so above 16 every hex digit is one, and base 1 reads
  // zeros), and each multiplies what came before by the base.
  std::size_t at = 0;
  if (base == 16 && text[0] == '0' && (text[1] | 0x20) == 'x') at = 2;
  const unsigned accepted = std::min(base, 16U);
  std::uint64_t value = 0;
  for (unsigned d = digit_of(text[at]); d < accepted; d = digit_of(text[++at])) {
    value = value * base + d;
  }
  return {value, at};
}

std::uint64_t xen_2_6_18_target(std::uint64_t pages, std::uint64_t max_pfn,
                                std::uint64_t target_pages, std::uint64_t reachable) {
  constexpr std::uint64_t kPagesPerMiB = 256;
  // Memory below a bound keeps a base plus a share of max_pfn.
  struct Band {
    std::uint64_t below_mib, base_mib, share_shift;
  };
  constexpr Band kBands[] = {{128, 8, 1}, {512, 40, 2}, {2048, 104, 3}};
  std::uint64_t floor = 296 * kPagesPerMiB + (max_pfn >> 5);
  for (const Band& band : kBands) {
    if (max_pfn < band.below_mib * kPagesPerMiB) {
      floor = band.base_mib * kPagesPerMiB + (max_pfn >> band.share_shift);
      break;
    }
  }
  const std::uint64_t current_target = std::min(target_pages, reachable);
  return std::max(pages, std::min(floor, current_target));
}

}  // namespace balloonbench
