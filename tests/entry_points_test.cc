// The driver's entry points (SPEC §1.7) and the kernel parsers behind the target
// paths. Parsers are tested directly; the entry points through a bare core or a
// World, reading back the target, the return value and the simulation. Every target
// path ends in balloon_set_new_target, whose minimum_target() floor never lies above
// the current target: the parsing tests write to a fresh core of a guest with nothing
// populated (current target 0), so that the number written is the target set.

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

// A 1024-pfn guest with nothing populated: its current target is 0, so the floor under
// its first new target is 0 too.
Config unfloored_guest() {
  Config config = small_guest();
  config.nr_pages = 0;
  return config;
}

// What one write does to a fresh core of that guest: the return value and the target.
struct Written {
  long rc = 0;
  std::uint64_t target = 0;
  bool work = false;
};
template <class Write>
Written on_fresh_core(Write write, bool capable = true) {
  BareCore bare(unfloored_guest());
  bare.sim.set_capable(capable);
  const long rc = write(bare.core);
  return Written{rc, bare.core.target_pages(), bare.sim.work_pending()};
}
Written watch(std::string_view text) {
  return on_fresh_core([&](Driver& core) {
    core.watch_target(text);
    return 0L;
  });
}
Written proc(std::string_view text, bool capable = true) {
  return on_fresh_core([&](Driver& core) { return core.balloon_write(text); }, capable);
}
Written target_kb(std::string_view text, bool capable = true) {
  return on_fresh_core([&](Driver& core) { return core.store_target_kb(text); }, capable);
}
Written target(std::string_view text, bool capable = true) {
  return on_fresh_core([&](Driver& core) { return core.store_target(text); }, capable);
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

TEST(Parse, LinuxMemparseAlsoKnowsTerabytesPetabytesAndExabytes) {
  std::size_t end = 0;
  EXPECT_EQ(memparse("7T", end, true), std::uint64_t{7} << 40);
  EXPECT_EQ(end, 2U);
  EXPECT_EQ(memparse("3p", end, true), std::uint64_t{3} << 50);
  EXPECT_EQ(memparse("2E", end, true), std::uint64_t{2} << 60);
  EXPECT_EQ(memparse("16E", end, true), 0U);  // 2^64 wraps
  EXPECT_EQ(memparse("1g", end, true), std::uint64_t{1} << 30);
}

TEST(Parse, MemparseStopsAtTheEndOfTheView) {
  const std::string text = "4096000";
  EXPECT_EQ(memparse_all(std::string_view(text).substr(0, 4)), 4096U);
  // A suffix just past the view is not seen.
  const std::string suffixed = "4K";
  EXPECT_EQ(memparse_all(std::string_view(suffixed).substr(0, 1)), 4U);
}

TEST(Parse, KstrtoulTakesTheWholeStringOrNothing) {
  const auto parsed = [](std::string_view text) -> std::optional<std::uint64_t> {
    std::uint64_t value = 99;
    const long ret = kstrtoul(text, value);
    if (ret != 0) {
      EXPECT_EQ(value, 99U) << "a refused write must leave the value alone";
      return std::nullopt;
    }
    return value;
  };
  const auto error = [](std::string_view text) {
    std::uint64_t value = 0;
    return kstrtoul(text, value);
  };
  EXPECT_EQ(parsed("32"), 32U);
  EXPECT_EQ(parsed("+32\n"), 32U);
  EXPECT_EQ(parsed("0x20"), 32U);
  EXPECT_EQ(parsed("0X2f"), 47U);
  EXPECT_EQ(parsed("040"), 32U);
  EXPECT_EQ(parsed("0"), 0U);
  EXPECT_EQ(parsed("18446744073709551615"), ~std::uint64_t{0});
  // The kernel reads a NUL-terminated copy: a NUL ends the number as the end does.
  EXPECT_EQ(parsed(std::string_view("12\0junk", 7)), 12U);
  EXPECT_EQ(error(""), -22);
  EXPECT_EQ(error("+"), -22);
  EXPECT_EQ(error("-1"), -22);
  EXPECT_EQ(error(" 1"), -22);
  EXPECT_EQ(error("1 "), -22);
  EXPECT_EQ(error("1\n\n"), -22);
  EXPECT_EQ(error("08"), -22);   // 8 is not octal: the 0 is read, then junk
  EXPECT_EQ(error("0xg"), -22);  // no hex digit after 0x: octal 0, then junk
  EXPECT_EQ(error("4k"), -22);
  EXPECT_EQ(error("18446744073709551616"), -34);
  EXPECT_EQ(error("0x10000000000000000"), -34);
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
  EXPECT_EQ(watch("3600").target, 900U);
  EXPECT_EQ(watch("3603").target, 900U);
  EXPECT_EQ(watch(" 4000kB").target, 1000U);
  EXPECT_EQ(watch("3").target, 0U);
  EXPECT_TRUE(watch("3").work);
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
  EXPECT_FALSE(bare.sim.work_pending());
  const Written sixty_four = proc("4096" + std::string(60, ' '));
  EXPECT_EQ(sixty_four.rc, 64);
  EXPECT_EQ(sixty_four.target, 1U);
}

TEST(ProcWrite, ParsesLikeMemparseAndReturnsTheByteCount) {
  const auto expect_write = [](std::string_view text, std::uint64_t pages) {
    const Written written = proc(text);
    EXPECT_EQ(written.rc, static_cast<long>(text.size())) << text;
    EXPECT_EQ(written.target, pages) << text;
  };
  expect_write("512M\n", 131072);
  expect_write("0x100000", 256);
  expect_write("0400000", 32);
  expect_write("1g", 262144);
  expect_write("4k", 1);
  expect_write("4095", 0);
  expect_write("junk", 0);
}

TEST(ProcWrite, TheOverReadingMutationMattersOnlyPastCount) {
  // Given a NUL-terminated buffer, reading to the NUL reads nothing more than
  // `count` bytes, so the seeded over-read behaves as the fixed core. A buffer that
  // ends exactly at `count` (the balloon_procfs fuzz target's) or holds an earlier
  // write's digits past it (the world's writer's) exposes it.
  NullSimObserver observer;
  Sim sim(small_guest(), observer);
  BalloonCore core(sim, Variant::fixed, Mutation::proc_write_reads_past_count);
  core.balloon_init(1024, 512);
  const std::string text = "512M\n";
  EXPECT_EQ(core.balloon_write(text), 5);
  EXPECT_EQ(core.target_pages(), 131072U);
}

TEST(ProcWrite, TheSixtyFourthByteIsTheTerminator) {
  // 63 characters of octal 010 then 'K': the K is byte 64, overwritten by the NUL.
  const std::string sixty_four = std::string(61, '0') + "10K";
  ASSERT_EQ(sixty_four.size(), 64U);
  EXPECT_EQ(proc(sixty_four).rc, 64);
  EXPECT_EQ(proc(sixty_four).target, 0U);
  const std::string sixty_three = std::string(60, '0') + "10K";
  EXPECT_EQ(proc(sixty_three).rc, 63);
  EXPECT_EQ(proc(sixty_three).target, 2U);
}

// The sysfs stores (drivers/xen/balloon/sysfs.c).

TEST(SysfsTargetKb, NeedsTheAdminCapabilityAndRefusesRunts) {
  const Written not_admin = target_kb("4096", /*capable=*/false);
  EXPECT_EQ(not_admin.rc, -kEperm);
  EXPECT_EQ(not_admin.target, 0U);
  EXPECT_FALSE(not_admin.work);
  EXPECT_EQ(target_kb("").rc, -kEbadmsg);
  EXPECT_EQ(target_kb("8").rc, -kEbadmsg);
  EXPECT_FALSE(target_kb("8").work);
}

TEST(SysfsTargetKb, ReadsKibInAnyBaseAndReturnsTheCount) {
  const auto expect_store = [](std::string_view text, std::uint64_t pages) {
    const Written written = target_kb(text);
    EXPECT_EQ(written.rc, static_cast<long>(text.size())) << text;
    EXPECT_EQ(written.target, pages) << text;
    EXPECT_TRUE(written.work) << text;
  };
  expect_store("3600", 900);
  expect_store("3603\n", 900);  // KiB to pages truncates
  expect_store("0x1000", 1024);
  expect_store("010000", 1024);  // octal
  expect_store("4M", 1);         // no suffix here: 4 KiB
  expect_store(" 4096", 0);      // simple_strtoull takes no leading space
  expect_store("junk", 0);
  // No 64-byte buffer behind this store: a long write is parsed, not refused.
  expect_store("4096" + std::string(96, ' '), 1024);
  // KiB shift into bytes as an unsigned long long: 2^54 KiB is 2^64 bytes, which is 0.
  expect_store("0x40000000000000", 0);
}

TEST(SysfsTarget, ParsesLikeMemparse) {
  const Written not_admin = target("512M", /*capable=*/false);
  EXPECT_EQ(not_admin.rc, -kEperm);
  EXPECT_FALSE(not_admin.work);
  EXPECT_EQ(target("7").rc, -kEbadmsg);
  const auto expect_store = [](std::string_view text, std::uint64_t pages) {
    const Written written = target(text);
    EXPECT_EQ(written.rc, static_cast<long>(text.size())) << text;
    EXPECT_EQ(written.target, pages) << text;
  };
  expect_store("512M\n", 131072);
  expect_store("0x100000", 256);
  expect_store("3600", 0);  // bytes, not KiB
  expect_store("4k", 1);
  expect_store("1G" + std::string(96, '\n'), 262144);
}

// Every target path goes through balloon_set_new_target and its floor.

TEST(MinimumTarget, IsAPiecewiseLinearFloorOfMaxPfn) {
  // A guest with every pfn populated, so that its current target is max_pfn and the
  // floor shows whole. The boot only walks pfns, so a tiny simulation will do.
  const auto floor_of = [](pfn_t max_pfn) {
    NullSimObserver observer;
    Sim sim(tiny_guest(), observer);
    BalloonCore core(sim, Variant::fixed);
    core.balloon_init(max_pfn, max_pfn);
    return core.minimum_target();
  };
  EXPECT_EQ(floor_of(8192), 2048U + 4096);                       // 32 MiB: 8 MiB + half
  EXPECT_EQ(floor_of(32767), 2048U + 16383);                     // just below 128 MiB
  EXPECT_EQ(floor_of(32768), 10240U + 8192);                     // 128 MiB: 40 MiB + a quarter
  EXPECT_EQ(floor_of(131072), 26624U + 16384);                   // 512 MiB: 104 MiB + an eighth
  EXPECT_EQ(floor_of(524288), 75776U + 16384);                   // 2 GiB: 296 MiB + a 32nd
  EXPECT_EQ(floor_of(std::uint64_t{1} << 22), 75776U + 131072);  // 16 GiB
  // Below 16 MiB the line lies above all of memory: the current target caps it.
  EXPECT_EQ(floor_of(4096), 4096U);
  EXPECT_EQ(floor_of(1024), 1024U);
}

TEST(MinimumTarget, NeverEnforcesGrowth) {
  NullSimObserver observer;
  Sim full_sim(big_guest(), observer);
  BalloonCore full(full_sim, Variant::fixed);
  full.balloon_init(8192, 8192);
  EXPECT_EQ(full.minimum_target(), kBigGuestFloor);
  Config config = big_guest();
  config.nr_pages = 4096;
  Sim half_sim(config, observer);
  BalloonCore half(half_sim, Variant::fixed);
  half.balloon_init(8192, 4096);
  EXPECT_EQ(half.minimum_target(), 4096U);  // the current target, not 6144
  half.balloon_set_new_target(100);
  EXPECT_EQ(half.target_pages(), 4096U);
}

TEST(MinimumTarget, FloorsEveryTargetPath) {
  // small_guest() is 4 MiB with 512 pages populated: no target below 512 holds.
  BareCore bare(small_guest());
  bare.core.balloon_set_new_target(100);
  EXPECT_EQ(bare.core.target_pages(), 512U);
  EXPECT_TRUE(bare.sim.work_pending());
  bare.core.watch_target("400");
  EXPECT_EQ(bare.core.target_pages(), 512U);
  EXPECT_EQ(bare.core.balloon_write("400K"), 4);
  EXPECT_EQ(bare.core.target_pages(), 512U);
  EXPECT_EQ(bare.core.store_target_kb("400"), 3);
  EXPECT_EQ(bare.core.target_pages(), 512U);
  EXPECT_EQ(bare.core.store_target("400K"), 4);
  EXPECT_EQ(bare.core.target_pages(), 512U);
  // Up is always allowed; from there, down as far as the current target, no further.
  bare.core.balloon_set_new_target(900);
  EXPECT_EQ(bare.core.target_pages(), 900U);
  bare.core.balloon_set_new_target(600);
  EXPECT_EQ(bare.core.target_pages(), 900U);
}

TEST(MinimumTarget, ABigGuestBalloonsDownToTheFloorAndNoFurther) {
  World world(big_guest(), {});
  world.step(events::set_target(100));
  EXPECT_EQ(world.core().target_pages(), kBigGuestFloor);
  world.step(events::run_work());
  EXPECT_EQ(world.core().current_pages(), kBigGuestFloor);
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

TEST(MinimumTarget, LegacyClearsTheHardLimitBeforeTheFloorReadsTheTarget) {
  // A starved half-populated big guest latches its hard limit at 4096. The next
  // target's floor is min(6144, current target): with the limit already cleared the
  // current target is 7000 and the floor 6144; read before, it would be 4096.
  Config config = with_host(big_guest(), 0);
  config.nr_pages = 4096;
  BareCore bare(config, Variant::legacy);
  bare.core.balloon_set_new_target(7000);
  bare.core.balloon_process();
  ASSERT_EQ(bare.core.hard_limit(), 4096U);
  bare.core.balloon_set_new_target(100);
  EXPECT_EQ(bare.core.hard_limit(), kNoHardLimit);
  EXPECT_EQ(bare.core.target_pages(), kBigGuestFloor);
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

TEST(EmptyPages, AutoTranslatedGuestKeepsItsKernelMapping) {
  // The translated path only hands the gfn back: no PTE is touched, so the lent page
  // keeps a mapping of a gfn with nothing behind it, as in the original.
  Config config = small_guest();
  config.auto_translated = true;
  World world(config, {});
  world.step(events::alloc_empty(2));
  ASSERT_EQ(world.lent_pages(), 2U);
  for (pfn_t pfn = 0; pfn < 1024; ++pfn) {
    if (!world.sim().lent(pfn)) continue;
    EXPECT_FALSE(world.sim().populated(pfn)) << pfn;
    EXPECT_EQ(world.sim().mapping(pfn), pfn) << pfn;
  }
  EXPECT_TRUE(world.violations().empty()) << describe(world.violations());
}

TEST(EmptyPages, AutoTranslatedZeroAnswerCountsAPageXenStillHolds) {
  // `if (ret == 1) ret = 0;` leaves an answer of 0 as it is, and 0 is success: the
  // page counts as given away (current_pages drops) and is lent, while Xen still
  // holds its frame. The original's latent bug, which `ledger` reports.
  Config config = small_guest();
  config.auto_translated = true;
  config.contract_breaks = true;
  World world(config, {});
  world.step(events::decrease_short(0));
  world.step(events::alloc_empty(4));
  EXPECT_EQ(world.lent_pages(), 4U);
  EXPECT_EQ(world.core().current_pages(), 508U);
  EXPECT_EQ(world.sim().tot_pages(), 509U);
  ASSERT_EQ(world.outcome(), Outcome::violation) << describe(world.violations());
  EXPECT_EQ(world.violations().front().id, InvariantId::ledger) << describe(world.violations());
}

TEST(EmptyPages, AutoTranslatedZeroAnswerBreaksBothVariants) {
  Config config = small_guest();
  config.auto_translated = true;
  config.contract_breaks = true;
  for (const Variant variant : {Variant::fixed, Variant::legacy}) {
    const RunResult result =
        run_events(config, {events::decrease_short(0), events::alloc_empty(1)}, variant);
    EXPECT_TRUE(has(result, InvariantId::ledger)) << variant_name(variant) << describe(result);
  }
}

TEST(EmptyPages, AutoTranslatedRefusedReleaseGivesUpAndKeepsThePage) {
  // An error answer to the one-page decrease: the page goes back to the allocator,
  // the pages already given up join the balloon, and nothing is lent. The driver
  // recovers, so no invariant breaks, on either variant of the 2.6.18 driver.
  Config config = small_guest();
  config.auto_translated = true;
  config.contract_breaks = true;
  for (const Variant variant : {Variant::fixed, Variant::legacy}) {
    World world(config, {variant, Mutation::none, nullptr});
    const std::uint64_t balloon = world.core().balloon_low() + world.core().balloon_high();
    world.step(events::decrease_short(1));  // the first page goes (1 of 1 asked)
    world.step(events::decrease_error(12));
    world.step(events::alloc_empty(4));
    EXPECT_EQ(world.lent_pages(), 0U) << variant_name(variant);
    EXPECT_EQ(world.core().current_pages(), 511U) << variant_name(variant);
    EXPECT_EQ(world.sim().tot_pages(), 511U) << variant_name(variant);
    EXPECT_EQ(world.core().balloon_low() + world.core().balloon_high(), balloon + 1)
        << variant_name(variant);
    EXPECT_TRUE(world.violations().empty()) << describe(world.violations());
    world.finish();
    EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
  }
}

TEST(EmptyPages, DecreaseErrorIsIgnoredWithoutTheContractBreaksKnob) {
  Config config = small_guest();
  config.auto_translated = true;
  Trace trace;
  World world(config, {Variant::fixed, Mutation::none, &trace});
  world.step(events::decrease_error(12));
  world.step(events::alloc_empty(4));
  EXPECT_EQ(world.lent_pages(), 4U);
  EXPECT_NE(trace.to_text().find("ignored: the contract_breaks knob is off"), std::string::npos);
}

TEST(EmptyPages, PvRefusedReleaseIsABug) {
  Config config = small_guest();
  config.contract_breaks = true;
  const RunResult result = run_events(config, {events::decrease_error(12), events::alloc_empty(4)});
  EXPECT_EQ(result.outcome, Outcome::expected_crash) << describe(result);
}

TEST(EmptyPages, FreeingAPageWithAnotherCountIsABug) {
  // free_empty_pages takes back pages it lent, each with the one reference
  // alloc_empty_pages left it; a page free in the allocator has none.
  BareCore bare(small_guest());
  const std::optional<std::vector<pfn_t>> lent = bare.core.alloc_empty_pages(2);
  ASSERT_TRUE(lent.has_value());
  EXPECT_EQ(bare.sim.page_count(lent->front()), 1);
  EXPECT_NO_THROW(bare.core.free_empty_pages(*lent));
  ASSERT_EQ(bare.sim.page_state(3), PageState::free);
  EXPECT_EQ(bare.sim.page_count(3), 0);
  try {
    bare.core.free_empty_pages({3});
    ADD_FAILURE() << "no BUG";
  } catch (const KernelBug& bug) {
    EXPECT_EQ(bug.condition, "env_.page_count(pfn) != 1");
  }
}

// balloon_release_driver_page.

TEST(ReleaseDriverPage, ThePageJoinsTheBalloonAndLeavesTheAllowance) {
  Trace trace;
  World world(small_guest(), {Variant::fixed, Mutation::none, &trace});
  world.step(events::driver_allowance(3));
  world.step(events::alloc_empty(4));
  world.step(events::run_work());  // refill: no work pending after this
  ASSERT_FALSE(world.sim().work_pending());
  const std::uint64_t low = world.core().balloon_low();
  world.step(events::release_driver_page(5));  // 5 mod 4: the second page lent
  EXPECT_EQ(world.lent_pages(), 3U);
  EXPECT_EQ(world.core().driver_pages(), 2U);
  EXPECT_EQ(world.core().balloon_low(), low + 1);
  EXPECT_EQ(world.core().current_pages(), 512U);
  EXPECT_TRUE(world.sim().work_pending());
  const pfn_t released = world.core().balloon_list_pages().front();
  EXPECT_FALSE(world.sim().lent(released));
  EXPECT_FALSE(world.sim().populated(released));
  EXPECT_TRUE(world.violations().empty()) << describe(world.violations());
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

TEST(ReleaseDriverPage, TakesPagesAcrossVectorsAndEmptiesThem) {
  World world(small_guest(), {});
  world.step(events::alloc_empty(1));
  world.step(events::alloc_empty(2));
  world.step(events::release_driver_page(0));  // vector #0's only page
  EXPECT_EQ(world.lent_vectors(), 1U);
  EXPECT_EQ(world.lent_pages(), 2U);
  world.step(events::release_driver_page(1));
  world.step(events::release_driver_page(0));
  EXPECT_EQ(world.lent_vectors(), 0U);
  // driver_pages is unsigned: three releases with no allowance wrap it.
  EXPECT_EQ(world.core().driver_pages(), std::uint64_t{0} - 3);
  world.step(events::release_driver_page(0));  // nothing lent: nothing happens
  EXPECT_EQ(world.core().driver_pages(), std::uint64_t{0} - 3);
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

TEST(EmptyPages, PvRefusalIsABug) {
  Config config = small_guest();
  config.contract_breaks = true;
  const RunResult result = run_events(config, {events::decrease_short(0), events::alloc_empty(4)});
  EXPECT_EQ(result.outcome, Outcome::expected_crash) << describe(result);
}

}  // namespace
}  // namespace balloonbench::testing
