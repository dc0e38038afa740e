// Fuzz target: a host of 2 to 8 guests sharing one pool of frames (run/host.h). The
// input is a host in its own encoding (docs/encoding.md, "Hosts"): decode it, apply
// every event through Host::step, which checks each guest's catalogue and the host's
// frames after each, end with the host's epilogue (the heal, then system convergence),
// and abort on the first violation. Guest 0 runs BALLOON_VARIANT (and BALLOON_MUTANT),
// the others fixed, so that `BALLOON_VARIANT=legacy` asks whether one pre-patch guest
// among patched ones keeps the host from converging. Inputs that are not a host's
// encoding are rejected (-1), and so are hosts where a large guest's text write asks
// for a target outside its window (as balloon_events rejects such runs).

#include <cstddef>
#include <cstdint>

#include "fuzz/harness.h"
#include "fuzz/text_window.h"
#include "run/codec.h"
#include "run/host.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  balloonbench::fuzz::init_from_env();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balloonbench;
  HostDecodeInfo info;
  const HostRun run =
      fuzz::as_judged(decode_host({data, size}, fuzz::variant(), Variant::fixed, &info));
  // Not a host's encoding, or a host this build cannot make (variant source).
  if (!info.known_version || !validate(run).empty()) return -1;
  if (fuzz::text_target_outside_window(run)) return -1;
  HostOptions options;
  options.mutation = fuzz::mutation();
  const HostResult result = run_host(run, options);
  if (const HostViolation* violation = fuzz::reported(result)) {
    fuzz::report_and_abort(host_failure(run, *violation, fuzz::mutation()));
  }
  return 0;
}
