// Throughput of World::step: per event kind, with and without the invariant checks,
// and as the guest grows from 1,024 to 1,048,576 pfns; the cost of a whole run
// (boot, events, epilogue) on guests of 1,024 to 262,144 pfns, in a World reset for
// each run as a fuzz target does, or built anew; and a step of one guest of a host of
// 2 or 8 guests. Every program swings the reservation
// by the same few hundred pages whatever the guest's size, so comparing sizes shows
// the cost of the bench itself, not of moving more memory. ci/bench runs this and
// prints the table with the ratios.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "run/codec.h"
#include "run/host.h"
#include "run/world.h"

namespace balloonbench {
namespace {

using namespace events;

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

// A program: events run once before timing, then events repeated while timed.
struct Program {
  std::vector<Event> setup;
  std::vector<Event> loop;
};

// The mix of a typical run: balloon up and down by a few hundred pages under partial
// and failed populates, allocation failures, host pressure and relief, timer retries,
// in-flight target writes and borrowed pages. It returns to where it started.
Program typical(std::uint64_t base) {
  return {{},
          {set_target(base + 300),
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
           tick(2 * kHz)}};
}

// One program per event kind (or pair, where a kind needs another to do work),
// each in a steady state.
Program for_kind(const std::string& kind, std::uint64_t base) {
  if (kind == "set_target") return {{}, {set_target(base + 300), set_target(base - 250)}};
  if (kind == "set_target+run_work") {
    return {{}, {set_target(base + 300), run_work(), set_target(base - 250), run_work()}};
  }
  if (kind == "tick (retrying)") {
    // The host has nothing free: every tick fires the timer, runs the work function,
    // gets a zero populate and re-arms.
    return {{host_take(600), set_target(base + 300), run_work()}, {tick(kHz)}};
  }
  if (kind == "xenstore_target") {
    return {{},
            {xenstore_target(std::to_string((base + 8) * 4)),
             xenstore_target(std::to_string(base * 4))}};
  }
  if (kind == "proc_write") {
    return {
        {},
        {proc_write(std::to_string((base + 8) * 4096)), proc_write(std::to_string(base * 4096))}};
  }
  if (kind == "proc_read") return {{}, {proc_read()}};
  if (kind == "driver_allowance") return {{}, {driver_allowance(1), driver_allowance(-1)}};
  if (kind == "alloc_empty+free_empty+run_work") {
    // The work run repopulates the eight pages, so lowmem never runs dry.
    return {{}, {alloc_empty(8), free_empty(0), run_work()}};
  }
  if (kind == "host_take+host_free") return {{}, {host_take(100), host_free(100)}};
  if (kind == "set_max_pages") return {{}, {set_max_pages(base + 10), set_max_pages(base + 20)}};
  if (kind == "fault arming") {
    return {{},
            {populate_limit(5), populate_error(12), alloc_fail(1, 1),
             in_flight(InFlightAction::host_take, 1), timer_late(1), delay_work(0), run_work()}};
  }
  return {};
}

const std::vector<std::string>& kinds() {
  static const std::vector<std::string> all{
      "set_target",          "set_target+run_work",
      "tick (retrying)",     "xenstore_target",
      "proc_write",          "proc_read",
      "driver_allowance",    "alloc_empty+free_empty+run_work",
      "host_take+host_free", "set_max_pages",
      "fault arming"};
  return all;
}

void run_program(benchmark::State& state, const Config& config, const Program& program,
                 bool checks) {
  World world(config, WorldOptions{Variant::fixed, Mutation::none, nullptr, checks});
  for (const Event& event : program.setup) world.step(event);
  std::size_t next = 0;
  for (auto _ : state) {
    world.step(program.loop[next]);
    next = next + 1 == program.loop.size() ? 0 : next + 1;
  }
  if (world.stopped()) state.SkipWithError("the fixed core stopped on a violation or a crash");
  state.SetItemsProcessed(state.iterations());
}

void BM_Kind(benchmark::State& state, const std::string& kind) {
  const Config config = guest_of(1024);
  run_program(state, config, for_kind(kind, config.nr_pages), true);
}

void BM_Typical(benchmark::State& state, bool checks) {
  const Config config = guest_of(static_cast<std::uint64_t>(state.range(0)));
  run_program(state, config, typical(config.nr_pages), checks);
}

// A guest that booted with all but 512 of its pfns, so that balloon_init, which
// appends each unpopulated pfn to the balloon, does the same work at every size.
Config booted_guest_of(std::uint64_t pfns) {
  Config config = guest_of(pfns);
  config.nr_pages = pfns - 512;
  return config;
}

// A run that only balloons up (minimum_target() holds a 1,024-pfn guest at its
// target, so going down would be work only the larger guests do), under partial and
// failed populates, host pressure, borrowed pages and a late timer.
std::vector<Event> whole_run(std::uint64_t base) {
  return {set_target(base + 300),
          populate_limit(120),
          run_work(),
          tick(kHz),
          host_take(200),
          tick(kHz),
          host_free(200),
          alloc_empty(8),
          proc_read(),
          free_empty(0),
          xenstore_target(std::to_string((base + 400) * 4)),
          populate_error(12),
          run_work(),
          tick(kHz),
          timer_late(20),
          delay_work(10),
          tick(2 * kHz)};
}

// One whole run per iteration: in a World reset in place (reused) or a new one.
void BM_WholeRun(benchmark::State& state, bool reused) {
  const Config config = booted_guest_of(static_cast<std::uint64_t>(state.range(0)));
  const Run program{config, whole_run(config.nr_pages)};
  const WorldOptions options{};
  World world(config, options);
  for (auto _ : state) {
    const RunResult result =
        reused ? balloonbench::run(world, program, options) : balloonbench::run(program, options);
    if (result.outcome != Outcome::clean) {
      state.SkipWithError("the fixed core stopped on a violation or a crash");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// A whole decoded run as a fuzz target sees it: boot, 25 events, the epilogue and
// its check, on the guest the empty input decodes to (1,024 pfns).
void BM_WholeDecodedRun(benchmark::State& state) {
  Run run;
  run.config = decode({}).config;
  run.events = typical(run.config.nr_pages).loop;
  const std::vector<std::uint8_t> bytes = encode(run);
  for (auto _ : state) {
    const RunResult result = balloonbench::run(decode(bytes), {});
    benchmark::DoNotOptimize(result.outcome);
  }
  state.SetItemsProcessed(state.iterations());
}

// A host of `guests` guests whose steps all touch guest 0: the typical mix without
// its ticks (time is the host's, so a tick moves every guest: "host/tick" measures
// that on its own). What one guest's step costs should not grow with the host.
void BM_HostStep(benchmark::State& state, bool ticks) {
  HostRun run;
  const std::size_t guests = static_cast<std::size_t>(state.range(0));
  for (std::size_t i = 0; i < guests; ++i) run.guests.push_back(guest_of(1024));
  run.variants.assign(guests, Variant::fixed);
  Host host(run, {});
  std::vector<HostEvent> program;
  for (const Event& event : typical(run.guests[0].nr_pages).loop) {
    if ((event.kind == EventKind::tick) != ticks) continue;
    HostEvent step;
    step.event = event;
    program.push_back(step);
  }
  std::size_t next = 0;
  for (auto _ : state) {
    host.step(program[next]);
    next = next + 1 == program.size() ? 0 : next + 1;
  }
  if (host.stopped()) state.SkipWithError("a fixed guest stopped on a violation or a crash");
  state.SetItemsProcessed(state.iterations());
}

const int kRegistered = [] {
  for (const std::string& kind : kinds()) {
    benchmark::RegisterBenchmark(("step/" + kind).c_str(), BM_Kind, kind);
  }
  for (const bool checks : {true, false}) {
    benchmark::RegisterBenchmark(checks ? "typical/checked" : "typical/unchecked", BM_Typical,
                                 checks)
        ->Arg(1024)
        ->Arg(32768)
        ->Arg(1048576);
  }
  benchmark::RegisterBenchmark("whole_decoded_run", BM_WholeDecodedRun);
  benchmark::RegisterBenchmark("host/one-guest-step", BM_HostStep, false)->Arg(2)->Arg(8);
  benchmark::RegisterBenchmark("host/tick", BM_HostStep, true)->Arg(2)->Arg(8);
  for (const bool reused : {true, false}) {
    benchmark::RegisterBenchmark(reused ? "run/reused" : "run/new", BM_WholeRun, reused)
        ->Arg(1024)
        ->Arg(4096)
        ->Arg(32768)
        ->Arg(262144);
  }
  return 0;
}();

}  // namespace
}  // namespace balloonbench

BENCHMARK_MAIN();
