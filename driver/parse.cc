#include "driver/parse.h"

namespace balloonbench {
namespace {

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

bool is_xdigit(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Value of a hex digit; callers check is_xdigit first.
unsigned xdigit_value(unsigned char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10U;
  return c - 'A' + 10U;
}

// Bytes past the end of the view read as the terminating NUL.
unsigned char byte_at(std::string_view text, std::size_t i) {
  return i < text.size() ? static_cast<unsigned char>(text[i]) : 0;
}

}  // namespace

bool kernel_isspace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0; }

std::uint64_t simple_strtoull(std::string_view text, std::size_t& end, unsigned base) {
  std::size_t i = 0;
  if (base == 0) {
    base = 10;
    if (byte_at(text, i) == '0') {
      base = 8;
      ++i;
      const unsigned char x = byte_at(text, i);
      if ((x == 'x' || x == 'X') && is_xdigit(byte_at(text, i + 1))) {
        ++i;
        base = 16;
      }
    }
  } else if (base == 16) {
    const unsigned char x = byte_at(text, 1);
    if (byte_at(text, 0) == '0' && (x == 'x' || x == 'X')) i = 2;
  }
  std::uint64_t result = 0;
  while (i < text.size()) {
    const unsigned char c = byte_at(text, i);
    if (!is_xdigit(c) || xdigit_value(c) >= base) break;
    result = result * base + xdigit_value(c);
    ++i;
  }
  end = i;
  return result;
}

std::uint64_t memparse(std::string_view text, std::size_t& end, bool linux_suffixes) {
  std::uint64_t value = simple_strtoull(text, end, 0);
  // The suffixes fall through in the original: G multiplies three times, M twice.
  unsigned shifts = 0;
  switch (byte_at(text, end)) {
    case 'E':
    case 'e':
      shifts = linux_suffixes ? 6 : 0;
      break;
    case 'P':
    case 'p':
      shifts = linux_suffixes ? 5 : 0;
      break;
    case 'T':
    case 't':
      shifts = linux_suffixes ? 4 : 0;
      break;
    case 'G':
    case 'g':
      shifts = 3;
      break;
    case 'M':
    case 'm':
      shifts = 2;
      break;
    case 'K':
    case 'k':
      shifts = 1;
      break;
    default:
      break;
  }
  if (shifts > 0) {
    value <<= 10U * shifts;
    ++end;
  }
  return value;
}

std::optional<std::uint64_t> scan_llu(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && kernel_isspace(byte_at(text, i))) ++i;
  if (!is_digit(byte_at(text, i))) return std::nullopt;
  std::size_t used = 0;
  return simple_strtoull(text.substr(i), used, 10);
}

long kstrtoul(std::string_view text, std::uint64_t& value) {
  constexpr long kEinval = 22;
  constexpr long kErange = 34;
  std::size_t i = byte_at(text, 0) == '+' ? 1 : 0;
  unsigned base = 10;
  if (byte_at(text, i) == '0') {
    const bool hex = (byte_at(text, i + 1) | 0x20) == 'x' && is_xdigit(byte_at(text, i + 2));
    base = hex ? 16 : 8;
    if (hex) i += 2;
  }
  std::uint64_t result = 0;
  std::size_t digits = 0;
  for (; is_xdigit(byte_at(text, i)) && xdigit_value(byte_at(text, i)) < base; ++i, ++digits) {
    const unsigned digit = xdigit_value(byte_at(text, i));
    if (result > (~std::uint64_t{0} - digit) / base) return -kErange;
    result = result * base + digit;
  }
  if (digits == 0) return -kEinval;
  if (byte_at(text, i) == '\n') ++i;
  if (byte_at(text, i) != 0) return -kEinval;
  value = result;
  return 0;
}

}  // namespace balloonbench
