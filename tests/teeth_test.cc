// The bench's teeth against the code before the fix: `legacy` breaks
// no-partial-return, rearm, converge, no-bug, ledger and progress in hand-written
// scenarios that `fixed` passes. Each test runs the same scenario on both variants and
// names the invariant legacy must break first; another one fails it.

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace balloonbench::testing {
namespace {

using events::run_work;
using events::set_target;

void expect_legacy_breaks(const Config& config, const std::vector<Event>& list, InvariantId id) {
  const RunResult fixed = run_events(config, list, Variant::fixed);
  EXPECT_EQ(fixed.outcome, Outcome::clean) << "fixed: " << describe(fixed);
  const RunResult legacy = run_events(config, list, Variant::legacy);
  ASSERT_FALSE(legacy.violations.empty()) << "legacy should break " << invariant_name(id);
  EXPECT_EQ(legacy.violations.front().id, id)
      << "legacy should break " << invariant_name(id) << " first: " << describe(legacy);
}

TEST(Teeth, LegacyBreaks_no_partial_return_OnAPartialPopulate) {
  // The host has 100 free frames; the guest asks for 388 and gets 100.
  expect_legacy_breaks(with_host(small_guest(), 100), {set_target(900), run_work()},
                       InvariantId::no_partial_return);
}

TEST(Teeth, LegacyBreaks_rearm_WhenTheHardLimitLatches) {
  // No free frames at all: populate answers 0 and legacy latches at 512.
  expect_legacy_breaks(with_host(small_guest(), 0), {set_target(900), run_work()},
                       InvariantId::rearm);
}

TEST(Teeth, LegacyBreaks_converge_AfterTheHealWhenTheLimitLatchedBelowTarget) {
  // A decrease that failed to allocate leaves the retry timer pending. The next
  // increase meets a host with nothing free: legacy latches but the old timer is
  // still pending, so `rearm` holds for now. After the heal the timer fires, and
  // legacy, its target clamped to the limit, does nothing. (A guest big enough to
  // balloon down through a target: minimum_target() holds a small one where it is.)
  const Config config = with_host(big_guest(), 0);
  const std::vector<Event> list{events::alloc_fail(10, 1), set_target(7268), run_work(),
                                events::host_take(10),     set_target(8192), run_work()};
  // The epilogue's work run returns off target with no timer (rearm), and two seconds
  // later the reservation is still short (converge): both, in that order, in one step.
  EXPECT_EQ(run_events(config, list, Variant::fixed).outcome, Outcome::clean);
  const RunResult legacy = run_events(config, list, Variant::legacy);
  ASSERT_EQ(legacy.violations.size(), 2U) << describe(legacy);
  EXPECT_EQ(legacy.violations[0].id, InvariantId::rearm) << describe(legacy);
  EXPECT_EQ(legacy.violations[1].id, InvariantId::converge) << describe(legacy);
  EXPECT_EQ(legacy.violations[1].phase, Phase::epilogue) << describe(legacy);
}

TEST(Teeth, LegacyBreaks_no_bug_OnANegativePopulate) {
  // Populate answers -ENOSYS: legacy takes the success path and maps a lowmem pfn as
  // if it were a frame; Xen refuses and the driver BUGs.
  expect_legacy_breaks(small_guest(), {events::populate_error(38), set_target(900), run_work()},
                       InvariantId::no_bug);
}

TEST(Teeth, LegacyBreaks_ledger_OnANegativePopulateIntoHighmem) {
  // The same into highmem: no mapping is asked for, so the driver silently counts
  // pages Xen never populated.
  Config config = small_guest();
  config.max_low_pfn = 512;
  expect_legacy_breaks(config, {events::populate_error(12), set_target(900), run_work()},
                       InvariantId::ledger);
}

TEST(Teeth, LegacyBreaks_progress_WhenTheDriverAllowanceWraps) {
  // driver_pages below zero wraps the unsigned hard limit above current_pages, so
  // every failed populate latches a limit one page higher and the work asks again.
  expect_legacy_breaks(with_host(small_guest(), 0),
                       {events::driver_allowance(-1), set_target(900), run_work()},
                       InvariantId::progress);
}

}  // namespace
}  // namespace balloonbench::testing
