// Several guests on one host (SPEC §6): each guest is a World of its own (its driver,
// simulated guest and domain, checker and recorder), and all of them draw on one
// FrameBank and share one clock. A frame one guest's decrease frees is free for every
// guest; a populate takes from what the others left.
//
// Events name a guest. Time is the host's: a tick, whichever guest it names, moves
// every guest forward together, running each guest's timer and work item in the order
// they come due. A toolstack rebalance moves target from one guest to another, at
// once or with the decrease landing inside the other guest's next hypercall. After
// every step the host checks `host-frames`; after the heal, `system-converge`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "run/event.h"
#include "run/failure.h"
#include "run/trace.h"
#include "run/world.h"
#include "sim/bank.h"

namespace balloonbench {

inline constexpr std::size_t kMinGuests = 2;
inline constexpr std::size_t kMaxGuests = 8;

enum class HostAction : std::uint8_t {
  guest,      // `event` happens to guest `guest` (a tick moves every guest)
  rebalance,  // the toolstack moves `pages` of target from `guest` down to `peer` up
  // The same, but `peer` is told first and `guest`'s decrease lands inside `peer`'s
  // next hypercall (its populate in flight while memory is being freed).
  rebalance_in_flight,
};
inline constexpr unsigned kHostActions = static_cast<unsigned>(HostAction::rebalance_in_flight) + 1;
const char* host_action_name(HostAction action);

struct HostEvent {
  HostAction action = HostAction::guest;
  std::uint8_t guest = 0;   // the guest of the event; of a rebalance, the one going down
  std::uint8_t peer = 0;    // of a rebalance, the guest going up
  std::uint64_t pages = 0;  // of a rebalance, the target that moves
  Event event;              // of HostAction::guest

  bool operator==(const HostEvent&) const = default;
};

// A host: its guests (2 to 8) and the events. The host's free frames at boot are the
// sum of the guests' host_free, the frames the rest of the host (domains outside the
// bench) holds the sum of their host_other. Each guest runs its own variant.
struct HostRun {
  std::vector<Config> guests;
  std::vector<Variant> variants;  // one per guest
  // Named knob: a misbehaving toolstack whose rebalance raises one guest's target
  // without lowering the other's (over-commits); system convergence is then not judged.
  bool overcommit = false;
  std::vector<HostEvent> events;

  bool operator==(const HostRun&) const = default;
};

// Host events, so that hosts read like the scenario they describe.
namespace host_events {
// `event` happens to guest `guest`.
HostEvent on(std::size_t guest, Event event);
// The toolstack moves `pages` of target from guest `down` to guest `up`.
HostEvent rebalance(std::size_t down, std::size_t up, std::uint64_t pages,
                    HostAction action = HostAction::rebalance);
}  // namespace host_events

// Empty if the host can boot (2-8 guests, each a valid guest with a variant, the
// host's frames within bounds), else why not.
std::string validate(const HostRun& run);

// One line: the event for people, e.g. `guest 1: set_target 900` or
// `rebalance 300 pages: guest 0 down, guest 1 up`.
std::string to_text(const HostEvent& event);

// A violation and the guest it was found in; host-level ones (host-frames,
// system-converge) have no guest.
struct HostViolation {
  Violation violation;
  std::optional<std::size_t> guest;
};

struct HostOptions {
  Mutation mutation = Mutation::none;  // seeded bug of guest 0's driver
  // One trace per guest (index by guest), recorded when not empty.
  std::vector<Trace>* traces = nullptr;
  bool checks = true;
};

class Host {
 public:
  // Throws std::invalid_argument when validate() rejects the run's guests.
  Host(const HostRun& run, const HostOptions& options);
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Apply one event, then check `host-frames`. Does nothing once the run has stopped.
  void step(const HostEvent& event);
  // Heal, let time pass for the longest window any guest needs (twice: once for the
  // guests going down to give back, once for those going up to take), judge each
  // guest's catalogue and system convergence. Call once.
  void finish();

  bool stopped() const;
  // Every violation so far: host-level ones first, then each guest's, by guest.
  std::vector<HostViolation> violations() const;
  Outcome outcome() const;
  bool system_converge_judged() const { return system_converge_judged_; }
  std::size_t guests() const { return worlds_.size(); }
  const World& guest(std::size_t index) const { return *worlds_[index]; }
  const FrameBank& bank() const { return bank_; }
  std::uint64_t jiffies() const { return now_; }
  std::size_t events_applied() const { return events_applied_; }
  // What the toolstack has decided for each guest: a lowering still on its way (an
  // in-flight rebalance's, until it lands), else the last target the guest was given.
  std::uint64_t toolstack_target(std::size_t guest) const;

 private:
  void tick(const HostEvent& event);
  void rebalance(const HostEvent& event);
  void write_target(std::size_t guest, std::uint64_t pages, bool then_run_work);
  // An in-flight rebalance's lowering lands (once); a newer decision for the same
  // guest supersedes one still on its way.
  void land(std::size_t pending);
  void supersede(std::size_t guest);
  // Opens a step of `guest`, noting the host event it belongs to.
  bool open_guest_step(std::size_t guest, const Event& as_recorded);
  std::size_t current_event() const { return events_applied_ > 0 ? events_applied_ - 1 : 0; }
  // Toolstack writes that found their guest busy (inside its own call that led to
  // them), done once the step's other work is done.
  void run_deferred();
  // Every guest's time to `end`, in the order their timers and work items come due.
  void advance_all(std::uint64_t end);
  void check_frames(Phase phase);
  void check_system_converge();
  void report(InvariantId id, Phase phase, std::string detail);

  FrameBank bank_;
  std::vector<std::unique_ptr<World>> worlds_;
  std::vector<Variant> variants_;
  std::uint64_t rest_at_boot_ = 0;
  bool overcommit_ = false;
  std::uint64_t now_ = 0;
  std::size_t events_applied_ = 0;
  bool finished_ = false;
  bool system_converge_judged_ = false;
  std::vector<Violation> host_violations_;
  struct DeferredWrite {
    std::size_t guest;
    std::uint64_t pages;
    bool then_run_work;
  };
  std::vector<DeferredWrite> deferred_;
  struct PendingWrite {
    std::size_t guest;
    std::uint64_t pages;
    bool live;
  };
  std::deque<PendingWrite> pending_;
  std::vector<std::optional<std::uint64_t>> planned_;  // by guest: a live pending write
  // By guest: the host event each of its steps belonged to, so that a guest's
  // violation names the host's event.
  std::vector<std::vector<std::size_t>> step_events_;
};

struct HostResult {
  Outcome outcome = Outcome::clean;
  std::vector<HostViolation> violations;
  std::size_t events_applied = 0;
  bool system_converge_judged = false;
};

// Boot, every event, then finish(). Throws std::invalid_argument for a bad host.
HostResult run_host(const HostRun& run, const HostOptions& options);
// Every event of `run` on `host` (made from it), then finish().
HostResult run_host(Host& host, const HostRun& run);

// "balloon-repro --host --variant legacy --others fixed --hex 48..." : one line that
// replays `run` (guest 0 runs variants[0], the others variants[1]).
std::string reproduce_command(const HostRun& run, Mutation mutation);
// A host's violation as a Failure: its detail names the guest it was found in.
Failure host_failure(const HostRun& run, const HostViolation& violation, Mutation mutation);

}  // namespace balloonbench
