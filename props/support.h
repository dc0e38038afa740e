// Running properties and reading their results. A property is checked through
// RapidCheck's own entry point, so RC_PARAMS (seed, max_success, reproduce, ...)
// applies, and the result comes back as data: the tests can then require that the
// situations a property is meant to cover were reached, and the teeth tests can
// require a counterexample.
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "driver/xen-2.6.18/balloon.h"
#include "run/event.h"
#include "run/world.h"

namespace balloonbench::props {

using Result = rc::detail::TestResult;

// Checks `property` with the configured parameters (RC_PARAMS). Prints RapidCheck's
// result message, which for a failure includes the counterexample.
Result check(const std::string& id, const std::function<void()>& property);
// Checks `property` with an explicit seed and case count, whatever RC_PARAMS says.
Result check_with(const std::string& id, const std::function<void()>& property, std::uint64_t seed,
                  int cases);

// The number of cases that carried each tag.
std::map<std::string, int> tag_counts(const Result& result);

// Fails the current test unless `result` is a success that reached every tag (a run
// of fewer than 1 / kMinTagShare cases is held to the success alone).
// The least share of a property's cases that must reach each required situation.
inline constexpr double kMinTagShare = 0.01;
void expect_success_covering(const Result& result, const std::vector<std::string>& required);

// The failure message of a run: its first violation and the line that replays it.
std::string failure_message(const Run& run, const RunResult& result, Variant variant,
                            Mutation mutation = Mutation::none);

// Tags the situations a run reached, for RapidCheck's distribution.
void classify(const Config& config, const RunStats& stats);

// The tags every run property must reach in a CI run.
const std::vector<std::string>& run_situations();

}  // namespace balloonbench::props
