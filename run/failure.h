// A failure as data: the invariant catalogue's ids, where in a run something was found,
// and the Failure value that leaves a run (id, phase, event index, detail, variant,
// mutation, reproduce command). People read it through to_text; scripts read the one
// JSON line failure_line() prints, never prose.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "driver/xen-2.6.18/balloon.h"
#include "run/event.h"

namespace balloonbench {

// The catalogue (SPEC §4). Ids are stable: never rename or reuse one.
enum class InvariantId : std::uint8_t {
  ledger,
  p2m,
  list,
  no_partial_return,
  rearm,
  at_or_below_target,
  batch,
  progress,
  converge,
  no_bug,
  // A write to a text file answers and stores what the kernel's parsing of its bytes
  // gives (run/text_model.h).
  text_write,
  // A host of several guests (run/host.h): its frames add up after every step, and
  // after the heal every guest reaches its target when the targets fit the host.
  host_frames,
  system_converge,
};
// Keep system_converge the last id (the test Checker.EveryIdIsCountedAndNamed checks
// it).
inline constexpr unsigned kInvariantCount = static_cast<unsigned>(InvariantId::system_converge) + 1;

const char* invariant_name(InvariantId id);  // the stable id, e.g. "no-partial-return"
std::optional<InvariantId> parse_invariant(std::string_view name);
// Every id, in catalogue order.
const std::vector<InvariantId>& all_invariants();
// The catalogue id a corpus/regressions file name starts with (`<id>-<description>`).
std::optional<InvariantId> invariant_of_file_name(std::string_view name);

// Whether the pre-patch driver (`legacy`) breaks the invariant (SPEC §4): the fuzz
// teeth must find each of these on legacy (balloon-repro --list-legacy-breaks).
bool broken_by_legacy(InvariantId id);

// The invariant each seeded bug exists to trip in a run (docs/invariants.md); nothing
// for Mutation::none. The /proc over-read trips text-write when an earlier write left
// digits past a write's count in the writer's buffer (World).
std::optional<InvariantId> invariant_for_mutation(Mutation mutation);
// The key of the failure each seeded bug exists to cause in the fuzz target that
// `ci/bench --tte` aims at it: "invariant:<id>", or for the /proc over-read, which
// balloon_procfs writes at the very end of a heap block, AddressSanitizer's
// "sanitizer:heap-buffer-overflow"; empty for none.
std::string expected_failure_key(Mutation mutation);

// Where in a run something was found.
enum class Phase : std::uint8_t { boot, event, epilogue };
const char* phase_name(Phase phase);

struct Violation {
  InvariantId id;
  Phase phase;
  std::size_t event_index;  // the event being applied (Phase::event)
  std::string detail;       // the values that disagree
};

// "<id> at event #N: <detail>" (or "at boot", "in the epilogue").
std::string to_text(const Violation& violation);

// What kind of check failed. Invariants come from the catalogue; the /proc write
// contract is checked by the balloon_procfs target, outside any run.
// invariant: the catalogue; proc_write_contract: the balloon_procfs target's oracle;
// divergence: balloon_diff saw the port and the source driver differ.
// kernel_library: balloon_procfs saw a kernel library call of the shim answer other
// than the kernel's does.
enum class FailureKind : std::uint8_t {
  invariant,
  proc_write_contract,
  divergence,
  kernel_library
};

struct Failure {
  FailureKind kind = FailureKind::invariant;
  Violation violation{InvariantId::ledger, Phase::boot, 0, {}};  // kind == invariant
  std::string detail;                                            // kind != invariant
  Variant variant = Variant::fixed;
  Mutation mutation = Mutation::none;
  std::string reproduce;  // a command line that replays the failure, or empty

  // The key failures are grouped by: "invariant:<id>", "proc-write-contract:<detail>",
  // "divergence:<detail>" or "kernel-library:<detail>".
  std::string key() const;
};

// The first violation of a run, with the command that replays the run.
Failure invariant_failure(const Run& run, const Violation& violation, Variant variant,
                          Mutation mutation);

// "balloon-repro --variant legacy --hex 01..." : one line that replays `run`.
std::string reproduce_command(const Run& run, Variant variant, Mutation mutation);

// For people: the violation, the driver it was found on, and the reproduce line.
std::string to_text(const Failure& failure);
nlohmann::json to_json(const Violation& violation);
nlohmann::json to_json(const Failure& failure);
// Failure from the JSON to_json wrote; nothing if `json` is not one.
std::optional<Failure> failure_from_json(const nlohmann::json& json);

// The one machine-readable line a fuzz target prints before it aborts:
// kFailureLinePrefix followed by to_json(failure) on one line.
inline constexpr std::string_view kFailureLinePrefix = "BALLOONBENCH-FAILURE ";
std::string failure_line(const Failure& failure);
// The Failure of the first such line in `log`, if any.
std::optional<Failure> find_failure_line(std::string_view log);

}  // namespace balloonbench
