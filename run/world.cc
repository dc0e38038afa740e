#include "run/world.h"

#include <algorithm>
#include <new>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace balloonbench {
namespace {

// Thrown from the hypercall hook when a work run exceeds its hypercall budget: the
// driver would spin forever, so the run stops there.
struct Livelock {};

// Thrown when a thread spins because root configured it to (checker: spin_asked).
struct SpinAsked {};

// Sets a flag for as long as it lives (an exception included).
class FlagWhile {
 public:
  explicit FlagWhile(bool& flag) : flag_(flag) { flag_ = true; }
  ~FlagWhile() { flag_ = false; }
  FlagWhile(const FlagWhile&) = delete;
  FlagWhile& operator=(const FlagWhile&) = delete;

 private:
  bool& flag_;
};

// How long past the heal a driver has to converge: two seconds, and for a thread
// driver its back-off as well (its longest sleep, or the hour a cancelled action
// waits).
std::uint64_t converge_window(const Driver& driver) {
  const std::optional<ThreadState> thread = driver.thread_state();
  if (!thread.has_value()) return kConvergeJiffies;
  if (thread->state == ThreadState::Bp::ecanceled) return kConvergeJiffies + 3600 * kHz;
  const std::uint64_t longest = std::max(thread->schedule_delay, thread->max_schedule_delay);
  return kConvergeJiffies + std::min<std::uint64_t>(longest, 3600) * kHz;
}

}  // namespace

// An auto-translated configuration is a PVH guest as v6.6 boots it: its memory map
// holds only the pfns Xen populated, so nothing is ballooned at boot. With highmem
// below that it is a 32-bit guest, which has no memory hotplug in Linux. Any other is
// a 64-bit PV guest (no highmem), as is one with no populated pfn (its memory can only
// be an extra region).
Config guest_for(Config config, Variant variant) {
  if (variant != Variant::mainline) return config;
  if (config.auto_translated && config.nr_pages > 0) {
    config.max_pfn = config.nr_pages;
    config.max_low_pfn = std::min(config.max_low_pfn, config.max_pfn);
    if (config.max_low_pfn < config.max_pfn) config.memory_hotplug = false;
  } else {
    config.auto_translated = false;
    config.max_low_pfn = config.max_pfn;
  }
  return config;
}

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::clean:
      return "clean";
    case Outcome::violation:
      return "violation";
    case Outcome::expected_crash:
      return "expected-crash";
  }
  return "?";
}

World::World(const Config& config, const WorldOptions& options)
    : sim_(guest_for(config, options.variant), *this, options.bank),
      driver_(make_driver(sim_, options.variant, options.mutation, sim_.config().memory_hotplug)),
      driver_kind_{options.variant, options.mutation},
      checker_(sim_, *driver_, options.checks),
      recorder_(options.trace, sim_, *driver_, checker_) {
  boot(config, options, nullptr);
}

void World::reset(const Config& config, const WorldOptions& options) {
  if (const std::string why = validate(config); !why.empty()) throw std::invalid_argument(why);
  driver_->set_list_journal(nullptr);
  const Booted* const booted = kept_boot(config, options);
  boot_was_kept_ = booted != nullptr;
  // The old core goes first, unless it is of the kept one's kind and becomes it in
  // place (reusing its memory): a source driver gives the kernel shim back on the way.
  if (booted != nullptr && booted->driver_kind == driver_kind_) {
    driver_->assign_booted(*booted->driver);
  } else {
    driver_.reset();
  }
  driver_kind_ = DriverKind{options.variant, options.mutation};
  sim_.reset(guest_for(config, options.variant));
  reused_ = true;
  if (booted != nullptr) {
    if (driver_ == nullptr) driver_ = booted->driver->copy_booted();
    checker_.restore_boot(*driver_, options.checks, booted->checker);
  } else {
    driver_ = make_driver(sim_, options.variant, options.mutation, sim_.config().memory_hotplug);
    checker_.reset(*driver_, options.checks);
  }
  // The recorder holds the core by reference; a new one is the reset.
  recorder_.~Recorder();
  new (&recorder_) Recorder(options.trace, sim_, *driver_, checker_);
  writer_buffer_.fill('\0');
  in_flight_.clear();
  host_actions_.clear();
  lent_.clear();
  next_index_ = 0;
  stopped_ = false;
  finished_ = false;
  converge_judged_ = false;
  outcome_ = Outcome::clean;
  expected_crash_.clear();
  in_work_ = false;
  requeued_by_work_ = false;
  credit_unheeded_ = false;
  step_abandoned_ = false;
  step_open_ = false;
  busy_ = false;
  boot(config, options, booted);
}

