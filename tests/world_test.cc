// A World reset in place runs as a new one, and a run costs what it touches: runs
// decoded from fixed-seed random bytes (std::mt19937_64, whose output the standard
// fixes) go through one reused World and through fresh ones, and must give the same
// traces, results and machine state; the epilogue check must agree with the full
// scan on them; and a guest of 262,144 pfns runs clean while the simulation touches
// only a few thousand of its pfns and frames. Without a trace, a run from a boot the
// World kept gives what a new World gives.

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "run/codec.h"
#include "tests/test_support.h"

namespace balloonbench::testing {
namespace {

std::vector<std::uint8_t> random_bytes(std::mt19937_64& rng, std::size_t max_length) {
  std::vector<std::uint8_t> bytes(rng() % (max_length + 1));
  for (auto& byte : bytes) byte = static_cast<std::uint8_t>(rng());
  if (!bytes.empty()) bytes[0] = kFormatVersion;
  return bytes;
}

// The /proc writer's buffer starts empty in every run: "40" after a reset is read as
// 40 even by the core that reads past a write's count, though the run before left
// "1000000" there.
TEST(World, AResetForgetsWhatTheLastRunWrote) {
  const WorldOptions options{Variant::fixed, Mutation::proc_write_reads_past_count};
  World world(small_guest(), options);
  const RunResult before = balloonbench::run(
      world, balloonbench::Run{small_guest(), {events::proc_write("1000000")}}, options);
  ASSERT_EQ(before.outcome, Outcome::clean);
  const balloonbench::Run short_write{small_guest(), {events::proc_write("40")}};
  EXPECT_EQ(balloonbench::run(world, short_write, options).outcome, Outcome::clean);
  // Within one run the buffer is kept, which is what exposes the bug.
  const balloonbench::Run both{small_guest(),
                               {events::proc_write("1000000"), events::proc_write("40")}};
  EXPECT_EQ(balloonbench::run(world, both, options).outcome, Outcome::violation);
}

TEST(World, AResetWorldRunsAsANewOne) {
  std::mt19937_64 rng(20261130);
  for (const Variant variant : {Variant::fixed, Variant::legacy}) {
    Trace reused_trace;
    World reused(small_guest(), WorldOptions{variant, Mutation::none, &reused_trace});
    for (int i = 0; i < 60; ++i) {
      const balloonbench::Run run = decode(random_bytes(rng, 300));
      Trace fresh_trace;
      const WorldOptions fresh_options{variant, Mutation::none, &fresh_trace};
      World fresh(run.config, fresh_options);
      for (const Event& event : run.events) fresh.step(event);
      fresh.finish();
      reused_trace = Trace();
      const RunResult got =
          balloonbench::run(reused, run, WorldOptions{variant, Mutation::none, &reused_trace});
      ASSERT_EQ(reused_trace.to_text(), fresh_trace.to_text()) << i;
      ASSERT_EQ(got.outcome, fresh.outcome()) << i;
      ASSERT_EQ(describe(got.violations), describe(fresh.violations())) << i;
      if (run.config.max_pfn <= 4096) {
        ASSERT_EQ(machine_digest(reused.sim()), machine_digest(fresh.sim())) << i;
      }
    }
  }
}

// What a run leaves that a kept boot could get wrong: the driver's counters and list,
// the machine, the result.
std::string run_digest(const World& world, const RunResult& result) {
  const Driver& core = world.core();
  std::string digest =
      std::string(outcome_name(result.outcome)) + " " + describe(result.violations) + " current " +
      std::to_string(core.current_pages()) + " target " + std::to_string(core.target_pages()) +
      " low " + std::to_string(core.balloon_low()) + " high " +
      std::to_string(core.balloon_high()) + " driver " + std::to_string(core.driver_pages()) +
      " limit " + std::to_string(core.hard_limit()) + " list";
  for (const pfn_t pfn : core.balloon_list_pages()) digest += " " + std::to_string(pfn);
  if (world.sim().config().max_pfn <= 4096) {
    digest += " machine " + std::to_string(machine_digest(world.sim()));
  }
  return digest;
}

// What a new World gives for `run`: its digest and statistics, and whether its boot
// checked clean.
struct FreshRun {
  std::string digest;
  RunStats stats;
  bool clean_boot = false;
};
FreshRun run_fresh(const balloonbench::Run& run, const WorldOptions& options) {
  World fresh(run.config, options);
  FreshRun result;
  result.clean_boot = fresh.violations().empty();
  for (const Event& event : run.events) fresh.step(event);
  fresh.finish();
  RunResult expected;
  expected.outcome = fresh.outcome();
  expected.violations = fresh.violations();
  result.digest = run_digest(fresh, expected);
  result.stats = fresh.stats();
  return result;
}

// Without a trace a World keeps each clean boot of a driver that can be copied, and
// starts a later run of the same boot from it: that run must be the run a new World
// gives, mutations that change balloon_init (highmem-at-head) included. Runs of
// different guests alternate, so each boot is kept, then taken back after others. A
// boot the check found wrong (highmem-at-head's, with highmem in the balloon) is never
// kept.
TEST(World, ARunFromAKeptBootRunsAsANewOne) {
  std::mt19937_64 rng(20261202);
  std::size_t wrong_boots = 0;
  for (const auto& [variant, mutation] :
       {std::pair{Variant::fixed, Mutation::none}, std::pair{Variant::legacy, Mutation::none},
        std::pair{Variant::fixed, Mutation::highmem_at_head},
        std::pair{Variant::fixed, Mutation::keep_p2m_on_decrease}}) {
    const WorldOptions options{variant, mutation, nullptr};
    World reused(small_guest(), options);
    std::vector<balloonbench::Run> runs;
    for (int i = 0; i < 30; ++i) runs.push_back(decode(random_bytes(rng, 300)));
    std::size_t clean_boots = 0;
    std::size_t from_kept = 0;
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t i = 0; i < runs.size(); ++i) {
        const FreshRun fresh = run_fresh(runs[i], options);
        const RunResult got = balloonbench::run(reused, runs[i], options);
        ASSERT_EQ(run_digest(reused, got), fresh.digest)
            << mutation_name(mutation) << " run " << i << " pass " << pass << " "
            << to_hex(encode(runs[i]));
        ASSERT_EQ(got.stats, fresh.stats) << i;
        // The first pass boots every guest the first time (the runs' guests differ).
        if (pass == 0) {
          ASSERT_FALSE(reused.boot_was_kept()) << i;
          clean_boots += fresh.clean_boot ? 1 : 0;
          wrong_boots += fresh.clean_boot ? 0 : 1;
        } else {
          ASSERT_TRUE(fresh.clean_boot || !reused.boot_was_kept()) << i;
          from_kept += reused.boot_was_kept() ? 1 : 0;
        }
      }
    }
    // Every clean boot comes back kept on the second pass, but for a guest whose slot
    // a later guest of the 30 took (about one such pair in 30 guests and 512 slots).
    EXPECT_LE(from_kept, clean_boots) << mutation_name(mutation);
    EXPECT_GE(from_kept + 3, clean_boots) << mutation_name(mutation);
  }
  EXPECT_GT(wrong_boots, 0U);
}

