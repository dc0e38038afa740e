// A fuzz target that does nothing, built with the same flags and libraries as the
// real ones. Its exec/s is libFuzzer's own ceiling on this machine; dividing by
// balloon_events' exec/s shows what the bench costs per input. Not a real target:
// ci/fuzz does not run it, it only serves the measurement in the README.

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* /*data*/, std::size_t /*size*/) {
  return 0;
}