// The boot's slot in booted_: its fields hashed a word at a time (FNV-1a's prime).
std::size_t World::slot_of(const BootKey& key) {
  const Config& c = key.config;
  std::uint64_t h = 0;
  for (const std::uint64_t part :
       {c.max_pfn, c.nr_pages, c.max_low_pfn, c.max_pages, c.host_free, c.host_other,
        std::uint64_t{c.auto_translated} | std::uint64_t{c.contract_breaks} << 1 |
            std::uint64_t{c.memory_hotplug} << 2 | std::uint64_t{key.checks} << 3,
        static_cast<std::uint64_t>(key.kind.variant),
        static_cast<std::uint64_t>(key.kind.mutation)}) {
    h = (h ^ part) * 0x100000001b3ULL;
  }
  return static_cast<std::size_t>((h ^ (h >> 32)) % kBootsKept);
}

const World::Booted* World::kept_boot(const Config& config, const WorldOptions& options) const {
  if (options.trace != nullptr || sim_.shares_host() || booted_.empty()) return nullptr;
  const BootKey key{config, {options.variant, options.mutation}, options.checks};
  const Booted& slot = booted_[slot_of(key)];
  return slot.kept && slot.key == key ? &slot : nullptr;
}

void World::keep_boot(const Config& config, const WorldOptions& options) {
  if (!reused_ || options.trace != nullptr || sim_.shares_host() ||
      !checker_.violations().empty()) {
    return;
  }
  if (booted_.empty()) {
    // The first boot kept, one with pages in its balloon, fills every slot with a
    // copy of itself, marked empty, and memory for the largest list a decoded run
    // boots with, so that the boots kept later are copied into memory the slots
    // already hold.
    if (driver_->balloon_list_size() == 0) return;
    std::unique_ptr<Driver> first = driver_->copy_booted();
    if (first == nullptr) return;
    booted_.resize(kBootsKept);
    for (Booted& slot : booted_) {
      slot.driver = first != nullptr ? std::move(first) : driver_->copy_booted();
      slot.driver_kind = driver_kind_;
      slot.checker.reserve(kBootListPages);
      checker_.save_boot(slot.checker);
    }
  }
  const BootKey key{config, driver_kind_, options.checks};
  Booted& slot = booted_[slot_of(key)];
  if (slot.driver_kind == driver_kind_) {
    slot.driver->assign_booted(*driver_);
  } else {
    std::unique_ptr<Driver> copy = driver_->copy_booted();
    if (copy == nullptr) return;
    slot.driver = std::move(copy);
    slot.driver_kind = driver_kind_;
  }
  checker_.save_boot(slot.checker);
  slot.key = key;
  slot.kept = true;
}

void World::boot(const Config& asked, const WorldOptions& options, const Booted* booted) {
  const Config& config = sim_.config();
  full_scan_ = options.full_scan;
  text_rules_ = text_rules(options.variant);
  driver_->set_list_journal(checker_.journal());
  recorder_.config(config, options.variant, options.mutation);
  if (booted == nullptr) driver_->balloon_init(config.max_pfn, config.nr_pages);
  checker_.target_written();  // the boot target
  checker_.begin_step(Phase::boot, 0);
  if (booted == nullptr) {
    checker_.boot_check();
    keep_boot(asked, options);
  }
  end_step();
}

World::~World() { driver_->set_list_journal(nullptr); }

void World::step(const Event& event) {
  if (!open_step(event)) return;
  apply_within_step(event);
  close_step();
}

bool World::open_step(const Event& as_recorded) {
  if (stopped_ || finished_) return false;
  const std::size_t index = next_index_++;
  checker_.begin_step(Phase::event, index);
  recorder_.set_position(Phase::event, index);
  recorder_.event(as_recorded);
  step_abandoned_ = false;
  step_open_ = true;
  return true;
}

void World::apply_within_step(const Event& event) {
  guarded([&] { apply(event); });
}

void World::advance_within_step(std::uint64_t when) {
  guarded([&] { advance_to(when); });
}

void World::close_step() {
  if (!step_open_) return;
  if (!step_abandoned_) checker_.step_finished();
  step_abandoned_ = false;
  step_open_ = false;
  end_step();
}