// One World running drivers of several kinds (variant and mutation) by turns keeps a
// boot of each, and starts a run only from a boot of its own kind: every run must be
// the run a new World gives. (A driver copied into one of another kind would run with
// its own variant or mutation over the other's state.)
TEST(World, KeptBootsOfDriversOfDifferentKindsStayApart) {
  std::mt19937_64 rng(20261203);
  const std::array<WorldOptions, 4> kinds{
      WorldOptions{Variant::fixed, Mutation::none, nullptr},
      WorldOptions{Variant::legacy, Mutation::none, nullptr},
      WorldOptions{Variant::fixed, Mutation::highmem_at_head, nullptr},
      WorldOptions{Variant::fixed, Mutation::no_rearm, nullptr}};
  std::vector<balloonbench::Run> runs;
  for (int i = 0; i < 12; ++i) runs.push_back(decode(random_bytes(rng, 300)));
  World reused(small_guest(), kinds[0]);
  std::size_t from_kept = 0;
  std::size_t differing = 0;
  for (int pass = 0; pass < 3; ++pass) {
    for (std::size_t i = 0; i < runs.size(); ++i) {
      std::set<std::string> digests;
      for (const WorldOptions& options : kinds) {
        const std::string digest = run_fresh(runs[i], options).digest;
        const RunResult got = balloonbench::run(reused, runs[i], options);
        ASSERT_EQ(run_digest(reused, got), digest)
            << variant_name(options.variant) << " " << mutation_name(options.mutation) << " run "
            << i << " pass " << pass << " " << to_hex(encode(runs[i]));
        digests.insert(digest);
        from_kept += reused.boot_was_kept() ? 1 : 0;
      }
      differing += digests.size() > 1 ? 1 : 0;
    }
  }
  EXPECT_GT(from_kept, runs.size());  // runs started from kept boots of every kind
  EXPECT_GT(differing, 0U);           // and the kinds ran differently on some run
}

