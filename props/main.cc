// GoogleTest's main for the property suites, with CI's RapidCheck parameters as the
// default: a fixed seed and a case count that keeps the suite within minutes. Set
// RC_PARAMS to override them (ci/props-nightly does, with a fresh seed).

#include <gtest/gtest.h>

#include <cstdlib>

// AddressSanitizer's defaults for the property suites; ASAN_OPTIONS still overrides
// them. With the default 256 MB quarantine and 30-frame allocation stacks, a process
// that runs many cases grows by about 100 KB a case (RapidCheck's generators give
// the stack depot ever new allocation stacks); a nightly's 200,000 cases per property
// would run out of memory. 16 MB and 8 frames keep it flat at tens of megabytes.
extern "C" const char* __asan_default_options() {
  return "quarantine_size_mb=16:malloc_context_size=8";
}

namespace {
constexpr const char* kCiParams = "seed=20261123 max_success=20000";
}

int main(int argc, char** argv) {
  setenv("RC_PARAMS", kCiParams, /*overwrite=*/0);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
