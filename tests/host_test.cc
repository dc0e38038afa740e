// A host of several guests (run/host.h): shared frames, one clock, the toolstack's
// rebalancing, and the host-level invariants, each with a run where it fires.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "run/host.h"
#include "run/trace.h"
#include "tests/test_support.h"

namespace balloonbench {

// Loses one free frame of a bank, as a simulation bug would.
struct FrameBankTestPeer {
  static void lose_a_free_frame(FrameBank& bank) { --bank.free_; }
};

namespace testing {
namespace {

// A guest of 32 MiB that can balloon down by up to 2048 pages (big_guest()), holding
// `holds` of its 8192 pfns, on a host that gives nothing of its own.
Config host_guest(std::uint64_t holds) {
  Config config = with_host(big_guest(), 0, 0);
  config.nr_pages = holds;
  return config;
}

using host_events::on;
using host_events::rebalance;

// The patch's own scenario: the toolstack moves 1024 pages from guest 1 (down) to
// guest 0 (up) on a host with no free frame, and guest 0's work runs first (guests
// whose work comes due at the same jiffy run in order): its increase meets a transient
// shortage, which guest 1's decrease ends at once.
HostRun shortage_scenario(Variant up_guest) {
  HostRun run;
  run.guests = {host_guest(6144), host_guest(8192)};
  run.variants = {up_guest, Variant::fixed};
  run.events = {rebalance(1, 0, 1024)};
  return run;
}

std::string describe(const HostResult& result) {
  std::string out = outcome_name(result.outcome);
  for (const HostViolation& v : result.violations) {
    out += "\n  " + (v.guest.has_value() ? "guest " + std::to_string(*v.guest) + ": " : "host: ") +
           to_text(v.violation);
  }
  return out;
}

bool has(const HostResult& result, InvariantId id,
         std::optional<std::size_t> guest = std::nullopt) {
  for (const HostViolation& v : result.violations) {
    if (v.violation.id == id && v.guest == guest) return true;
  }
  return false;
}

TEST(Host, ALegacyGuestLatchedInATransientShortageFailsSystemConvergence) {
  const HostResult result = run_host(shortage_scenario(Variant::legacy), {});
  ASSERT_TRUE(result.system_converge_judged);
  ASSERT_TRUE(has(result, InvariantId::system_converge)) << describe(result);
  const std::string detail = result.violations.front().violation.detail;
  EXPECT_NE(detail.find("guest 0 (legacy) at 6144 of 7168"), std::string::npos) << detail;
  EXPECT_NE(detail.find("with 1024 host frames free"), std::string::npos) << detail;
  // The guest's own catalogue sees it too: no retry, and short of its target.
  EXPECT_TRUE(has(result, InvariantId::rearm, 0)) << describe(result);
  EXPECT_TRUE(has(result, InvariantId::converge, 0)) << describe(result);
}

TEST(Host, FixedGuestsConvergeAfterTheSameShortage) {
  HostRun run = shortage_scenario(Variant::fixed);
  std::vector<Trace> traces;
  Host host(run, {Mutation::none, &traces});
  for (const HostEvent& event : run.events) host.step(event);
  EXPECT_EQ(host.toolstack_target(0), 7168U);
  EXPECT_EQ(host.toolstack_target(1), 7168U);
  EXPECT_EQ(host.bank().free(), 0U);
  host.finish();
  const std::vector<HostViolation> violations = host.violations();
  EXPECT_TRUE(violations.empty()) << to_text(violations.front().violation);
  EXPECT_TRUE(host.system_converge_judged());
  EXPECT_EQ(host.guest(0).core().current_pages(), 7168U);
  EXPECT_EQ(host.guest(1).core().current_pages(), 7168U);
  EXPECT_EQ(host.bank().free(), 0U);
  // Each guest has its own trace: guest 0's first populate met the shortage, and its
  // retry a second later took what guest 1 gave back.
  ASSERT_EQ(traces.size(), 2U);
  const std::string up = traces[0].to_text();
  EXPECT_NE(up.find("set_target 7168"), std::string::npos) << up;
  EXPECT_NE(up.find("timer fires"), std::string::npos) << up;
  EXPECT_NE(traces[1].to_text().find("set_target 7168"), std::string::npos);
}

TEST(Host, HostFramesFiresWhenAFrameIsLost) {
  HostRun run = shortage_scenario(Variant::fixed);
  Host host(run, {});
  host.step(on(1, events::set_target(7000)));
  EXPECT_TRUE(host.violations().empty());
  FrameBankTestPeer::lose_a_free_frame(const_cast<FrameBank&>(host.bank()));
  host.step(on(1, events::run_work()));
  const std::vector<HostViolation> violations = host.violations();
  ASSERT_FALSE(violations.empty());
  EXPECT_EQ(violations.front().violation.id, InvariantId::host_frames);
  EXPECT_FALSE(violations.front().guest.has_value());
  EXPECT_EQ(violations.front().violation.event_index, 1U);
  EXPECT_TRUE(host.stopped());
}

TEST(Host, AFrameOneGuestFreesIsFreeForTheOthers) {
  HostRun run;
  run.guests = {host_guest(8192), host_guest(6144), host_guest(6144)};
  run.variants = {Variant::fixed, Variant::fixed, Variant::mainline};
  Host host(run, {});
  host.step(on(0, events::set_target(7000)));
  host.step(on(0, events::run_work()));
  EXPECT_EQ(host.bank().free(), 1192U);
  host.step(on(2, events::set_target(7000)));
  host.step(on(2, events::run_work()));
  // Linux's thread populates a batch a pass and runs again until done.
  EXPECT_EQ(host.guest(2).core().current_pages(), 6144U + 512U);
  host.step(on(2, events::tick(10)));
  EXPECT_EQ(host.guest(2).core().current_pages(), 7000U);
  EXPECT_EQ(host.bank().free(), 336U);
  host.step(on(1, events::set_target(8192)));
  host.step(on(1, events::run_work()));
  EXPECT_EQ(host.guest(1).sim().tot_pages(), 6144U + 336U);
  EXPECT_EQ(host.bank().free(), 0U);
}

TEST(Host, TheRestOfTheHostTakesAndGivesSharedFrames) {
  HostRun run;
  run.guests = {with_host(host_guest(6144), 100, 50), with_host(host_guest(6144), 20, 0)};
  run.variants = {Variant::fixed, Variant::fixed};
  Host host(run, {});
  EXPECT_EQ(host.bank().free(), 120U);
  EXPECT_EQ(host.bank().rest(), 50U);
  EXPECT_EQ(host.bank().total(), 120U + 50U + 2 * 6144U);
  host.step(on(1, events::host_take(500)));
  EXPECT_EQ(host.bank().free(), 0U);
  EXPECT_EQ(host.bank().rest(), 170U);
  host.step(on(0, events::host_free(30)));
  EXPECT_EQ(host.bank().free(), 30U);
  // The heal gives back what the rest took beyond what it held at boot.
  host.finish();
  EXPECT_EQ(host.bank().rest(), 50U);
  EXPECT_TRUE(host.violations().empty());
}

TEST(Host, TimeIsTheHostsAndEachGuestRunsWhenItsTimerComesDue) {
  // Guest 1 fails its increase first and retries a second later; guest 0 frees memory
  // half a second in. Guest 1's retry must see those frames: the clock is shared.
  HostRun run;
  run.guests = {host_guest(8192), host_guest(6144)};
  run.variants = {Variant::fixed, Variant::fixed};
  Host host(run, {});
  host.step(on(1, events::set_target(7000)));
  host.step(on(1, events::run_work()));
  EXPECT_EQ(host.guest(1).core().current_pages(), 6144U);
  host.step(on(0, events::tick(50)));
  host.step(on(0, events::set_target(7000)));
  host.step(on(0, events::run_work()));
  host.step(on(1, events::tick(60)));
  EXPECT_EQ(host.jiffies(), 110U);
  EXPECT_EQ(host.guest(0).sim().jiffies(), 110U);
  EXPECT_EQ(host.guest(1).sim().jiffies(), 110U);
  EXPECT_EQ(host.guest(1).core().current_pages(), 7000U);
}

TEST(Host, ADecreaseInFlightFeedsThePopulateItLandsIn) {
  HostRun run;
  run.guests = {host_guest(8192), host_guest(6144)};
  run.variants = {Variant::fixed, Variant::legacy};
  Host host(run, {});
  host.step(rebalance(0, 1, 1024, HostAction::rebalance_in_flight));
  EXPECT_EQ(host.toolstack_target(1), 7168U);
  // Decided, but not yet written: it lands in guest 1's hypercall.
  EXPECT_EQ(host.toolstack_target(0), 7168U);
  EXPECT_EQ(host.guest(0).core().target_pages(), 8192U);
  host.step(on(1, events::run_work()));
  EXPECT_EQ(host.toolstack_target(0), 7168U);
  EXPECT_EQ(host.guest(0).core().current_pages(), 7168U);
  // Even legacy gets all it asked for: the frames were free when Xen answered.
  EXPECT_EQ(host.guest(1).core().current_pages(), 7168U);
  host.finish();
  EXPECT_TRUE(host.violations().empty());
}

TEST(Host, ALaterDecisionSupersedesALoweringStillInFlight) {
  // Guest 1's lowering (7168 - 512) waits for guest 0's next hypercall when the
  // toolstack moves 256 pages back to guest 1: it decides from what it planned (6656),
  // writes 6912, and the older lowering never lands. Guest 0's own lowering, which no
  // hypercall of guest 1 carries, lands before the heal. The sum of targets holds.
  HostRun run;
  run.guests = {host_guest(7168), host_guest(7168)};
  run.variants = {Variant::fixed, Variant::fixed};
  std::vector<Trace> traces;
  Host host(run, {Mutation::none, &traces});
  host.step(rebalance(1, 0, 512, HostAction::rebalance_in_flight));
  host.step(rebalance(0, 1, 256, HostAction::rebalance_in_flight));
  EXPECT_EQ(host.toolstack_target(0), 7680U - 256);
  EXPECT_EQ(host.toolstack_target(1), 7168U - 512 + 256);
  host.step(on(0, events::run_work()));
  EXPECT_EQ(host.guest(1).core().target_pages(), 6912U);
  host.finish();
  EXPECT_TRUE(host.violations().empty()) << to_text(host.violations().front().violation);
  EXPECT_EQ(host.guest(0).core().current_pages(), 7424U);
  EXPECT_EQ(host.guest(1).core().current_pages(), 6912U);
  EXPECT_EQ(traces[1].to_text().find("set_target 6656"), std::string::npos);
}

TEST(Host, AnOvercommittingToolstackIsNotJudgedForConvergence) {
  // Fixed retries for ever, and legacy would latch (rearm); neither is judged for
  // convergence when the toolstack asks for more than the host has.
  HostRun run = shortage_scenario(Variant::fixed);
  run.overcommit = true;
  const HostResult result = run_host(run, {});
  EXPECT_FALSE(result.system_converge_judged);
  EXPECT_EQ(result.outcome, Outcome::clean) << describe(result);
}

TEST(Host, TargetsThatDoNotFitTheHostAreNotJudged) {
  HostRun run;
  run.guests = {host_guest(8192), host_guest(6144)};
  run.variants = {Variant::fixed, Variant::fixed};
  run.events = {on(1, events::set_target(8192)), on(1, events::run_work())};
  const HostResult result = run_host(run, {});
  EXPECT_FALSE(result.system_converge_judged);
  EXPECT_EQ(result.outcome, Outcome::clean) << describe(result);
}

TEST(Host, AGuestsOwnViolationNamesTheGuest) {
  HostRun run = shortage_scenario(Variant::fixed);
  HostOptions options;
  options.mutation = Mutation::forget_current_pages;
  const HostResult result = run_host(run, options);
  ASSERT_EQ(result.outcome, Outcome::violation);
  EXPECT_TRUE(has(result, InvariantId::ledger, 0)) << describe(result);
}

TEST(Host, AGuestThatBugsInATickStopsTheHostThere) {
  // Guest 0's seeded bug BUGs on a short populate, which it meets in the middle of a
  // tick that moves both guests. The host stops at that event; guest 1's own work in
  // the same tick still ran.
  HostRun run;
  run.guests = {with_host(host_guest(6144), 100, 0), host_guest(8192)};
  run.variants = {Variant::fixed, Variant::fixed};
  HostOptions options;
  options.mutation = Mutation::bug_on_short_populate;
  Host host(run, options);
  host.step(on(1, events::set_target(8000)));
  host.step(on(0, events::populate_limit(0)));
  host.step(on(0, events::set_target(7000)));
  host.step(on(1, events::tick(300)));
  ASSERT_TRUE(host.stopped());
  const std::vector<HostViolation> violations = host.violations();
  ASSERT_FALSE(violations.empty());
  EXPECT_EQ(violations.front().violation.id, InvariantId::no_bug);
  EXPECT_EQ(violations.front().guest, std::optional<std::size_t>(0));
  // Named by the host's event (#3, the tick), not by guest 0's own step count (2).
  EXPECT_EQ(violations.front().violation.event_index, 3U);
  host.step(on(1, events::run_work()));
  EXPECT_EQ(host.events_applied(), 4U);
  host.finish();
  EXPECT_EQ(host.guest(1).core().current_pages(), 8000U);
}

TEST(Host, SameRunSameTraces) {
  HostRun run = shortage_scenario(Variant::legacy);
  run.guests.push_back(host_guest(7000));
  run.variants.push_back(Variant::mainline);
  run.events.push_back(rebalance(2, 0, 500, HostAction::rebalance_in_flight));
  run.events.push_back(on(0, events::run_work()));
  run.events.push_back(on(2, events::tick(400)));
  std::vector<Trace> first;
  std::vector<Trace> second;
  run_host(run, {Mutation::none, &first});
  run_host(run, {Mutation::none, &second});
  ASSERT_EQ(first.size(), 3U);
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].to_text(), second[i].to_text());
}

TEST(Host, ValidateSaysWhyAHostCannotBoot) {
  HostRun run;
  run.guests = {host_guest(8192)};
  run.variants = {Variant::fixed};
  EXPECT_NE(validate(run).find("2 to 8 guests"), std::string::npos);
  run.guests.push_back(host_guest(10000));
  run.variants.push_back(Variant::fixed);
  EXPECT_NE(validate(run).find("guest 1:"), std::string::npos);
  run.guests.back() = host_guest(100);
  EXPECT_EQ(validate(run), "");
  run.events.push_back(on(5, events::run_work()));
  EXPECT_NE(validate(run).find("names a guest"), std::string::npos);
  EXPECT_THROW(Host(run, {}), std::invalid_argument);
}

}  // namespace
}  // namespace testing
}  // namespace balloonbench
