// The text-write oracle's model of the kernel's parsing (run/text_model.h), on cases
// worked out by hand from the kernel's rules, and the check firing on a driver that
// stores something else.

#include "run/text_model.h"

#include <gtest/gtest.h>

#include "run/world.h"
#include "tests/test_support.h"

namespace balloonbench {
namespace {

constexpr TextRules k2618 = TextRules::xen_2_6_18;
constexpr TextRules kLinux = TextRules::mainline;

ExpectedWrite write(TextRules rules, TextFile file, std::string_view bytes, bool capable = true) {
  return expected_write(rules, file, bytes, capable);
}

TEST(TextModel, ProcWritesReadASizeOfBytes) {
  EXPECT_EQ(write(k2618, TextFile::proc, "512M\n").answer, 5);
  EXPECT_EQ(write(k2618, TextFile::proc, "512M\n").value, 512U * 256);
  EXPECT_EQ(write(k2618, TextFile::proc, "0x1000").value, 1U);  // hex bytes
  EXPECT_EQ(write(k2618, TextFile::proc, "010000").value, 1U);  // octal 4096
  EXPECT_EQ(write(k2618, TextFile::proc, "0x").value, 0U);      // "0", then junk
  EXPECT_EQ(write(k2618, TextFile::proc, "1T").value, 0U);      // no T in 2.6.18: one byte
  EXPECT_EQ(write(k2618, TextFile::proc, "x").answer, -74);     // a runt
  EXPECT_EQ(write(k2618, TextFile::proc, std::string(65, '1')).answer, -27);
  EXPECT_EQ(write(k2618, TextFile::proc, "8M", false).answer, -1);
  EXPECT_FALSE(write(k2618, TextFile::proc, "8M", false).value.has_value());
  // 64 bytes fit, but the 64th is the buffer's terminator: "0x...1000k" loses its "k".
  const std::string long_write = "0x" + std::string(57, '0') + "1000k";
  ASSERT_EQ(long_write.size(), 64U);
  EXPECT_EQ(write(k2618, TextFile::proc, long_write).value, 1U);
  EXPECT_EQ(write(kLinux, TextFile::proc, "512M").answer, -2);  // no /proc in Linux's
}

TEST(TextModel, XenstoreValuesAreKibInDecimalAfterSpace) {
  EXPECT_EQ(write(k2618, TextFile::xenstore, " \t524288").value, 131072U);
  EXPECT_EQ(write(k2618, TextFile::xenstore, "0x10").value, 0U);  // decimal only: "0"
  EXPECT_EQ(write(k2618, TextFile::xenstore,
                  std::string_view("7\0"
                                   "99",
                                   4))
                .value,
            1U);
  EXPECT_FALSE(write(k2618, TextFile::xenstore, "").value.has_value());
  EXPECT_FALSE(write(k2618, TextFile::xenstore, "-4").value.has_value());
  EXPECT_FALSE(write(kLinux, TextFile::xenstore, "K").value.has_value());
}

TEST(TextModel, SysfsStoresReadKibOrASize) {
  EXPECT_EQ(write(k2618, TextFile::sysfs_target_kb, "4000\n").value, 1000U);
  EXPECT_EQ(write(k2618, TextFile::sysfs_target_kb, "0x40").value, 16U);
  EXPECT_EQ(write(k2618, TextFile::sysfs_target_kb, "1").answer, -74);  // a 2.6.18 runt
  EXPECT_EQ(write(kLinux, TextFile::sysfs_target_kb, "1").value, 0U);   // Linux takes it
  // sysfs answers an empty write itself: the store never sees it.
  EXPECT_EQ(write(kLinux, TextFile::sysfs_target_kb, "").answer, 0);
  EXPECT_FALSE(write(kLinux, TextFile::sysfs_target_kb, "").value.has_value());
  EXPECT_EQ(write(k2618, TextFile::sysfs_target, "", false).answer, 0);
  EXPECT_FALSE(write(kLinux, TextFile::sysfs_knob, "").value.has_value());
  EXPECT_EQ(write(kLinux, TextFile::sysfs_target_kb, "8", false).answer, -1);
  EXPECT_EQ(write(k2618, TextFile::sysfs_target, "1T").value, 0U);
  EXPECT_EQ(write(kLinux, TextFile::sysfs_target, "1T").value, std::uint64_t{1} << 28);
  EXPECT_EQ(write(kLinux, TextFile::sysfs_target, "4e").value, std::uint64_t{1} << 50);
  EXPECT_EQ(write(kLinux, TextFile::sysfs_target, "16e").value, 0U);  // 2^64 bytes wraps
}

TEST(TextModel, KnobsTakeOneNumberAndAtMostANewline) {
  EXPECT_EQ(write(kLinux, TextFile::sysfs_knob, "+0x20\n").value, 32U);
  EXPECT_EQ(write(kLinux, TextFile::sysfs_knob, "+0x20\n").answer, 6);
  EXPECT_EQ(write(kLinux, TextFile::sysfs_knob, "010").value, 8U);
  EXPECT_EQ(write(kLinux, TextFile::sysfs_knob, "0").value, 0U);
  EXPECT_EQ(write(kLinux, TextFile::sysfs_knob,
                  std::string_view("5\0"
                                   "x",
                                   3))
                .value,
            5U);
  EXPECT_EQ(write(kLinux, TextFile::sysfs_knob, "5 ").answer, -22);
  EXPECT_EQ(write(kLinux, TextFile::sysfs_knob, "\n").answer, -22);
  EXPECT_EQ(write(kLinux, TextFile::sysfs_knob, "18446744073709551616").answer, -34);
  EXPECT_EQ(write(kLinux, TextFile::sysfs_knob, "18446744073709551615").value, ~std::uint64_t{0});
  EXPECT_EQ(write(k2618, TextFile::sysfs_knob, "5").answer, -2);
}

TEST(TextModel, The2618FloorHoldsUnlessTheCurrentTargetIsLower) {
  // 1 GiB (262,144 pfns): 104 MiB plus an eighth.
  const std::uint64_t floor = 104 * 256 + 262144 / 8;
  EXPECT_EQ(xen_2_6_18_target(10, 262144, 200000, 262144), floor);
  EXPECT_EQ(xen_2_6_18_target(100000, 262144, 200000, 262144), 100000U);
  EXPECT_EQ(xen_2_6_18_target(10, 262144, 1000, 262144), 1000U);  // below the floor already
  EXPECT_EQ(xen_2_6_18_target(10, 262144, 200000, 500), 500U);    // what it can reach
  EXPECT_EQ(xen_2_6_18_target(0, 1024, 512, 1024), 512U);         // 8 MiB + 512 > 512
  EXPECT_EQ(xen_2_6_18_target(0, 65536, 65536, 65536), 40 * 256 + 65536 / 4);
  EXPECT_EQ(xen_2_6_18_target(0, 1U << 20, 1U << 20, 1U << 20), 296 * 256 + (1U << 15));
}

// An empty sysfs write never reaches the store: Linux's driver would read it as 0.
TEST(TextWrite, AnEmptySysfsWriteLeavesTheTargetAlone) {
  for (const Variant variant : {Variant::fixed, Variant::mainline}) {
    World world(testing::small_guest(), WorldOptions{variant});
    const std::uint64_t before = world.core().target_pages();
    world.step(events::sysfs_target_kb(""));
    world.step(events::sysfs_target(""));
    EXPECT_EQ(world.core().target_pages(), before) << variant_name(variant);
    EXPECT_TRUE(world.violations().empty()) << variant_name(variant);
  }
}

// The check fires on a driver that stores another target than the text asks for.
TEST(TextWrite, FiresOnAStoreThatReadsKibAsBytes) {
  const balloonbench::Run written{testing::small_guest(), {events::sysfs_target_kb("4000")}};
  const RunResult clean = balloonbench::run(written, WorldOptions{Variant::fixed});
  EXPECT_EQ(clean.outcome, Outcome::clean);
  const RunResult broken =
      balloonbench::run(written, WorldOptions{Variant::fixed, Mutation::kib_read_as_bytes});
  ASSERT_EQ(broken.outcome, Outcome::violation);
  EXPECT_EQ(broken.violations.front().id, InvariantId::text_write);
  EXPECT_NE(broken.violations.front().detail.find("gives 1000"), std::string::npos)
      << broken.violations.front().detail;
}

TEST(TextModel, TheTargetAWriteLeaves) {
  ExpectedWrite refused;
  refused.answer = -22;
  EXPECT_EQ(expected_target(k2618, refused, 1024, 700, 1024), 700U);
  EXPECT_EQ(expected_target(kLinux, refused, 1024, 700, 1024), 700U);
  ExpectedWrite asks_100;
  asks_100.answer = 4;
  asks_100.value = 100;
  EXPECT_EQ(expected_target(kLinux, asks_100, 1024, 700, 1024), 100U);  // as asked
  EXPECT_EQ(expected_target(k2618, asks_100, 1024, 700, 1024), 700U);   // under the floor
  asks_100.value = 900;
  EXPECT_EQ(expected_target(k2618, asks_100, 1024, 700, 1024), 900U);
}

TEST(TextModel, StrtoullReadsTheDigitsOfANamedBase) {
  // The kernel's simple_strtoull with a base named: digits are hex digits below it.
  EXPECT_EQ(expected_strtoull("777", 8), (ReadNumber{511, 3}));
  EXPECT_EQ(expected_strtoull("019", 8), (ReadNumber{1, 2}));     // 9 is not octal
  EXPECT_EQ(expected_strtoull("0x1F", 16), (ReadNumber{31, 4}));  // the prefix skipped
  EXPECT_EQ(expected_strtoull("0xg", 16), (ReadNumber{0, 2}));    // even with no digit
  EXPECT_EQ(expected_strtoull("0x1F", 10), (ReadNumber{0, 1}));   // only in base 16
  EXPECT_EQ(expected_strtoull("ff", 36), (ReadNumber{555, 2}));   // 15 * 36 + 15
  EXPECT_EQ(expected_strtoull("zz", 36), (ReadNumber{0, 0}));     // z is no hex digit
  EXPECT_EQ(expected_strtoull("0010", 1), (ReadNumber{0, 2}));    // base 1 reads zeros
  EXPECT_EQ(expected_strtoull("18446744073709551617", 10), (ReadNumber{1, 20}));  // wraps
  // Base 0 picks the base from the prefix, as memparse does.
  EXPECT_EQ(expected_strtoull("0x1F", 0), (ReadNumber{31, 4}));
  EXPECT_EQ(expected_strtoull("0xg", 0), (ReadNumber{0, 1}));
  EXPECT_EQ(expected_strtoull("017", 0), (ReadNumber{15, 3}));
}

}  // namespace
}  // namespace balloonbench
