// Every report the checker can make, on a state corrupted by hand. The mutation
// tests show each invariant catching a realistic bug; these reach the checks' other
// branches, which no plausible driver bug reaches first: each test corrupts one fact
// through a test peer, runs the check that owns it, and expects its id and details.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/test_support.h"

namespace balloonbench {

struct SimTestPeer {
  static void set_p2m(Sim& sim, pfn_t pfn, mfn_t mfn) {
    sim.set_p2m(pfn, mfn);
    sim.mark_dirty(pfn);
  }
  static void set_mapping(Sim& sim, pfn_t pfn, mfn_t mfn) {
    sim.pfn_entry(pfn).mapped = mfn;
    sim.mark_dirty(pfn);
  }
  static void set_m2p(Sim& sim, mfn_t mfn, std::uint32_t pfn) {
    sim.frame_entry(mfn - kMfnBase).m2p = pfn;
  }
  static void touch(Sim& sim, pfn_t pfn) { sim.mark_dirty(pfn); }
  static void set_owner(Sim& sim, mfn_t mfn, FrameOwner owner) {
    sim.frame_entry(mfn - kMfnBase).owner = owner;
  }
  static void set_max_pages(Sim& sim, std::uint64_t pages) { sim.max_pages_ = pages; }
  static void set_epoch(Sim& sim, std::uint32_t epoch) { sim.epoch_ = epoch; }
  static std::uint32_t epoch(const Sim& sim) { return sim.epoch_; }
  static void lose_free_frame(Sim& sim) { sim.take_free_frame(); }
};

struct BalloonCoreTestPeer {
  static BalloonList& list(BalloonCore& core) { return core.ballooned_pages_; }
  static void set_balloon_low(BalloonCore& core, std::uint64_t pages) { core.balloon_low_ = pages; }
};

namespace testing {
namespace {

// A core, its simulation and a checker, with no World to keep them consistent.
struct Rig {
  explicit Rig(const Config& config)
      : sim(config, observer), core(sim, Variant::fixed), checker(sim, core) {
    core.set_list_journal(checker.journal());
    core.balloon_init(config.max_pfn, config.nr_pages);
    checker.begin_step(Phase::boot, 0);
    checker.boot_check();
    sim.end_step();
  }
  // The step checks over what changed since the last step.
  const std::vector<Violation>& step() {
    checker.begin_step(Phase::event, 1);
    checker.step_finished();
    sim.end_step();
    return checker.violations();
  }
  const std::vector<Violation>& scan() {
    checker.begin_step(Phase::epilogue, 2);
    checker.full_scan();
    return checker.violations();
  }
  // The end-of-run check over what changed since boot, with no step check before it.
  const std::vector<Violation>& epilogue() {
    checker.begin_step(Phase::epilogue, 2);
    checker.epilogue_check();
    return checker.violations();
  }
  ~Rig() { core.set_list_journal(nullptr); }
  NullSimObserver observer;
  Sim sim;
  BalloonCore core;
  Checker checker;
};

Config highmem_guest() {
  Config config = small_guest();
  config.max_low_pfn = 768;
  return config;
}

void expect_report(const std::vector<Violation>& violations, InvariantId id,
                   const std::string& words) {
  for (const Violation& violation : violations) {
    if (violation.id == id && violation.detail.find(words) != std::string::npos) return;
  }
  ADD_FAILURE() << "expected " << invariant_name(id) << " saying '" << words << "', got "
                << describe(violations);
}

TEST(CheckerBranches, CleanRigReportsNothing) {
  Rig rig(highmem_guest());
  EXPECT_TRUE(rig.step().empty()) << describe(rig.checker.violations());
  EXPECT_TRUE(rig.scan().empty()) << describe(rig.checker.violations());
}

TEST(CheckerBranches, p2m_AnUnpopulatedPfnStillMapped) {
  Rig rig(small_guest());
  const pfn_t ballooned = 900;
  SimTestPeer::set_mapping(rig.sim, ballooned, rig.sim.pfn_to_mfn(3));
  expect_report(rig.step(), InvariantId::p2m, "has no P2M entry but the kernel still maps");
}

Config translated_guest() {
  Config config = small_guest();
  config.auto_translated = true;
  return config;
}

TEST(CheckerBranches, p2m_ATranslatedPfnTheKernelDoesNotMap) {
  Rig rig(translated_guest());
  EXPECT_TRUE(rig.step().empty()) << describe(rig.checker.violations());
  SimTestPeer::set_mapping(rig.sim, 7, kInvalidP2mEntry);
  expect_report(rig.step(), InvariantId::p2m,
                "translated pfn 7 is populated but the kernel maps nothing");
}

TEST(CheckerBranches, p2m_ATranslatedPfnTheKernelMapsToAnotherGfn) {
  Rig rig(translated_guest());
  SimTestPeer::set_mapping(rig.sim, 8, 9);
  expect_report(rig.scan(), InvariantId::p2m,
                "translated pfn 8 is populated but the kernel maps gfn 9");
}

TEST(CheckerBranches, p2m_ATranslatedPfnWithNoFrameMayKeepItsMapping) {
  // alloc_empty_pages' translated path gives the gfn back and leaves the PTE, as the
  // original does: no report for an unpopulated pfn that is still mapped.
  Rig rig(translated_guest());
  SimTestPeer::set_mapping(rig.sim, 900, 900);
  EXPECT_TRUE(rig.step().empty()) << describe(rig.checker.violations());
}

TEST(CheckerBranches, p2m_AFrameTheDomainDoesNotOwn) {
  Rig rig(small_guest());
  SimTestPeer::set_owner(rig.sim, rig.sim.pfn_to_mfn(7), FrameOwner::other);
  expect_report(rig.scan(), InvariantId::p2m, "which the domain does not own");
}

TEST(CheckerBranches, p2m_AnM2pThatPointsElsewhere) {
  Rig rig(small_guest());
  SimTestPeer::set_m2p(rig.sim, rig.sim.pfn_to_mfn(7), 8);
  SimTestPeer::touch(rig.sim, 7);
  expect_report(rig.step(), InvariantId::p2m, "but the M2P maps that frame to pfn 8");
}

TEST(CheckerBranches, p2m_AKernelMappingThatDisagrees) {
  Rig rig(small_guest());
  SimTestPeer::set_mapping(rig.sim, 7, rig.sim.pfn_to_mfn(8));
  expect_report(rig.step(), InvariantId::p2m, "but the kernel maps");
}

TEST(CheckerBranches, p2m_AnOwnedFrameNoPfnMaps) {
  Rig rig(small_guest());
  const mfn_t mfn = rig.sim.pfn_to_mfn(7);
  SimTestPeer::set_p2m(rig.sim, 7, kInvalidP2mEntry);
  SimTestPeer::set_mapping(rig.sim, 7, kInvalidP2mEntry);
  expect_report(rig.scan(), InvariantId::p2m, "the domain owns mfn " + std::to_string(mfn));
}

TEST(CheckerBranches, list_APfnBeyondMaxPfn) {
  Rig rig(small_guest());
  BalloonCoreTestPeer::list(rig.core).add_head(5000);
  expect_report(rig.step(), InvariantId::list, "beyond max_pfn went through the list");
}

TEST(CheckerBranches, list_LowmemAddedAtTheTail) {
  Rig rig(highmem_guest());
  BalloonCoreTestPeer::list(rig.core).add_tail(3);
  expect_report(rig.step(), InvariantId::list, "lowmem pfn 3 added at the tail");
}

TEST(CheckerBranches, list_CountersThatDisagreeWithTheList) {
  Rig rig(small_guest());
  BalloonCoreTestPeer::set_balloon_low(rig.core, 7);
  expect_report(rig.step(), InvariantId::list,
                "balloon_low=7 balloon_high=0 but the list holds 512");
}

TEST(CheckerBranches, list_TheWalkFindsADuplicate) {
  Rig rig(small_guest());
  rig.core.set_list_journal(nullptr);  // out of the step checks' sight: only the walk can tell
  BalloonCoreTestPeer::list(rig.core).add_head(600);
  BalloonCoreTestPeer::set_balloon_low(rig.core, 513);
  expect_report(rig.scan(), InvariantId::list, "is a duplicate or out of range");
}

TEST(CheckerBranches, list_TheWalkFindsLowmemAfterHighmem) {
  Rig rig(highmem_guest());
  rig.core.set_list_journal(nullptr);
  pfn_t head = 0;
  ASSERT_TRUE(BalloonCoreTestPeer::list(rig.core).take_head(head));
  BalloonCoreTestPeer::list(rig.core).add_tail(head);
  expect_report(rig.scan(), InvariantId::list, "follows highmem");
}

TEST(CheckerBranches, list_AChangeOnlyTheListSawIsCheckedToo) {
  // A pfn the list moved without any other state changing: the step checks it anyway.
  Rig rig(small_guest());
  BalloonCoreTestPeer::list(rig.core).add_head(3);  // populated pfn 3 now also ballooned
  expect_report(rig.step(), InvariantId::ledger, "pfn 3 is populated=1 ballooned=1");
}

// The epilogue check sees only what the run touched, and the full scan everything:
// on each corrupted state below, with no step check in between, both must report the
// same invariants (the list walk, which only the full scan does, aside: the journal
// shows every list operation to the step checks).
TEST(CheckerBranches, TheEpilogueCheckAndTheFullScanAgree) {
  const std::vector<std::pair<std::string, std::function<void(Rig&)>>> corruptions{
      {"nothing", [](Rig&) {}},
      {"a ballooned pfn still mapped",
       [](Rig& rig) { SimTestPeer::set_mapping(rig.sim, 900, rig.sim.pfn_to_mfn(3)); }},
      {"a kernel mapping that disagrees",
       [](Rig& rig) { SimTestPeer::set_mapping(rig.sim, 7, rig.sim.pfn_to_mfn(8)); }},
      {"a frame given to another guest",
       [](Rig& rig) { SimTestPeer::set_owner(rig.sim, rig.sim.pfn_to_mfn(7), FrameOwner::other); }},
      {"an M2P entry that points elsewhere",
       [](Rig& rig) { SimTestPeer::set_m2p(rig.sim, rig.sim.pfn_to_mfn(7), 8); }},
      {"a frame no pfn maps",
       [](Rig& rig) {
         SimTestPeer::set_p2m(rig.sim, 7, kInvalidP2mEntry);
         SimTestPeer::set_mapping(rig.sim, 7, kInvalidP2mEntry);
       }},
      {"a populated pfn on the list", [](Rig& rig) {
         BalloonCoreTestPeer::list(rig.core).add_head(3);
         BalloonCoreTestPeer::set_balloon_low(rig.core, 513);
       }}};
  for (const auto& [name, corrupt] : corruptions) {
    Rig cheap(small_guest());
    Rig full(small_guest());
    corrupt(cheap);
    corrupt(full);
    std::set<InvariantId> cheap_ids;
    std::set<InvariantId> full_ids;
    for (const Violation& violation : cheap.epilogue()) cheap_ids.insert(violation.id);
    for (const Violation& violation : full.scan()) full_ids.insert(violation.id);
    EXPECT_EQ(cheap_ids, full_ids)
        << name << ": epilogue check " << describe(cheap.checker.violations()) << ", full scan "
        << describe(full.checker.violations());
    EXPECT_EQ(cheap_ids.empty(), name == "nothing") << name;
  }
}

TEST(CheckerBranches, TheEpilogueCheckFollowsAWrittenFrameToItsPfn) {
  // No pfn is dirty: only the frame the corruption wrote leads to pfn 7.
  Rig rig(small_guest());
  SimTestPeer::set_owner(rig.sim, rig.sim.pfn_to_mfn(7), FrameOwner::other);
  expect_report(rig.epilogue(), InvariantId::p2m, "which the domain does not own");
}

TEST(CheckerBranches, TheEpilogueCheckSeesEveryStepSinceBoot) {
  // Corrupted in one step whose checks were skipped, then a clean step: the epilogue
  // still goes back to pfn 7.
  Rig rig(small_guest());
  SimTestPeer::set_mapping(rig.sim, 7, rig.sim.pfn_to_mfn(8));
  rig.checker.step_abandoned();
  rig.sim.end_step();
  EXPECT_TRUE(rig.step().empty()) << describe(rig.checker.violations());
  expect_report(rig.epilogue(), InvariantId::p2m, "but the kernel maps");
}

TEST(CheckerBranches, at_or_below_target_TotPagesAboveMaxPages) {
  Rig rig(small_guest());
  SimTestPeer::set_max_pages(rig.sim, 100);
  expect_report(rig.step(), InvariantId::at_or_below_target, "tot_pages=512 exceeds max_pages=100");
}

// The extents half of no-partial-return, on its own: the settled check has nothing
// pending (the checker never heard of the populate), so only the decrease's extents
// can tell that a frame populate just gave is going straight back.
TEST(CheckerBranches, no_partial_return_AFreshFrameInADecrease) {
  Rig rig(small_guest());
  std::uint64_t frames[2] = {900, 901};  // ballooned pfns of a PV guest
  Reservation populate{frames, 2, 0};
  ASSERT_EQ(rig.sim.memory_op(MemoryOp::populate_physmap, populate), 2);
  std::uint64_t back[1] = {frames[1]};  // the mfn Xen wrote back
  Reservation decrease{back, 1, 0};
  rig.checker.begin_step(Phase::event, 1);
  rig.checker.hypercall_issued(MemoryOp::decrease_reservation, decrease);
  expect_report(rig.checker.violations(), InvariantId::no_partial_return,
                "decrease_reservation hands back mfn " + std::to_string(frames[1]) +
                    ", which populate_physmap gave in this step");
}

TEST(CheckerBranches, no_partial_return_AnOldFrameInADecreaseIsFine) {
  Rig rig(small_guest());
  std::uint64_t back[1] = {rig.sim.pfn_to_mfn(3)};
  Reservation decrease{back, 1, 0};
  rig.checker.begin_step(Phase::event, 1);
  rig.checker.hypercall_issued(MemoryOp::decrease_reservation, decrease);
  EXPECT_TRUE(rig.checker.violations().empty()) << describe(rig.checker.violations());
}

// A mainline driver whose thread reports the state a test forges: everything else is
// the real driver's, so the checker reads a consistent guest.
class ForgedThread final : public Driver {
 public:
  explicit ForgedThread(Env& env) : real_(make_driver(env, Variant::mainline, Mutation::none)) {}
  Driver& real() { return *real_; }
  std::optional<ThreadState> forged;

