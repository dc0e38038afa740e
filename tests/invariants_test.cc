// Every invariant in the catalogue fires on a deliberately broken run. Each test
// seeds one named bug into the fixed core (a Mutation, listed with its scenario in
// canaries()), runs the scenario, and expects the checker to report that id; the
// same scenario on the unbroken core is clean, so the report is the bug's doing. Suite names carry
// the invariant id, with
// '_' for '-', so `ctest -R no_partial_return` finds its test.

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace balloonbench::testing {
namespace {

using events::alloc_empty;
using events::alloc_fail;
using events::free_empty;
using events::mem_pressure;
using events::populate_limit;
using events::run_work;
using events::set_target;

struct Scenario {
  Config config;
  std::vector<Event> events;
};

struct Canary {
  Mutation mutation;
  InvariantId caught_by;
  Scenario scenario;
};

// Each seeded bug with a scenario that exposes it and the invariant that must. The
// bugs on the way down need a guest that can balloon down through a target: one
// above minimum_target()'s floor (big_guest()).
std::vector<Canary> canaries() {
  const Config full = big_guest();
  Config mixed = full;
  mixed.max_low_pfn = 4096;
  Config small_start = small_guest();
  small_start.nr_pages = 100;
  const Config starved = with_host(small_guest(), 0);
  Config small_balloon = small_guest();
  small_balloon.nr_pages = 1000;
  // A 32-bit PVH guest: 512 populated pfns, 128 of them highmem.
  Config pvh_highmem = small_guest();
  pvh_highmem.max_low_pfn = 384;
  pvh_highmem.auto_translated = true;
  return {
      {Mutation::forget_current_pages,
       InvariantId::ledger,
       {small_guest(), {set_target(900), run_work()}}},
      {Mutation::keep_p2m_on_decrease, InvariantId::p2m, {full, {set_target(8000), run_work()}}},
      // Lowmem pages lent and given back sit at the head; the decrease that follows
      // balloons highmem, which the broken core also puts at the head.
      {Mutation::highmem_at_head,
       InvariantId::list,
       {mixed, {alloc_empty(4), free_empty(0), set_target(8000), run_work()}}},
      {Mutation::overshoot_target,
       InvariantId::at_or_below_target,
       {small_guest(), {set_target(900), run_work()}}},
      {Mutation::no_batch_clamp, InvariantId::batch, {small_start, {set_target(1024), run_work()}}},
      {Mutation::ignore_need_sleep,
       InvariantId::progress,
       {starved, {set_target(900), run_work()}}},
      {Mutation::no_rearm, InvariantId::rearm, {starved, {set_target(900), run_work()}}},
      // The timer is re-armed (so `rearm` holds) but its firing schedules nothing.
      {Mutation::alarm_forgets_work,
       InvariantId::converge,
       {starved, {set_target(900), run_work()}}},
      {Mutation::bug_on_short_populate,
       InvariantId::no_bug,
       {small_guest(), {populate_limit(100), set_target(900), run_work()}}},
      // "40" reads 40 bytes; past its count the buffer still holds "00000" of the
      // write before, and "4000000" bytes is 976 pages, above the 512 the floor keeps.
      {Mutation::proc_write_reads_past_count,
       InvariantId::text_write,
       {small_guest(), {events::proc_write("1000000"), events::proc_write("40")}}},
      // 4000 KiB is 1000 pages; read as bytes it is none, and the floor keeps the target.
      {Mutation::kib_read_as_bytes,
       InvariantId::text_write,
       {small_guest(), {events::sysfs_target_kb("4000")}}},
      // Linux's driver (variant mainline), on a guest with a 24-page balloon.
      {Mutation::fix_cancelled_balloon_action,
       InvariantId::rearm,
       {small_balloon, {alloc_empty(24), set_target(1010), run_work()}}},
      {Mutation::fix_alloc_error_path_accounting,
       InvariantId::ledger,
       {small_balloon, {alloc_fail(0, 64), alloc_empty(40)}}},
      {Mutation::fix_accounting_without_hotplug,
       InvariantId::converge,
       {small_balloon, {alloc_empty(24), set_target(1010), run_work(), free_empty(0)}}},
      {Mutation::xsa300_no_reserve_backoff,
       InvariantId::progress,
       {small_guest(), {mem_pressure(1024), set_target(300), run_work(), run_work(), run_work()}}},
      // With only highmem ballooned, a borrow gives lowmem back to Xen and wakes nobody
      // (the converge window allows the rest of the thread's hour for that); freeing the
      // borrowed pages leaves the credit and must wake it: the allowance ends there.
      {Mutation::free_wakes_nobody,
       InvariantId::converge,
       {pvh_highmem, {set_target(450), run_work(), alloc_empty(8), free_empty(0)}}},
  };
}

const Canary& canary_for(Mutation mutation) {
  static const std::vector<Canary> all = canaries();
  for (const Canary& canary : all) {
    if (canary.mutation == mutation) return canary;
  }
  static const Canary none{Mutation::none, InvariantId::ledger, {}};
  ADD_FAILURE() << "no scenario for mutation " << mutation_name(mutation);
  return none;
}

// Runs the mutation's scenario broken and unbroken; returns the broken run's result.
RunResult expect_caught(Mutation mutation) {
  const Canary& canary = canary_for(mutation);
  const Scenario& scenario = canary.scenario;
  const Variant variant = mutation_variant(mutation);
  const RunResult sound = run_events(scenario.config, scenario.events, variant);
  EXPECT_EQ(sound.outcome, Outcome::clean) << "unbroken core: " << describe(sound);
  const RunResult broken = run_events(scenario.config, scenario.events, variant, mutation);
  EXPECT_EQ(broken.outcome, Outcome::violation);
  EXPECT_TRUE(has(broken, canary.caught_by))
      << "expected " << invariant_name(canary.caught_by) << " under " << mutation_name(mutation)
      << ", got " << describe(broken);
  return broken;
}

const Violation* find(const RunResult& result, InvariantId id) {
  for (const Violation& violation : result.violations) {
    if (violation.id == id) return &violation;
  }
  return nullptr;
}

TEST(Invariant_ledger, FiresWhenIncreaseForgetsCurrentPages) {
  const RunResult broken = expect_caught(Mutation::forget_current_pages);
  const Violation* ledger = find(broken, InvariantId::ledger);
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(ledger->event_index, 1U);
  EXPECT_NE(ledger->detail.find("current_pages=512 totalram_pages=512"), std::string::npos)
      << ledger->detail;
}

TEST(Invariant_p2m, FiresWhenDecreaseKeepsTheP2mEntry) {
  const RunResult broken = expect_caught(Mutation::keep_p2m_on_decrease);
  const Violation* p2m = find(broken, InvariantId::p2m);
  ASSERT_NE(p2m, nullptr);
  EXPECT_NE(p2m->detail.find("ballooned pfn"), std::string::npos) << p2m->detail;
}

TEST(Invariant_list, FiresWhenHighmemGoesToTheHead) {
  const RunResult broken = expect_caught(Mutation::highmem_at_head);
  const Violation* list = find(broken, InvariantId::list);
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->event_index, 3U);
}

TEST(Invariant_no_partial_return, FiresOnLegacyPartialPopulate) {
  const Scenario scenario{with_host(small_guest(), 100), {set_target(900), run_work()}};
  EXPECT_EQ(run_events(scenario.config, scenario.events).outcome, Outcome::clean);
  const RunResult legacy = run_events(scenario.config, scenario.events, Variant::legacy);
  const Violation* found = find(legacy, InvariantId::no_partial_return);
  ASSERT_NE(found, nullptr) << describe(legacy);
  EXPECT_NE(found->detail.find("populate answered 100 of 388 but 0 pages left the balloon"),
            std::string::npos)
      << found->detail;
}

TEST(Invariant_rearm, FiresWhenTheWorkFunctionDoesNotRearm) { expect_caught(Mutation::no_rearm); }

TEST(Invariant_at_or_below_target, FiresWhenPopulateAsksPastTheTarget) {
  const RunResult broken = expect_caught(Mutation::overshoot_target);
  const Violation* found = find(broken, InvariantId::at_or_below_target);
  ASSERT_NE(found, nullptr);
  EXPECT_NE(found->detail.find("asks for 389"), std::string::npos) << found->detail;
}

TEST(Invariant_batch, FiresWhenBatchesAreNotClamped) { expect_caught(Mutation::no_batch_clamp); }

TEST(Invariant_progress, FiresWhenTheLoopIgnoresNeedSleep) {
  expect_caught(Mutation::ignore_need_sleep);
}

TEST(Invariant_progress, InFlightHostChangesDoNotExtendTheBudget) {
  std::vector<Event> list;
  for (int i = 0; i < 8; ++i) list.push_back(events::in_flight(InFlightAction::host_free, 0));
  list.push_back(set_target(900));
  list.push_back(run_work());
  const RunResult broken =
      run_events(with_host(small_guest(), 0), list, Variant::fixed, Mutation::ignore_need_sleep);
  EXPECT_TRUE(has(broken, InvariantId::progress)) << describe(broken);
}

TEST(Invariant_progress, AnInFlightTargetChangeExtendsTheBudget) {
  // The fixed core balloons up, is told mid-hypercall to go back down, and does:
  // more hypercalls than one direction needs, and rightly so.
  Config config = small_guest();
  config.nr_pages = 100;
  const RunResult result = run_events(
      config, {events::in_flight(InFlightAction::set_target, 100), set_target(1024), run_work()});
  EXPECT_EQ(result.outcome, Outcome::clean) << describe(result);
}

TEST(Invariant_converge, FiresWhenTheTimerForgetsTheWork) {
  const RunResult broken = expect_caught(Mutation::alarm_forgets_work);
  EXPECT_FALSE(has(broken, InvariantId::rearm)) << describe(broken);
  ASSERT_FALSE(broken.violations.empty());
  EXPECT_EQ(broken.violations.front().phase, Phase::epilogue);
}

// The window allows a thread the rest of its hour for a borrow nobody woke it for, until
// something that wakes Linux's thread: here a free that leaves the credit. Without
// that end to the allowance, a thread that sleeps on through the free would pass.
TEST(Invariant_converge, FiresWhenAFreeAfterAnUnwokenBorrowWakesNobody) {
  const RunResult broken = expect_caught(Mutation::free_wakes_nobody);
  ASSERT_FALSE(broken.violations.empty());
  EXPECT_EQ(broken.violations.front().phase, Phase::epilogue);
  EXPECT_EQ(broken.violations.front().id, InvariantId::converge) << describe(broken);
}

TEST(Invariant_no_bug, FiresWhenTheCoreBugsUnderLegalBehaviour) {
  const RunResult broken = expect_caught(Mutation::bug_on_short_populate);
  const Violation* found = find(broken, InvariantId::no_bug);
  ASSERT_NE(found, nullptr);
  EXPECT_NE(found->detail.find("BUG at balloon.cc"), std::string::npos) << found->detail;
}

TEST(Invariant_no_bug, AContractBreakIsAnExpectedCrashNotAViolation) {
  Config config = big_guest();
  config.contract_breaks = true;
  const RunResult result =
      run_events(config, {events::decrease_short(0), set_target(8000), run_work()});
  EXPECT_EQ(result.outcome, Outcome::expected_crash);
  EXPECT_FALSE(has(result, InvariantId::no_bug)) << describe(result);
}

TEST(Checker, EveryMutationIsCaughtByItsInvariant) {
  // A new mutation without a scenario, or one its invariant misses, fails here.
  for (const Mutation mutation : all_mutations()) {
    SCOPED_TRACE(mutation_name(mutation));
    expect_caught(mutation);
    // The scenario's invariant is the one the catalogue names for this bug, which the
    // property teeth hold the shrunk counterexamples to as well.
    ASSERT_TRUE(invariant_for_mutation(mutation).has_value());
    EXPECT_EQ(canary_for(mutation).caught_by, *invariant_for_mutation(mutation));
  }
  EXPECT_FALSE(invariant_for_mutation(Mutation::none).has_value());
}

// Every value of the enum below 256 that has a name is counted, so that an id added
// after no_bug without moving kInvariantCount is caught; every counted id parses back.
TEST(Checker, EveryIdIsCountedAndNamed) {
  for (unsigned i = 0; i < 256; ++i) {
    const auto id = static_cast<InvariantId>(i);
    const std::string name = invariant_name(id);
    EXPECT_EQ(name != "?", i < kInvariantCount) << i << ": " << name;
    if (i < kInvariantCount) {
      EXPECT_EQ(parse_invariant(name), id) << name;
    }
  }
  EXPECT_EQ(all_invariants().size(), kInvariantCount);
}

TEST(Checker, ViolationTextNamesTheIdAndTheEvent) {
  const Violation violation{InvariantId::no_partial_return, Phase::event, 7, "values"};
  EXPECT_EQ(to_text(violation), "no-partial-return at event #7: values");
  EXPECT_EQ(to_text(Violation{InvariantId::converge, Phase::epilogue, 9, "x"}),
            "converge in the epilogue: x");
}

TEST(Checker, VariantsMutationsAndOutcomesHaveNames) {
  for (const Variant variant : {Variant::fixed, Variant::legacy, Variant::mainline}) {
    EXPECT_EQ(parse_variant(variant_name(variant)), variant);
  }
  EXPECT_EQ(parse_variant("Fixed"), std::nullopt);
  for (const Mutation mutation : all_mutations())
    EXPECT_EQ(parse_mutation(mutation_name(mutation)), mutation);
  EXPECT_EQ(parse_mutation("none"), Mutation::none);
  EXPECT_EQ(parse_mutation("no_rearm"), std::nullopt);
  EXPECT_STREQ(mutation_name(static_cast<Mutation>(200)), "?");
  EXPECT_STREQ(outcome_name(Outcome::clean), "clean");
  EXPECT_STREQ(outcome_name(Outcome::violation), "violation");
  EXPECT_STREQ(outcome_name(Outcome::expected_crash), "expected-crash");
  EXPECT_STREQ(outcome_name(static_cast<Outcome>(9)), "?");
  EXPECT_STREQ(trace_kind_name(TraceKind::config), "config");
  EXPECT_STREQ(trace_kind_name(TraceKind::epilogue), "epilogue");
  EXPECT_EQ(to_text(Violation{InvariantId::list, Phase::boot, 0, "x"}), "list at boot: x");
}

TEST(Invariant_no_bug, ABugInTheEpilogueIsReported) {
  // Nothing runs the work before the epilogue; there, max_pages cuts the populate
  // short and the broken core BUGs.
  Config config = small_guest();
  config.max_pages = 700;
  const RunResult broken =
      run_events(config, {set_target(900)}, Variant::fixed, Mutation::bug_on_short_populate);
  ASSERT_TRUE(has(broken, InvariantId::no_bug)) << describe(broken);
  EXPECT_EQ(broken.violations.front().phase, Phase::epilogue);
}

TEST(Checker, IdsRoundTripThroughTheirNames) {
  for (unsigned i = 0; i < kInvariantCount; ++i) {
    const auto id = static_cast<InvariantId>(i);
    EXPECT_EQ(parse_invariant(invariant_name(id)), id);
  }
  EXPECT_EQ(parse_invariant("no_partial_return"), std::nullopt);
}

TEST(Checker, TheFullScanAgreesWithTheStepChecksOnACleanRun) {
  // A long, varied run on the fixed core: the step checks find nothing, and neither
  // does the full scan at the end, which walks every pfn, frame and list entry.
  Config config = small_guest();
  config.max_low_pfn = 700;
  config.host_free = 300;
  config.host_other = 400;
  World world(config, {});
  const std::vector<Event> list{set_target(1000),
                                run_work(),
                                events::host_free(200),
                                events::tick(250),
                                alloc_empty(16),
                                events::alloc_fail(5, 2),
                                set_target(300),
                                run_work(),
                                events::tick(100),
                                free_empty(0),
                                events::in_flight(InFlightAction::set_target, 700),
                                run_work(),
                                events::tick(300)};
  for (const Event& event : list) world.step(event);
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

}  // namespace
}  // namespace balloonbench::testing
