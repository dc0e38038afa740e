// The run encoding: encode then decode gives the same run, any byte string decodes
// to a valid bounded run, and the same run twice gives byte-identical traces. Random
// inputs come from a fixed-seed std::mt19937_64, whose raw output the standard fixes.

#include <gtest/gtest.h>

#include <random>

#include "run/codec.h"
#include "tests/test_support.h"

namespace balloonbench::testing {
namespace {

// One event of every kind, with values inside the encodable ranges.
balloonbench::Run every_kind_run() {
  balloonbench::Run run;
  run.config = small_guest();
  run.config.max_low_pfn = 800;
  run.config.host_free = 300;
  run.config.host_other = 100;
  run.config.contract_breaks = true;
  run.config.memory_hotplug = true;
  run.events = {events::set_target(900),
                events::xenstore_target("3600"),
                events::proc_write("512M\n", false),
                events::proc_read(),
                events::driver_allowance(-3),
                events::alloc_empty(5),
                events::free_empty(2),
                events::run_work(),
                events::tick(250),
                events::host_take(40),
                events::host_free(60),
                events::set_max_pages(1500),
                events::populate_limit(17),
                events::populate_error(38),
                events::alloc_fail(2, 3),
                events::in_flight(InFlightAction::host_free, 77),
                events::timer_late(33),
                events::delay_work(44),
                events::decrease_short(9),
                events::release_driver_page(3),
                events::sysfs_target_kb("3600\n", false),
                events::sysfs_target("512M"),
                events::sysfs_knob(BackoffKnob::max_retry_count, "0x8\n"),
                events::mem_pressure(300),
                events::online_memory(),
                events::decrease_error(22)};
  return run;
}

std::vector<std::uint8_t> random_bytes(std::mt19937_64& rng, std::size_t max_length) {
  std::vector<std::uint8_t> bytes(rng() % (max_length + 1));
  for (auto& byte : bytes) byte = static_cast<std::uint8_t>(rng());
  return bytes;
}

TEST(Codec, EveryEventKindIsCovered) {
  std::vector<bool> seen(kEventKinds, false);
  for (const Event& event : every_kind_run().events)
    seen[static_cast<std::size_t>(event.kind)] = true;
  for (unsigned kind = 0; kind < kEventKinds; ++kind) EXPECT_TRUE(seen[kind]) << kind;
}

TEST(Codec, EncodeThenDecodeGivesTheSameRun) {
  const balloonbench::Run run = every_kind_run();
  ASSERT_EQ(encodable(run), "");
  const std::vector<std::uint8_t> bytes = encode(run);
  EXPECT_EQ(bytes.front(), kFormatVersion);
  DecodeInfo info;
  EXPECT_EQ(decode(bytes, &info), run);
  EXPECT_TRUE(info.known_version);
  EXPECT_FALSE(info.truncated);
  EXPECT_EQ(info.bytes_used, bytes.size());
}

TEST(Codec, EncodingsOfTheBoundsRoundTrip) {
  // The largest guests' bounds are their windows' (LargeGuestsReadTheirPagesInWindows).
  for (const std::uint64_t max_pfn : {kDecodeMinPfn, std::uint64_t{1024}, kDecodeMaxPfnVersion2}) {
    balloonbench::Run run;
    run.config.max_pfn = max_pfn;
    run.config.nr_pages = max_pfn;
    run.config.max_low_pfn = 1;
    run.config.max_pages = 2 * max_pfn;
    run.config.host_free = max_pfn;
    run.config.host_other = 0;
    run.config.auto_translated = true;
    run.events = {events::set_target(0),
                  events::set_target(2 * max_pfn),
                  events::driver_allowance(-128),
                  events::driver_allowance(127),
                  events::alloc_empty(kMaxAllocEmpty),
                  events::tick(4 * kHz),
                  events::populate_limit(kFrameListEntries),
                  events::xenstore_target(std::string(kMaxXenstoreBytes, '9')),
                  events::proc_write(std::string(kMaxProcWriteBytes, '\0'))};
    ASSERT_EQ(encodable(run), "") << max_pfn;
    EXPECT_EQ(decode(encode(run)), run) << max_pfn;
  }
}

TEST(Codec, GuestSizesRoundTripAcrossEveryOctave) {
  const std::vector<std::uint64_t> sizes{16,  31,   32,   63,   100,  255,
                                         256, 1000, 1023, 1024, 2047, 2048};
  for (const std::uint64_t max_pfn : sizes) {
    balloonbench::Run run;
    run.config.max_pfn = max_pfn;
    run.config.nr_pages = max_pfn / 2;
    run.config.max_low_pfn = max_pfn;
    run.config.max_pages = max_pfn;
    run.config.host_free = 0;
    run.config.host_other = 0;
    ASSERT_EQ(encodable(run), "") << max_pfn;
    EXPECT_EQ(decode(encode(run)).config.max_pfn, max_pfn);
  }
}

TEST(Codec, GuestSizesAreSpreadOverOctaves) {
  // Every raw max_pfn value decodes in range, and each octave gets an eighth of them.
  std::vector<int> per_octave(8, 0);
  for (unsigned raw = 0; raw < 65536; ++raw) {
    const std::vector<std::uint8_t> bytes{kFormatVersion, static_cast<std::uint8_t>(raw & 0xff),
                                          static_cast<std::uint8_t>(raw >> 8)};
    const std::uint64_t pfns = decode(bytes).config.max_pfn;
    ASSERT_GE(pfns, kDecodeMinPfn);
    ASSERT_LE(pfns, kDecodeMaxPfn);
    unsigned octave = 0;
    while (octave < 7 && (kDecodeMinPfn << (octave + 1)) <= pfns) ++octave;
    ++per_octave[octave];
  }
  for (const int count : per_octave) EXPECT_EQ(count, 8192);
}

TEST(Codec, LargeGuestsReadTheirPagesInWindows) {
  // Past 2048 pfns, fields in pages are read within 4096 pages of where the guest
  // booted (8192 for host frames and the cap), so a decoded run stays cheap.
  const std::vector<std::uint64_t> sizes{2050,  4094,  4096,   8188,   32752,
                                         32768, 65536, 131072, 262016, 262144};
  for (const std::uint64_t max_pfn : sizes) {
    balloonbench::Run run;
    run.config.max_pfn = max_pfn;
    run.config.nr_pages = max_pfn - 100;
    run.config.max_low_pfn = max_pfn - 1000;
    run.config.max_pages = run.config.nr_pages + 8192;
    run.config.host_free = 8192;
    run.config.host_other = 1000;
    const std::uint64_t nr = run.config.nr_pages;
    run.events = {events::set_target(nr > 4000 ? nr - 4000 : 0), events::host_take(8192),
                  events::in_flight(InFlightAction::set_target, nr + 4096),
                  events::set_max_pages(nr + 8192), events::run_work()};
    ASSERT_EQ(encodable(run), "") << max_pfn;
    EXPECT_EQ(decode(encode(run)), run) << max_pfn;
    run.events = {events::set_target(nr + 4097)};
    EXPECT_NE(encodable(run), "") << max_pfn;
  }
}

TEST(Codec, ALargeGuestIsOneOfItsOctavesSteps) {
  // Past 2048 pfns a size is a 1,024th step of its octave: 4096-8188 by fours.
  balloonbench::Run run;
  run.config.max_low_pfn = run.config.max_pages = run.config.max_pfn = 4098;
  EXPECT_NE(encodable(run).find("between the steps of its octave"), std::string::npos)
      << encodable(run);
  run.config.max_low_pfn = run.config.max_pages = run.config.max_pfn = 4100;
  EXPECT_EQ(encodable(run), "");
}

TEST(Codec, OneEighthOfGuestsAreLargeAndReachTheLargestSize) {
  // Version 4's last large octave goes from 1 GiB in steps of 512 pfns: each of its
  // 1,024 sizes once, 2 GiB (where 2.6.18's minimum_target() changes slope) among them.
  int large = 0;
  int largest = 0;
  int at_least_2gib = 0;
  bool exactly_2gib = false;
  for (unsigned raw = 0; raw < 65536; ++raw) {
    const std::vector<std::uint8_t> bytes{kFormatVersion, static_cast<std::uint8_t>(raw & 0xff),
                                          static_cast<std::uint8_t>(raw >> 8)};
    const std::uint64_t pfns = decode(bytes).config.max_pfn;
    if (pfns >= 2048) ++large;
    if (pfns == kDecodeMaxPfn) ++largest;
    if (pfns >= 524288) ++at_least_2gib;
    if (pfns == 524288) exactly_2gib = true;
  }
  EXPECT_EQ(large, 8192);
  EXPECT_EQ(largest, 1);
  EXPECT_EQ(at_least_2gib, 512);
  EXPECT_TRUE(exactly_2gib);
  EXPECT_EQ(kDecodeMaxPfn, 785920U);
}

TEST(Codec, GuestsPastAGigabyteGoInStepsOf512) {
  for (const std::uint64_t max_pfn : {std::uint64_t{262144}, std::uint64_t{262656},
                                      std::uint64_t{524288}, std::uint64_t{785920}}) {
    balloonbench::Run run;
    run.config.max_pfn = run.config.max_low_pfn = run.config.max_pages = max_pfn;
    run.config.nr_pages = max_pfn - 100;
    run.events = {events::set_target(max_pfn - 600), events::run_work()};
    ASSERT_EQ(encodable(run), "") << max_pfn;
    EXPECT_EQ(decode(encode(run)), run) << max_pfn;
  }
  balloonbench::Run between;
  between.config.max_pfn = between.config.max_low_pfn = between.config.max_pages = 262400;
  EXPECT_NE(encodable(between).find("between the steps of its octave"), std::string::npos)
      << encodable(between);
}

TEST(Codec, Version3ReadsEveryGuestSizeAsItAlwaysDid) {
  // Version 3's formula: octave o below 7 gives 16 * 2^o + offset mod base; o = 7 a
  // large octave L = 2048 * 2^s at step t, L + t * L / 1024, capped at 262,144.
  const std::uint64_t zero_raw = (std::uint64_t{6} << 13) | (1024 - 1024);  // 1024's raw form
  for (unsigned raw = 0; raw < 65536; ++raw) {
    const std::uint64_t bits = (raw ^ zero_raw) & 0xffff;
    const std::uint64_t octave = bits >> 13;
    const std::uint64_t offset = bits & 0x1fff;
    std::uint64_t expected = 0;
    if (octave < 7) {
      expected = (16U << octave) + offset % (16U << octave);
    } else {
      const std::uint64_t large = std::uint64_t{2048} << (offset >> 10);
      expected = std::min<std::uint64_t>(large + (offset & 1023) * (large >> 10), 262144);
    }
    const std::vector<std::uint8_t> bytes{3, static_cast<std::uint8_t>(raw & 0xff),
                                          static_cast<std::uint8_t>(raw >> 8)};
    ASSERT_EQ(decode(bytes).config.max_pfn, expected) << raw;
  }
}

TEST(Codec, Version3FilesKeepTheirMeaning) {
  // Version 3 capped guests at 1 GiB and knew 24 kinds: its last large octave reads
  // as 262,144 pfns whatever the step, and a kind byte of 24 is set_target.
  balloonbench::Run run;
  run.config.max_pfn = run.config.max_low_pfn = run.config.max_pages = 524288;
  run.config.nr_pages = 524288 - 100;
  run.events = {events::run_work()};
  std::vector<std::uint8_t> bytes = encode(run);
  EXPECT_EQ(decode(bytes).config.max_pfn, 524288U);
  bytes.back() = static_cast<std::uint8_t>(EventKind::decrease_error);
  bytes.push_back(2);  // the third of the errnos, 14
  EXPECT_EQ(decode(bytes).events.back(), events::decrease_error(14));
  bytes[0] = 3;
  DecodeInfo info;
  const balloonbench::Run old = decode(bytes, &info);
  EXPECT_EQ(info.read_as, 3U);
  EXPECT_EQ(old.config.max_pfn, kDecodeMaxPfnVersion3);
  ASSERT_FALSE(old.events.empty());
  EXPECT_EQ(old.events.front().kind, EventKind::set_target);
  EXPECT_EQ(event_kinds_in_version(3), 24U);
}

TEST(Codec, Version4FilesIgnoreTheFlagsBitOfMemoryHotplug) {
  // Bit 2 of the flags byte is memory_hotplug from version 5 on; before, the byte's
  // other bits were read as nothing, and still are.
  balloonbench::Run run{with_host(small_guest(), 256), {events::set_target(900)}};
  run.config.auto_translated = true;
  run.config.memory_hotplug = true;
  std::vector<std::uint8_t> bytes = encode(run);
  EXPECT_EQ(decode(bytes), run);
  bytes[0] = 4;
  const balloonbench::Run old = decode(bytes);
  EXPECT_FALSE(old.config.memory_hotplug);
  EXPECT_TRUE(old.config.auto_translated);
  run.config.memory_hotplug = false;
  EXPECT_EQ(old, run);
}

TEST(Codec, HostsKeepVersion3sLayout) {
  // A host's guests and events are read as version 3 reads them: no guest past 1 GiB,
  // no decrease_error.
  HostRun host =
      decode_host(std::vector<std::uint8_t>{kHostFormatVersion, 0}, Variant::fixed, Variant::fixed);
  ASSERT_EQ(host.guests.size(), 2U);
  host.events = {HostEvent{}};
  host.events[0].event = events::run_work();
  ASSERT_EQ(encodable(host), "");
  host.events[0].event = events::decrease_error(12);
  EXPECT_NE(encodable(host).find("event #0: unknown kind"), std::string::npos) << encodable(host);
  host.events[0].event = events::run_work();
  host.guests[0].memory_hotplug = true;  // version 3's flags byte has no bit for it
  EXPECT_NE(encodable(host).find("guest 0: memory_hotplug"), std::string::npos) << encodable(host);
  host.guests[0].memory_hotplug = false;
  Config& big = host.guests[1];
  big.max_pfn = big.max_low_pfn = big.max_pages = 524288;
  big.nr_pages = 524288 - 100;
  EXPECT_NE(encodable(host).find("guest 1: 524288"), std::string::npos) << encodable(host);
}

TEST(Codec, Version2FilesKeepTheirMeaning) {
  // Version 2 read the last octave of max_pfn as 2048; a guest below 2048 pfns reads
  // the same in both versions, and so do its events (of the kinds version 2 knew).
  std::vector<std::uint8_t> bytes = encode(balloonbench::Run{with_host(small_guest(), 256), {}});
  bytes[2] ^= 0x24;  // 1024 becomes octave 7, large octave 1 (4096 from version 3 on)
  DecodeInfo info;
  bytes[0] = 2;
  EXPECT_EQ(decode(bytes, &info).config.max_pfn, 2048U);
  EXPECT_EQ(info.read_as, 2U);
  bytes[0] = 3;
  EXPECT_GT(decode(bytes).config.max_pfn, 2048U);

  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::uint8_t> input = random_bytes(rng, 200);
    if (input.empty()) continue;
    input[0] = 2;
    const balloonbench::Run old = decode(input);
    if (old.config.max_pfn >= 2048) continue;
    input[0] = 3;
    const balloonbench::Run now = decode(input);
    ASSERT_EQ(now.config, old.config) << to_hex(input);
    // Kind bytes of 22 and more read differently (modulo 22, then 24): compare up to
    // the first event whose kind changed.
    for (std::size_t e = 0; e < std::min(now.events.size(), old.events.size()); ++e) {
      if (now.events[e].kind != old.events[e].kind) break;
      ASSERT_EQ(now.events[e], old.events[e]) << to_hex(input) << " event " << e;
    }
  }
}

TEST(Codec, ArbitraryBytesAlwaysDecodeToABoundedEncodableRun) {
  std::mt19937_64 rng(20261123);
  for (int i = 0; i < 3000; ++i) {
    const std::vector<std::uint8_t> bytes = random_bytes(rng, 600);
    DecodeInfo info;
    const balloonbench::Run run = decode(bytes, &info);
    ASSERT_EQ(validate(run.config), "") << to_hex(bytes);
    ASSERT_LE(run.config.max_pfn, kDecodeMaxPfn);
    ASSERT_LE(run.events.size(), kDecodeMaxEvents);
    ASSERT_EQ(encodable(run), "") << to_hex(bytes);
    // Encoding is canonical: the re-encoded run decodes to itself.
    ASSERT_EQ(decode(encode(run)), run) << to_hex(bytes);
  }
}

TEST(Codec, ArbitraryBytesRunWithoutCrashingEitherVariant) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 300; ++i) {
    const balloonbench::Run run = decode(random_bytes(rng, 400));
    for (const Variant variant : {Variant::fixed, Variant::legacy}) {
      const RunResult result = balloonbench::run(run, WorldOptions{variant});
      EXPECT_LE(result.events_applied, run.events.size());
    }
  }
}