// Runs `action` within the open step; a BUG or a livelock stops the step there.
template <class Action>
void World::guarded(Action&& action) {
  if (step_abandoned_ || stopped_) return;
  const FlagWhile busy(busy_);
  try {
    action();
  } catch (const KernelBug& bug) {
    stop_at_bug(bug);
    step_abandoned_ = true;
  } catch (const Livelock&) {
    checker_.livelock();
    checker_.step_abandoned();
    step_abandoned_ = true;
  } catch (const SpinAsked&) {
    stop_where_asked();
    step_abandoned_ = true;
  }
}

std::uint64_t World::next_due() const {
  std::uint64_t next = ~std::uint64_t{0};
  // A step stopped at a BUG or a livelock runs nothing more.
  if (stopped_ || step_abandoned_) return next;
  if (sim_.timer_pending()) next = std::min(next, sim_.timer_fire_time());
  if (sim_.work_pending())
    next = std::min(next, std::max(sim_.work_blocked_until(), sim_.jiffies()));
  return next;
}

bool World::arm_host_action(std::function<void()> action) {
  if (host_actions_.size() >= kMaxArmedFaults) return false;
  host_actions_.push_back(std::move(action));
  return true;
}

// A BUG is a violation (no-bug) unless Xen broke its contract on purpose just before.
void World::stop_at_bug(const KernelBug& bug) {
  checker_.step_abandoned();
  if (!sim_.contract_broken()) {
    checker_.kernel_bug(bug);
    return;
  }
  stopped_ = true;
  outcome_ = Outcome::expected_crash;
  expected_crash_ =
      "BUG at " + bug.where + " (" + bug.condition + ") after Xen broke its contract on purpose";
  recorder_.expected_crash(expected_crash_);
}

// A thread spins because root set its back-off to no sleep at all: the run cannot go
// on, and no invariant is to blame.
void World::stop_where_asked() {
  checker_.step_abandoned();
  stopped_ = true;
  outcome_ = Outcome::expected_crash;
  expected_crash_ = checker_.livelock_reason();
  recorder_.expected_crash(expected_crash_);
}

void World::finish() {
  const std::uint64_t window = converge_window();
  if (!open_epilogue(window)) return;
  advance_within_step(sim_.jiffies() + window);
  close_epilogue();
}

bool World::open_epilogue(std::uint64_t window) {
  if (finished_) return false;
  finished_ = true;
  if (stopped_) return false;
  checker_.begin_step(Phase::epilogue, next_index_);
  recorder_.set_position(Phase::epilogue, next_index_);
  recorder_.epilogue(window);
  step_abandoned_ = false;
  step_open_ = true;
  guarded([&] { heal(); });
  return true;
}

void World::close_epilogue(const std::string& not_judged) {
  if (!step_open_) return;
  if (!step_abandoned_) {
    checker_.step_finished();
    std::string why = not_judged;
    if (why.empty() && !back_off_judged()) why = "the back-off is over an hour (root's choice)";
    if (why.empty() && checker_.effective_target() > sim_.max_pages()) {
      why = "effective target " + std::to_string(checker_.effective_target()) +
            " is above max_pages " + std::to_string(sim_.max_pages());
    }
    converge_judged_ = why.empty();
    if (converge_judged_) {
      checker_.check_converge();
    } else {
      recorder_.converge_not_judged(why);
    }
  }
  step_abandoned_ = false;
  step_open_ = false;
  end_step();
  if (stopped_) return;
  checker_.begin_step(Phase::epilogue, next_index_);
  checker_.epilogue_check();
  if (full_scan_ == FullScan::always ||
      (full_scan_ == FullScan::small_guests && sim_.config().max_pfn <= kFullScanMaxPfn)) {
    recorder_.full_scan(sim_.config().max_pfn);
    checker_.full_scan();
  }
  end_step(/*record_state=*/false);
}

// A back-off beyond an hour is an administrator's choice; convergence is not judged
// then.
bool World::back_off_judged() const {
  const std::optional<ThreadState> thread = driver_->thread_state();
  return !thread.has_value() || thread->max_schedule_delay <= 3600;
}

