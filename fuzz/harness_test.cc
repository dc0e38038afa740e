// The check behind balloon_procfs's mode 5 (fuzz/harness.h): driver/parse.h's
// simple_strtoull agrees with the text model on spellings of every kind and in bases
// the drivers never name, and the check fires on parsers that read a base wrong. And
// the runs the fuzz targets skip: a large guest's text target outside its window.
#include <gtest/gtest.h>

#include <string>

#include "driver/parse.h"
#include "fuzz/harness.h"
#include "fuzz/text_window.h"
#include "run/codec.h"
#include "run/event.h"
#include "run/host.h"

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

// A guest of `max_pfn` pfns that booted with `nr_pages` of them.
Run guest(std::uint64_t max_pfn, std::uint64_t nr_pages, std::vector<Event> events) {
  Config config;
  config.max_pfn = max_pfn;
  config.nr_pages = nr_pages;
  config.max_low_pfn = max_pfn;
  config.max_pages = max_pfn;
  return Run{config, std::move(events)};
}

std::string kib(std::uint64_t pages) { return std::to_string(pages * 4); }

TEST(TextTargetWindow, ALargeGuestsTextTargetMustLieWithinTheWindow) {
  using namespace events;
  constexpr std::uint64_t kBooted = 500'000;  // a 2 GiB guest's 524,288 pfns, less a few
  const auto outside = [](std::vector<Event> events, TextRules rules = TextRules::xen_2_6_18) {
    return text_target_outside_window(guest(524'288, kBooted, std::move(events)), rules);
  };
  // At both ends of the window and inside it, through every file that takes a target.
  EXPECT_FALSE(outside({xenstore_target(kib(kBooted - kLargeWindow))}));
  EXPECT_FALSE(outside({proc_write(kib(kBooted + kLargeWindow) + "K\n")}));
  EXPECT_FALSE(outside({sysfs_target_kb(kib(kBooted - 1))}, TextRules::mainline));
  EXPECT_FALSE(outside({sysfs_target(std::to_string((kBooted + 1) * 4096))}, TextRules::mainline));
  // A page past either end, through each file; the first such write is enough.
  EXPECT_TRUE(outside({xenstore_target(kib(kBooted - kLargeWindow - 1))}));
  EXPECT_TRUE(outside({proc_write(kib(kBooted + kLargeWindow + 1) + "K")}));
  EXPECT_TRUE(outside({sysfs_target_kb(kib(0))}, TextRules::mainline));
  EXPECT_TRUE(outside({set_target(kBooted), run_work(), sysfs_target("1G")}, TextRules::mainline));
  // Text that sets no target, a write the kernel refuses before parsing, and numeric
  // targets (the encoding windows those itself) are not judged.
  EXPECT_FALSE(outside({xenstore_target("none")}));
  EXPECT_FALSE(outside({proc_write("0")}));  // a runt: one byte
  EXPECT_FALSE(outside({set_target(0), in_flight(InFlightAction::set_target, 0)}));
}

TEST(TextTargetWindow, ASmallGuestTakesAnyTextTarget) {
  using namespace events;
  const std::string far = kib(1000 + kLargeWindow + 1) + "K\n";
  EXPECT_FALSE(text_target_outside_window(guest(kDecodeMaxPfnVersion2, 1000, {proc_write(far)}),
                                          TextRules::xen_2_6_18));
  EXPECT_TRUE(text_target_outside_window(guest(kDecodeMaxPfnVersion2 + 1, 1000, {proc_write(far)}),
                                         TextRules::xen_2_6_18));
}

TEST(TextTargetWindow, AHostIsSkippedForAnyGuestsTextTargetOutsideItsWindow) {
  using namespace events;
  HostRun host;
  host.guests = {guest(1024, 512, {}).config, guest(524'288, 500'000, {}).config};
  host.variants = {Variant::fixed, Variant::mainline};
  const auto write = [](std::uint8_t guest_index, Event event) {
    HostEvent host_event;
    host_event.guest = guest_index;
    host_event.event = std::move(event);
    return host_event;
  };
  // 0 KiB is inside the small guest's reach, far below the large one's window.
  host.events = {write(0, xenstore_target("0"))};
  EXPECT_FALSE(text_target_outside_window(host));
  host.events.push_back(write(1, sysfs_target_kb(kib(500'000))));
  EXPECT_FALSE(text_target_outside_window(host));
  // Each guest's writes are read under its own variant's rules: Linux's driver has no
  // /proc file, so a /proc write to guest 1 (mainline) asks for nothing.
  host.events.push_back(write(1, proc_write("0K\n")));
  EXPECT_FALSE(text_target_outside_window(host));
  host.events.push_back(write(1, xenstore_target("0")));
  EXPECT_TRUE(text_target_outside_window(host));
}

}  // namespace
}  // namespace balloonbench::fuzz
