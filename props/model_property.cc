// The model-based stateful test: RapidCheck generates a sequence of commands, one per
// entry point and per fault, each of which applies one Event to a World and the same
// change to the abstract Model (model.h). After every command the World must agree
// with the model on current_pages, the balloon's size and the retry timer, and must
// have broken no invariant; the sequence ends with the liveness epilogue. Since every
// command is one Event, a failing sequence is also a run, which the failure message
// gives as a balloon-repro command line.

#include <rapidcheck/state.h>

#include <sstream>

#include "props/generators.h"
#include "props/model.h"
#include "props/properties.h"
#include "props/support.h"
#include "run/codec.h"

namespace balloonbench::props {
namespace {

struct Sut {
  Sut(const Config& config, Variant v, Mutation m)
      : world(config, WorldOptions{v, m, nullptr}), run{config, {}}, variant(v), mutation(m) {}
  World world;
  Run run;  // the events applied so far, for the reproduce line
  Variant variant;
  Mutation mutation;
};

using Command = rc::state::Command<Model, Sut>;

[[noreturn]] void fail(const Sut& sut, const std::string& what) {
  record_counterexample(sut.run);
  std::string message = what + "\n";
  if (sut.world.violations().empty()) {
    message += "reproduce: " + reproduce_command(sut.run, sut.variant, sut.mutation);
  } else {
    message += to_text(
        invariant_failure(sut.run, sut.world.violations().front(), sut.variant, sut.mutation));
  }
  throw rc::detail::CaseResult(rc::detail::CaseResult::Type::Failure, message);
}

void expect_agreement(const Model& model, const Sut& sut) {
  const World& world = sut.world;
  if (!world.violations().empty()) fail(sut, "the World broke an invariant");
  const auto differs = [&](const char* what, std::uint64_t real, std::uint64_t predicted) {
    if (real != predicted) {
      fail(sut, std::string(what) + " is " + std::to_string(real) + " but the model predicts " +
                    std::to_string(predicted));
    }
  };
  differs("current_pages", world.core().current_pages(), model.current);
  differs("the balloon", world.core().balloon_low() + world.core().balloon_high(), model.balloon());
  differs("timer pending", world.sim().timer_pending() ? 1 : 0, model.timer_pending ? 1 : 0);
}

// A command that applies one event to both sides and compares them.
class EventCommand : public Command {
 public:
  explicit EventCommand(Event event) : event_(std::move(event)) {}
  void apply(Model& model) const override { model.apply(event_); }
  void run(const Model& model, Sut& sut) const override {
    assert_preconditions(model, sut);
    Model expected = model;
    apply(expected);
    sut.world.step(event_);
    sut.run.events.push_back(event_);
    expect_agreement(expected, sut);
  }
  void show(std::ostream& os) const override { os << to_text(event_); }