// A thread asleep through a credit nobody woke it for sees the credit when its wait
// times out (in BP_DONE up to an hour after it went to sleep): two seconds past that.
std::uint64_t World::converge_window() const {
  std::uint64_t window = balloonbench::converge_window(*driver_);
  if (credit_unheeded_ && sim_.timer_pending()) {
    const std::uint64_t now = sim_.jiffies();
    const std::uint64_t wakes = sim_.timer_fire_time();
    window = std::max(window, kConvergeJiffies + (wakes > now ? wakes - now : 0));
  }
  return window;
}

std::uint64_t World::reachable_target() const {
  return std::min(checker_.effective_target(), sim_.max_pages());
}

void World::end_step(bool record_state) {
  if (record_state) recorder_.state();
  sim_.end_step();
  if (checker_.violations().empty()) return;
  stopped_ = true;
  outcome_ = Outcome::violation;
  recorder_.violations(checker_.violations());
}

void World::apply(const Event& event) {
  switch (event.kind) {
    case EventKind::set_target:
    case EventKind::xenstore_target:
    case EventKind::proc_write:
    case EventKind::proc_read:
    case EventKind::driver_allowance:
    case EventKind::alloc_empty:
    case EventKind::free_empty:
    case EventKind::run_work:
    case EventKind::tick:
    case EventKind::release_driver_page:
    case EventKind::sysfs_target_kb:
    case EventKind::sysfs_target:
    case EventKind::sysfs_knob:
    case EventKind::online_memory:
      apply_entry_point(event);
      break;
    case EventKind::host_take:
    case EventKind::host_free:
    case EventKind::set_max_pages:
      apply_host(event);
      break;
    case EventKind::populate_limit:
    case EventKind::populate_error:
    case EventKind::alloc_fail:
    case EventKind::in_flight:
    case EventKind::timer_late:
    case EventKind::delay_work:
    case EventKind::decrease_short:
    case EventKind::decrease_error:
    case EventKind::mem_pressure:
      apply_fault(event);
      break;
  }
}

// The driver's entry points, and time passing.
void World::apply_entry_point(const Event& event) {
  switch (event.kind) {
    case EventKind::set_target: {
      const std::uint64_t before = driver_->target_pages();
      driver_->balloon_set_new_target(event.value);
      target_written(before);
      break;
    }
    case EventKind::xenstore_target: {
      const TargetBefore before = target_before();
      driver_->watch_target(event.bytes);
      text_written(TextFile::xenstore, event, 0, before);
      target_written(before.target);
      break;
    }
    case EventKind::proc_write: {
      if (absent(OptionalEntry::proc_file)) break;
      const TargetBefore before = target_before();
      text_written(TextFile::proc, event, proc_write(event.bytes, event.value == 0), before);
      target_written(before.target);
      break;
    }
    case EventKind::proc_read:
      if (absent(OptionalEntry::proc_file)) break;
      recorder_.proc_read(driver_->balloon_read());
      break;
    case EventKind::driver_allowance:
      if (absent(OptionalEntry::driver_allowance)) break;
      driver_->balloon_update_driver_allowance(static_cast<std::int64_t>(event.value));
      break;
    case EventKind::alloc_empty:
      alloc_empty(event.value);
      break;
    case EventKind::free_empty:
      free_empty(event.value);
      break;
    case EventKind::run_work:
      if (sim_.work_runnable()) {
        run_work();
      } else {
        recorder_.work_not_run();
      }
      break;
    case EventKind::tick:
      advance(event.value);
      break;
    case EventKind::online_memory:
      // The kernel calls the driver's online callback and notifier for each block.
      if (sim_.online_memory() == 0) recorder_.note("no memory block is offline");
      break;
    case EventKind::release_driver_page:
      if (absent(OptionalEntry::release_driver_page)) break;
      release_driver_page(event.value);
      break;
    case EventKind::sysfs_target_kb:
    case EventKind::sysfs_target: {
      const TargetBefore before = target_before();
      text_written(event.kind == EventKind::sysfs_target_kb ? TextFile::sysfs_target_kb
                                                            : TextFile::sysfs_target,
                   event, sysfs_store(event.kind, event.bytes, event.value == 0), before);
      target_written(before.target);
      break;
    }
    case EventKind::sysfs_knob: {
      if (absent(OptionalEntry::backoff_knobs)) break;
      const TargetBefore before = target_before();
      // sysfs hands a store no empty write: it answers 0 itself.
      const long answer =
          event.bytes.empty()
              ? 0
              : driver_->store_backoff_knob(static_cast<BackoffKnob>(event.value % kBackoffKnobs),
                                            event.bytes);
      recorder_.store_returned(answer);
      text_written(TextFile::sysfs_knob, event, answer, before);
      break;
    }
    default:
      break;
  }
}

