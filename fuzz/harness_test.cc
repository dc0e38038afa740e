// The check behind balloon_procfs's mode 5 (fuzz/harness.h): driver/parse.h's
// simple_strtoull agrees with the text model on spellings of every kind and in bases
// the drivers never name, and the check fires on parsers that read a base wrong.
#include <gtest/gtest.h>

#include <string>

#include "driver/parse.h"
#include "fuzz/harness.h"

namespace balloonbench::fuzz {
namespace {

constexpr const char* kSpellings[] = {"",
                                      "0",
                                      "0x",
                                      "0X1f",
                                      "0xg",
                                      "019",
                                      "777",
                                      "ff",
                                      "FFz",
                                      "zz",
                                      "+1",
                                      " 1",
                                      "12\n",
                                      "0001",
                                      "18446744073709551616",
                                      "0xffffffffffffffff1"};
constexpr unsigned kBases[] = {0, 1, 2, 8, 10, 16, 17, 36, 255};

TEST(StrtoullCheck, TheParserReadsWhatTheKernelReadsInAnyBase) {
  for (const char* text : kSpellings) {
    for (const unsigned base : kBases) {
      EXPECT_EQ(strtoull_mismatch(text, base, simple_strtoull), "") << text << " base " << base;
    }
  }
}

// Base 16 without skipping "0x": "0xg" reads 0 up to byte 1, where the kernel skips
// the prefix and stops at byte 2.
std::uint64_t keeps_hex_prefix(std::string_view text, std::size_t& end, unsigned base) {
  return simple_strtoull(text, end, base == 16 ? 0 : base);
}
// Every named base read as decimal: "19" in base 8 reads 19, the kernel's 1.
std::uint64_t always_decimal(std::string_view text, std::size_t& end, unsigned base) {
  return simple_strtoull(text, end, base == 0 ? 0 : 10);
}

TEST(StrtoullCheck, FiresOnAParserThatReadsABaseWrong) {
  EXPECT_EQ(strtoull_mismatch("0xg", 16, keeps_hex_prefix),
            "simple_strtoull(\"0xg\", base 16) read 0 up to byte 1; the kernel reads 0 up to "
            "byte 2");
  EXPECT_EQ(strtoull_mismatch("0x1f", 16, keeps_hex_prefix), "");  // same either way
  EXPECT_NE(strtoull_mismatch("19", 8, always_decimal), "");
  EXPECT_NE(strtoull_mismatch("ff", 36, always_decimal), "");
}

}  // namespace
}  // namespace balloonbench::fuzz
