// The structured mutator (run_mutator.h): what it writes is always a valid run of the
// current format that encodes back to the same bytes, within the size allowed; the
// same input and seed give the same output; from an empty input it reaches runs with
// every kind of event, and with the boundary events it weights; it turns an almost
// empty input into a whole run; and half the time it leaves the input to libFuzzer's
// own byte mutation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <vector>

#include "fuzz/run_mutator.h"
#include "run/codec.h"

namespace balloonbench::fuzz {
namespace {

std::vector<std::uint8_t> mutated(std::vector<std::uint8_t> input, std::size_t max_size,
                                  unsigned seed) {
  const std::size_t given = std::min(input.size(), max_size);
  input.resize(std::max(input.size(), max_size));
  const std::size_t size = mutate_run(input.data(), given, max_size, seed, nullptr);
  input.resize(size);
  return input;
}

TEST(RunMutator, WritesValidRunsThatEncodeBackToTheSameBytes) {
  std::vector<std::uint8_t> input;
  for (unsigned seed = 1; seed <= 3000; ++seed) {
    const std::vector<std::uint8_t> out = mutated(input, 512, seed);
    ASSERT_LE(out.size(), 512U);
    DecodeInfo info;
    const balloonbench::Run run = decode(out, &info);
    ASSERT_TRUE(info.known_version) << seed;
    ASSERT_EQ(info.version, kFormatVersion) << seed;
    ASSERT_FALSE(info.truncated) << seed;
    ASSERT_EQ(encode(run), out) << seed;
    // Start over now and then, so that short runs are mutated too.
    input = seed % 50 == 0 ? std::vector<std::uint8_t>{} : out;
  }
}

TEST(RunMutator, TheSameInputAndSeedGiveTheSameOutput) {
  std::vector<std::uint8_t> input;
  for (unsigned seed = 1; seed <= 50; ++seed) input = mutated(input, 512, seed);
  for (unsigned seed = 100; seed < 130; ++seed) {
    EXPECT_EQ(mutated(input, 512, seed), mutated(input, 512, seed)) << seed;
  }
}

TEST(RunMutator, KeepsWithinTheSizeAllowed) {
  balloonbench::Run run;
  run.events.assign(30, events::set_target(600));
  const std::vector<std::uint8_t> input = encode(run);
  ASSERT_GT(input.size(), 80U);
  for (unsigned seed = 1; seed <= 200; ++seed) {
    EXPECT_LE(mutated(input, 40, seed).size(), 40U) << seed;
  }
}

// Every kind of event appears, and so do the boundaries a uniform draw rarely hits: a
// target a batch and one page above where the guest booted, and a sysfs target_kb write
// of a target above it; and a guest that can balloon down, with a target a batch below.
TEST(RunMutator, ReachesEveryKindAndTheBoundaries) {
  std::set<EventKind> kinds;
  bool batch_above = false;
  bool kib_text_above = false;
  bool balloons_down = false;  // a guest of 64 to 128 MiB, a target a batch below it
  std::vector<std::uint8_t> input;
  for (unsigned seed = 1; seed <= 4000; ++seed) {
    input = mutated(seed % 20 == 0 ? std::vector<std::uint8_t>{} : input, 512, seed);
    const balloonbench::Run run = decode(input);
    const std::uint64_t booted = std::min(run.config.nr_pages, run.config.max_pfn);
    for (const Event& e : run.events) {
      kinds.insert(e.kind);
      if (e.kind == EventKind::set_target && e.value == booted + 513 &&
          booted + 513 <= 2 * run.config.max_pfn) {
        batch_above = true;
      }
      if (e.kind == EventKind::set_target && run.config.max_pfn >= 16384 &&
          run.config.max_pfn < 32768 && e.value + 512 == booted) {
        balloons_down = true;
      }
      if (e.kind == EventKind::sysfs_target_kb && !e.bytes.empty() && e.bytes[0] != '0' &&
          std::strtoull(e.bytes.c_str(), nullptr, 10) > 4 * booted) {
        kib_text_above = true;
      }
    }
  }
  EXPECT_EQ(kinds.size(), kEventKinds);
  EXPECT_TRUE(batch_above);
  EXPECT_TRUE(kib_text_above);
  EXPECT_TRUE(balloons_down);
}

// An input of fewer than two events (an empty corpus's first, or a run of one event)
// becomes a whole run: a new guest and several draws of the boundaries, not one event
// at a time. So does one in ten of the longer runs it changes as runs.
TEST(RunMutator, TurnsAnAlmostEmptyInputIntoAWholeRun) {
  balloonbench::Run one;
  one.config.max_pfn = one.config.max_low_pfn = one.config.max_pages = 100;
  one.config.nr_pages = 50;
  one.events = {events::run_work()};
  for (const std::vector<std::uint8_t>& input : {std::vector<std::uint8_t>{}, encode(one)}) {
    std::size_t events = 0;
    std::size_t whole = 0;
    std::set<std::uint64_t> guests;
    for (unsigned seed = 1; seed <= 300; ++seed) {
      const balloonbench::Run run = decode(mutated(input, 512, seed));
      events += run.events.size();
      if (run.events.size() >= 2) ++whole;
      guests.insert(run.config.max_pfn);
    }
    EXPECT_GE(events, 300U * 5) << input.size();
    EXPECT_GE(whole, 270U) << input.size();
    EXPECT_GE(guests.size(), 100U) << input.size();
  }
  // A run of 40 events and a guest of 100 pfns: a fresh run replaces all of them.
  balloonbench::Run long_run = one;
  long_run.events.assign(40, events::proc_read());
  const std::vector<std::uint8_t> input = encode(long_run);
  int fresh = 0;
  for (unsigned seed = 1; seed <= 2000; ++seed) {
    const balloonbench::Run run = decode(mutated(input, 512, seed));
    if (std::none_of(run.events.begin(), run.events.end(),
                     [](const Event& e) { return e.kind == EventKind::proc_read; })) {
      ++fresh;
    }
  }
  EXPECT_GT(fresh, 150);  // a tenth of the 2,000 is 200
  EXPECT_LT(fresh, 260);
}

std::size_t g_byte_calls = 0;
std::size_t count_bytes(std::uint8_t* /*data*/, std::size_t size, std::size_t /*max_size*/) {
  ++g_byte_calls;
  return size;
}

TEST(RunMutator, LeavesHalfTheMutationsToLibFuzzer) {
  std::vector<std::uint8_t> input{kFormatVersion};
  input.resize(512);
  g_byte_calls = 0;
  for (unsigned seed = 1; seed <= 1000; ++seed) mutate_run(input.data(), 1, 512, seed, count_bytes);
  EXPECT_GT(g_byte_calls, 400U);
  EXPECT_LT(g_byte_calls, 600U);
}

}  // namespace
}  // namespace balloonbench::fuzz