// The rest of the host, changing under the guest.
void World::apply_host(const Event& event) {
  switch (event.kind) {
    case EventKind::host_take:
      recorder_.host_moved(/*taken=*/true, sim_.host_take(event.value));
      break;
    case EventKind::host_free:
      recorder_.host_moved(/*taken=*/false, sim_.host_free(event.value));
      break;
    case EventKind::set_max_pages:
      sim_.set_max_pages(event.value);
      recorder_.max_pages_set();
      break;
    default:
      break;
  }
}

// Faults, armed in the simulation (or here, for in-flight actions) for what comes next.
void World::apply_fault(const Event& event) {
  switch (event.kind) {
    case EventKind::populate_limit:
      sim_.arm_populate_limit(event.value);
      break;
    case EventKind::populate_error:
      sim_.arm_populate_error(event.value);
      break;
    case EventKind::alloc_fail:
      sim_.arm_alloc_failures(event.value, event.extra);
      break;
    case EventKind::in_flight:
      if (in_flight_.size() < kMaxArmedFaults) {
        in_flight_.push_back(
            {static_cast<InFlightAction>(event.extra % kInFlightActions), event.value});
      }
      break;
    case EventKind::timer_late:
      sim_.arm_timer_late(std::min(event.value, kMaxDelayJiffies));
      break;
    case EventKind::delay_work:
      sim_.delay_work(std::min(event.value, kMaxDelayJiffies));
      break;
    case EventKind::mem_pressure:
      sim_.arm_mem_pressure(event.value);
      break;
    case EventKind::decrease_short:
    case EventKind::decrease_error:
      if (!sim_.config().contract_breaks) {
        recorder_.contract_break_ignored();
      } else if (event.kind == EventKind::decrease_short) {
        sim_.arm_decrease_short(event.value);
      } else {
        sim_.arm_decrease_error(event.value);
      }
      break;
    default:
      break;
  }
}

// Whether the driver lacks an entry point; the event does nothing then, and says so.
bool World::absent(OptionalEntry entry) {
  if (driver_->has(entry)) return false;
  static constexpr const char* kWhat[] = {"/proc/xen/balloon", "a driver allowance",
                                          "driver page release", "back-off knobs"};
  recorder_.note(std::string("this driver has no ") + kWhat[static_cast<int>(entry)]);
  return true;
}

void World::alloc_empty(std::uint64_t pages) {
  const std::uint64_t current_before = driver_->current_pages();
  std::optional<std::vector<pfn_t>> lent = driver_->alloc_empty_pages(pages);
  if (!lent.has_value()) {
    // Linux's error path frees what the borrow got (xen_free_ballooned_pages), which
    // wakes the thread for a credit, as a free by a backend does.
    free_woke_thread();
    recorder_.alloc_empty(nullptr, 0);
    return;
  }
  note_unwoken_credit(current_before);
  for (const pfn_t pfn : *lent) sim_.lend(pfn);
  recorder_.alloc_empty(&*lent, lent_.size());
  lent_.push_back(std::move(*lent));
}

// Linux's xen_alloc_ballooned_pages, when it succeeds, gives pages back to Xen when
// the balloon holds no lowmem, and wakes nobody. In a guest whose balloon holds only
// highmem the thread then sleeps below a target its balloon could serve, until its
// timeout (in BP_DONE, up to an hour) runs a pass: Linux's design, which the converge
// window allows for.
void World::note_unwoken_credit(std::uint64_t current_before) {
  const std::optional<ThreadState> thread = driver_->thread_state();
  if (!thread.has_value() || !thread->sleeping || credit_unheeded_) return;
  const std::uint64_t current = driver_->current_pages();
  if (current >= current_before || current >= checker_.effective_target()) return;
  credit_unheeded_ = true;
  recorder_.note(
      "the thread sleeps on: nothing wakes it for the pages given back, so it "
      "sees the credit at its timeout");
}

// The toolstack wrote a target (the checker's requested target follows it). One that
// moved wakes Linux's thread (balloon_set_new_target) to a credit it slept through:
// from here a thread that stays asleep has only the usual window.
void World::target_written(std::uint64_t target_before) {
  checker_.target_written();
  if (driver_->target_pages() != target_before) credit_unheeded_ = false;
}

