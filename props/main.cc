// GoogleTest's main for the property suites, with CI's RapidCheck parameters as the
// default: a fixed seed and a case count that keeps the suite within minutes. Set
// RC_PARAMS to override them (ci/props-nightly does, with a fresh seed).

#include <gtest/gtest.h>

#include <cstdlib>

namespace {
constexpr const char* kCiParams = "seed=20261123 max_success=20000";
}

int main(int argc, char** argv) {
  setenv("RC_PARAMS", kCiParams, /*overwrite=*/0);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
