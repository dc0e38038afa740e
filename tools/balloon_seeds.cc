// balloon-seeds: writes (or checks) the seed corpus of the fuzz targets. The
// balloon_events seeds are runs built from events and written with the shared
// encoder, one per situation the bench models; the balloon_procfs seeds are raw
// inputs of that target (a mode byte, then the text written).
//
//   balloon-seeds --write corpus   writes corpus/balloon_events/* and corpus/balloon_procfs/*
//   balloon-seeds --check corpus   exit 1 unless every seed is there with these bytes

#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "codec.h"
#include "files.h"

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

std::vector<Seed> event_seeds() {
  Config highmem = guest(1024, 600, 200, 300);
  highmem.max_low_pfn = 640;
  Config translated = guest(1024, 512, 150, 400);
  translated.auto_translated = true;
  Config capped = guest(1024, 512, 1000, 0);
  capped.max_pages = 700;
  Config breaks = guest(512, 512, 0, 0);
  breaks.contract_breaks = true;
  Config big = guest(2048, 128, 2048, 1024);
  big.max_pages = 4096;
  return {
      run_seed("partial-populate", guest(1024, 512, 100, 400),
               {set_target(900), run_work(), tick(100), host_free(300), tick(100)}),
      run_seed("zero-populate", guest(1024, 512, 600, 0),
               {populate_limit(0), set_target(900), run_work(), tick(100), tick(100)}),
      run_seed("negative-populate", guest(1024, 512, 600, 0),
               {populate_error(38), populate_error(12), set_target(900), run_work(), tick(150)}),
      run_seed(
          "host-pressure-and-relief", guest(1024, 400, 300, 200),
          {host_take(250), set_target(1000), run_work(), tick(100), host_free(400), tick(200)}),
      run_seed("max-pages-change", capped,
               {set_target(1000), run_work(), set_max_pages(900), tick(100), set_max_pages(400),
                set_target(600), run_work()}),
      run_seed(
          "allocation-failures", guest(1024, 1024, 0, 0),
          {alloc_fail(20, 3), set_target(300), run_work(), tick(100), alloc_fail(0, 1), tick(100)}),
      run_seed("in-flight-target-write", guest(1024, 512, 800, 0),
               {in_flight(InFlightAction::set_target, 300), set_target(1000), run_work(),
                in_flight(InFlightAction::set_target, 950), set_target(200), run_work()}),
      run_seed("in-flight-host-and-cap", guest(1024, 512, 400, 200),
               {in_flight(InFlightAction::host_take, 350), set_target(1000), run_work(),
                in_flight(InFlightAction::host_free, 200), tick(100),
                in_flight(InFlightAction::set_max_pages, 700), tick(100), tick(100)}),
      run_seed("highmem-guest", highmem,
               {set_target(1000), run_work(), set_target(200), run_work(), set_target(800),
                populate_limit(50), run_work(), tick(200)}),
      run_seed("auto-translated-guest", translated,
               {set_target(900), run_work(), host_free(300), tick(100), set_target(100), run_work(),
                alloc_empty(4), free_empty(0), run_work()}),
      run_seed("driver-pages", guest(1024, 512, 50, 0),
               {driver_allowance(40), proc_read(), set_target(800), run_work(),
                driver_allowance(-60), proc_read(), tick(100)}),
      run_seed("empty-pages", guest(1024, 512, 100, 0),
               {alloc_empty(16), alloc_empty(8), run_work(), free_empty(1), alloc_fail(2, 1),
                alloc_empty(6), free_empty(0), run_work()}),
      run_seed(
          "proc-and-xenstore", guest(1024, 512, 600, 0),
          {proc_write("3M\n"), run_work(), proc_write("0x200000", false), xenstore_target("3600"),
           run_work(), xenstore_target("junk"), proc_write("1"), proc_read()}),
      run_seed("late-timer-and-delayed-work", guest(1024, 512, 0, 500),
               {set_target(900), run_work(), timer_late(50), delay_work(120), tick(100),
                host_free(500), tick(100), tick(200)}),
      run_seed("contract-break", breaks, {decrease_short(10), set_target(100), run_work()}),
      // A retry timer still pending from a failed decrease when an increase meets a
      // host with nothing free.
      run_seed("pending-timer-under-pressure", guest(1024, 1024, 0, 0),
               {alloc_fail(10, 1), set_target(900), run_work(), host_take(10), set_target(1024),
                run_work(), tick(50)}),
      run_seed("big-swings", big,
               {set_target(1900), run_work(), set_target(100), run_work(), set_target(4000),
                run_work()}),
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
      {"balloon_events", event_seeds()}, {"balloon_procfs", procfs_seeds()}};
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