void World::free_empty(std::uint64_t which_value) {
  if (lent_.empty()) {
    recorder_.free_empty(0, 0, /*anything_lent=*/false);
    return;
  }
  const std::size_t which = which_value % lent_.size();
  const std::vector<pfn_t> pages = std::move(lent_[which]);
  lent_.erase(lent_.begin() + static_cast<std::ptrdiff_t>(which));
  for (const pfn_t pfn : pages) sim_.unlend(pfn);
  recorder_.free_empty(which, pages.size(), /*anything_lent=*/true);
  driver_->free_empty_pages(pages);
  free_woke_thread();
}

// Linux's xen_free_ballooned_pages wakes the thread when a credit is left: from there a
// thread that stays asleep has only the usual window.
void World::free_woke_thread() {
  if (driver_->target_pages() != driver_->current_pages()) credit_unheeded_ = false;
}

std::size_t World::lent_pages() const {
  std::size_t pages = 0;
  for (const std::vector<pfn_t>& vector : lent_) pages += vector.size();
  return pages;
}

// A frontend driver gives back one page with no memory behind it. The bench's pages
// of that kind are the ones alloc_empty_pages lent: unpopulated, allocated once and
// never freed, outside the balloon. `which` counts through every lent page, vector by
// vector; the page leaves its vector, and a vector left empty is gone.
void World::release_driver_page(std::uint64_t which_value) {
  const std::size_t pages = lent_pages();
  if (pages == 0) {
    recorder_.release_driver_page(nullptr);
    return;
  }
  std::size_t which = which_value % pages;
  auto vector = lent_.begin();
  while (which >= vector->size()) {
    which -= vector->size();
    ++vector;
  }
  const pfn_t pfn = (*vector)[which];
  vector->erase(vector->begin() + static_cast<std::ptrdiff_t>(which));
  if (vector->empty()) lent_.erase(vector);
  sim_.unlend(pfn);
  recorder_.release_driver_page(&pfn);
  driver_->balloon_release_driver_page(pfn);
}

// A write to /proc/xen/balloon by a writer with or without CAP_SYS_ADMIN.
long World::proc_write(const std::string& bytes, bool capable) {
  // The writer formats each write into one buffer it keeps, so past a write's count
  // lies what a longer write before it left there; longer writes come from elsewhere.
  std::string_view written = bytes;
  if (bytes.size() <= writer_buffer_.size()) {
    std::copy(bytes.begin(), bytes.end(), writer_buffer_.begin());
    written = std::string_view(writer_buffer_.data(), bytes.size());
  }
  sim_.set_capable(capable);
  const long rc = driver_->balloon_write(written);
  sim_.set_capable(true);
  recorder_.proc_write(rc);
  return rc;
}

// A write to the sysfs target_kb or target file, with or without CAP_SYS_ADMIN.
// sysfs hands a store no empty write: it answers 0 itself (sysfs_kf_write; 2.6.18's
// sysfs_write_file flushes only a buffer it filled).
long World::sysfs_store(EventKind kind, const std::string& bytes, bool capable) {
  if (bytes.empty()) {
    recorder_.store_returned(0);
    return 0;
  }
  sim_.set_capable(capable);
  const long rc = kind == EventKind::sysfs_target_kb ? driver_->store_target_kb(bytes)
                                                     : driver_->store_target(bytes);
  sim_.set_capable(true);
  recorder_.store_returned(rc);
  return rc;
}

World::TargetBefore World::target_before() const {
  return {driver_->target_pages(),
          driver_->current_pages() + driver_->balloon_low() + driver_->balloon_high()};
}

void World::text_written(TextFile file, const Event& event, long answer, TargetBefore before) {
  checker_.text_written(Checker::TextWrite{text_rules_, file, event.bytes, event.value == 0, answer,
                                           before.target, before.reachable,
                                           static_cast<BackoffKnob>(event.value % kBackoffKnobs)});
}

// Let virtual time pass, firing the timer and running the work item as they come due.
void World::advance(std::uint64_t ticks, bool capped) {
  advance_to(sim_.jiffies() + (capped ? std::min(ticks, kMaxTickJiffies) : ticks));
}