TEST(Codec, Version1FilesKeepTheirMeaning) {
  // Version 1 knew 19 kinds and read a kind byte modulo 19; version 2 reads it modulo
  // 22. The same bytes: 19 is release_driver_page now, set_target in version 1.
  const std::vector<std::uint8_t> bytes = encode(balloonbench::Run{
      with_host(small_guest(), 256),
      {events::release_driver_page(1), events::run_work(), events::alloc_empty(5)}});
  const std::vector<std::uint8_t> tail(bytes.end() - 5, bytes.end());
  EXPECT_EQ(tail, (std::vector<std::uint8_t>{19, 0x01, 0x07, 0x05, 0x04}));
  DecodeInfo info;
  decode(bytes, &info);
  EXPECT_TRUE(info.known_version);
  EXPECT_EQ(info.read_as, kFormatVersion);

  std::vector<std::uint8_t> old_bytes = bytes;
  old_bytes[0] = 1;
  const balloonbench::Run old = decode(old_bytes, &info);
  EXPECT_TRUE(info.known_version);
  EXPECT_EQ(info.read_as, 1U);
  // 19 mod 19 is set_target; its u16 is 0x0701, which is 768 on a 1024-pfn guest.
  EXPECT_EQ(old.events, (std::vector<Event>{events::set_target(768), events::alloc_empty(5)}));
  EXPECT_EQ(event_kinds_in_version(1), 19U);
  EXPECT_EQ(event_kinds_in_version(kFormatVersion), kEventKinds);
}