  void balloon_init(pfn_t max_pfn, pfn_t nr_pages) override {
    real_->balloon_init(max_pfn, nr_pages);
  }
  void balloon_set_new_target(std::uint64_t target) override {
    real_->balloon_set_new_target(target);
  }
  void watch_target(std::string_view value) override { real_->watch_target(value); }
  long balloon_write(std::string_view buffer) override { return real_->balloon_write(buffer); }
  std::string balloon_read() const override { return real_->balloon_read(); }
  void balloon_update_driver_allowance(std::int64_t delta) override {
    real_->balloon_update_driver_allowance(delta);
  }
  std::optional<std::vector<pfn_t>> alloc_empty_pages(std::size_t nr_pages) override {
    return real_->alloc_empty_pages(nr_pages);
  }
  void free_empty_pages(const std::vector<pfn_t>& pagevec) override {
    real_->free_empty_pages(pagevec);
  }
  void balloon_release_driver_page(pfn_t page) override {
    real_->balloon_release_driver_page(page);
  }
  long store_target_kb(std::string_view buffer) override { return real_->store_target_kb(buffer); }
  long store_target(std::string_view buffer) override { return real_->store_target(buffer); }
  bool has(OptionalEntry entry) const override { return real_->has(entry); }
  long store_backoff_knob(BackoffKnob knob, std::string_view buffer) override {
    return real_->store_backoff_knob(knob, buffer);
  }
  void balloon_process() override { real_->balloon_process(); }
  void balloon_alarm() override { real_->balloon_alarm(); }
  std::uint64_t current_pages() const override { return real_->current_pages(); }
  std::uint64_t totalram_pages() const override { return real_->totalram_pages(); }
  std::uint64_t target_pages() const override { return real_->target_pages(); }
  std::uint64_t balloon_low() const override { return real_->balloon_low(); }
  std::uint64_t balloon_high() const override { return real_->balloon_high(); }
  std::uint64_t driver_pages() const override { return real_->driver_pages(); }
  std::uint64_t hard_limit() const override { return real_->hard_limit(); }
  std::uint64_t current_target() const override { return real_->current_target(); }
  std::optional<ThreadState> thread_state() const override { return forged; }
  std::size_t balloon_list_size() const override { return real_->balloon_list_size(); }
  std::vector<pfn_t> balloon_list_pages() const override { return real_->balloon_list_pages(); }
  void set_list_journal(std::vector<ListOp>* journal) override { real_->set_list_journal(journal); }