void World::advance_to(std::uint64_t end) {
  for (;;) {
    if (sim_.timer_pending() && sim_.timer_fire_time() <= sim_.jiffies()) fire_timer();
    if (sim_.work_runnable()) {
      run_work();
      continue;
    }
    std::uint64_t next = end;
    if (sim_.timer_pending()) next = std::min(next, sim_.timer_fire_time());
    if (sim_.work_pending()) next = std::min(next, sim_.work_blocked_until());
    if (next <= sim_.jiffies()) break;
    sim_.set_jiffies(next);
  }
}

void World::fire_timer() {
  sim_.timer_fired();
  recorder_.timer_fired();
  driver_->balloon_alarm();
}

void World::run_work() {
  const bool requeued = requeued_by_work_;
  requeued_by_work_ = false;
  sim_.take_work();
  recorder_.work_started();
  if (checker_.thread_spins(requeued)) {
    if (checker_.spin_asked()) throw SpinAsked{};
    throw Livelock{};
  }
  checker_.work_started();
  credit_unheeded_ = false;
  // Whether the work item queues itself again (a thread that does not sleep).
  const FlagWhile in_work(in_work_);
  driver_->balloon_process();
  checker_.work_finished();
  recorder_.work_finished();
}

// SPEC §3: stop all faults, let allocations succeed, online any memory hotplug added,
// and give the host enough free memory for the effective target within max_pages.
void World::heal() {
  sim_.clear_faults();
  in_flight_.clear();
  host_actions_.clear();
  // Userspace onlines what memory hotplug added (its udev rule has caught up).
  sim_.online_memory();
  // A guest that shares its host's frames is healed with the host (run/host.h).
  const std::uint64_t reachable = reachable_target();
  if (!sim_.shares_host() && reachable > sim_.tot_pages()) {
    sim_.ensure_free_frames(reachable - sim_.tot_pages());
  }
  recorder_.heal();
}

// Between the request and the answer: check the request, then carry out the next
// in-flight action, if one is armed.
void World::hypercall_issued(MemoryOp op, const Reservation& reservation) {
  recorder_.hypercall_issued(reservation);
  if (checker_.hypercall_issued(op, reservation)) {
    recorder_.livelock(op);
    throw Livelock{};
  }
  if (!in_flight_.empty()) {
    const ArmedInFlight armed = in_flight_.front();
    in_flight_.pop_front();
    carry_out(armed);
  }
  if (!host_actions_.empty()) {
    const std::function<void()> action = std::move(host_actions_.front());
    host_actions_.pop_front();
    action();
  }
}

void World::carry_out(const ArmedInFlight& armed) {
  const std::uint64_t target_before = driver_->target_pages();
  recorder_.in_flight(armed.action, armed.value);
  switch (armed.action) {
    case InFlightAction::set_target:
      driver_->balloon_set_new_target(armed.value);
      break;
    case InFlightAction::host_take:
      sim_.host_take(armed.value);
      break;
    case InFlightAction::host_free:
      sim_.host_free(armed.value);
      break;
    case InFlightAction::set_max_pages:
      sim_.set_max_pages(armed.value);
      break;
  }
  if (armed.action == InFlightAction::set_target) target_written(target_before);
  checker_.in_flight_fired(driver_->target_pages() != target_before);
}

void World::hypercall_answered(MemoryOp op, const Reservation& reservation, long rc) {
  checker_.hypercall_answered(op, reservation, rc);
  recorder_.hypercall_answered(op, reservation, rc);
}

void World::timer_armed(std::uint64_t expires) { recorder_.timer_armed(expires); }

void World::work_scheduled() {
  if (in_work_) requeued_by_work_ = true;
  recorder_.work_scheduled();
}

void World::memory_added(pfn_t first, std::uint64_t pages) { recorder_.memory_added(first, pages); }

void World::memory_online(pfn_t first, std::uint64_t pages) {
  checker_.memory_online(first, pages);
  recorder_.memory_online(first, pages);
}

RunResult World::result() const {
  return RunResult{outcome_,         checker_.violations(), next_index_,
                   converge_judged_, expected_crash_,       recorder_.stats()};
}

namespace {

RunResult events_then_finish(World& world, const Run& run) {
  for (const Event& event : run.events) {
    if (world.stopped()) break;
    world.step(event);
  }
  world.finish();
  return world.result();
}

}  // namespace

RunResult run(const Run& run, const WorldOptions& options) {
  World world(run.config, options);
  return events_then_finish(world, run);
}

RunResult run(World& world, const Run& run, const WorldOptions& options) {
  world.reset(run.config, options);
  return events_then_finish(world, run);
}

}  // namespace balloonbench