// A boot is kept only where a run from it is sure to be the same: not for a run that
// records a trace, nor by a World built for one run, nor for a driver that cannot be
// copied (Linux's writes to the world as it boots). (A boot the check found wrong:
// ARunFromAKeptBootRunsAsANewOne.)
TEST(World, ABootIsKeptOnlyWhereARunFromItIsTheSame) {
  const balloonbench::Run run{small_guest(), {events::set_target(600), events::run_work()}};
  {
    Trace trace;
    const WorldOptions traced{Variant::fixed, Mutation::none, &trace};
    World world(small_guest(), traced);
    balloonbench::run(world, run, traced);
    EXPECT_FALSE(world.boot_was_kept());
    const WorldOptions plain{Variant::fixed, Mutation::none, nullptr};
    balloonbench::run(world, run, plain);
    EXPECT_FALSE(world.boot_was_kept());  // the traced boots were not kept
    balloonbench::run(world, run, plain);
    EXPECT_TRUE(world.boot_was_kept());
    balloonbench::run(world, run, traced);
    EXPECT_FALSE(world.boot_was_kept());
  }
  {
    // A World built for one run keeps nothing: its first reset boots.
    const WorldOptions plain{Variant::fixed, Mutation::none, nullptr};
    World world(run.config, plain);
    balloonbench::run(world, run, plain);
    EXPECT_FALSE(world.boot_was_kept());
    balloonbench::run(world, run, plain);
    EXPECT_TRUE(world.boot_was_kept());
  }
  {
    const WorldOptions linux_driver{Variant::mainline, Mutation::none, nullptr};
    World world(small_guest(), linux_driver);
    balloonbench::run(world, run, linux_driver);
    balloonbench::run(world, run, linux_driver);
    EXPECT_FALSE(world.boot_was_kept());
    // A kept boot of another driver is copied anew, not into Linux's driver.
    const WorldOptions port{Variant::legacy, Mutation::none, nullptr};
    balloonbench::run(world, run, port);
    balloonbench::run(world, run, linux_driver);
    const RunResult got = balloonbench::run(world, run, port);
    EXPECT_TRUE(world.boot_was_kept());
    EXPECT_EQ(run_digest(world, got), run_fresh(run, port).digest);
  }
}

