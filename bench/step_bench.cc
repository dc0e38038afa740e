// Throughput of World::step with the invariant checks, for a typical mix of events.
// The mix moves the same number of pages whatever the guest's size (targets swing a
// few hundred pages around the boot reservation), so comparing guest sizes shows the
// per-event cost of the bench itself, not of moving more memory.
//
// Run: build/dev/bench/step_bench   (see ci/bench for the table)

#include <benchmark/benchmark.h>

#include <vector>

#include "codec.h"
#include "world.h"

namespace balloonbench {
namespace {

Config guest_of(std::uint64_t pfns) {
  Config config;
  config.max_pfn = pfns;
  config.nr_pages = pfns / 2;
  config.max_low_pfn = pfns - pfns / 8;  // some highmem
  config.max_pages = pfns;
  config.host_free = 600;
  config.host_other = 600;
  return config;
}

// A repeating program: balloon up and down by a few hundred pages under partial and
// failed populates, allocation failures, host pressure and relief, timer retries,
// in-flight target writes and borrowed pages. It returns to its starting point.
std::vector<Event> typical_program(std::uint64_t base) {
  using namespace events;
  return {set_target(base + 300),
          populate_limit(120),
          run_work(),
          tick(kHz),
          host_take(200),
          tick(kHz),
          host_free(200),
          tick(kHz),
          alloc_empty(8),
          proc_read(),
          set_target(base - 250),
          alloc_fail(40, 1),
          run_work(),
          tick(kHz),
          in_flight(InFlightAction::set_target, base + 100),
          xenstore_target(std::to_string((base + 50) * 4)),
          run_work(),
          free_empty(0),
          populate_error(38),
          proc_write(std::to_string(base * 4096)),
          run_work(),
          tick(kHz),
          timer_late(20),
          delay_work(10),
          tick(2 * kHz)};
}

void BM_StepWithChecks(benchmark::State& state) {
  const auto pfns = static_cast<std::uint64_t>(state.range(0));
  const Config config = guest_of(pfns);
  const std::vector<Event> program = typical_program(config.nr_pages);
  World world(config, {});
  std::size_t next = 0;
  for (auto _ : state) {
    world.step(program[next]);
    next = next + 1 == program.size() ? 0 : next + 1;
  }
  if (world.stopped()) state.SkipWithError("the fixed core reported a violation");
  state.SetItemsProcessed(state.iterations());
  state.counters["pfns"] = static_cast<double>(pfns);
}
BENCHMARK(BM_StepWithChecks)->Arg(1024)->Arg(32768)->Arg(1048576);

// A whole decoded run as a fuzz target sees it: boot, 25 events, the epilogue and
// the full scan, on the guest the empty input decodes to (1,024 pfns).
void BM_WholeDecodedRun(benchmark::State& state) {
  Run run;
  run.config = decode({}).config;
  run.events = typical_program(run.config.nr_pages);
  const std::vector<std::uint8_t> bytes = encode(run);
  for (auto _ : state) {
    const RunResult result = balloonbench::run(decode(bytes), {});
    benchmark::DoNotOptimize(result.outcome);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WholeDecodedRun);

}  // namespace
}  // namespace balloonbench

BENCHMARK_MAIN();
