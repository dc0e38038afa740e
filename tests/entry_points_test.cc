// The driver's entry points (SPEC §1.7) and the kernel parsers behind the two
// target paths. Parsers are tested directly; the entry points through a bare core
// or a World, reading back the target, the return value and the simulation.

#include <gtest/gtest.h>

#include <string>

#include "driver/parse.h"
#include "tests/test_support.h"

namespace balloonbench::testing {
namespace {

std::uint64_t memparse_all(std::string_view text) {
  std::size_t end = 0;
  return memparse(text, end);
}

TEST(Parse, SimpleStrtoullPicksTheBase) {
  std::size_t end = 0;
  EXPECT_EQ(simple_strtoull("1234", end, 0), 1234U);
  EXPECT_EQ(end, 4U);
  EXPECT_EQ(simple_strtoull("0x1F", end, 0), 31U);
  EXPECT_EQ(simple_strtoull("0X1f", end, 0), 31U);
  EXPECT_EQ(simple_strtoull("017", end, 0), 15U);
  EXPECT_EQ(simple_strtoull("019", end, 0), 1U);  // 9 is not octal: stops there
  EXPECT_EQ(end, 2U);
  // "0x" without a hex digit after it is the octal number 0 followed by 'x'.
  EXPECT_EQ(simple_strtoull("0xg", end, 0), 0U);
  EXPECT_EQ(end, 1U);
  EXPECT_EQ(simple_strtoull(" 12", end, 0), 0U);  // no leading space
  EXPECT_EQ(end, 0U);
  EXPECT_EQ(simple_strtoull("12", end, 16), 0x12U);
  EXPECT_EQ(simple_strtoull("0x12", end, 16), 0x12U);
}

TEST(Parse, SimpleStrtoullWrapsLikeTheKernel) {
  std::size_t end = 0;
  // 2^64 + 5 in decimal.
  EXPECT_EQ(simple_strtoull("18446744073709551621", end, 10), 5U);
}

TEST(Parse, MemparseSuffixesMultiplyBy1024Each) {
  EXPECT_EQ(memparse_all("4k"), 4096U);
  EXPECT_EQ(memparse_all("4K"), 4096U);
  EXPECT_EQ(memparse_all("3m"), 3U << 20);
  EXPECT_EQ(memparse_all("3M"), 3U << 20);
  EXPECT_EQ(memparse_all("2g"), std::uint64_t{2} << 30);
  EXPECT_EQ(memparse_all("2G"), std::uint64_t{2} << 30);
  EXPECT_EQ(memparse_all("0x10M"), std::uint64_t{16} << 20);
  EXPECT_EQ(memparse_all("010k"), 8U << 10);
  EXPECT_EQ(memparse_all("7T"), 7U);  // no T suffix in this kernel
  std::size_t end = 0;
  memparse("5Mjunk", end);
  EXPECT_EQ(end, 2U);
}

TEST(Parse, MemparseStopsAtTheEndOfTheView) {
  const std::string text = "4096000";
  EXPECT_EQ(memparse_all(std::string_view(text).substr(0, 4)), 4096U);
  // A suffix just past the view is not seen.
  const std::string suffixed = "4K";
  EXPECT_EQ(memparse_all(std::string_view(suffixed).substr(0, 1)), 4U);
}

TEST(Parse, ScanLluSkipsSpaceAndNeedsADigit) {
  EXPECT_EQ(scan_llu("3600"), std::optional<std::uint64_t>(3600));
  EXPECT_EQ(scan_llu("  \t3600kB"), std::optional<std::uint64_t>(3600));
  EXPECT_EQ(scan_llu("\xa0"
                     "12"),
            std::optional<std::uint64_t>(12));
  EXPECT_EQ(scan_llu("0x10"), std::optional<std::uint64_t>(0));
  EXPECT_EQ(scan_llu(""), std::nullopt);
  EXPECT_EQ(scan_llu("   "), std::nullopt);
  EXPECT_EQ(scan_llu("-4"), std::nullopt);
  EXPECT_EQ(scan_llu("+4"), std::nullopt);
  EXPECT_EQ(scan_llu("abc"), std::nullopt);
}

// set_new_target.

TEST(SetNewTarget, StoresTheTargetAndSchedulesWork) {
  BareCore bare(small_guest());
  bare.core.balloon_set_new_target(700);
  EXPECT_EQ(bare.core.target_pages(), 700U);
  EXPECT_TRUE(bare.sim.work_pending());
}

// The xenstore watch on memory/target.

TEST(Xenstore, TargetIsKibTruncatedToPages) {
  BareCore bare(small_guest());
  bare.core.watch_target("3600");
  EXPECT_EQ(bare.core.target_pages(), 900U);
  bare.core.watch_target("3603");
  EXPECT_EQ(bare.core.target_pages(), 900U);
  bare.core.watch_target(" 4000kB");
  EXPECT_EQ(bare.core.target_pages(), 1000U);
  bare.core.watch_target("3");
  EXPECT_EQ(bare.core.target_pages(), 0U);
}

TEST(Xenstore, ValuesThatDoNotParseAreIgnoredSilently) {
  BareCore bare(small_guest());
  for (const char* junk : {"", "abc", "-4", "   ", "kB"}) {
    bare.core.watch_target(junk);
    EXPECT_EQ(bare.core.target_pages(), 512U) << junk;
    EXPECT_FALSE(bare.sim.work_pending()) << junk;
  }
}

// The /proc/xen/balloon write path.

TEST(ProcWrite, NeedsTheAdminCapability) {
  BareCore bare(small_guest());
  bare.sim.set_capable(false);
  EXPECT_EQ(bare.core.balloon_write("512M\n"), -kEperm);
  EXPECT_EQ(bare.core.target_pages(), 512U);
  EXPECT_FALSE(bare.sim.work_pending());
}

TEST(ProcWrite, RuntsAreBadMessages) {
  BareCore bare(small_guest());
  EXPECT_EQ(bare.core.balloon_write(""), -kEbadmsg);
  EXPECT_EQ(bare.core.balloon_write("5"), -kEbadmsg);
  EXPECT_EQ(bare.core.target_pages(), 512U);
}

TEST(ProcWrite, MoreThan64BytesIsTooBig) {
  BareCore bare(small_guest());
  EXPECT_EQ(bare.core.balloon_write(std::string(65, '1')), -kEfbig);
  EXPECT_EQ(bare.core.target_pages(), 512U);
  EXPECT_EQ(bare.core.balloon_write("4096" + std::string(60, ' ')), 64);
  EXPECT_EQ(bare.core.target_pages(), 1U);
}

TEST(ProcWrite, ParsesLikeMemparseAndReturnsTheByteCount) {
  BareCore bare(small_guest());
  EXPECT_EQ(bare.core.balloon_write("512M\n"), 5);
  EXPECT_EQ(bare.core.target_pages(), 131072U);
  EXPECT_EQ(bare.core.balloon_write("0x100000"), 8);
  EXPECT_EQ(bare.core.target_pages(), 256U);
  EXPECT_EQ(bare.core.balloon_write("0400000"), 7);
  EXPECT_EQ(bare.core.target_pages(), 32U);
  EXPECT_EQ(bare.core.balloon_write("1g"), 2);
  EXPECT_EQ(bare.core.target_pages(), 262144U);
  EXPECT_EQ(bare.core.balloon_write("4k"), 2);
  EXPECT_EQ(bare.core.target_pages(), 1U);
  EXPECT_EQ(bare.core.balloon_write("4095"), 4);
  EXPECT_EQ(bare.core.target_pages(), 0U);
  EXPECT_EQ(bare.core.balloon_write("junk"), 4);
  EXPECT_EQ(bare.core.target_pages(), 0U);
}

TEST(ProcWrite, TheOverReadingMutationMattersOnlyPastCount) {
  // Given a NUL-terminated buffer, reading to the NUL reads nothing more than
  // `count` bytes, so the seeded over-read behaves as the fixed core. Only a buffer
  // that ends exactly at `count` exposes it (the balloon_procfs fuzz target's job).
  NullSimObserver observer;
  Sim sim(small_guest(), observer);
  BalloonCore core(sim, Variant::fixed, Mutation::proc_write_reads_past_count);
  core.balloon_init(1024, 512);
  const std::string text = "512M\n";
  EXPECT_EQ(core.balloon_write(text), 5);
  EXPECT_EQ(core.target_pages(), 131072U);
}

TEST(ProcWrite, TheSixtyFourthByteIsTheTerminator) {
  BareCore bare(small_guest());
  // 63 characters of octal 010 then 'K': the K is byte 64, overwritten by the NUL.
  const std::string sixty_four = std::string(61, '0') + "10K";
  ASSERT_EQ(sixty_four.size(), 64U);
  EXPECT_EQ(bare.core.balloon_write(sixty_four), 64);
  EXPECT_EQ(bare.core.target_pages(), 0U);
  const std::string sixty_three = std::string(60, '0') + "10K";
  EXPECT_EQ(bare.core.balloon_write(sixty_three), 63);
  EXPECT_EQ(bare.core.target_pages(), 2U);
}

// The /proc/xen/balloon read path.

TEST(ProcRead, FixedShowsTheFiveAmounts) {
  BareCore bare(small_guest());
  bare.core.balloon_update_driver_allowance(3);
  EXPECT_EQ(bare.core.balloon_read(),
            "Current allocation:     2048 kB\n"
            "Requested target:       2048 kB\n"
            "Low-mem balloon:        2048 kB\n"
            "High-mem balloon:          0 kB\n"
            "Driver pages:             12 kB\n");
}

TEST(ProcRead, LegacyAddsTheHardLimit) {
  BareCore bare(with_host(small_guest(), 0), Variant::legacy);
  const std::string before = bare.core.balloon_read();
  EXPECT_NE(before.find("Xen hard limit:          ??? kB\n"), std::string::npos) << before;
  bare.core.balloon_set_new_target(900);
  bare.core.balloon_process();
  const std::string after = bare.core.balloon_read();
  EXPECT_NE(after.find("Xen hard limit:         2048 kB\n"), std::string::npos) << after;
}

// Driver allowance.

TEST(DriverAllowance, AddsTheDelta) {
  BareCore bare(small_guest());
  bare.core.balloon_update_driver_allowance(7);
  bare.core.balloon_update_driver_allowance(-2);
  EXPECT_EQ(bare.core.driver_pages(), 5U);
}

// alloc_empty_pages and free_empty_pages.

TEST(EmptyPages, AllocGivesEachFrameToXenAndLendsThePfns) {
  World world(small_guest(), {});
  world.step(events::alloc_empty(8));
  ASSERT_EQ(world.lent_vectors(), 1U);
  EXPECT_EQ(world.core().current_pages(), 504U);
  EXPECT_EQ(world.sim().tot_pages(), 504U);
  std::uint64_t lent = 0;
  for (pfn_t pfn = 0; pfn < 1024; ++pfn) {
    if (!world.sim().lent(pfn)) continue;
    ++lent;
    EXPECT_FALSE(world.sim().populated(pfn)) << pfn;
    EXPECT_EQ(world.sim().mapping(pfn), kInvalidP2mEntry) << pfn;
  }
  EXPECT_EQ(lent, 8U);
  EXPECT_TRUE(world.sim().work_pending());
  EXPECT_TRUE(world.violations().empty()) << describe(world.violations());
}

TEST(EmptyPages, FreeBalloonsThePagesAndSchedulesWork) {
  World world(small_guest(), {});
  world.step(events::alloc_empty(8));
  world.step(events::run_work());
  EXPECT_EQ(world.core().current_pages(), 512U);  // the work refilled from the balloon
  world.step(events::free_empty(0));
  EXPECT_EQ(world.lent_vectors(), 0U);
  EXPECT_EQ(world.core().current_pages(), 512U);
  EXPECT_EQ(world.core().balloon_low(), 512U);
  EXPECT_TRUE(world.sim().work_pending());
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

TEST(EmptyPages, AllocationFailureBalloonsWhatWasDoneAndReturnsNothing) {
  World world(small_guest(), {});
  world.step(events::alloc_fail(3, 1));
  world.step(events::alloc_empty(8));
  EXPECT_EQ(world.lent_vectors(), 0U);
  EXPECT_EQ(world.core().current_pages(), 509U);
  EXPECT_EQ(world.core().balloon_low(), 515U);
  // They join last first, so the first page given up is at the head. GFP_KERNEL
  // allocations come off the top of the free list: 511, 510, 509.
  const std::vector<pfn_t> list = world.core().balloon_list_pages();
  EXPECT_EQ(list.at(0), 511U);
  EXPECT_EQ(list.at(2), 509U);
  EXPECT_TRUE(world.sim().work_pending());
  EXPECT_TRUE(world.violations().empty()) << describe(world.violations());
}

TEST(EmptyPages, AutoTranslatedRefusalFreesThePageWithoutACrash) {
  Config config = small_guest();
  config.auto_translated = true;
  config.contract_breaks = true;
  const RunResult result = run_events(config, {events::decrease_short(0), events::alloc_empty(4)});
  EXPECT_EQ(result.outcome, Outcome::clean) << describe(result);
}

TEST(EmptyPages, PvRefusalIsABug) {
  Config config = small_guest();
  config.contract_breaks = true;
  const RunResult result = run_events(config, {events::decrease_short(0), events::alloc_empty(4)});
  EXPECT_EQ(result.outcome, Outcome::expected_crash) << describe(result);
}

}  // namespace
}  // namespace balloonbench::testing