TEST(Codec, EmptyInputIsTheDefaultGuestWithNoEvents) {
  DecodeInfo info;
  const balloonbench::Run run = decode({}, &info);
  EXPECT_TRUE(run.events.empty());
  EXPECT_EQ(run.config.max_pfn, 1024U);
  EXPECT_EQ(run.config.nr_pages, 512U);
  EXPECT_EQ(run.config.max_low_pfn, 1024U);
  EXPECT_EQ(run.config.max_pages, 1024U);
  EXPECT_EQ(run.config.host_free, 256U);
  EXPECT_TRUE(info.truncated);
  EXPECT_FALSE(info.known_version);
}

TEST(Codec, ReportsTruncationUnknownVersionsAndDroppedEvents) {
  std::vector<std::uint8_t> bytes = encode(every_kind_run());
  DecodeInfo info;
  decode(std::span(bytes).first(bytes.size() - 1), &info);
  EXPECT_TRUE(info.truncated);

  bytes[0] = 99;
  decode(bytes, &info);
  EXPECT_EQ(info.version, 99);
  EXPECT_FALSE(info.known_version);

  balloonbench::Run many;
  many.events.assign(kDecodeMaxEvents, events::run_work());
  std::vector<std::uint8_t> long_bytes = encode(many);
  long_bytes.push_back(static_cast<std::uint8_t>(EventKind::run_work));
  long_bytes.push_back(static_cast<std::uint8_t>(EventKind::run_work));
  EXPECT_EQ(decode(long_bytes, &info).events.size(), kDecodeMaxEvents);
  EXPECT_EQ(info.events_dropped, 2U);
}

