// Fuzz target: one whole run of the balloon core. The input is a run in the shared
// encoding (docs/encoding.md): decode it, apply every event through World::step,
// which checks the invariant catalogue after each, end with the liveness epilogue,
// and abort on the first violation so that libFuzzer keeps the input. Inputs whose
// version byte is not a known format are rejected (-1), and so are runs where a large
// guest's text write asks for a target outside its window (fuzz/text_window.h). With
// BALLOON_LEGAL_XEN=1 the run's contract_breaks knob is cleared first (the reproduce
// line then carries the run as judged).
// libFuzzer mutates inputs as runs half the time (fuzz/run_mutator.h) and as bytes the
// other half.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "fuzz/harness.h"
#include "fuzz/run_mutator.h"
#include "fuzz/text_window.h"
#include "run/codec.h"
#include "run/world.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  balloonbench::fuzz::init_from_env();
  return 0;
}

// libFuzzer's byte-level mutation. Weak: the replay executables and AFL++'s driver do
// not define it, and they never call the custom mutator.
extern "C" __attribute__((weak)) std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size,
                                                              std::size_t max_size);

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  return balloonbench::fuzz::mutate_run(data, size, max_size, seed, LLVMFuzzerMutate);
}

namespace {

// The smallest guest there is: one page, populated, with nothing free on the host.
constexpr balloonbench::Config kParked{.max_pfn = 1,
                                       .nr_pages = 1,
                                       .max_low_pfn = 1,
                                       .auto_translated = false,
                                       .max_pages = 1,
                                       .host_free = 0,
                                       .host_other = 0,
                                       .contract_breaks = false,
                                       .memory_hotplug = false};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balloonbench;
  DecodeInfo info;
  const Run run = fuzz::as_judged(decode({data, size}, &info));
  if (!info.known_version) return -1;
  if (fuzz::text_target_outside_window(run, text_rules(fuzz::variant()))) return -1;
  // One World for every input, reset in place for each: a run costs what it touches,
  // not the size of its guest (World::reset gives what a new World would).
  static std::unique_ptr<World> world;
  const WorldOptions options{fuzz::variant(), fuzz::mutation(), nullptr};
  if (world == nullptr) world = std::make_unique<World>(run.config, options);
  const RunResult result = balloonbench::run(*world, run, options);
  if (const Violation* violation = fuzz::reported(result)) fuzz::report_and_abort(run, *violation);
  // libFuzzer runs an input again, to look for a leak, whenever its execution
  // allocated more than it freed. A world that kept this run's driver and queues until
  // the next input's reset would make about one execution in five such a rerun, so the
  // world is parked on the smallest guest instead: each execution then frees what it
  // allocated, but for the first run of a new largest guest (and the first boot the
  // world keeps, World::reset).
  world->reset(kParked, options);
  return 0;
}
