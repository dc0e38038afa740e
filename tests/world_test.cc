// A World reset in place runs as a new one, and a run costs what it touches: runs
// decoded from fixed-seed random bytes (std::mt19937_64, whose output the standard
// fixes) go through one reused World and through fresh ones, and must give the same
// traces, results and machine state; the epilogue check must agree with the full
// scan on them; and a guest of 262,144 pfns runs clean while the simulation touches
// only a few thousand of its pfns and frames.

#include <gtest/gtest.h>

#include <random>
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
