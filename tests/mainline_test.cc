// Linux's driver (variant mainline): the thread's waits and back-off, its sysfs knobs,
// the borrowing of ballooned pages, and the catalogue read for a thread, each check
// shown firing on the bug it exists for.

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "tests/test_support.h"

namespace balloonbench::testing {
namespace {

using namespace events;

World boot_world(const Config& config, Mutation mutation = Mutation::none) {
  return World(config, WorldOptions{Variant::mainline, mutation, nullptr});
}

ThreadState thread_of(const World& world) { return world.core().thread_state().value(); }

bool broke(const RunResult& result, InvariantId id) {
  for (const Violation& violation : result.violations) {
    if (violation.id == id) return true;
  }
  return false;
}

TEST(Mainline, TheThreadSleepsAnHourAtBootAndATargetWakesIt) {
  World world = boot_world(small_guest());
  ThreadState thread = thread_of(world);
  EXPECT_EQ(thread.state, ThreadState::Bp::done);
  EXPECT_TRUE(thread.sleeping);
  EXPECT_TRUE(world.sim().timer_pending());
  EXPECT_EQ(world.sim().timer_expires(), 3600 * kHz);
  EXPECT_FALSE(world.sim().work_pending());

  world.step(set_target(600));
  thread = thread_of(world);
  EXPECT_FALSE(thread.sleeping);
  EXPECT_FALSE(world.sim().timer_pending());  // woken before its timeout
  EXPECT_TRUE(world.sim().work_pending());

  world.step(run_work());
  EXPECT_EQ(world.core().current_pages(), 600U);
  EXPECT_TRUE(thread_of(world).sleeping);
  EXPECT_TRUE(world.violations().empty());
}

TEST(Mainline, TheBackOffDoublesUpToItsCapAndRetriesRunOutIntoACancel) {
  World world = boot_world(with_host(small_guest(), 0));
  world.step(sysfs_knob(BackoffKnob::max_schedule_delay, "4\n"));
  world.step(set_target(600));
  world.step(run_work());  // nothing to populate from: BP_EAGAIN
  ThreadState thread = thread_of(world);
  EXPECT_EQ(thread.state, ThreadState::Bp::eagain);
  EXPECT_EQ(thread.schedule_delay, 2U);
  EXPECT_EQ(world.sim().timer_expires(), 2 * kHz);
  world.step(tick(2 * kHz));
  EXPECT_EQ(thread_of(world).schedule_delay, 4U);
  world.step(tick(4 * kHz));
  thread = thread_of(world);
  EXPECT_EQ(thread.schedule_delay, 4U);  // the cap
  EXPECT_EQ(thread.retry_count, 4U);
  world.step(tick(4 * kHz));  // a fifth failure: past max_retry_count 4
  thread = thread_of(world);
  EXPECT_EQ(thread.state, ThreadState::Bp::ecanceled);
  EXPECT_TRUE(thread.sleeping);
  EXPECT_EQ(world.sim().timer_expires(), world.sim().jiffies() + 3600 * kHz);
  EXPECT_TRUE(world.violations().empty());
  // Memory comes; the cancelled action waits for its hour, then the heal's epilogue
  // lets it converge.
  world.step(host_free(200));
  world.finish();
  ASSERT_EQ(world.outcome(), Outcome::clean) << world.violations().front().detail;
  EXPECT_EQ(world.core().current_pages(), 600U);
}

TEST(Mainline, KnobWritesParseAsKstrtoulDoes) {
  BareCore bare(small_guest(), Variant::mainline);
  for (const auto& [text, rc, value] :
       std::vector<std::tuple<std::string, long, std::uint64_t>>{{"0x10\n", 5, 16},
                                                                 {"010", 3, 8},
                                                                 {"+7", 2, 7},
                                                                 {"five", -22, 7},
                                                                 {"4 ", -22, 7},
                                                                 {"", -22, 7},
                                                                 {"99999999999999999999", -34, 7},
                                                                 {"\n", -22, 7}}) {
    EXPECT_EQ(bare.core.store_backoff_knob(BackoffKnob::max_retry_count, text), rc) << text;
    EXPECT_EQ(bare.core.thread_state()->max_retry_count, value) << text;
  }
}

TEST(Mainline, TheOtherDriversHaveNoKnobsAndMainlineNoProcFile) {
  const RunResult result =
      run_events(small_guest(),
                 {proc_write("700M\n"), driver_allowance(3), release_driver_page(0), proc_read(),
                  set_target(520), run_work()},
                 Variant::mainline);
  EXPECT_EQ(result.outcome, Outcome::clean);
  EXPECT_EQ(run_events(small_guest(), {sysfs_knob(BackoffKnob::max_retry_count, "1")}).outcome,
            Outcome::clean);
}

// An entry point a driver lacks answers as a missing file would, from the interface's
// defaults, and changes nothing; has() says which entries each driver has.
TEST(Mainline, EntriesADriverLacksAnswerAsAMissingFile) {
  BareCore linux_core(small_guest(), Variant::mainline);
  Driver& mainline = linux_core.core;
  EXPECT_FALSE(mainline.has(OptionalEntry::proc_file));
  EXPECT_FALSE(mainline.has(OptionalEntry::driver_allowance));
  EXPECT_FALSE(mainline.has(OptionalEntry::release_driver_page));
  EXPECT_TRUE(mainline.has(OptionalEntry::backoff_knobs));
  const std::uint64_t target = mainline.target_pages();
  EXPECT_EQ(mainline.balloon_write("700M\n"), -kAbsentEntryErrno);
  EXPECT_EQ(mainline.balloon_read(), "");
  mainline.balloon_update_driver_allowance(3);
  EXPECT_EQ(mainline.driver_pages(), 0U);
  EXPECT_EQ(mainline.target_pages(), target);

  BareCore xen_core(small_guest(), Variant::fixed);
  Driver& fixed = xen_core.core;
  EXPECT_TRUE(fixed.has(OptionalEntry::proc_file));
  EXPECT_FALSE(fixed.has(OptionalEntry::backoff_knobs));
  EXPECT_EQ(fixed.store_backoff_knob(BackoffKnob::max_retry_count, "3"), -kAbsentEntryErrno);
  EXPECT_EQ(kAbsentEntryErrno, 2);  // ENOENT
}

// An auto-translated configuration is a PVH guest: only populated pfns, nothing
// ballooned at boot, and no P2M for the driver to keep.
TEST(Mainline, APvhGuestBootsWithNothingBallooned) {
  Config config = small_guest();  // 1024 pfns, 512 populated, all lowmem
  config.auto_translated = true;
  World world = boot_world(config);
  EXPECT_EQ(world.sim().config().max_pfn, 512U);
  EXPECT_EQ(world.sim().config().max_low_pfn, 512U);
  EXPECT_TRUE(world.sim().config().auto_translated);
  EXPECT_EQ(world.core().current_pages(), 512U);
  EXPECT_EQ(world.core().balloon_low() + world.core().balloon_high(), 0U);

  world.step(set_target(400));
  world.step(run_work());
  EXPECT_EQ(world.core().current_pages(), 400U);
  EXPECT_EQ(world.core().balloon_low(), 112U);
  world.step(alloc_empty(4));
  EXPECT_EQ(world.lent_pages(), 4U);
  world.step(set_target(512));
  world.step(run_work());
  EXPECT_EQ(world.core().current_pages(), 508U);
  world.step(free_empty(0));
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

// A PVH configuration with highmem is a 32-bit guest: it keeps its highmem, and has no
// memory hotplug (Linux has none on 32-bit x86). Ballooning down takes highmem pages,
// which go to the balloon's tail and come back last.
TEST(Mainline, A32BitPvhGuestBalloonsHighmemLast) {
  Config config = small_guest();
  config.max_low_pfn = 384;
  config.auto_translated = true;
  config.memory_hotplug = true;
  World world = boot_world(config);
  EXPECT_EQ(world.sim().config().max_pfn, 512U);
  EXPECT_EQ(world.sim().config().max_low_pfn, 384U);
  EXPECT_FALSE(world.sim().config().memory_hotplug);

  world.step(set_target(100));
  world.step(run_work());
  EXPECT_EQ(world.core().current_pages(), 100U);
  EXPECT_GT(world.core().balloon_high(), 0U);
  EXPECT_GT(world.core().balloon_low(), 0U);
  const std::uint64_t high = world.core().balloon_high();
  world.step(set_target(512 - high + 1));  // every lowmem page and one highmem page
  world.step(run_work());
  EXPECT_EQ(world.core().balloon_low(), 0U);
  EXPECT_EQ(world.core().balloon_high(), high - 1);
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

// With only highmem ballooned, a borrow gives lowmem back to Xen and wakes nobody: the
// thread sees the credit at its timeout, up to an hour later. The converge window
// allows that hour only while such a credit is unheeded.
TEST(Mainline, ABorrowWithOnlyHighmemBallooned) {
  Config config = small_guest();
  config.max_low_pfn = 384;
  config.auto_translated = true;
  World world = boot_world(config);
  world.step(set_target(450));  // 62 highmem pages into the balloon
  world.step(run_work());
  ASSERT_EQ(world.core().balloon_low(), 0U);
  ASSERT_GT(world.core().balloon_high(), 0U);
  const std::uint64_t back_off = kConvergeJiffies + 32 * kHz;
  EXPECT_EQ(world.converge_window(), back_off);

  world.step(alloc_empty(8));
  EXPECT_EQ(world.core().current_pages(), 442U);
  EXPECT_TRUE(thread_of(world).sleeping);
  EXPECT_EQ(world.converge_window(), kConvergeJiffies + 3600 * kHz);
  world.step(run_work());  // nothing runnable: the thread sleeps on
  EXPECT_EQ(world.converge_window(), kConvergeJiffies + 3600 * kHz);
  // The allowance is the rest of the thread's sleep, not an hour from any moment.
  world.step(tick(60 * kHz));
  EXPECT_TRUE(thread_of(world).sleeping);
  EXPECT_EQ(world.converge_window(), kConvergeJiffies + 3540 * kHz);

  // A new target wakes the thread, and its pass heeds the credit.
  world.step(set_target(450));
  world.step(run_work());
  EXPECT_EQ(world.core().current_pages(), 450U);
  EXPECT_EQ(world.converge_window(), back_off);
  world.step(alloc_empty(8));
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
  EXPECT_EQ(world.core().current_pages(), 450U);  // at the hour
}

// Once a new target has woken the thread (or left it nothing to wake for), a thread
// that sleeps on has only the usual window: the allowance was for the borrow alone.
TEST(Mainline, ANewTargetEndsTheAllowanceForAnUnwokenBorrow) {
  Config config = small_guest();
  config.max_low_pfn = 384;
  config.auto_translated = true;
  World world = boot_world(config);
  world.step(set_target(450));
  world.step(run_work());
  world.step(alloc_empty(8));
  ASSERT_EQ(world.core().current_pages(), 442U);
  ASSERT_EQ(world.converge_window(), kConvergeJiffies + 3600 * kHz);
  // The toolstack settles for what the guest has: no credit, so Linux wakes nobody,
  // and the thread sleeps on with its hour's timer still armed.
  world.step(set_target(442));
  EXPECT_TRUE(thread_of(world).sleeping);
  EXPECT_TRUE(world.sim().timer_pending());
  EXPECT_EQ(world.converge_window(), kConvergeJiffies + 32 * kHz);
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean) << describe(world.violations());
}

// A borrow the balloon serves, or one that leaves nothing owed, changes no credit.
TEST(Mainline, ABorrowTheBalloonServesKeepsTheUsualWindow) {
  Config config = small_guest();
  config.max_low_pfn = 384;
  config.auto_translated = true;
  World world = boot_world(config);
  world.step(set_target(300));  // lowmem into the balloon too
  world.step(run_work());
  ASSERT_GT(world.core().balloon_low(), 8U);
  world.step(alloc_empty(8));
  EXPECT_EQ(world.core().current_pages(), 300U);
  EXPECT_EQ(world.converge_window(), kConvergeJiffies + 32 * kHz);

  World empty = boot_world(small_guest());  // PV, balloon all lowmem
  empty.step(alloc_empty(600));             // more than the balloon's 512
  EXPECT_LT(empty.core().current_pages(), 512U);
  EXPECT_EQ(empty.converge_window(), kConvergeJiffies + 32 * kHz);
}

// Any other configuration is a PV guest without highmem, as is a guest with no
// populated pfn, whose memory can only be an extra region. 2.6.18 boots the guest as
// configured.
TEST(Mainline, OtherGuestsArePvWithoutHighmem) {
  Config config = small_guest();
  config.max_low_pfn = 384;
  EXPECT_EQ(boot_world(config).sim().config().max_low_pfn, 1024U);
  config.auto_translated = true;
  config.nr_pages = 0;
  const World empty = boot_world(config);
  EXPECT_FALSE(empty.sim().config().auto_translated);
  EXPECT_EQ(empty.sim().config().max_pfn, 1024U);
  EXPECT_EQ(empty.sim().config().max_low_pfn, 1024U);
  EXPECT_EQ(empty.core().balloon_low(), 1024U);
  const World fixed(config, WorldOptions{Variant::fixed});
  EXPECT_TRUE(fixed.sim().config().auto_translated);
  EXPECT_EQ(fixed.sim().config().max_low_pfn, 384U);
}

// The watch first fires at boot, with the boot allocation as the toolstack's target: a
// PVH guest's target_diff (static-max, absent from the store, less the target) is 0,
// and a target set through sysfs before the toolstack's first write does not make it
// otherwise. Had the watch first fired on that write, its 300 pages would give 188.
TEST(Mainline, TheWatchFiresAtBootSoAPvhGuestKeepsNoTargetDiff) {
  for (const bool translated : {false, true}) {
    Config config = small_guest();  // 512 populated pfns
    config.auto_translated = translated;
    World world = boot_world(config);
    EXPECT_TRUE(thread_of(world).sleeping);
    world.step(sysfs_target_kb("1600"));  // 400 pages
    world.step(xenstore_target("1200"));  // 300 pages
    EXPECT_EQ(world.core().target_pages(), 300U) << translated;
    world.step(run_work());
    world.step(xenstore_target("1600"));
    EXPECT_EQ(world.core().target_pages(), 400U) << translated;
    world.finish();
    EXPECT_EQ(world.outcome(), Outcome::clean) << translated;
  }
}

TEST(Mainline, ABackendBorrowsAndGivesBackWithTargetUnpopulatedInStep) {
  World world = boot_world(small_guest());
  world.step(alloc_empty(40));
  EXPECT_EQ(thread_of(world).target_unpopulated, 40U);
  EXPECT_EQ(world.lent_pages(), 40U);
  world.step(free_empty(0));
  EXPECT_EQ(thread_of(world).target_unpopulated, 0U);
  world.finish();
  EXPECT_EQ(world.outcome(), Outcome::clean);
}

// ledger fires on target_unpopulated: the error path before its fix.
TEST(Mainline, LedgerFiresWhenAFailedBorrowLeavesTargetUnpopulatedRaised) {
  Config config = small_guest();
  config.nr_pages = 1000;  // a balloon of 24 pages
  const std::vector<Event> list{alloc_fail(0, 64), alloc_empty(40)};
  EXPECT_EQ(run_events(config, list, Variant::mainline).outcome, Outcome::clean);
  const RunResult buggy =
      run_events(config, list, Variant::mainline, Mutation::fix_alloc_error_path_accounting);
  ASSERT_EQ(buggy.outcome, Outcome::violation);
  EXPECT_EQ(buggy.violations.front().id, InvariantId::ledger);
}

// rearm fires on a cancelled action that wakes the thread at once.
TEST(Mainline, RearmFiresWhenACancelledActionDoesNotSleep) {
  Config config = small_guest();
  config.nr_pages = 1000;
  const std::vector<Event> list{alloc_empty(24), set_target(1010), run_work()};
  EXPECT_EQ(run_events(config, list, Variant::mainline).outcome, Outcome::clean);
  const RunResult buggy =
      run_events(config, list, Variant::mainline, Mutation::fix_cancelled_balloon_action);
  ASSERT_EQ(buggy.outcome, Outcome::violation);
  EXPECT_EQ(buggy.violations.front().id, InvariantId::rearm);
}

// progress fires on a thread that spins; a spin root asked for stops the run instead.
TEST(Mainline, ProgressFiresOnASpinningThreadButNotOnOneRootAskedFor) {
  const std::vector<Event> list{mem_pressure(1024), set_target(300), run_work(), run_work(),
                                run_work()};
  EXPECT_EQ(run_events(small_guest(), list, Variant::mainline).outcome, Outcome::clean);
  const RunResult buggy =
      run_events(small_guest(), list, Variant::mainline, Mutation::xsa300_no_reserve_backoff);
  ASSERT_EQ(buggy.outcome, Outcome::violation);
  EXPECT_EQ(buggy.violations.front().id, InvariantId::progress);

  const RunResult asked =
      run_events(with_host(small_guest(), 0),
                 {sysfs_knob(BackoffKnob::max_schedule_delay, "0"),
                  sysfs_knob(BackoffKnob::max_retry_count, "0"), set_target(600), tick(1)},
                 Variant::mainline);
  EXPECT_EQ(asked.outcome, Outcome::expected_crash);
  EXPECT_NE(asked.expected_crash.find("as root asked"), std::string::npos) << asked.expected_crash;
}

// A pass that leaves credit runs again at once; between passes a backend's failed
// borrow gives a page back and returns it to the balloon, and a pass populates it
// again. Each pass starts where the world, not the last pass, left the thread: no spin.
TEST(Mainline, PassesBetweenBorrowsThatUndoThemAreNoSpin) {
  Config config = small_guest();  // 1024 pfns, 512 populated
  config.max_pages = 2048;
  config.host_free = 4096;
  std::vector<Event> list{set_target(1100), run_work()};  // 1024, credit left: runnable
  for (int round = 0; round < 4; ++round) {
    // The second page the borrow allocates fails: one page given back, then undone.
    for (const Event& event : {alloc_fail(1, 1), alloc_empty(2), run_work()}) {
      list.push_back(event);
    }
  }
  const RunResult result = run_events(config, list, Variant::mainline);
  EXPECT_EQ(result.outcome, Outcome::clean) << describe(result.violations);
}

// A borrow that fails frees what it got (xen_free_ballooned_pages), which wakes the
// thread for the credit the pages it gave Xen left: no allowance for that credit, so a
// driver whose free wakes nobody fails converge.
TEST(Mainline, AFailedBorrowWakesTheThreadForItsCredit) {
  Config config = small_guest();
  config.nr_pages = 1024;  // nothing ballooned at boot
  // 24 pages into the balloon; the borrow takes them, gives Xen two pages of its own
  // before its third allocation fails, and undoes itself: a credit of two.
  const std::vector<Event> list{set_target(1000), run_work(), alloc_fail(2, 1), alloc_empty(40)};
  const RunResult fixed = run_events(config, list, Variant::mainline);
  EXPECT_EQ(fixed.outcome, Outcome::clean) << describe(fixed.violations);
  const RunResult buggy = run_events(config, list, Variant::mainline, Mutation::free_wakes_nobody);
  EXPECT_TRUE(broke(buggy, InvariantId::converge)) << describe(buggy.violations);

  World world = boot_world(config);
  for (const Event& event : list) world.step(event);
  EXPECT_EQ(world.lent_pages(), 0U);
  EXPECT_EQ(world.core().current_pages(), 998U);
  world.step(run_work());  // the woken thread takes the two back
  EXPECT_EQ(world.core().current_pages(), 1000U);

  // A failed borrow also ends the allowance an earlier borrow left: with only highmem
  // ballooned, a borrow that succeeds wakes nobody; the next one fails at once, and its
  // undoing (a free of nothing) still wakes the thread for the credit.
  Config pvh = small_guest();
  pvh.max_low_pfn = 384;
  pvh.auto_translated = true;
  const std::vector<Event> after_unwoken{set_target(450), run_work(), alloc_empty(8),
                                         alloc_fail(0, 1), alloc_empty(8)};
  EXPECT_EQ(run_events(pvh, after_unwoken, Variant::mainline).outcome, Outcome::clean);
  World unwoken = boot_world(pvh);
  for (const Event& event : after_unwoken) unwoken.step(event);
  EXPECT_EQ(unwoken.lent_pages(), 8U);  // the second borrow got nothing
  EXPECT_EQ(unwoken.converge_window(), kConvergeJiffies + 32 * kHz);
  const RunResult sleeps_on =
      run_events(pvh, after_unwoken, Variant::mainline, Mutation::free_wakes_nobody);
  EXPECT_TRUE(broke(sleeps_on, InvariantId::converge)) << describe(sleeps_on.violations);
}

// converge fires when pages a backend gives back stay in the balloon.
TEST(Mainline, ConvergeFiresWhenReturnedPagesStayInTheBalloon) {
  Config config = small_guest();
  config.nr_pages = 1000;
  const std::vector<Event> list{alloc_empty(24), set_target(1010), run_work(), free_empty(0)};
  const RunResult fixed = run_events(config, list, Variant::mainline);
  EXPECT_EQ(fixed.outcome, Outcome::clean);
  EXPECT_TRUE(fixed.converge_judged);
  const RunResult buggy =
      run_events(config, list, Variant::mainline, Mutation::fix_accounting_without_hotplug);
  EXPECT_TRUE(broke(buggy, InvariantId::converge));
}

// With CONFIG_XEN_BALLOON_MEMORY_HOTPLUG: a guest whose target is above every page it
// has (a PV guest of 1024 pfns, half populated, on a host with room).
Config hotplug_guest() {
  Config config = small_guest();
  config.max_pages = 4096;
  config.host_free = 8192;
  config.memory_hotplug = true;
  return config;
}

TEST(MainlineHotplug, AnEmptyBalloonAddsASectionAndTheThreadWaitsUntilItIsOnline) {
  World world = boot_world(hotplug_guest());
  world.step(set_target(2000));
  world.step(run_work());  // the balloon's 512 pages come back
  EXPECT_EQ(world.core().current_pages(), 1024U);
  world.step(run_work());  // nothing left in the balloon: add memory, offline
  const std::uint64_t section = std::uint64_t{1} << kSectionShift;
  EXPECT_EQ(world.sim().offline_pages(), section);
  EXPECT_EQ(world.sim().config().max_pfn, 1024U);
  EXPECT_EQ(world.core().balloon_low(), 0U);
  ThreadState thread = thread_of(world);
  EXPECT_EQ(thread.state, ThreadState::Bp::wait);
  EXPECT_TRUE(thread.sleeping);
  EXPECT_EQ(world.sim().timer_expires(), world.sim().jiffies() + kHz);
  // Each second the thread finds the added pages counted (credit <= 0) and waits on.
  world.step(tick(kHz));
  EXPECT_EQ(thread_of(world).state, ThreadState::Bp::wait);
  EXPECT_EQ(world.sim().offline_pages(), section);
  EXPECT_EQ(world.sim().memory_resources(), 0U);
  EXPECT_EQ(world.sim().timer_expires(), world.sim().jiffies() + kHz);

  world.step(online_memory());  // into the balloon; the notifier's wake finds no change
  EXPECT_EQ(world.sim().config().max_pfn, 1024 + section);
  EXPECT_EQ(world.sim().config().max_low_pfn, 1024 + section);  // a 64-bit guest: lowmem
  EXPECT_EQ(world.core().balloon_low(), section);
  EXPECT_TRUE(thread_of(world).sleeping);
  world.step(tick(kHz));  // BP_WAIT's second: balloon up into the new memory
  world.finish();
  ASSERT_EQ(world.outcome(), Outcome::clean) << world.violations().front().detail;
  EXPECT_EQ(world.core().current_pages(), 2000U);
  EXPECT_EQ(world.sim().config().max_pfn, 1024 + section);  // one section was enough
}

// Onlining memory while the thread holds balloon_mutex deadlocks in Linux
// (xen_online_page takes the mutex): the port makes it a BUG. The world onlines only
// between steps; this observer onlines from inside a hypercall the driver issues under
// the mutex.
class OnlineInsideHypercalls final : public SimObserver {
 public:
  Sim* sim = nullptr;
  void hypercall_issued(MemoryOp, const Reservation&) override {
    if (sim->offline_pages() > 0) sim->online_memory();
  }
  void hypercall_answered(MemoryOp, const Reservation&, long) override {}
  void timer_armed(std::uint64_t) override {}
  void work_scheduled() override {}
  void memory_added(pfn_t, std::uint64_t) override {}
  void memory_online(pfn_t, std::uint64_t) override {}
};

TEST(MainlineHotplug, OnliningUnderTheBalloonMutexIsABug) {
  OnlineInsideHypercalls observer;
  Sim sim(hotplug_guest(), observer);
  observer.sim = &sim;
  const std::unique_ptr<Driver> driver =
      make_driver(sim, Variant::mainline, Mutation::none, /*memory_hotplug=*/true);
  driver->balloon_init(sim.config().max_pfn, sim.config().nr_pages);
  driver->balloon_set_new_target(2000);
  driver->balloon_process();  // the balloon's 512 pages come back
  driver->balloon_process();  // a section added, offline
  ASSERT_GT(sim.offline_pages(), 0U);
  // The balloon is empty: the borrow gives pages back to Xen, under the mutex.
  try {
    driver->alloc_empty_pages(4);
    ADD_FAILURE() << "no BUG";
  } catch (const KernelBug& bug) {
    EXPECT_NE(bug.condition.find("balloon_mutex_held_"), std::string::npos) << bug.condition;
  }
}

// Memory left offline is onlined by the heal, and the thread converges.
TEST(MainlineHotplug, TheHealOnlinesWhatWasAdded) {
  World world = boot_world(hotplug_guest());
  world.step(set_target(1500));
  world.step(run_work());
  world.step(run_work());
  EXPECT_EQ(world.sim().offline_pages(), std::uint64_t{1} << kSectionShift);
  world.finish();
  ASSERT_EQ(world.outcome(), Outcome::clean) << world.violations().front().detail;
  EXPECT_TRUE(world.converge_judged());
  EXPECT_EQ(world.core().current_pages(), 1500U);
  EXPECT_EQ(world.sim().offline_pages(), 0U);
}

TEST(MainlineHotplug, WithoutTheOptionTheThreadGivesUpOnPagesItHasNoRoomFor) {
  Config config = hotplug_guest();
  config.memory_hotplug = false;
  World world = boot_world(config);
  world.step(set_target(2000));
  world.step(run_work());
  world.step(run_work());
  EXPECT_EQ(thread_of(world).state, ThreadState::Bp::ecanceled);
  EXPECT_EQ(world.sim().config().max_pfn, 1024U);
}

TEST(MainlineHotplug, ATargetBeyondTheAddressSpaceCancels) {
  World world = boot_world(hotplug_guest());
  world.step(set_target(kHotplugPfnLimit));  // a section more than there is room for
  world.step(run_work());
  world.step(run_work());
  EXPECT_EQ(thread_of(world).state, ThreadState::Bp::ecanceled);
  EXPECT_EQ(world.sim().config().max_pfn, 1024U);
  EXPECT_EQ(world.sim().memory_resources(), 0U);
  EXPECT_TRUE(world.violations().empty());
}

// A PV guest's P2M takes a page for each 512 new pfns, then add_memory_resource one for
// the memmap: a failure at the first or the last of them cancels, releasing the region.
TEST(MainlineHotplug, AFailedAllocationOnTheWayCancelsAndReleasesTheRegion) {
  const std::uint64_t p2m_pages = (std::uint64_t{1} << kSectionShift) / 512;
  for (const std::uint64_t skip : {std::uint64_t{0}, p2m_pages - 1, p2m_pages}) {
    World world = boot_world(hotplug_guest());
    world.step(set_target(2000));
    world.step(run_work());
    world.step(alloc_fail(skip, 1));
    world.step(run_work());
    EXPECT_EQ(thread_of(world).state, ThreadState::Bp::ecanceled) << "skip " << skip;
    EXPECT_EQ(world.sim().config().max_pfn, 1024U) << "skip " << skip;
    EXPECT_EQ(world.sim().memory_resources(), 0U) << "skip " << skip;
    EXPECT_TRUE(world.violations().empty()) << "skip " << skip;
  }
  // One more allocation let through: the memory is added.
  World world = boot_world(hotplug_guest());
  world.step(set_target(2000));
  world.step(run_work());
  world.step(alloc_fail(p2m_pages + 1, 1));
  world.step(run_work());
  EXPECT_EQ(thread_of(world).state, ThreadState::Bp::wait);
}

// A PVH guest (auto-translated) writes no P2M: only the memmap's allocation can fail;
// its new pages are in the kernel's direct map, as all its memory is.
TEST(MainlineHotplug, APvhGuestAddsMemoryWithoutP2mPages) {
  Config config = hotplug_guest();
  config.auto_translated = true;
  config.max_pfn = config.nr_pages = 512;
  config.max_low_pfn = 512;
  {
    World world = boot_world(config);
    world.step(alloc_fail(0, 1));
    world.step(set_target(600));
    world.step(run_work());
    EXPECT_EQ(thread_of(world).state, ThreadState::Bp::ecanceled);
  }
  World world = boot_world(config);
  world.step(set_target(600));
  world.step(run_work());
  EXPECT_EQ(thread_of(world).state, ThreadState::Bp::wait);
  world.step(online_memory());
  world.step(tick(kHz));
  world.finish();
  ASSERT_EQ(world.outcome(), Outcome::clean) << world.violations().front().detail;
  EXPECT_EQ(world.core().current_pages(), 600U);
}

// total_pages counts what was added: a higher target inside it adds nothing more.
TEST(MainlineHotplug, ASecondTargetInsideWhatWasAddedAddsNothing) {
  World world = boot_world(hotplug_guest());
  world.step(set_target(1500));
  world.step(run_work());
  world.step(run_work());
  world.step(online_memory());
  world.step(tick(kHz));
  world.step(set_target(1800));
  world.step(run_work());
  world.step(online_memory());  // nothing is offline
  world.finish();
  ASSERT_EQ(world.outcome(), Outcome::clean) << world.violations().front().detail;
  EXPECT_EQ(world.core().current_pages(), 1800U);
  EXPECT_EQ(world.sim().config().max_pfn, 1024 + (std::uint64_t{1} << kSectionShift));
}

TEST(Mainline, AMutationBelongsToItsVariant) {
  EXPECT_EQ(mutation_variant(Mutation::fix_cancelled_balloon_action), Variant::mainline);
  EXPECT_EQ(mutation_variant(Mutation::no_rearm), Variant::fixed);
  EXPECT_THROW(
      run_events(small_guest(), {}, Variant::fixed, Mutation::fix_cancelled_balloon_action),
      std::invalid_argument);
  EXPECT_THROW(run_events(small_guest(), {}, Variant::mainline, Mutation::no_rearm),
               std::invalid_argument);
}

}  // namespace
}  // namespace balloonbench::testing