 protected:
  // The World must agree with whatever the model's preconditions assumed.
  virtual void assert_preconditions(const Model& /*model*/, const Sut& /*sut*/) const {}
  Event event_;
};

template <class T>
T pick(const rc::Gen<T>& gen) {
  return *gen;
}
std::uint64_t pages_of(const Model& m) {
  return *rc::gen::inRange<std::uint64_t>(0, 2 * m.config.max_pfn + 1);
}
std::uint64_t jiffies_of() { return *rc::gen::inRange<std::uint64_t>(0, 4 * kHz + 1); }

// Entry points.
struct SetTarget : EventCommand {
  explicit SetTarget(const Model& m) : EventCommand(events::set_target(pages_of(m))) {}
};
struct WriteXenstore : EventCommand {
  explicit WriteXenstore(const Model&) : WriteXenstore(pick(gen_xenstore_text())) {}
  explicit WriteXenstore(XenstoreText text)
      : EventCommand(events::xenstore_target(text.text)), kib_(text.kib) {}
  void apply(Model& model) const override {
    if (kib_) model.set_target(*kib_ >> (kPageShift - 10));
  }
  std::optional<std::uint64_t> kib_;
};
struct WriteProc : EventCommand {
  explicit WriteProc(const Model&)
      : WriteProc(
            pick(gen_proc_text()),
            *rc::gen::weightedOneOf<bool>({{4, rc::gen::just(true)}, {1, rc::gen::just(false)}})) {}
  WriteProc(ProcText text, bool capable)
      : EventCommand(events::proc_write(text.text, capable)),
        bytes_(text.bytes),
        capable_(capable),
        length_(text.text.size()) {}
  void apply(Model& model) const override {
    if (capable_ && length_ > 1 && length_ <= kProcWriteBuffer)
      model.set_target(bytes_ >> kPageShift);
  }
  std::uint64_t bytes_;
  bool capable_;
  std::size_t length_;
};
// The sysfs stores: the model sets the page count the text holds when the writer is
// capable and the write is no runt.
struct WriteSysfs : EventCommand {
  WriteSysfs(Event event, const SysfsText& text)
      : EventCommand(std::move(event)), pages_(text.pages), length_(text.text.size()) {}
  void apply(Model& model) const override {
    if (event_.value == 0 && length_ > 1) model.set_target(pages_);
  }
  std::uint64_t pages_;
  std::size_t length_;
};
bool capable_writer() {
  return *rc::gen::weightedOneOf<bool>({{4, rc::gen::just(true)}, {1, rc::gen::just(false)}});
}
struct WriteSysfsTargetKb : WriteSysfs {
  explicit WriteSysfsTargetKb(const Model&)
      : WriteSysfsTargetKb(pick(gen_sysfs_target_kb_text())) {}
  explicit WriteSysfsTargetKb(const SysfsText& text)
      : WriteSysfs(events::sysfs_target_kb(text.text, capable_writer()), text) {}
};
struct WriteSysfsTarget : WriteSysfs {
  explicit WriteSysfsTarget(const Model&) : WriteSysfsTarget(pick(gen_sysfs_target_text())) {}
  explicit WriteSysfsTarget(const SysfsText& text)
      : WriteSysfs(events::sysfs_target(text.text, capable_writer()), text) {}
};
struct ReadProc : EventCommand {
  explicit ReadProc(const Model&) : EventCommand(events::proc_read()) {}
};
struct DriverAllowance : EventCommand {
  explicit DriverAllowance(const Model&)
      : EventCommand(events::driver_allowance(*rc::gen::inRange<std::int64_t>(-128, 128))) {}
};
struct AllocEmpty : EventCommand {
  explicit AllocEmpty(const Model&)
      : EventCommand(events::alloc_empty(*rc::gen::inRange<std::uint64_t>(0, kMaxAllocEmpty + 1))) {
  }
};
struct FreeEmpty : EventCommand {
  explicit FreeEmpty(const Model&)
      : EventCommand(events::free_empty(*rc::gen::inRange<std::uint64_t>(0, 256))) {}
  void checkPreconditions(const Model& model) const override { RC_PRE(!model.lent.empty()); }
  void assert_preconditions(const Model& model, const Sut& sut) const override {
    if (sut.world.lent_vectors() != model.lent.size()) {
      fail(sut, "the World and the model lent different vectors");
    }
  }
};
struct ReleaseDriverPage : EventCommand {
  explicit ReleaseDriverPage(const Model&)
      : EventCommand(events::release_driver_page(*rc::gen::inRange<std::uint64_t>(0, 256))) {}
  void checkPreconditions(const Model& model) const override {
    std::uint64_t pages = 0;
    for (const std::uint64_t count : model.lent) pages += count;
    RC_PRE(pages > 0);
  }
  void assert_preconditions(const Model& model, const Sut& sut) const override {
    std::uint64_t pages = 0;
    for (const std::uint64_t count : model.lent) pages += count;
    if (sut.world.lent_pages() != pages) fail(sut, "the World and the model lent different pages");
  }
};
struct RunWork : EventCommand {
  explicit RunWork(const Model&) : EventCommand(events::run_work()) {}
  void checkPreconditions(const Model& model) const override { RC_PRE(model.work_runnable()); }
  void assert_preconditions(const Model&, const Sut& sut) const override {
    if (!sut.world.sim().work_runnable())
      fail(sut, "the model has runnable work and the World has not");
  }
};
struct Tick : EventCommand {
  explicit Tick(const Model&) : EventCommand(events::tick(jiffies_of())) {}
};
// The host, changing under the guest.
struct HostTake : EventCommand {
  explicit HostTake(const Model& m) : EventCommand(events::host_take(pages_of(m))) {}
};
struct HostFree : EventCommand {
  explicit HostFree(const Model& m) : EventCommand(events::host_free(pages_of(m))) {}
};
struct SetMaxPages : EventCommand {
  explicit SetMaxPages(const Model& m) : EventCommand(events::set_max_pages(pages_of(m))) {}
};
// Faults.
struct PopulateLimit : EventCommand {
  explicit PopulateLimit(const Model&)
      : EventCommand(
            events::populate_limit(*rc::gen::inRange<std::uint64_t>(0, kFrameListEntries + 1))) {}
};
struct PopulateError : EventCommand {
  explicit PopulateError(const Model&)
      : EventCommand(events::populate_error(*rc::gen::elementOf(populate_errnos()))) {}
};
struct AllocFail : EventCommand {
  explicit AllocFail(const Model&)
      : EventCommand(events::alloc_fail(*rc::gen::inRange<std::uint64_t>(0, 64),
                                        *rc::gen::inRange<std::uint64_t>(1, 65))) {}
};
struct InFlight : EventCommand {
  explicit InFlight(const Model& m)
      : EventCommand(events::in_flight(
            static_cast<InFlightAction>(*rc::gen::inRange<unsigned>(0, kInFlightActions)),
            pages_of(m))) {}
};
struct TimerLate : EventCommand {
  explicit TimerLate(const Model&) : EventCommand(events::timer_late(jiffies_of())) {}
};
struct DelayWork : EventCommand {
  explicit DelayWork(const Model&) : EventCommand(events::delay_work(jiffies_of())) {}
};

}  // namespace

std::function<void()> model_property(Variant variant, Mutation mutation) {
  return [variant, mutation] {
    const Config config = *gen_config();
    const Model initial(config);
    Sut sut(config, variant, mutation);
    const auto commands = *rc::state::gen::commands(
        initial, rc::state::gen::execOneOfWithArgs<
                     SetTarget, WriteXenstore, WriteProc, WriteSysfsTargetKb, WriteSysfsTarget,
                     ReadProc, DriverAllowance, AllocEmpty, FreeEmpty, ReleaseDriverPage, RunWork,
                     RunWork, Tick, Tick, HostTake, HostFree, SetMaxPages, PopulateLimit,
                     PopulateError, AllocFail, InFlight, TimerLate, DelayWork>());
    rc::state::runAll(commands, initial, sut);

    // The liveness command ends every sequence.
    Model final_model = initial;
    rc::state::applyAll(commands, final_model);
    final_model.heal_and_wait();
    sut.world.finish();
    classify(config, sut.world.stats());
    if (sut.world.converge_judged()) RC_TAG("converge judged");
    expect_agreement(final_model, sut);
  };
}

}  // namespace balloonbench::props
