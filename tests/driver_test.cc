// The driver's rules (SPEC §1), one hand-written scenario each, for both variants
// where they differ. Each scenario drives a World with events and then reads the
// core's state, the simulation's state and the hypercalls in the trace. At the end,
// that the sanitized test build checks the drivers' dynamic types (UBSan's vptr).

#include <gtest/gtest.h>

#include <cstdio>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "driver/balloon_list.h"
#include "driver/xen-2.6.18/balloon.h"
#include "tests/test_support.h"

namespace balloonbench::testing {
namespace {

using events::alloc_fail;
using events::delay_work;
using events::driver_allowance;
using events::populate_error;
using events::populate_limit;
using events::run_work;
using events::set_target;
using events::tick;
using events::timer_late;

// The list the ports keep their ballooned pages on: every operation, through the
// ring's growth and its wrapping at either end, gives what a std::deque given the
// same operations holds, and journals what it did.
TEST(BalloonListRing, AgreesWithADequeThroughGrowthAndWrapping) {
  BalloonList list;
  std::vector<ListOp> journal;
  list.set_journal(&journal);
  std::deque<pfn_t> model;
  std::mt19937_64 random(7);
  std::size_t operations = 0;
  for (int round = 0; round < 20000; ++round) {
    const pfn_t pfn = random() % 100000;
    switch (random() % 5) {
      case 0:
      case 1:
        list.add_head(pfn);
        model.push_front(pfn);
        ++operations;
        break;
      case 2:
        list.add_tail(pfn);
        model.push_back(pfn);
        ++operations;
        break;
      default: {
        pfn_t taken = 0;
        const bool got = list.take_head(taken);
        ASSERT_EQ(got, !model.empty()) << round;
        if (got) {
          ASSERT_EQ(taken, model.front()) << round;
          model.pop_front();
          ++operations;
        }
      }
    }
    ASSERT_EQ(list.size(), model.size()) << round;
    ASSERT_EQ(list.empty(), model.empty()) << round;
    if (round % 97 == 0) {
      for (std::size_t i = 0; i < model.size(); ++i) ASSERT_EQ(list.at(i), model[i]) << round;
    }
  }
  // Grown past its first capacity many times; then drained from the head.
  EXPECT_GT(model.size(), 1000U);
  for (; !model.empty(); model.pop_front(), ++operations) {
    pfn_t taken = 0;
    ASSERT_TRUE(list.take_head(taken));
    ASSERT_EQ(taken, model.front());
  }
  pfn_t none = 0;
  EXPECT_FALSE(list.take_head(none));
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(journal.size(), operations);
}

// §1.2 Boot.

TEST(Boot, BalloonsEveryPfnXenDidNotPopulate) {
  Config config = small_guest();
  config.max_pfn = 64;
  config.nr_pages = 40;
  config.max_low_pfn = 64;
  config.max_pages = 64;
  World world(config, {});
  const Driver& core = world.core();
  EXPECT_EQ(core.current_pages(), 40U);
  EXPECT_EQ(core.totalram_pages(), 40U);
  EXPECT_EQ(core.target_pages(), 40U);
  EXPECT_EQ(core.balloon_low(), 24U);
  EXPECT_EQ(core.balloon_high(), 0U);
  const std::vector<pfn_t> list = core.balloon_list_pages();
  ASSERT_EQ(core.balloon_list_size(), 24U);
  ASSERT_EQ(list.size(), 24U);
  // Lowmem goes in at the head, so the last pfn added comes out first.
  EXPECT_EQ(list.at(0), 63U);
  EXPECT_EQ(list.at(23), 40U);
  EXPECT_TRUE(world.violations().empty()) << describe(world.violations());
}

TEST(Boot, PutsHighmemAtTheTailInOrder) {
  Config config = small_guest();
  config.max_pfn = 64;
  config.nr_pages = 40;
  config.max_low_pfn = 48;
  config.max_pages = 64;
  World world(config, {});
  const std::vector<pfn_t> list = world.core().balloon_list_pages();
  EXPECT_EQ(world.core().balloon_low(), 8U);
  EXPECT_EQ(world.core().balloon_high(), 16U);
  EXPECT_EQ(list.at(0), 47U);
  EXPECT_EQ(list.at(7), 40U);
  EXPECT_EQ(list.at(8), 48U);
  EXPECT_EQ(list.at(23), 63U);
}

TEST(Boot, CurrentPagesIsAtMostMaxPfn) {
  Config config = small_guest();
  config.max_pfn = 10;
  config.nr_pages = 10;
  config.max_low_pfn = 10;
  config.max_pages = 10;
  NullSimObserver observer;
  Sim sim(config, observer);
  BalloonCore core(sim, Variant::fixed);
  core.balloon_init(/*max_pfn=*/10, /*nr_pages=*/20);
  EXPECT_EQ(core.current_pages(), 10U);
  EXPECT_EQ(core.target_pages(), 10U);
  EXPECT_TRUE(core.balloon_list().empty());
}

TEST(Boot, TotalhighPagesCountsTheHighmemInUse) {
  // The kernel counts every highmem pfn at boot; the balloon takes off those it holds
  // and keeps the count in step as pages come and go.
  Config config = big_guest();
  config.nr_pages = 6000;
  config.max_low_pfn = 4096;
  NullSimObserver observer;
  Sim sim(config, observer);
  BalloonCore core(sim, Variant::fixed);
  core.balloon_init(config.max_pfn, config.nr_pages);
  EXPECT_EQ(core.totalhigh_pages(), 6000U - 4096);
  core.balloon_set_new_target(7000);
  core.balloon_process();
  EXPECT_EQ(core.current_pages(), 7000U);
  EXPECT_EQ(core.totalhigh_pages(), 7000U - 4096);
  core.balloon_set_new_target(6500);
  core.balloon_process();
  EXPECT_EQ(core.current_pages(), 6500U);
  EXPECT_EQ(core.totalhigh_pages(), 6500U - 4096);
}

// §1.3 current_target.

TEST(CurrentTarget, NeverAimsAboveWhatTheBalloonCanGiveBack) {
  World world(small_guest(), {});
  world.step(set_target(5000));
  EXPECT_EQ(world.core().current_target(), 1024U);
  world.step(run_work());
  EXPECT_EQ(world.core().current_pages(), 1024U);
  EXPECT_EQ(world.core().balloon_low(), 0U);
  // Absorbing the whole balloon is the end of it: no timer.
  EXPECT_FALSE(world.sim().timer_pending());
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

TEST(CurrentTarget, LegacyIsClampedByTheHardLimit) {
  World world(with_host(small_guest(), 0), {Variant::legacy});
  world.step(set_target(900));
  world.step(run_work());
  EXPECT_EQ(world.core().hard_limit(), 512U);
  EXPECT_EQ(world.core().current_target(), 512U);
  EXPECT_EQ(world.checker().effective_target(), 900U);
}

// §1.4 increase_reservation.

TEST(Increase, IsClampedToTheFrameList) {
  Config config = small_guest();
  config.nr_pages = 100;
  Trace trace;
  const RunResult result =
      run_events(config, {set_target(1024), run_work()}, Variant::fixed, Mutation::none, &trace);
  EXPECT_EQ(result.outcome, Outcome::clean) << describe(result);
  EXPECT_EQ(hypercalls(trace), (std::vector<Call>{populate(512, 512), populate(412, 412)}));
}

TEST(Increase, FixedKeepsThePagesOfAPartialPopulate) {
  Trace trace;
  World world(small_guest(), {Variant::fixed, Mutation::none, &trace});
  world.step(populate_limit(100));
  world.step(set_target(900));
  world.step(run_work());
  EXPECT_EQ(hypercalls(trace), std::vector<Call>{populate(388, 100)});
  EXPECT_EQ(world.core().current_pages(), 612U);
  EXPECT_EQ(world.sim().tot_pages(), 612U);
  EXPECT_EQ(world.core().balloon_low(), 412U);
  // The head of the list came back: pfns 1023 down to 924.
  EXPECT_TRUE(world.sim().populated(1023));
  EXPECT_TRUE(world.sim().populated(924));
  EXPECT_FALSE(world.sim().populated(923));
  EXPECT_EQ(world.sim().mapping(1023), world.sim().p2m_entry(1023));
  // "Needs retry": the loop stopped and the timer is armed a second ahead.
  EXPECT_TRUE(world.sim().timer_pending());
  EXPECT_EQ(world.sim().timer_expires(), kHz);
  EXPECT_TRUE(world.violations().empty()) << describe(world.violations());
}

TEST(Increase, FixedRetriesAfterAZeroPopulate) {
  Trace trace;
  World world(small_guest(), {Variant::fixed, Mutation::none, &trace});
  world.step(populate_limit(0));
  world.step(set_target(900));
  world.step(run_work());
  EXPECT_EQ(hypercalls(trace), std::vector<Call>{populate(388, 0)});
  EXPECT_EQ(world.core().current_pages(), 512U);
  EXPECT_TRUE(world.sim().timer_pending());
}

TEST(Increase, FixedGivesUpTheRoundOnANegativePopulate) {
  Trace trace;
  World world(small_guest(), {Variant::fixed, Mutation::none, &trace});
  world.step(populate_error(38));
  world.step(set_target(900));
  world.step(run_work());
  EXPECT_EQ(hypercalls(trace), std::vector<Call>{populate(388, -38)});
  EXPECT_EQ(world.core().current_pages(), 512U);
  EXPECT_EQ(world.core().balloon_low(), 512U);
  EXPECT_TRUE(world.sim().timer_pending());
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
  EXPECT_EQ(world.core().current_pages(), 900U);
}

TEST(Increase, LegacyHandsAPartialPopulateBackAndLatchesTheHardLimit) {
  Trace trace;
  World world(with_host(small_guest(), 100), {Variant::legacy, Mutation::none, &trace});
  world.step(set_target(900));
  world.step(run_work());
  // The 100 frames go straight back; the limit latches at 512 + 100; the loop then
  // asks for the 100 again, and Xen (with its frames back) gives them.
  EXPECT_EQ(hypercalls(trace),
            (std::vector<Call>{populate(388, 100), decrease(100, 100), populate(100, 100)}));
  EXPECT_EQ(world.core().hard_limit(), 612U);
  EXPECT_EQ(world.core().current_pages(), 612U);
  EXPECT_FALSE(world.sim().timer_pending());
}

TEST(Increase, LegacyHardLimitSubtractsDriverPages) {
  Trace trace;
  World world(with_host(small_guest(), 100), {Variant::legacy, Mutation::none, &trace});
  world.step(driver_allowance(10));
  world.step(set_target(900));
  world.step(run_work());
  EXPECT_EQ(world.core().hard_limit(), 602U);
  EXPECT_EQ(hypercalls(trace),
            (std::vector<Call>{populate(388, 100), decrease(100, 100), populate(90, 90)}));
}

TEST(Increase, LegacyHardLimitArithmeticIsUnsigned) {
  // driver_pages above current + rc wraps the limit round to "no limit at all".
  World world(small_guest(), {Variant::legacy});
  world.step(driver_allowance(1000));
  world.step(populate_limit(0));
  world.step(set_target(900));
  world.step(run_work());
  EXPECT_EQ(world.core().hard_limit(), std::uint64_t{512} - 1000);
  EXPECT_EQ(world.core().current_pages(), 900U);
}

TEST(Increase, LegacyTakesTheSuccessPathOnANegativePopulate) {
  // The C compares `long rc` with `unsigned long nr_pages` as unsigned: -ENOMEM is not
  // less than 388, so every page asked for leaves the balloon with frame_list's pfn as
  // its "frame", and current_pages counts them although Xen populated nothing. Driven
  // without a checker (the bench stops this run at `ledger`); the balloon is highmem,
  // so no kernel mapping is asked for.
  Config config = small_guest();
  config.max_low_pfn = 512;
  BareCore bare(config, Variant::legacy);
  bare.sim.arm_populate_error(12);
  bare.core.balloon_set_new_target(900);
  bare.core.balloon_process();
  EXPECT_EQ(bare.core.hard_limit(), kNoHardLimit);
  EXPECT_EQ(bare.core.current_pages(), 900U);
  EXPECT_EQ(bare.sim.tot_pages(), 512U);
  EXPECT_EQ(bare.sim.p2m_entry(600), 600U);  // the pfn, written where a frame belongs
  EXPECT_FALSE(bare.sim.timer_pending());
}

TEST(Increase, LegacyBugsMappingAPfnAsAFrameAfterANegativePopulate) {
  // The same on a lowmem page of a PV guest: Xen refuses to map a frame the domain
  // does not own, and BUG_ON(ret) stops the kernel.
  BareCore bare(small_guest(), Variant::legacy);
  bare.sim.arm_populate_error(12);
  bare.core.balloon_set_new_target(900);
  EXPECT_THROW(bare.core.balloon_process(), KernelBug);
}

TEST(Increase, LegacyZeroPopulateHandsNothingBack) {
  // The hard-limit branch decreases only for rc > 0; a zero answer just latches.
  Trace trace;
  World world(with_host(small_guest(), 0), {Variant::legacy, Mutation::none, &trace});
  world.step(set_target(900));
  world.step(run_work());
  EXPECT_EQ(hypercalls(trace), std::vector<Call>{populate(388, 0)});
  EXPECT_EQ(world.core().hard_limit(), 512U);
}

TEST(Increase, ANewTargetClearsTheLegacyHardLimitEvenTheSameValue) {
  BareCore bare(with_host(small_guest(), 0), Variant::legacy);
  bare.core.balloon_set_new_target(900);
  bare.core.balloon_process();
  ASSERT_EQ(bare.core.hard_limit(), 512U);
  bare.core.balloon_set_new_target(900);
  EXPECT_EQ(bare.core.hard_limit(), kNoHardLimit);
  EXPECT_EQ(bare.core.current_target(), 900U);
}

TEST(Increase, ReturnsLowmemFirstAndHighmemLast) {
  Config config = small_guest();
  config.nr_pages = 256;
  config.max_low_pfn = 512;
  World world(config, {});
  world.step(set_target(300));
  world.step(run_work());
  EXPECT_TRUE(world.sim().populated(511));
  EXPECT_TRUE(world.sim().populated(468));
  EXPECT_FALSE(world.sim().populated(467));
  EXPECT_FALSE(world.sim().populated(512));
  world.step(set_target(1024));
  world.step(run_work());
  EXPECT_TRUE(world.sim().populated(1023));
  // Highmem has no kernel mapping to restore; lowmem does.
  EXPECT_EQ(world.sim().mapping(1023), kInvalidP2mEntry);
  EXPECT_EQ(world.sim().mapping(300), world.sim().p2m_entry(300));
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

TEST(Increase, AutoTranslatedGuestLeavesThePhysmapToXen) {
  // Xen populates its physmap and leaves frame_list holding the gpfns; the driver
  // still maps lowmem back into the kernel, with a PTE naming the gpfn (pfn_to_mfn is
  // the identity on a translated guest), and unmaps it again on the way down.
  Config config = with_host(big_guest(), 4096);
  config.nr_pages = 4096;
  config.auto_translated = true;
  World world(config, {});
  world.step(set_target(7000));
  world.step(run_work());
  EXPECT_EQ(world.core().current_pages(), 7000U);
  EXPECT_TRUE(world.sim().populated(8191));
  EXPECT_EQ(world.sim().mapping(8191), 8191U);
  world.step(set_target(6500));
  world.step(run_work());
  EXPECT_EQ(world.core().current_pages(), 6500U);
  const pfn_t ballooned = world.core().balloon_list_pages().front();
  EXPECT_FALSE(world.sim().populated(ballooned));
  EXPECT_EQ(world.sim().mapping(ballooned), kInvalidP2mEntry);
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

TEST(Increase, AutoTranslatedMappingOfAGfnWithNoFrameIsABug) {
  // legacy reads an error answer as success and maps each pfn in frame_list: on a
  // translated guest the PTE names a gfn Xen never populated, which Xen refuses, and
  // BUG_ON(ret) stops the kernel, as on a PV guest.
  Config config = small_guest();
  config.auto_translated = true;
  const RunResult result = run_events(
      config, {events::populate_error(12), set_target(900), run_work()}, Variant::legacy);
  ASSERT_EQ(result.outcome, Outcome::violation) << describe(result);
  EXPECT_EQ(result.violations.front().id, InvariantId::no_bug) << describe(result);
  EXPECT_NE(result.violations.front().detail.find("update_va_mapping"), std::string::npos)
      << describe(result);
}

// §1.5 decrease_reservation.

TEST(Decrease, IsClampedAndBalloonsThePages) {
  Trace trace;
  World world(big_guest(), {Variant::fixed, Mutation::none, &trace});
  world.step(set_target(7268));
  world.step(run_work());
  EXPECT_EQ(hypercalls(trace), (std::vector<Call>{decrease(512, 512), decrease(412, 412)}));
  EXPECT_EQ(world.core().current_pages(), 7268U);
  EXPECT_EQ(world.core().balloon_low(), 924U);
  EXPECT_FALSE(world.sim().populated(8191));
  EXPECT_EQ(world.sim().mapping(8191), kInvalidP2mEntry);
  EXPECT_TRUE(world.sim().populated(7267));
  EXPECT_FALSE(world.sim().timer_pending());
}

TEST(Decrease, StopsAtAnAllocationFailureAndRetries) {
  Trace trace;
  World world(big_guest(), {Variant::fixed, Mutation::none, &trace});
  world.step(alloc_fail(10, 1));
  world.step(set_target(7268));
  world.step(run_work());
  EXPECT_EQ(hypercalls(trace), std::vector<Call>{decrease(10, 10)});
  EXPECT_EQ(world.core().current_pages(), 8182U);
  EXPECT_TRUE(world.sim().timer_pending());
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
  EXPECT_EQ(world.core().current_pages(), 7268U);
}

TEST(Decrease, WithNoPageObtainedStillAsksXenForNothing) {
  Trace trace;
  World world(big_guest(), {Variant::fixed, Mutation::none, &trace});
  world.step(alloc_fail(0, 1));
  world.step(set_target(7268));
  world.step(run_work());
  EXPECT_EQ(hypercalls(trace), std::vector<Call>{decrease(0, 0)});
  EXPECT_TRUE(world.sim().timer_pending());
}

TEST(Decrease, TakesHighmemFirst) {
  Config config = big_guest();
  config.max_low_pfn = 4096;
  World world(config, {});
  world.step(set_target(8168));
  world.step(run_work());
  EXPECT_EQ(world.core().balloon_high(), 24U);
  EXPECT_EQ(world.core().balloon_low(), 0U);
}

TEST(Decrease, ShortAnswerIsABugAndAnExpectedCrash) {
  Config config = big_guest();
  config.contract_breaks = true;
  const RunResult result =
      run_events(config, {events::decrease_short(3), set_target(7268), run_work()});
  EXPECT_EQ(result.outcome, Outcome::expected_crash) << describe(result);
  EXPECT_TRUE(result.violations.empty()) << describe(result);
  EXPECT_NE(result.expected_crash.find("ret != static_cast<long>(nr_pages)"), std::string::npos)
      << result.expected_crash;
}

TEST(Decrease, ShortAnswerNeedsTheContractBreaksKnob) {
  const RunResult result =
      run_events(big_guest(), {events::decrease_short(3), set_target(7268), run_work()});
  EXPECT_EQ(result.outcome, Outcome::clean) << describe(result);
}

// §1.6 The work function and its retry timer.

TEST(Work, RearmsOneSecondAheadForeverWithoutBackOff) {
  World world(with_host(small_guest(), 0), {});
  world.step(set_target(900));
  world.step(run_work());
  EXPECT_EQ(world.sim().timer_expires(), kHz);
  world.step(tick(kHz));
  EXPECT_EQ(world.sim().timer_expires(), 2 * kHz);
  world.step(tick(3 * kHz));
  EXPECT_EQ(world.sim().jiffies(), 4 * kHz);
  EXPECT_TRUE(world.sim().timer_pending());
  EXPECT_EQ(world.sim().timer_expires(), 5 * kHz);
  EXPECT_EQ(world.core().current_pages(), 512U);
  EXPECT_TRUE(world.violations().empty()) << describe(world.violations());
}

TEST(Work, StatsCountOnlyTheArmsOfARetryThatFailedAgain) {
  // Two rounds without the timer: the first arms it, the second (a new target, not a
  // retry) arms it again. Neither is a re-arm. Other guests hold the host's memory.
  // Each new target is higher: below the current target, minimum_target() would
  // hold this small guest where it is.
  World world(with_host(small_guest(), 0, 1024), {});
  world.step(set_target(800));
  world.step(run_work());
  world.step(set_target(850));
  world.step(run_work());
  EXPECT_EQ(world.stats().timer_arms, 2U);
  EXPECT_EQ(world.stats().timer_rearms, 0U);
  // The timer fires, the retry fails again and arms it: one re-arm each time.
  world.step(tick(kHz));
  EXPECT_EQ(world.stats().timer_fires, 1U);
  EXPECT_EQ(world.stats().timer_rearms, 1U);
  world.step(tick(kHz));
  EXPECT_EQ(world.stats().timer_rearms, 2U);
  // A new target's round that fails arms the timer too, but it is no retry.
  world.step(set_target(900));
  world.step(run_work());
  EXPECT_EQ(world.stats().timer_arms, 5U);
  EXPECT_EQ(world.stats().timer_rearms, 2U);
  world.step(set_target(950));
  world.step(run_work());
  // With the host relieved, the next retry reaches the target and arms nothing.
  world.step(events::host_free(1024));
  world.step(tick(kHz));
  EXPECT_EQ(world.stats().timer_fires, 3U);
  EXPECT_EQ(world.stats().timer_rearms, 2U);
  EXPECT_EQ(world.core().current_pages(), 950U);
}

TEST(Work, ReachingTheTargetLeavesNoTimer) {
  World world(small_guest(), {});
  world.step(set_target(900));
  world.step(run_work());
  EXPECT_EQ(world.core().current_pages(), 900U);
  EXPECT_FALSE(world.sim().timer_pending());
}

TEST(Work, TheTimerOnlySchedulesTheWork) {
  World world(small_guest(), {});
  world.step(populate_limit(0));
  world.step(set_target(900));
  world.step(run_work());
  world.step(delay_work(150));
  world.step(tick(120));
  // The timer fired at 100 and scheduled the work, which may not run before 150.
  EXPECT_FALSE(world.sim().timer_pending());
  EXPECT_TRUE(world.sim().work_pending());
  EXPECT_EQ(world.core().current_pages(), 512U);
  world.step(tick(50));
  EXPECT_FALSE(world.sim().work_pending());
  EXPECT_EQ(world.core().current_pages(), 900U);
}

TEST(Work, SchedulingPendingWorkIsANoOp) {
  Trace trace;
  World world(small_guest(), {Variant::fixed, Mutation::none, &trace});
  world.step(set_target(900));
  world.step(set_target(800));
  EXPECT_EQ(count_entries(trace, TraceKind::work_scheduled), 1U);
}

TEST(Work, RunsOnlyWhenTheBenchLetsIt) {
  World world(small_guest(), {});
  world.step(set_target(900));
  EXPECT_TRUE(world.sim().work_pending());
  EXPECT_EQ(world.core().current_pages(), 512U);
}

TEST(Work, TheTraceSaysWhyAWorkRunDidNotHappen) {
  Trace trace;
  World world(small_guest(), {Variant::fixed, Mutation::no_rearm, &trace});
  world.step(run_work());
  world.step(set_target(900));
  world.step(delay_work(50));
  world.step(run_work());
  world.step(events::proc_write("4M"));
  world.step(events::proc_read());
  const std::string text = trace.to_text();
  EXPECT_NE(text.find("mutation=no-rearm"), std::string::npos);
  EXPECT_NE(text.find("no work pending"), std::string::npos);
  EXPECT_NE(text.find("work delayed until t=50"), std::string::npos);
  EXPECT_NE(text.find("write returned 2"), std::string::npos);
  EXPECT_NE(text.find("read: Current allocation:"), std::string::npos);
}

TEST(Work, ALateTimerFiresLate) {
  World world(small_guest(), {});
  world.step(populate_limit(0));
  world.step(set_target(900));
  world.step(run_work());
  world.step(timer_late(30));
  world.step(tick(120));
  EXPECT_TRUE(world.sim().timer_pending());
  EXPECT_EQ(world.core().current_pages(), 512U);
  world.step(tick(10));
  EXPECT_FALSE(world.sim().timer_pending());
  EXPECT_EQ(world.core().current_pages(), 900U);
}

// The test build keeps UBSan's vptr check on the bench's own types (only the fuzz and
// afl presets leave it out, fuzz/vptr-ignorelist.txt): a Driver taken for the
// 2.6.18 core when it is Linux's is reported.
TEST(Sanitizers, TheVptrCheckCoversTheBenchsOwnTypes) {
#ifndef BALLOONBENCH_UBSAN_VPTR
  GTEST_SKIP() << "a build without UBSan's vptr check on the bench's types";
#else
  NullSimObserver observer;
  Sim sim(Config{}, observer);
  const std::unique_ptr<Driver> linux_driver =
      make_driver(sim, Variant::mainline, Mutation::none, false);
  EXPECT_DEATH(
      {
        Driver& driver = *linux_driver;
        std::fprintf(
            stderr, "%llu\n",
            static_cast<unsigned long long>(static_cast<BalloonCore&>(driver).balloon_list_size()));
      },
      "does not point to an object of type '(balloonbench::)?BalloonCore'");
#endif
}

}  // namespace
}  // namespace balloonbench::testing