TEST(World, AResetRefusesABadConfigAndKeepsItsRun) {
  World world(small_guest(), WorldOptions{});
  world.step(events::set_target(600));
  Config bad = small_guest();
  bad.max_low_pfn = 0;
  EXPECT_THROW(world.reset(bad, WorldOptions{}), std::invalid_argument);
  EXPECT_EQ(world.events_applied(), 1U);
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

// On runs the bench decodes, with and without the mutations that leave a wrong state
// behind, the cheap epilogue check finds whatever the full scan finds.
TEST(World, TheEpilogueCheckAgreesWithTheFullScan) {
  std::mt19937_64 rng(41);
  for (const Mutation mutation :
       {Mutation::none, Mutation::keep_p2m_on_decrease, Mutation::forget_current_pages}) {
    for (int i = 0; i < 60; ++i) {
      const balloonbench::Run run = decode(random_bytes(rng, 300));
      WorldOptions cheap{Variant::fixed, mutation, nullptr};
      cheap.full_scan = FullScan::never;
      WorldOptions both = cheap;
      both.full_scan = FullScan::always;
      const RunResult a = balloonbench::run(run, cheap);
      const RunResult b = balloonbench::run(run, both);
      ASSERT_EQ(describe(a.violations), describe(b.violations))
          << mutation_name(mutation) << " " << to_hex(encode(run));
    }
  }
}

// By default a guest of up to kFullScanMaxPfn pfns ends its run with the full scan, in
// every engine and in the replay tool alike, and the trace says so; a larger guest
// does not, unless asked.
TEST(World, SmallGuestsEndWithTheFullScanByDefault) {
  const auto scanned = [](std::uint64_t max_pfn, FullScan full_scan) {
    Config config;
    config.max_pfn = max_pfn;
    config.nr_pages = max_pfn / 2;
    config.max_low_pfn = max_pfn;
    config.max_pages = max_pfn;
    config.host_free = max_pfn;
    config.host_other = 64;
    Trace trace;
    WorldOptions options{Variant::fixed, Mutation::none, &trace};
    options.full_scan = full_scan;
    const RunResult result =
        balloonbench::run(balloonbench::Run{config, {events::set_target(max_pfn / 4)}}, options);
    EXPECT_TRUE(result.violations.empty()) << describe(result.violations);
    return trace.to_text().find("full scan: every one of " + std::to_string(max_pfn) + " pfns") !=
           std::string::npos;
  };
  EXPECT_TRUE(scanned(kFullScanMaxPfn, FullScan::small_guests));
  EXPECT_FALSE(scanned(kFullScanMaxPfn + 1, FullScan::small_guests));
  EXPECT_TRUE(scanned(kFullScanMaxPfn + 1, FullScan::always));
  EXPECT_FALSE(scanned(256, FullScan::never));
}

// 262,144 pfns (1 GiB), all but 300 populated: the run balloons down and up by a few
// hundred pages, and the simulation writes a few table pages, not a table per pfn.
TEST(World, ALargeGuestRunsCleanAndTouchesLittle) {
  Config config;
  config.max_pfn = 262144;
  config.nr_pages = config.max_pfn - 300;
  config.max_low_pfn = config.max_pfn - 4096;
  config.max_pages = config.max_pfn;
  config.host_free = 1000;
  config.host_other = 1000;
  WorldOptions options;
  options.full_scan = FullScan::always;
  World world(config, options);
  world.step(events::set_target(config.nr_pages - 700));
  world.step(events::run_work());
  EXPECT_EQ(world.core().current_pages(), config.nr_pages - 700);
  for (const Event& event :
       {events::populate_limit(100), events::set_target(config.nr_pages + 200), events::run_work(),
        events::tick(kHz), events::alloc_empty(8), events::free_empty(0), events::host_take(500),
        events::tick(2 * kHz)}) {
    world.step(event);
  }
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
  // A few thousand pfns and frames at most, of a quarter of a million.
  EXPECT_GT(world.sim().touched_pfns().size(), 700U);
  EXPECT_LT(world.sim().touched_pfns().size(), 4000U);
  EXPECT_LT(world.sim().touched_frames().size(), 4000U);
}

}  // namespace
}  // namespace balloonbench::testing