TEST(Codec, RefusesRunsOutsideItsBounds) {
  balloonbench::Run run;
  run.config.max_pfn = kDecodeMaxPfn + 1;
  run.config.max_low_pfn = run.config.max_pfn;
  run.config.max_pages = run.config.max_pfn;
  EXPECT_NE(encodable(run), "");
  EXPECT_THROW(encode(run), std::invalid_argument);

  balloonbench::Run event_out_of_range;
  event_out_of_range.events = {events::set_target(5000)};  // above 2 * max_pfn
  EXPECT_NE(encodable(event_out_of_range).find("event #0 (set_target)"), std::string::npos)
      << encodable(event_out_of_range);

  balloonbench::Run bad_errno;
  bad_errno.events = {events::populate_error(5)};
  EXPECT_NE(encodable(bad_errno), "");

  balloonbench::Run stray_field;
  stray_field.events = {events::run_work()};
  stray_field.events[0].value = 3;
  EXPECT_NE(encodable(stray_field), "");
}

TEST(Codec, ValidateRefusesHostsThatOverflow) {
  Config config = small_guest();
  config.host_free = ~std::uint64_t{0} - 511;  // nr_pages + host_free wraps to 0
  EXPECT_NE(validate(config), "");
  EXPECT_THROW(World(config, {}), std::invalid_argument);
}