 private:
  std::unique_ptr<Driver> real_;
};

// A mainline guest whose thread has just returned to its wait in `state` (sleeping),
// with nothing pending unless a test arms it.
struct ThreadRig {
  ThreadRig() : sim(small_guest(), observer), driver(sim), checker(sim, driver) {
    driver.set_list_journal(checker.journal());
    driver.balloon_init(small_guest().max_pfn, small_guest().nr_pages);
    sim.del_timer();
  }
  ~ThreadRig() { driver.set_list_journal(nullptr); }
  // One run of the thread that ends in `state`, then the checks a work run's end makes.
  const std::vector<Violation>& returns_in(ThreadState::Bp state, std::uint64_t delay = 1,
                                           std::uint64_t max_delay = 32) {
    ThreadState thread;
    thread.state = state;
    thread.schedule_delay = delay;
    thread.max_schedule_delay = max_delay;
    thread.sleeping = true;
    driver.forged = thread;
    checker.begin_step(Phase::event, ++steps);
    checker.work_started();
    checker.work_finished();
    return checker.violations();
  }
  void due_in(std::uint64_t seconds) { sim.mod_timer(sim.jiffies() + seconds * kHz); }
  NullSimObserver observer;
  Sim sim;
  ForgedThread driver;
  Checker checker;
  std::size_t steps = 0;
};

TEST(CheckerBranches, rearm_ThreadBacksOffAsItSays) {
  ThreadRig rig;
  rig.due_in(2);
  EXPECT_TRUE(rig.returns_in(ThreadState::Bp::eagain, 2).empty())
      << describe(rig.checker.violations());
  rig.due_in(4);
  EXPECT_TRUE(rig.returns_in(ThreadState::Bp::eagain, 4).empty())
      << describe(rig.checker.violations());
  rig.due_in(1);
  EXPECT_TRUE(rig.returns_in(ThreadState::Bp::wait).empty()) << describe(rig.checker.violations());
  rig.sim.del_timer();
  EXPECT_TRUE(rig.returns_in(ThreadState::Bp::done).empty()) << describe(rig.checker.violations());
}

TEST(CheckerBranches, rearm_ABackOffThatIsNotDue) {
  ThreadRig rig;
  expect_report(rig.returns_in(ThreadState::Bp::eagain, 4), InvariantId::rearm,
                "returned to its wait in BP_EAGAIN but is not due within schedule_delay=4s");
  ThreadRig late;
  late.due_in(5);
  expect_report(late.returns_in(ThreadState::Bp::eagain, 4), InvariantId::rearm,
                "not due within schedule_delay=4s");
}

TEST(CheckerBranches, rearm_ABackOffPastItsCap) {
  ThreadRig rig;
  rig.due_in(64);
  expect_report(rig.returns_in(ThreadState::Bp::eagain, 64, 32), InvariantId::rearm,
                "schedule_delay=64s exceeds max_schedule_delay=32s");
}

TEST(CheckerBranches, rearm_ABackOffThatDidNotDouble) {
  ThreadRig rig;
  rig.due_in(2);
  ASSERT_TRUE(rig.returns_in(ThreadState::Bp::eagain, 2).empty());
  rig.due_in(2);
  expect_report(rig.returns_in(ThreadState::Bp::eagain, 2), InvariantId::rearm,
                "the back-off went from 2s to 2s, not to 4s");
  ThreadRig capped;
  capped.due_in(24);
  ASSERT_TRUE(capped.returns_in(ThreadState::Bp::eagain, 24).empty());
  capped.due_in(32);
  EXPECT_TRUE(capped.returns_in(ThreadState::Bp::eagain, 32).empty())
      << "doubling stops at the cap: " << describe(capped.checker.violations());
}

TEST(CheckerBranches, rearm_ACancelledActionThatRunsAgainAtOnce) {
  ThreadRig rig;
  ThreadState thread;
  thread.state = ThreadState::Bp::ecanceled;
  thread.sleeping = false;
  rig.driver.forged = thread;
  rig.checker.begin_step(Phase::event, 1);
  rig.checker.work_started();
  rig.checker.work_finished();
  expect_report(rig.checker.violations(), InvariantId::rearm,
                "the action was cancelled but the thread is runnable again at once");
}

TEST(CheckerBranches, rearm_DoneWithCreditLeftAndNotRunnable) {
  ThreadRig rig;
  rig.driver.real().balloon_set_new_target(600);
  rig.sim.take_work();
  expect_report(rig.returns_in(ThreadState::Bp::done), InvariantId::rearm,
                "returned to its wait in BP_DONE with credit left and is not runnable");
}

TEST(CheckerBranches, rearm_AWaitThatIsNotDueWithinASecond) {
  ThreadRig rig;
  rig.due_in(2);
  expect_report(rig.returns_in(ThreadState::Bp::wait), InvariantId::rearm,
                "returned to its wait in BP_WAIT but is not due within a second");
}

TEST(CheckerBranches, TheDirtyEpochWrapsAround) {
  Rig rig(small_guest());
  SimTestPeer::set_epoch(rig.sim, ~std::uint32_t{0});
  rig.sim.end_step();
  EXPECT_EQ(SimTestPeer::epoch(rig.sim), 1U);
  SimTestPeer::set_mapping(rig.sim, 900, rig.sim.pfn_to_mfn(3));
  expect_report(rig.step(), InvariantId::p2m, "still maps");
}

// The simulated kernel's own faults: each is a BUG.
TEST(SimFaults, UpdateVaMappingRefusesAFrameTheDomainDoesNotOwn) {
  NullSimObserver observer;
  Sim sim(with_host(small_guest(), 10), observer);
  EXPECT_EQ(sim.update_va_mapping(5, kMfnBase - 1), -22);
  EXPECT_EQ(sim.update_va_mapping(900, sim.pfn_to_mfn(5)), 0);
}

TEST(SimFaults, FreeingAFreePageIsABug) {
  NullSimObserver observer;
  Sim sim(small_guest(), observer);
  EXPECT_THROW(sim.free_page(5), KernelBug);
}

TEST(SimFaults, ScrubbingAnUnmappedLowmemPageIsABug) {
  NullSimObserver observer;
  Sim sim(small_guest(), observer);
  ASSERT_EQ(sim.update_va_mapping(5, kInvalidP2mEntry), 0);
  EXPECT_THROW(sim.scrub_page(5), KernelBug);
  EXPECT_THROW(sim.scrub_page(900), KernelBug);  // unpopulated
}

TEST(SimFaults, AutoTranslatedGuestsMayNotRemapThePhysmap) {
  Config config = small_guest();
  config.auto_translated = true;
  NullSimObserver observer;
  Sim sim(config, observer);
  EXPECT_THROW(sim.set_phys_to_machine(5, 6), KernelBug);
  EXPECT_NO_THROW(sim.set_phys_to_machine(5, kInvalidP2mEntry));
}

}  // namespace
}  // namespace testing
// Not the checker but the simulation's own always-on assertion: a frame that leaves
// the host's books stops the process, whichever of its entry points notices first.
TEST(SimConservation, ALostFrameStopsTheSimulation) {
  Config config = testing::small_guest();
  config.host_free = 8;
  NullSimObserver observer;
  Sim sim(config, observer);
  sim.host_take(1);  // conserved: nothing happens
  SimTestPeer::lose_free_frame(sim);
  EXPECT_DEATH(sim.host_take(1), "simulation bug after host_take: free 5 \\+ other guests 2");
  EXPECT_DEATH(sim.ensure_free_frames(1), "simulation bug after ensure_free_frames");
}

}  // namespace balloonbench
