#include "run/host.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "run/codec.h"

namespace balloonbench {
namespace {

// Rounds of due work at one jiffy before time must move on: a guest's action can make
// another's work due at once (an in-flight rebalance), but never without end.
constexpr int kPassesPerJiffy = 16;

std::string n(std::uint64_t value) { return std::to_string(value); }

}  // namespace

const char* host_action_name(HostAction action) {
  switch (action) {
    case HostAction::guest:
      return "guest";
    case HostAction::rebalance:
      return "rebalance";
    case HostAction::rebalance_in_flight:
      return "rebalance-in-flight";
  }
  return "?";
}

namespace host_events {

HostEvent on(std::size_t guest, Event event) {
  HostEvent out;
  out.guest = static_cast<std::uint8_t>(guest);
  out.event = std::move(event);
  return out;
}

HostEvent rebalance(std::size_t down, std::size_t up, std::uint64_t pages, HostAction action) {
  HostEvent out;
  out.action = action;
  out.guest = static_cast<std::uint8_t>(down);
  out.peer = static_cast<std::uint8_t>(up);
  out.pages = pages;
  return out;
}

}  // namespace host_events

std::string validate(const HostRun& run) {
  if (run.guests.size() < kMinGuests || run.guests.size() > kMaxGuests) {
    return "a host has " + n(kMinGuests) + " to " + n(kMaxGuests) + " guests, not " +
           n(run.guests.size());
  }
  if (run.variants.size() != run.guests.size()) {
    return n(run.guests.size()) + " guests but " + n(run.variants.size()) + " variants";
  }
  std::uint64_t frames = 0;
  for (std::size_t i = 0; i < run.guests.size(); ++i) {
    if (std::string why = validate(run.guests[i]); !why.empty())
      return "guest " + n(i) + ": " + why;
    if (run.variants[i] == Variant::source)
      return "guest " + n(i) + ": a host cannot run variant source";
    const Config& c = run.guests[i];
    frames += c.nr_pages + c.host_free + c.host_other;
  }
  // The frame indices of every guest's table stay within 32 bits (sim.h).
  if (frames > (std::uint64_t{1} << 31)) return "the host has more than 2^31 frames";
  for (std::size_t i = 0; i < run.events.size(); ++i) {
    const HostEvent& e = run.events[i];
    if (e.guest >= run.guests.size() ||
        (e.action != HostAction::guest && e.peer >= run.guests.size())) {
      return "event #" + n(i) + " names a guest the host does not have";
    }
  }
  return {};
}

std::string to_text(const HostEvent& event) {
  if (event.action == HostAction::guest)
    return "guest " + n(event.guest) + ": " + to_text(event.event);
  return std::string(host_action_name(event.action)) + " " + n(event.pages) + " pages: guest " +
         n(event.guest) + " down, guest " + n(event.peer) + " up";
}

Host::Host(const HostRun& run, const HostOptions& options)
    : variants_(run.variants), overcommit_(run.overcommit) {
  if (const std::string why = validate(run); !why.empty()) throw std::invalid_argument(why);
  std::uint64_t free = 0;
  std::uint64_t holdings = 0;
  for (const Config& config : run.guests) {
    free += config.host_free;
    rest_at_boot_ += config.host_other;
    holdings += config.nr_pages;
  }
  bank_.reset(free, rest_at_boot_, holdings);
  if (options.traces != nullptr) options.traces->assign(run.guests.size(), Trace{});
  for (std::size_t i = 0; i < run.guests.size(); ++i) {
    WorldOptions world;
    world.variant = run.variants[i];
    world.mutation = i == 0 ? options.mutation : Mutation::none;
    world.trace = options.traces != nullptr ? &(*options.traces)[i] : nullptr;
    world.checks = options.checks;
    world.bank = &bank_;
    worlds_.push_back(std::make_unique<World>(run.guests[i], world));
  }
  planned_.assign(worlds_.size(), std::nullopt);
  step_events_.assign(worlds_.size(), {});
  check_frames(Phase::boot);
}

bool Host::stopped() const {
  if (!host_violations_.empty()) return true;
  return std::any_of(worlds_.begin(), worlds_.end(),
                     [](const std::unique_ptr<World>& world) { return world->stopped(); });
}

std::vector<HostViolation> Host::violations() const {
  std::vector<HostViolation> out;
  for (const Violation& violation : host_violations_) out.push_back({violation, std::nullopt});
  for (std::size_t i = 0; i < worlds_.size(); ++i) {
    for (Violation violation : worlds_[i]->violations()) {
      // A guest counts its own steps; the host names its events.
      if (violation.phase == Phase::event && violation.event_index < step_events_[i].size()) {
        violation.event_index = step_events_[i][violation.event_index];
      } else if (violation.phase == Phase::epilogue) {
        violation.event_index = events_applied_;
      }
      out.push_back({std::move(violation), i});
    }
  }
  return out;
}

Outcome Host::outcome() const {
  if (!host_violations_.empty()) return Outcome::violation;
  for (const std::unique_ptr<World>& world : worlds_) {
    if (world->outcome() == Outcome::violation) return Outcome::violation;
  }
  for (const std::unique_ptr<World>& world : worlds_) {
    if (world->outcome() == Outcome::expected_crash) return Outcome::expected_crash;
  }
  return Outcome::clean;
}

std::uint64_t Host::toolstack_target(std::size_t guest) const {
  if (planned_[guest].has_value()) return *planned_[guest];
  return worlds_[guest]->checker().requested_target();
}

bool Host::open_guest_step(std::size_t guest, const Event& as_recorded) {
  if (!worlds_[guest]->open_step(as_recorded)) return false;
  step_events_[guest].push_back(finished_ ? events_applied_ : current_event());
  return true;
}

void Host::step(const HostEvent& event) {
  if (finished_ || stopped()) return;
  ++events_applied_;
  switch (event.action) {
    case HostAction::guest:
      if (event.event.kind == EventKind::tick) {
        tick(event);
      } else {
        const std::size_t guest = event.guest % worlds_.size();
        if (open_guest_step(guest, event.event)) {
          worlds_[guest]->apply_within_step(event.event);
          worlds_[guest]->close_step();
        }
      }
      break;
    case HostAction::rebalance:
    case HostAction::rebalance_in_flight:
      rebalance(event);
      break;
  }
  run_deferred();
  check_frames(Phase::event);
}

// Time passes for every guest: each records the tick as its step.
void Host::tick(const HostEvent& event) {
  for (std::size_t i = 0; i < worlds_.size(); ++i) open_guest_step(i, event.event);
  advance_all(now_ + std::min(event.event.value, kMaxTickJiffies));
  for (const std::unique_ptr<World>& world : worlds_) world->close_step();
}

void Host::advance_all(std::uint64_t end) {
  for (;;) {
    for (const std::unique_ptr<World>& world : worlds_) world->advance_within_step(now_);
    for (int pass = 0; pass < kPassesPerJiffy; ++pass) {
      bool ran = false;
      for (const std::unique_ptr<World>& world : worlds_) {
        if (world->next_due() > now_) continue;
        world->advance_within_step(now_);
        ran = true;
      }
      if (!ran) break;
    }
    if (now_ >= end) return;
    std::uint64_t next = end;
    for (const std::unique_ptr<World>& world : worlds_) next = std::min(next, world->next_due());
    now_ = std::max(next, now_ + 1);
  }
}

// The toolstack moves target between two guests. A well-behaved one keeps the sum
// of targets (the down guest gives what the up guest gets, within the up guest's
// max_pages); one that over-commits raises the up guest and lowers no one.
void Host::rebalance(const HostEvent& event) {
  const std::size_t down = event.guest % worlds_.size();
  const std::size_t up = event.peer % worlds_.size();
  if (down == up) return;
  const std::uint64_t down_target = toolstack_target(down);
  const std::uint64_t up_target = toolstack_target(up);
  const std::uint64_t up_max = worlds_[up]->sim().max_pages();
  std::uint64_t moved = event.pages;
  if (!overcommit_) {
    moved = std::min({moved, down_target, up_max > up_target ? up_max - up_target : 0});
  }
  if (moved == 0) return;
  supersede(up);
  if (event.action == HostAction::rebalance) {
    if (!overcommit_) {
      supersede(down);
      write_target(down, down_target - moved, /*then_run_work=*/false);
    }
    write_target(up, up_target + moved, /*then_run_work=*/false);
    return;
  }
  // The up guest hears first; the down guest's decrease lands inside the up guest's
  // next hypercall, its populate in flight (or at once, if nothing more can wait
  // there), and in any case before the heal.
  write_target(up, up_target + moved, /*then_run_work=*/false);
  if (overcommit_) return;
  supersede(down);
  pending_.push_back({down, down_target - moved, true});
  planned_[down] = down_target - moved;
  const std::size_t pending = pending_.size() - 1;
  if (!worlds_[up]->arm_host_action([this, pending] { land(pending); })) land(pending);
}

void Host::land(std::size_t pending) {
  PendingWrite& write = pending_[pending];
  if (!write.live) return;
  write.live = false;
  planned_[write.guest].reset();
  write_target(write.guest, write.pages, /*then_run_work=*/true);
}

void Host::supersede(std::size_t guest) {
  for (PendingWrite& write : pending_) {
    if (write.guest == guest) write.live = false;
  }
  planned_[guest].reset();
}

// A toolstack write of a guest's target, as its own step of that guest; with
// `then_run_work` the guest's work item runs at once in the same step, if it may. A
// guest in the middle of a call (the one whose hypercall led here, through other
// guests) is written once the host's step is done; a guest whose step is open but idle
// (a tick's) takes the write within it.
void Host::write_target(std::size_t guest, std::uint64_t pages, bool then_run_work) {
  World& world = *worlds_[guest];
  const Event write = events::set_target(pages);
  if (world.busy()) {
    deferred_.push_back({guest, pages, then_run_work});
    return;
  }
  const bool opened = !world.in_step() && open_guest_step(guest, write);
  if (!opened && !world.in_step()) return;
  // A guest idle in a tick may not have reached the host's time yet: what was due
  // before the write happens first.
  if (!opened) world.advance_within_step(now_);
  world.apply_within_step(write);
  if (then_run_work) world.apply_within_step(events::run_work());
  if (opened) world.close_step();
}

void Host::run_deferred() {
  // Each deferred write may defer others; a bounded number of rounds ends it.
  for (int round = 0; round < kPassesPerJiffy && !deferred_.empty(); ++round) {
    const std::vector<DeferredWrite> writes = std::move(deferred_);
    deferred_.clear();
    for (const DeferredWrite& write : writes)
      write_target(write.guest, write.pages, write.then_run_work);
  }
  // Whatever is left (writes that keep deferring each other) waits for the next step.
}

void Host::finish() {
  if (finished_) return;
  // The toolstack's decisions still on their way land before the heal.
  for (std::size_t i = 0; i < pending_.size() && !stopped(); ++i) land(i);
  run_deferred();
  finished_ = true;
  if (stopped()) return;
  // The heal: the rest of the host gives back what it took, and every guest's faults
  // stop.
  if (bank_.rest() > rest_at_boot_) bank_.rest_give(bank_.rest() - rest_at_boot_);
  std::uint64_t window = 0;
  for (const std::unique_ptr<World>& world : worlds_)
    window = std::max(window, world->converge_window());
  window *= 2;
  for (const std::unique_ptr<World>& world : worlds_) world->open_epilogue(window);
  // Judged when the toolstack behaved and what the guests must reach fits the host.
  std::uint64_t reachable = 0;
  for (const std::unique_ptr<World>& world : worlds_) reachable += world->reachable_target();
  const std::uint64_t host_can_give = bank_.total() - bank_.rest();
  std::string not_judged;
  if (overcommit_) {
    not_judged = "the toolstack over-commits (knob overcommit)";
  } else if (reachable > host_can_give) {
    not_judged = "the guests' targets (" + n(reachable) + " pages) do not fit the " +
                 n(host_can_give) + " frames the host can give them";
  }
  system_converge_judged_ = not_judged.empty();
  advance_all(now_ + window);
  if (system_converge_judged_) check_system_converge();
  for (const std::unique_ptr<World>& world : worlds_) world->close_epilogue(not_judged);
  check_frames(Phase::epilogue);
}

// host-frames: free + the rest + every guest's holdings == the host's frames.
void Host::check_frames(Phase phase) {
  std::uint64_t holdings = 0;
  for (const std::unique_ptr<World>& world : worlds_) holdings += world->sim().tot_pages();
  const std::uint64_t accounted = bank_.free() + bank_.rest() + holdings;
  if (accounted == bank_.total()) return;
  report(InvariantId::host_frames, phase,
         "free " + n(bank_.free()) + " + rest of the host " + n(bank_.rest()) +
             " + guests' holdings " + n(holdings) + " = " + n(accounted) +
             " != " + n(bank_.total()) + " host frames");
}

// system-converge: after the heal and the window, every guest is at its target.
void Host::check_system_converge() {
  std::string short_of;
  for (std::size_t i = 0; i < worlds_.size(); ++i) {
    const World& world = *worlds_[i];
    // A guest stopped where it was asked to, or whose back-off root set beyond an
    // hour, is not judged (its own converge is not either).
    if (world.stopped() || !world.back_off_judged()) continue;
    const std::uint64_t current = world.core().current_pages();
    const std::uint64_t target = world.reachable_target();
    if (current == target) continue;
    if (!short_of.empty()) short_of += ", ";
    short_of += "guest " + n(i) + " (" + variant_name(variants_[i]) + ") at " + n(current) +
                " of " + n(target);
  }
  if (short_of.empty()) return;
  report(InvariantId::system_converge, Phase::epilogue,
         short_of + " with " + n(bank_.free()) + " host frames free");
}

void Host::report(InvariantId id, Phase phase, std::string detail) {
  // An event's violation names the event being applied; the epilogue's, the count.
  const std::size_t index = phase == Phase::event ? events_applied_ - 1 : events_applied_;
  host_violations_.push_back(Violation{id, phase, index, std::move(detail)});
}

HostResult run_host(const HostRun& run, const HostOptions& options) {
  Host host(run, options);
  return run_host(host, run);
}

HostResult run_host(Host& host, const HostRun& run) {
  for (const HostEvent& event : run.events) {
    if (host.stopped()) break;
    host.step(event);
  }
  host.finish();
  return HostResult{host.outcome(), host.violations(), host.events_applied(),
                    host.system_converge_judged()};
}

std::string reproduce_command(const HostRun& run, Mutation mutation) {
  std::string out = std::string("balloon-repro --host --variant ") +
                    variant_name(run.variants.at(0)) + " --others " +
                    variant_name(run.variants.at(1));
  if (mutation != Mutation::none) out += std::string(" --mutant ") + mutation_name(mutation);
  const std::string why = encodable(run);
  if (!why.empty()) return out + " (this host is outside the encoding's bounds: " + why + ")";
  for (std::size_t i = 2; i < run.variants.size(); ++i) {
    if (run.variants[i] != run.variants[1]) {
      return out + " (guest " + n(i) + " runs " + variant_name(run.variants[i]) +
             ", which --others cannot say)";
    }
  }
  return out + " --hex " + to_hex(encode(run));
}

Failure host_failure(const HostRun& run, const HostViolation& violation, Mutation mutation) {
  Failure failure;
  failure.kind = FailureKind::invariant;
  failure.violation = violation.violation;
  if (violation.guest.has_value()) {
    failure.violation.detail = "guest " + n(*violation.guest) + " (" +
                               variant_name(run.variants.at(*violation.guest)) +
                               "): " + failure.violation.detail;
  }
  failure.variant = run.variants.at(0);
  failure.mutation = mutation;
  failure.reproduce = reproduce_command(run, mutation);
  return failure;
}

}  // namespace balloonbench