TEST(Codec, OutOfRangeInFlightActionsRenderAsTheyApply) {
  Event event = events::in_flight(InFlightAction::host_take, 5);
  event.extra = 6;  // applied as 6 % 4 == host_free
  EXPECT_EQ(to_text(event), "in_flight host_free 5");
}

TEST(Codec, RefusesTooManyEventsAndSaysSoInTheReproduceLine) {
  balloonbench::Run run;
  run.events.assign(kDecodeMaxEvents + 1, events::run_work());
  EXPECT_NE(encodable(run).find("more than 256 events"), std::string::npos);
  EXPECT_NE(
      reproduce_command(run, Variant::fixed, Mutation::none).find("outside the encoding's bounds"),
      std::string::npos);
}

TEST(Codec, ValidateNamesWhatIsWrong) {
  Config config = small_guest();
  config.max_low_pfn = 0;
  EXPECT_NE(validate(config).find("max_low_pfn"), std::string::npos);
  config = small_guest();
  config.max_pfn = std::uint64_t{1} << 31;
  config.max_low_pfn = config.max_pfn;
  EXPECT_NE(validate(config).find("2^30"), std::string::npos);
  config = small_guest();
  config.max_pfn = 0;
  EXPECT_NE(validate(config), "");
  config = small_guest();
  config.nr_pages = 2000;
  EXPECT_NE(validate(config), "");
}

