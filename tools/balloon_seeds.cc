// balloon-seeds: writes (or checks) the seed corpus of the fuzz targets. The
// balloon_events seeds are runs built from events and written with the shared
// encoder, one per situation the bench models; the balloon_procfs seeds are raw
// inputs of that target (a mode byte, then the text written).
//
//   balloon-seeds --write corpus   writes corpus/balloon_events/*, corpus/balloon_procfs/*,
//                                  corpus/balloon_diff/* (the events seeds again) and
//                                  corpus/balloon_host/* (hosts of several guests)
//   balloon-seeds --check corpus   exit 1 unless every seed is there with these bytes

#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "run/codec.h"
#include "tools/files.h"

namespace {

using namespace balloonbench;
using namespace balloonbench::events;
namespace fs = std::filesystem;

struct Seed {
  std::string name;
  std::string bytes;
};

Config guest(std::uint64_t pfns, std::uint64_t populated, std::uint64_t host_free,
             std::uint64_t host_other) {
  Config config;
  config.max_pfn = pfns;
  config.nr_pages = populated;
  config.max_low_pfn = pfns;
  config.max_pages = pfns;
  config.host_free = host_free;
  config.host_other = host_other;
  return config;
}

Seed run_seed(std::string name, Config config, std::vector<Event> list) {
  const std::vector<std::uint8_t> bytes = encode(balloonbench::Run{config, std::move(list)});
  return Seed{std::move(name), std::string(bytes.begin(), bytes.end())};
}

// Most seeds are 256-pfn guests: the fuzzer's corpus grows from the seeds and keeps
// their configuration, and a run costs what it moves, so small seeds keep the fuzzer
// fast. Two large guests keep the multi-batch paths (512 extents a hypercall) in reach.
// No encodable guest (2048 pfns at most) can balloon down through a target any more:
// minimum_target() holds every guest below about 16 MiB at its current target. Pages
// leave a guest here only through alloc_empty_pages.
std::vector<Seed> event_seeds() {
  Config highmem = guest(256, 150, 50, 80);
  highmem.max_low_pfn = 160;
  Config translated = guest(256, 128, 40, 100);
  translated.auto_translated = true;
  Config capped = guest(256, 128, 250, 0);
  capped.max_pages = 180;
  Config breaks = guest(128, 128, 0, 0);
  breaks.contract_breaks = true;
  Config translated_breaks = translated;
  translated_breaks.contract_breaks = true;
  Config pvh = guest(256, 256, 40, 0);
  pvh.auto_translated = true;
  Config hotplug = guest(256, 128, 256, 0);
  hotplug.max_pages = 512;
  hotplug.memory_hotplug = true;
  Config pvh_hotplug = pvh;
  pvh_hotplug.max_pages = 512;
  pvh_hotplug.memory_hotplug = true;
  Config pvh32 = pvh;
  pvh32.max_low_pfn = 192;
  Config big = guest(2048, 128, 2048, 1024);
  big.max_pages = 4096;
  return {
      run_seed("partial-populate", guest(256, 128, 25, 100),
               {set_target(225), run_work(), tick(100), host_free(75), tick(100)}),
      run_seed("zero-populate", guest(256, 128, 150, 0),
               {populate_limit(0), set_target(225), run_work(), tick(100), tick(100)}),
      // Xen answers an increase with nothing while the target comes down to what the
      // guest holds: legacy latches its hard limit with the target met (no retry is
      // owed), and /proc/xen/balloon shows the limit. The guest is large enough (32 MiB)
      // for minimum_target() to let the target come down.
      run_seed("hard-limit-shown", guest(8192, 7000, 2000, 0),
               {populate_limit(0), in_flight(InFlightAction::set_target, 7000), set_target(8100),
                run_work(), proc_read()}),
      run_seed("negative-populate", guest(256, 128, 150, 0),
               {populate_error(38), populate_error(12), set_target(225), run_work(), tick(150)}),
      run_seed("host-pressure-and-relief", guest(256, 100, 75, 50),
               {host_take(60), set_target(250), run_work(), tick(100), host_free(100), tick(200)}),
      run_seed("max-pages-change", capped,
               {set_target(250), run_work(), set_max_pages(225), tick(100), set_max_pages(100),
                set_target(150), run_work()}),
      run_seed("allocation-failures", guest(1024, 1024, 0, 0),
               {alloc_fail(20, 3), alloc_empty(30), run_work(), tick(100), alloc_fail(0, 1),
                alloc_empty(8), tick(100)}),
      // A target raised mid-hypercall (a lower one would meet minimum_target()).
      run_seed("in-flight-target-write", guest(256, 128, 200, 0),
               {in_flight(InFlightAction::set_target, 240), set_target(200), run_work(),
                in_flight(InFlightAction::set_target, 75), set_target(250), run_work()}),
      run_seed("in-flight-host-and-cap", guest(256, 128, 100, 50),
               {in_flight(InFlightAction::host_take, 90), set_target(250), run_work(),
                in_flight(InFlightAction::host_free, 50), tick(100),
                in_flight(InFlightAction::set_max_pages, 175), tick(100), tick(100)}),
      run_seed("highmem-guest", highmem,
               {set_target(250), run_work(), set_target(50), run_work(), set_target(200),
                populate_limit(12), run_work(), tick(200)}),
      run_seed("auto-translated-guest", translated,
               {set_target(225), run_work(), host_free(75), tick(100), set_target(25), run_work(),
                alloc_empty(4), free_empty(0), run_work()}),
      run_seed("driver-pages", guest(256, 128, 12, 0),
               {driver_allowance(10), proc_read(), set_target(200), run_work(),
                driver_allowance(-15), proc_read(), tick(100)}),
      run_seed("empty-pages", guest(256, 128, 25, 0),
               {alloc_empty(16), alloc_empty(8), run_work(), free_empty(1), alloc_fail(2, 1),
                alloc_empty(6), free_empty(0), run_work()}),
      run_seed(
          "proc-and-xenstore", guest(256, 128, 150, 0),
          {proc_write("768K\n"), run_work(), proc_write("0x80000", false), xenstore_target("720"),
           run_work(), xenstore_target("junk"), proc_write("1"), proc_read()}),
      run_seed("late-timer-and-delayed-work", guest(256, 128, 0, 125),
               {set_target(225), run_work(), timer_late(50), delay_work(120), tick(100),
                host_free(125), tick(100), tick(200)}),
      // A PV guest gives a lent page's frame back and Xen answers 0: BUG_ON(ret != 1).
      run_seed("contract-break", breaks, {decrease_short(0), alloc_empty(4), run_work()}),
      // An auto-translated guest lends two pages, then Xen refuses the one-extent
      // decrease of the fourth page of the next four: 2.6.18's alloc_empty_pages frees
      // that page, balloons the three it gave up and returns nothing.
      run_seed("refused-release", translated_breaks,
               {alloc_empty(2), decrease_short(1), decrease_short(1), decrease_short(1),
                decrease_error(16), alloc_empty(4), run_work()}),
      // A retry timer still pending from a partial increase when the next increase
      // meets a host with nothing free.
      run_seed("pending-timer-under-pressure", guest(256, 128, 40, 0),
               {populate_limit(10), set_target(150), run_work(), host_take(40), set_target(256),
                run_work(), tick(50)}),
      // legacy's one way down: a positive driver allowance latches the hard limit below
      // current_pages, and the decrease that follows meets an allocation failure, which
      // leaves the retry timer pending. Another guest takes the frames; a new target
      // clears the limit again, and the liveness epilogue reaches it.
      run_seed("hard-limit-below-current", guest(1024, 1000, 0, 0),
               {driver_allowance(110), alloc_fail(10, 1), set_target(1024), run_work(),
                host_take(10), set_target(1024)}),
      // A frontend hands back pages it was lent, out of its allowance.
      run_seed("driver-page-release", guest(256, 128, 25, 0),
               {driver_allowance(2), alloc_empty(4), alloc_empty(2), run_work(),
                release_driver_page(1), release_driver_page(4), proc_read(), run_work(),
                free_empty(0), release_driver_page(0), tick(100)}),
      run_seed("sysfs-stores", guest(256, 128, 150, 0),
               {sysfs_target_kb("720\n"), run_work(), sysfs_target("0x100000", false),
                sysfs_target("900K"), run_work(), sysfs_target_kb("7"), sysfs_target_kb("0x3e8"),
                run_work(), proc_read()}),
      run_seed("big-swings", big,
               {set_target(1900), run_work(), set_target(100), run_work(), set_target(4000),
                run_work()}),
      // A guest of 2 GiB exactly, booted with all but 1,000 of its pages: where 2.6.18's
      // minimum_target() takes its last slope. Its targets move a batch or two.
      run_seed("two-gib-guest", guest(524288, 523288, 2000, 500),
               {set_target(522700), run_work(), set_target(523900), run_work(), proc_read()}),
      // Linux's driver (variant mainline); the others ignore these events or read them
      // as what they are to them. A backend borrows every ballooned page; the thread,
      // finding the balloon empty, cancels; the pages come back.
      run_seed("backend-borrows-the-balloon", guest(256, 200, 64, 0),
               {alloc_empty(56), set_target(220), run_work(), free_empty(0), run_work()}),
      // Linux's driver in a PVH guest, which boots with nothing ballooned: a target set
      // through sysfs before the toolstack's first write (the watch fired at boot, so
      // no target_diff), a balloon-down, and a backend borrowing some of it back.
      run_seed("pvh-guest", pvh,
               {sysfs_target_kb("960"), xenstore_target("800"), run_work(), alloc_empty(4),
                xenstore_target("960"), run_work(), free_empty(0), run_work()}),
      // Linux's driver in a 32-bit PVH guest: ballooning down takes highmem too, which
      // comes back last; with only highmem ballooned a backend's borrow gives lowmem
      // back and wakes nobody, so the thread heeds the credit at its hourly timeout.
      run_seed(
          "pvh-guest-with-highmem", pvh32,
          {set_target(100), run_work(), set_target(220), run_work(), alloc_empty(8), tick(100)}),
      // The same borrow, then its pages freed: the credit the borrow left is still owed,
      // and the free wakes the thread for it (the allowance ends there).
      run_seed("pvh-borrow-then-free", pvh32,
               {set_target(220), run_work(), alloc_empty(8), tick(100), free_empty(0)}),
      // Nothing available to give back: the thread must back off, not spin.
      run_seed("nothing-available", guest(256, 200, 0, 0),
               {mem_pressure(200), set_target(100), run_work(), run_work(), run_work(), tick(150),
                mem_pressure(0), run_work()}),
      // The back-off knobs, and a populate that keeps failing: the delay doubles up to
      // its cap, the retries run out, the action is cancelled; a new target resumes it.
      run_seed(
          "back-off-and-cancel", guest(256, 128, 0, 0),
          {sysfs_knob(BackoffKnob::max_schedule_delay, "4\n"),
           sysfs_knob(BackoffKnob::max_retry_count, "0x5"),
           sysfs_knob(BackoffKnob::max_retry_count, "five"), set_target(200), run_work(), tick(400),
           tick(400), tick(400), host_free(40), set_target(180), run_work(), tick(200)}),
      // Linux's driver with memory hotplug: the balloon runs empty below the target, so
      // the thread adds a section of memory and waits, a second at a time, until
      // userspace onlines it, then balloons up into it.
      run_seed("memory-hotplug", hotplug,
               {set_target(400), run_work(), run_work(), tick(100), online_memory(), tick(100)}),
      // An allocation on the way fails, for a P2M page (the section's first or last of
      // 64): the thread cancels, and a new target tries again.
      run_seed(
          "memory-hotplug-fails", hotplug,
          {set_target(400), run_work(), alloc_fail(63, 1), run_work(), set_target(420),
           alloc_fail(0, 1), run_work(), set_target(440), run_work(), online_memory(), tick(100)}),
      // A PVH guest has no P2M to write: the memmap's allocation fails.
      run_seed("pvh-memory-hotplug", pvh_hotplug,
               {alloc_fail(0, 1), set_target(300), run_work(), set_target(320), run_work(),
                online_memory(), tick(100)}),
  };
}

using host_events::on;
using host_events::rebalance;

Seed host_seed(std::string name, std::vector<Config> guests, std::vector<HostEvent> list,
               bool overcommit = false) {
  HostRun run;
  run.variants.assign(guests.size(), Variant::fixed);
  run.guests = std::move(guests);
  run.overcommit = overcommit;
  run.events = std::move(list);
  const std::vector<std::uint8_t> bytes = encode(run);
  return Seed{std::move(name), std::string(bytes.begin(), bytes.end())};
}

// Hosts of guests of 8192 pfns (32 MiB, the smallest that may balloon down through a
// target: minimum_target() holds smaller ones at their current target), so that a
// rebalance moves pages both ways. Guest 0 is the one whose variant the target picks.
std::vector<Seed> host_seeds() {
  const Config full = guest(8192, 8192, 0, 0);
  const Config short_of = guest(8192, 6144, 0, 0);
  Config roomy = guest(8192, 7168, 512, 256);
  roomy.max_pages = 8192;
  const Config small = guest(256, 128, 64, 32);
  return {
      // The patch's own scenario: the toolstack moves memory from guest 1 to guest 0 on
      // a host with nothing free, and guest 0's increase runs first, into the shortage.
      // A legacy guest 0 latches its hard limit and never takes the frames guest 1
      // frees (system-converge); a fixed one retries a second later and converges.
      host_seed("shortage-rebalance", {short_of, full}, {rebalance(1, 0, 1024)}),
      // The same, with guest 1's decrease landing inside guest 0's populate.
      host_seed("decrease-lands-in-flight", {short_of, full},
                {rebalance(1, 0, 1024, HostAction::rebalance_in_flight), on(0, run_work()),
                 on(1, tick(50))}),
      // Both orders on one tick, and the rest of the host taking frames mid-populate.
      host_seed("three-guests-rest-takes-mid-populate", {short_of, full, roomy},
                {rebalance(1, 0, 512), on(2, in_flight(InFlightAction::host_take, 3072)),
                 on(2, set_target(8192)), on(0, tick(100)), on(1, run_work()), on(0, tick(150)),
                 rebalance(2, 1, 700), on(1, tick(200))}),
      // Faults on one guest while another moves.
      host_seed("faults-on-one-guest", {short_of, full},
                {on(0, populate_limit(100)), on(0, alloc_fail(3, 4)), rebalance(1, 0, 900),
                 on(1, run_work()), on(0, run_work()), on(0, tick(120)), on(1, host_take(200)),
                 on(0, tick(200)), on(1, host_free(200))}),
      // Eight small guests and a toolstack that over-commits.
      host_seed(
          "eight-guests-overcommit", {small, small, small, small, small, small, small, small},
          {rebalance(0, 1, 64), on(3, set_target(200)), on(5, alloc_empty(8)), on(7, tick(100)),
           rebalance(2, 6, 40, HostAction::rebalance_in_flight), on(6, run_work())},
          /*overcommit=*/true),
  };
}

Seed raw_seed(std::string name, char mode, std::string text) {
  return Seed{std::move(name), std::string(1, mode) + text};
}

std::vector<Seed> procfs_seeds() {
  return {
      raw_seed("proc-megabytes", 0, "512M\n"),
      raw_seed("proc-hex", 0, "0x100000"),
      raw_seed("proc-octal", 0, "0400000"),
      raw_seed("proc-gigabytes", 0, "1G"),
      raw_seed("proc-kilobytes", 0, "4k"),
      raw_seed("proc-runt", 0, "7"),
      raw_seed("proc-too-long", 0, std::string(65, '9')),
      raw_seed("proc-sixty-four", 0, std::string(61, '0') + "10K"),
      raw_seed("proc-not-admin", 1, "512M"),
      raw_seed("xenstore-kib", 2, "3600"),
      raw_seed("xenstore-space", 2, "  4000kB"),
      raw_seed("xenstore-junk", 2, "abc"),
      // Byte 0 bits 2-4: 1 sysfs target_kb, 2 sysfs target, 3 and 4 the back-off knobs.
      raw_seed("sysfs-target-kb", 1 << 2, "0x3e8\n"),
      raw_seed("sysfs-target-size", 2 << 2, "1G"),
      raw_seed("sysfs-target-not-admin", (2 << 2) | 1, "900K"),
      raw_seed("knob-schedule-delay", 3 << 2, "+16\n"),
      raw_seed("knob-retry-count", 4 << 2, "0x5"),
      // Mode 5: simple_strtoull with the base byte 1 names (16 here), as the kernel shim
      // gives it to a source driver.
      raw_seed("strtoull-base-16", 5 << 2, std::string(1, '\x10') + "0x1f\n"),
  };
}

int usage() {
  std::fputs("usage: balloon-seeds --write|--check CORPUS_DIR\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return usage();
  const std::string mode = argv[1];
  if (mode != "--write" && mode != "--check") return usage();
  const fs::path corpus = argv[2];
  const std::vector<std::pair<std::string, std::vector<Seed>>> targets{
      {"balloon_events", event_seeds()},
      {"balloon_procfs", procfs_seeds()},
      // balloon_diff reads the balloon_events encoding: the same runs, on two drivers.
      {"balloon_diff", event_seeds()},
      {"balloon_host", host_seeds()}};
  int problems = 0;
  for (const auto& [target, seeds] : targets) {
    const fs::path directory = corpus / target;
    std::error_code error;
    if (mode == "--write") fs::create_directories(directory, error);
    for (const Seed& seed : seeds) {
      const fs::path path = directory / seed.name;
      std::vector<std::uint8_t> found;
      bool cut = false;
      std::string why;
      const bool present = read_bounded(path, 1U << 20, found, cut, why) &&
                           std::string(found.begin(), found.end()) == seed.bytes;
      if (present) continue;
      if (mode == "--check") {
        std::fprintf(stderr, "%s: missing or different; run balloon-seeds --write %s\n",
                     path.c_str(), corpus.c_str());
        ++problems;
      } else if (!write_atomically(path, seed.bytes, why)) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), why.c_str());
        ++problems;
      } else {
        std::printf("wrote %s\n", path.c_str());
      }
    }
  }
  return problems == 0 ? 0 : 1;
}
