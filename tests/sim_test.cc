// The simulated hypervisor and guest (SPEC §2): prefix answers, ownership, max_pages,
// other guests' memory, in-flight interleavings and deterministic frame numbering.
// Hypercalls are made directly on a Sim where that is clearer than a whole run.

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "run/diff.h"
#include "tests/test_support.h"

namespace balloonbench::testing {
namespace {

using events::in_flight;
using events::run_work;
using events::set_target;

TEST(Sim, PopulateIsLimitedByTheHostPool) {
  Trace trace;
  run_events(with_host(small_guest(), 50), {set_target(900), run_work()}, Variant::fixed,
             Mutation::none, &trace);
  EXPECT_EQ(hypercalls(trace).front(), populate(388, 50));
}

TEST(Sim, PopulateNeverTakesTheDomainOverMaxPages) {
  Config config = small_guest();
  config.max_pages = 600;
  Trace trace;
  World world(config, {Variant::fixed, Mutation::none, &trace});
  world.step(set_target(900));
  world.step(run_work());
  EXPECT_EQ(hypercalls(trace), std::vector<Call>{populate(388, 88)});
  EXPECT_EQ(world.sim().tot_pages(), 600U);
  world.finish();
  // 900 is above max_pages, so liveness is not judged; nothing else fails.
  EXPECT_FALSE(world.converge_judged());
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

TEST(Sim, MaxPagesNeverDropsBelowWhatTheDomainHolds) {
  World world(small_guest(), {});
  world.step(events::set_max_pages(10));
  EXPECT_EQ(world.sim().max_pages(), 512U);
  world.step(events::set_max_pages(2000));
  EXPECT_EQ(world.sim().max_pages(), 2000U);
}

TEST(Sim, OtherGuestsTakeAndFreeHostMemory) {
  World world(with_host(small_guest(), 50, 0), {});
  world.step(events::host_take(30));
  EXPECT_EQ(world.sim().free_frames(), 20U);
  EXPECT_EQ(world.sim().other_frames(), 30U);
  world.step(events::host_take(100));
  EXPECT_EQ(world.sim().free_frames(), 0U);
  world.step(events::host_free(1000));
  EXPECT_EQ(world.sim().free_frames(), 50U);
  EXPECT_EQ(world.sim().other_frames(), 0U);
}

TEST(Sim, DecreaseStopsAtTheFirstFrameTheDomainDoesNotOwn) {
  NullSimObserver observer;
  Sim sim(small_guest(), observer);
  std::vector<std::uint64_t> frames{sim.pfn_to_mfn(0), kMfnBase - 1, sim.pfn_to_mfn(1)};
  Reservation reservation{frames.data(), frames.size(), 0};
  EXPECT_EQ(sim.memory_op(MemoryOp::decrease_reservation, reservation), 1);
  EXPECT_EQ(sim.tot_pages(), 511U);
  // Freeing the same frame again gets nothing.
  Reservation again{frames.data(), 1, 0};
  EXPECT_EQ(sim.memory_op(MemoryOp::decrease_reservation, again), 0);
  EXPECT_EQ(sim.tot_pages(), 511U);
}

TEST(Sim, PopulateAnswersAPrefixAndWritesTheFramesBack) {
  NullSimObserver observer;
  Sim sim(with_host(small_guest(), 3), observer);
  std::vector<std::uint64_t> extents{1000, 1001, 1002, 1003, 1004};
  Reservation reservation{extents.data(), extents.size(), 0};
  EXPECT_EQ(sim.memory_op(MemoryOp::populate_physmap, reservation), 3);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(sim.frame_valid(extents[i])) << i;
    EXPECT_EQ(sim.owner(extents[i]), FrameOwner::self);
    EXPECT_EQ(sim.m2p(extents[i]), 1000 + i);
  }
  EXPECT_EQ(extents[3], 1003U);  // untouched past the answer
}

TEST(Sim, AutoTranslatedPopulateKeepsGpfnsAndStopsAtAPopulatedOne) {
  Config config = small_guest();
  config.auto_translated = true;
  NullSimObserver observer;
  Sim sim(config, observer);
  std::vector<std::uint64_t> extents{1000, 1001, 5, 1002};
  Reservation reservation{extents.data(), extents.size(), 0};
  EXPECT_EQ(sim.memory_op(MemoryOp::populate_physmap, reservation), 2);
  EXPECT_EQ(extents[0], 1000U);
  EXPECT_TRUE(sim.populated(1001));
  EXPECT_FALSE(sim.populated(1002));
}

TEST(Sim, PvMappingsNameFramesTheDomainOwns) {
  NullSimObserver observer;
  Sim sim(small_guest(), observer);
  const mfn_t own = sim.pfn_to_mfn(3);
  EXPECT_EQ(sim.mapping(3), own);  // the kernel's direct map at boot
  EXPECT_EQ(sim.update_va_mapping(3, kInvalidP2mEntry), 0);
  EXPECT_EQ(sim.mapping(3), kInvalidP2mEntry);
  EXPECT_EQ(sim.update_va_mapping(3, own), 0);
  EXPECT_EQ(sim.mapping(3), own);
  EXPECT_LT(sim.update_va_mapping(3, 3), 0);             // a pfn is no frame
  EXPECT_LT(sim.update_va_mapping(3, kMfnBase - 1), 0);  // nor is this
  EXPECT_EQ(sim.mapping(3), own);
}

TEST(Sim, TranslatedMappingsNameGfnsXenTranslates) {
  // A translated guest's PTE carries a guest frame number: Xen accepts one with a
  // frame behind it, refuses one without (or a machine frame number), and always
  // lets an entry be cleared.
  Config config = small_guest();
  config.auto_translated = true;
  NullSimObserver observer;
  Sim sim(config, observer);
  EXPECT_EQ(sim.mapping(3), 3U);  // the kernel's direct map at boot
  EXPECT_EQ(sim.mapping(600), kInvalidP2mEntry);
  EXPECT_EQ(sim.update_va_mapping(3, kInvalidP2mEntry), 0);
  EXPECT_EQ(sim.mapping(3), kInvalidP2mEntry);
  EXPECT_EQ(sim.update_va_mapping(3, 3), 0);
  EXPECT_EQ(sim.mapping(3), 3U);
  EXPECT_LT(sim.update_va_mapping(600, 600), 0);  // pfn 600 was never populated
  EXPECT_EQ(sim.mapping(600), kInvalidP2mEntry);
  EXPECT_LT(sim.update_va_mapping(3, sim.p2m_entry(3)), 0);  // an mfn is no gfn here
  EXPECT_LT(sim.update_va_mapping(3, 5000), 0);              // beyond max_pfn
  // Populated by Xen, the gfn maps.
  std::vector<std::uint64_t> extents{600};
  Reservation reservation{extents.data(), 1, 0};
  ASSERT_EQ(sim.memory_op(MemoryOp::populate_physmap, reservation), 1);
  EXPECT_EQ(sim.update_va_mapping(600, extents[0]), 0);
  EXPECT_EQ(sim.mapping(600), 600U);
}

TEST(Sim, OnlyLowmemHasAKernelMapping) {
  Config config = small_guest();
  config.max_low_pfn = 512;
  NullSimObserver observer;
  Sim sim(config, observer);
  EXPECT_LT(sim.update_va_mapping(700, kInvalidP2mEntry), 0);
  EXPECT_LT(sim.update_va_mapping(2000, kInvalidP2mEntry), 0);
}

TEST(Sim, PageCountsFollowTheAllocator) {
  NullSimObserver observer;
  Sim sim(small_guest(), observer);
  EXPECT_EQ(sim.page_count(5), 0);    // free in the allocator
  EXPECT_EQ(sim.page_count(900), 1);  // never held by it (ballooned at boot)
  const std::optional<pfn_t> page = sim.alloc_page(Gfp::kernel);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(sim.page_count(*page), 1);  // handed out
  sim.free_page(*page);
  EXPECT_EQ(sim.page_count(*page), 0);
  EXPECT_THROW(static_cast<void>(sim.page_count(1024)), KernelBug);
}

TEST(Sim, NegativeAnswerChangesNothing) {
  NullSimObserver observer;
  Sim sim(small_guest(), observer);
  sim.arm_populate_error(38);
  std::vector<std::uint64_t> extents{1000, 1001};
  Reservation reservation{extents.data(), extents.size(), 0};
  EXPECT_EQ(sim.memory_op(MemoryOp::populate_physmap, reservation), -38);
  EXPECT_EQ(sim.tot_pages(), 512U);
  EXPECT_EQ(sim.free_frames(), 2048U);
}

TEST(Sim, ErrorAnswersAreAlwaysANegativeErrno) {
  NullSimObserver observer;
  Sim sim(small_guest(), observer);
  std::vector<std::uint64_t> extents{1000};
  for (const std::uint64_t error : {std::uint64_t{0}, std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
    sim.arm_populate_error(error);
    Reservation reservation{extents.data(), 1, 0};
    const long rc = sim.memory_op(MemoryOp::populate_physmap, reservation);
    EXPECT_LT(rc, 0) << error;
    EXPECT_GE(rc, -4095) << error;
  }
  EXPECT_EQ(sim.tot_pages(), 512U);
}

TEST(Sim, AnInFlightTargetWriteLandsBetweenRequestAndAnswer) {
  // A guest big enough to balloon down through a target (minimum_target()).
  Config config = big_guest();
  config.nr_pages = 6500;
  Trace trace;
  World world(config, {Variant::fixed, Mutation::none, &trace});
  world.step(in_flight(InFlightAction::set_target, 6600));
  world.step(set_target(7000));
  world.step(run_work());
  // The populate was asked for 500 before the write; the loop then sees the new
  // target and gives back what is now too much.
  EXPECT_EQ(hypercalls(trace), (std::vector<Call>{populate(500, 500), decrease(400, 400)}));
  EXPECT_EQ(world.core().current_pages(), 6600U);
  std::vector<TraceKind> order;
  for (const TraceEntry& entry : trace.entries()) {
    if (entry.kind == TraceKind::in_flight || entry.kind == TraceKind::hypercall)
      order.push_back(entry.kind);
  }
  EXPECT_EQ(order.front(), TraceKind::in_flight);
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

TEST(Sim, AnInFlightHostTakeShortensThePopulate) {
  Trace trace;
  run_events(with_host(small_guest(), 400),
             {in_flight(InFlightAction::host_take, 350), set_target(900), run_work()},
             Variant::fixed, Mutation::none, &trace);
  EXPECT_EQ(hypercalls(trace).front(), populate(388, 50));
}

TEST(Sim, FrameNumbersAreScatteredAndDeterministic) {
  NullSimObserver observer;
  Sim first(small_guest(), observer);
  Sim second(small_guest(), observer);
  bool any_offset_differs = false;
  for (pfn_t pfn = 0; pfn < 512; ++pfn) {
    EXPECT_EQ(first.pfn_to_mfn(pfn), second.pfn_to_mfn(pfn));
    EXPECT_TRUE(first.frame_valid(first.pfn_to_mfn(pfn)));
    if (pfn > 0 && first.pfn_to_mfn(pfn) != first.pfn_to_mfn(pfn - 1) + 1)
      any_offset_differs = true;
  }
  EXPECT_TRUE(any_offset_differs);
}

// The tables make a page of entries on its first write and fill it with the boot
// state the untouched entries had (Sim::fill_boot_pfns, fill_boot_frames): after a
// write in every page of pfns and a populate and a decrease that touch frames all
// over the host, every other pfn and frame reads as in a Sim nothing wrote. Sizes are
// not multiples of a page, highmem starts mid-page, and the host has other guests.
TEST(Sim, APageMadeOnItsFirstWriteHoldsTheBootStateOfItsOtherEntries) {
  for (const bool translated : {false, true}) {
    Config config;
    config.max_pfn = 1000;
    config.nr_pages = 701;
    config.max_low_pfn = translated ? 1000 : 900;
    config.auto_translated = translated;
    config.max_pages = 1000;
    config.host_free = 333;
    config.host_other = 77;
    NullSimObserver observer;
    const Sim fresh(config, observer);
    Sim written(config, observer);
    std::vector<bool> pfn_written(config.max_pfn, false);
    for (pfn_t pfn = 3; pfn < config.nr_pages; pfn += 256) {
      ASSERT_TRUE(written.set_phys_to_machine(pfn, written.pfn_to_mfn(pfn)));
      pfn_written[pfn] = true;
    }
    std::vector<std::uint64_t> populated{800, 801, 802, 803, 804, 805, 806, 807, 808, 809};
    Reservation populate{populated.data(), populated.size(), 0};
    ASSERT_EQ(written.memory_op(MemoryOp::populate_physmap, populate), 10);
    // A PV guest's extents come back holding the frames; a translated guest's P2M does.
    std::vector<std::uint64_t> frames_written;
    for (const std::uint64_t extent : populated) {
      const mfn_t mfn = translated ? written.backing_frame(extent) : extent;
      ASSERT_TRUE(written.frame_valid(mfn));
      frames_written.push_back(mfn - kMfnBase);
    }
    for (pfn_t pfn = 800; pfn < 810; ++pfn) pfn_written[pfn] = true;
    std::vector<std::uint64_t> released;
    for (const pfn_t pfn : {pfn_t{10}, pfn_t{400}, pfn_t{650}}) {
      released.push_back(translated ? pfn : written.pfn_to_mfn(pfn));
      frames_written.push_back(written.backing_frame(pfn) - kMfnBase);
      pfn_written[pfn] = true;
    }
    Reservation decrease{released.data(), released.size(), 0};
    ASSERT_EQ(written.memory_op(MemoryOp::decrease_reservation, decrease), 3);
    for (pfn_t pfn = 0; pfn < config.max_pfn; ++pfn) {
      if (pfn_written[pfn]) continue;
      const PfnState want = fresh.pfn_state(pfn);
      const PfnState got = written.pfn_state(pfn);
      EXPECT_EQ(got.p2m, want.p2m) << "pfn " << pfn << " translated " << translated;
      EXPECT_EQ(got.mapped, want.mapped) << "pfn " << pfn << " translated " << translated;
      EXPECT_EQ(got.page_state, want.page_state) << "pfn " << pfn;
      EXPECT_EQ(got.lent, want.lent) << "pfn " << pfn;
    }
    std::size_t other_frames = 0;
    for (std::uint64_t frame = 0; frame < fresh.total_frames(); ++frame) {
      if (std::find(frames_written.begin(), frames_written.end(), frame) != frames_written.end())
        continue;
      const FrameState want = fresh.frame_state(frame);
      const FrameState got = written.frame_state(frame);
      EXPECT_EQ(got.owner, want.owner) << "frame " << frame << " translated " << translated;
      EXPECT_EQ(got.m2p, want.m2p) << "frame " << frame << " translated " << translated;
      if (want.owner == FrameOwner::other) ++other_frames;
    }
    EXPECT_EQ(other_frames, 77U);
  }
}

TEST(Sim, HealGivesTheHostEnoughForTheTargetWithinMaxPages) {
  World world(with_host(small_guest(), 0, 0), {});
  world.step(set_target(1000));
  world.step(run_work());
  EXPECT_EQ(world.core().current_pages(), 512U);
  world.finish();
  EXPECT_TRUE(world.converge_judged());
  EXPECT_EQ(world.core().current_pages(), 1000U);
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

// The differential check's machine comparison: a difference in one pfn of a guest of
// 196,608 is found wherever it is, the lowest differing pfn is named first whichever
// side wrote it, and two machines that agree (one having written a pfn back to its
// boot state) have no difference.
// Records what memory hotplug hands the driver.
struct OnlineRecorder final : MemoryHotplugClient {
  std::vector<std::pair<pfn_t, unsigned>> chunks;
  int notified = 0;
  void online_page(pfn_t pfn, unsigned order) override { chunks.emplace_back(pfn, order); }
  void memory_online() override { ++notified; }
};

TEST(SimHotplug, RegionsFollowTheGuestUpToTheLimitAndComeOnlineBlockByBlock) {
  NullSimObserver observer;
  Sim sim(small_guest(), observer);
  OnlineRecorder client;
  sim.register_memory_hotplug(client);
  const std::uint64_t section = std::uint64_t{1} << kSectionShift;
  EXPECT_EQ(sim.additional_memory_resource(0), std::nullopt);
  EXPECT_EQ(sim.additional_memory_resource(kHotplugPfnLimit), std::nullopt);  // no room
  const std::optional<pfn_t> first = sim.additional_memory_resource(2 * section);
  ASSERT_EQ(first, std::optional<pfn_t>(1024));
  EXPECT_EQ(sim.additional_memory_resource(section), 1024 + 2 * section);  // after it
  sim.release_memory_resource(1024 + 2 * section);
  EXPECT_EQ(sim.memory_resources(), 1U);
  EXPECT_THROW(sim.release_memory_resource(5), KernelBug);

  ASSERT_EQ(sim.add_memory_resource(*first), 0);
  EXPECT_EQ(sim.memory_resources(), 0U);
  EXPECT_EQ(sim.offline_pages(), 2 * section);
  EXPECT_EQ(sim.config().max_pfn, 1024U);  // offline: not the guest's yet
  EXPECT_TRUE(client.chunks.empty());

  EXPECT_EQ(sim.online_memory(), 2 * section);
  EXPECT_EQ(sim.config().max_pfn, 1024 + 2 * section);
  EXPECT_EQ(sim.config().max_low_pfn, 1024 + 2 * section);
  EXPECT_EQ(client.notified, 2);  // a notifier call per block
  ASSERT_EQ(client.chunks.size(), 2 * section / 1024);
  EXPECT_EQ(client.chunks.front(), std::make_pair(pfn_t{1024}, kOnlineOrder));
  EXPECT_EQ(client.chunks.back(), std::make_pair(1024 + 2 * section - 1024, kOnlineOrder));
  EXPECT_EQ(sim.online_memory(), 0U);
  EXPECT_FALSE(sim.populated(1024 + 5));
  // The next region follows what was added.
  EXPECT_EQ(sim.additional_memory_resource(section), 1024 + 2 * section);
}

TEST(SimHotplug, AGuestWithHighmemOnlinesHighmem) {
  NullSimObserver observer;
  Config config = small_guest();
  config.max_low_pfn = 800;
  Sim sim(config, observer);
  OnlineRecorder client;
  sim.register_memory_hotplug(client);
  ASSERT_EQ(sim.add_memory_resource(*sim.additional_memory_resource(2048)), 0);
  sim.online_memory();
  EXPECT_EQ(sim.config().max_low_pfn, 800U);
  EXPECT_TRUE(sim.page_high_mem(1024 + 7));
}

// Past boot memory only a reserved region's P2M entries may be invalidated, and the
// first of each 512 costs an allocation an armed alloc_fail can fail; so does the
// memmap.
TEST(SimHotplug, P2mAndMemmapAllocationsMeetArmedFailures) {
  NullSimObserver observer;
  Sim sim(small_guest(), observer);
  OnlineRecorder client;
  sim.register_memory_hotplug(client);
  EXPECT_THROW(sim.set_phys_to_machine(1024, kInvalidP2mEntry), KernelBug);
  const pfn_t first = *sim.additional_memory_resource(2048);
  EXPECT_THROW(sim.set_phys_to_machine(first, kMfnBase), KernelBug);  // only invalid
  sim.arm_alloc_failures(1, 1);
  EXPECT_TRUE(sim.set_phys_to_machine(first, kInvalidP2mEntry));  // 1024: its page
  EXPECT_TRUE(sim.set_phys_to_machine(first + 1, kInvalidP2mEntry));
  EXPECT_FALSE(sim.set_phys_to_machine(1536, kInvalidP2mEntry));  // the next page
  EXPECT_TRUE(sim.set_phys_to_machine(1536, kInvalidP2mEntry));
  EXPECT_EQ(sim.failed_allocations(), 1U);
  sim.arm_alloc_failures(0, 1);
  EXPECT_EQ(sim.add_memory_resource(first), -12);
  EXPECT_EQ(sim.offline_pages(), 0U);
  EXPECT_EQ(sim.memory_resources(), 1U);  // the driver releases it
  EXPECT_THROW(sim.add_memory_resource(first + 1), KernelBug);
}

// A reset forgets the regions, what was added and the client.
TEST(SimHotplug, AResetForgetsEverythingHotplugDid) {
  NullSimObserver observer;
  Sim sim(small_guest(), observer);
  OnlineRecorder client;
  sim.register_memory_hotplug(client);
  ASSERT_EQ(sim.add_memory_resource(*sim.additional_memory_resource(2048)), 0);
  sim.online_memory();
  sim.additional_memory_resource(2048);
  sim.reset(small_guest());
  EXPECT_EQ(sim.config().max_pfn, 1024U);
  EXPECT_EQ(sim.memory_resources(), 0U);
  EXPECT_EQ(sim.additional_memory_resource(2048), std::optional<pfn_t>(1024));
  EXPECT_THROW(sim.add_memory_resource(1024), KernelBug);  // no client registered
}

TEST(MachineDifference, FindsTheLowestDifferingPfnOfALargeGuest) {
  Config config = small_guest();
  config.max_pfn = 196608;
  config.nr_pages = 196608;
  config.max_low_pfn = 196608;
  config.max_pages = 196608;
  NullSimObserver observer;
  Sim left(config, observer);
  Sim right(config, observer);
  EXPECT_EQ(machine_difference(left, right), std::nullopt);

  right.set_phys_to_machine(190000, right.pfn_to_mfn(190000));  // rewritten as it was
  EXPECT_EQ(machine_difference(left, right), std::nullopt);

  const mfn_t was = left.pfn_to_mfn(150000);
  left.set_phys_to_machine(150000, kInvalidP2mEntry);
  EXPECT_EQ(machine_difference(left, right),
            "pfn 150000 P2M: " + std::to_string(kInvalidP2mEntry) + " vs " + std::to_string(was));
  right.lend(7);
  EXPECT_EQ(machine_difference(left, right), "pfn 7 lent: 0 vs 1");
  left.lend(7);
  left.set_phys_to_machine(150000, was);
  EXPECT_EQ(machine_difference(left, right), std::nullopt);
}

}  // namespace
}  // namespace balloonbench::testing