TEST(Codec, BytesAreQuotedReadably) {
  // Ten bytes: the last is the NUL terminator of the literal.
  EXPECT_EQ(quote_bytes(std::string("a\tb\"c\\d\x01\n", 10)), "\"a\\tb\\\"c\\\\d\\x01\\n\\x00\"");
}

TEST(Codec, HexRoundTripsAndRejectsJunk) {
  const std::vector<std::uint8_t> bytes{0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(to_hex(bytes), "0001abff");
  EXPECT_EQ(from_hex("00 01 AB ff\n"), bytes);
  EXPECT_EQ(from_hex("0g"), std::nullopt);
  EXPECT_EQ(from_hex("abc"), std::nullopt);
}

TEST(Codec, TheSameRunTwiceGivesAnIdenticalTrace) {
  const balloonbench::Run run = every_kind_run();
  for (const Variant variant : {Variant::fixed, Variant::legacy}) {
    Trace first;
    Trace second;
    balloonbench::run(run, WorldOptions{variant, Mutation::none, &first});
    balloonbench::run(decode(encode(run)), WorldOptions{variant, Mutation::none, &second});
    EXPECT_EQ(first.to_text(), second.to_text());
    EXPECT_GT(first.entries().size(), run.events.size());
  }
}

// Two worlds in one process, stepped side by side: after every event they hold the
// same frames in the same places, so no choice depends on the instance (an address,
// a counter shared between instances, an unordered container's layout).
TEST(Determinism, TwoWorldsHoldTheSameFramesAfterEveryEvent) {
  const balloonbench::Run run = every_kind_run();
  for (const Variant variant : {Variant::fixed, Variant::legacy}) {
    World first(run.config, WorldOptions{variant, Mutation::none, nullptr});
    World second(run.config, WorldOptions{variant, Mutation::none, nullptr});
    ASSERT_EQ(machine_digest(first.sim()), machine_digest(second.sim()));
    for (std::size_t i = 0; i < run.events.size() && !first.stopped(); ++i) {
      first.step(run.events[i]);
      second.step(run.events[i]);
      ASSERT_EQ(machine_digest(first.sim()), machine_digest(second.sim()))
          << variant_name(variant) << ", after event #" << i << ": " << to_text(run.events[i]);
    }
    first.finish();
    second.finish();
    EXPECT_EQ(machine_digest(first.sim()), machine_digest(second.sim()));
  }
}

// The digest moves when a frame moves, so the comparison above can fail.
TEST(Determinism, TheDigestSeesAFrameMove) {
  const balloonbench::Run run = every_kind_run();
  World world(run.config, WorldOptions{});
  const std::uint64_t before = machine_digest(world.sim());
  world.step(events::host_take(1));
  EXPECT_NE(machine_digest(world.sim()), before);
}

TEST(Codec, ReproduceCommandReplaysTheRun) {
  const balloonbench::Run run = every_kind_run();
  const std::string command = reproduce_command(run, Variant::legacy, Mutation::no_rearm);
  const std::string prefix = "balloon-repro --variant legacy --mutant no-rearm --hex ";
  ASSERT_EQ(command.rfind(prefix, 0), 0U) << command;
  EXPECT_EQ(decode(*from_hex(command.substr(prefix.size()))), run);
}

}  // namespace
}  // namespace balloonbench::testing
