// Fuzz target: one run on the `source` driver and, beside it, on the port of the
// same kind (legacy for a driver from before the patch, else fixed), on two identical
// simulations; the first event after which they differ in a hypercall, an Env call's
// effect, a counter, the balloon list or the /proc text aborts with a side-by-side
// report (run/diff.h). The input is the balloon_events encoding, and libFuzzer
// mutates it as balloon_events does: as a run half the time (fuzz/run_mutator.h), as
// bytes the other half. Needs a build with a source driver
// (BALLOONBENCH_DRIVER_SOURCE).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz/harness.h"
#include "fuzz/run_mutator.h"
#include "run/codec.h"
#include "run/diff.h"

namespace {

balloonbench::Variant g_port = balloonbench::Variant::fixed;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  using namespace balloonbench;
  if (!parse_variant("source")) {
    std::fprintf(stderr,
                 "balloon_diff: this build has no source driver (configure with "
                 "-DBALLOONBENCH_DRIVER_SOURCE=path/to/balloon.c)\n");
    std::exit(2);
  }
  g_port = port_of_same_kind(Variant::source);
  return 0;
}

// libFuzzer's byte-level mutation. Weak: the replay executable and AFL++'s driver do
// not define it, and they never call the custom mutator.
extern "C" __attribute__((weak)) std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size,
                                                              std::size_t max_size);

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  return balloonbench::fuzz::mutate_run(data, size, max_size, seed, LLVMFuzzerMutate);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balloonbench;
  DecodeInfo info;
  const Run run = decode({data, size}, &info);
  if (!info.known_version) return -1;
  const DiffResult result = diff_run(run, g_port, Variant::source);
  if (!result.divergence) return 0;
  std::fputs(to_text(*result.divergence, g_port, Variant::source).c_str(), stderr);
  Failure failure;
  failure.kind = FailureKind::divergence;
  failure.detail = result.divergence->fact;
  failure.variant = Variant::source;
  failure.reproduce = "balloon-repro --diff --hex " + to_hex(encode(run));
  fuzz::report_and_abort(failure);
}
