// The bench's teeth against the code before the fix: `legacy` breaks
// no-partial-return, rearm, converge and progress in hand-written scenarios that
// `fixed` passes. Each test runs the same scenario on both variants.

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
  EXPECT_TRUE(has(legacy, id)) << "legacy should break " << invariant_name(id) << ": "
                               << describe(legacy);
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
  // legacy, its target clamped to the limit, does nothing.
  Config config = with_host(small_guest(), 0);
  config.nr_pages = 1024;
  const std::vector<Event> list{events::alloc_fail(10, 1), set_target(900),  run_work(),
                                events::host_take(10),     set_target(1024), run_work()};
  expect_legacy_breaks(config, list, InvariantId::converge);
  const RunResult legacy = run_events(config, list, Variant::legacy);
  ASSERT_FALSE(legacy.violations.empty());
  EXPECT_EQ(legacy.violations.front().phase, Phase::epilogue) << describe(legacy);
}

TEST(Teeth, LegacyBreaks_progress_OnANegativePopulate) {
  // Populate answers -ENOSYS: legacy calls that success and asks again at once.
  expect_legacy_breaks(small_guest(), {events::populate_error(38), set_target(900), run_work()},
                       InvariantId::progress);
}

TEST(Teeth, LegacyBreaks_progress_EvenWhenTheHostChangesMeanwhile) {
  // Host memory moving in flight does not excuse asking again at once.
  std::vector<Event> list;
  for (int i = 0; i < 8; ++i) list.push_back(events::populate_error(38));
  for (int i = 0; i < 3; ++i) list.push_back(events::in_flight(InFlightAction::host_take, 0));
  list.push_back(set_target(900));
  list.push_back(run_work());
  expect_legacy_breaks(small_guest(), list, InvariantId::progress);
}

}  // namespace
}  // namespace balloonbench::testing
