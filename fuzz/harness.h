// What the fuzz targets share: the variant and mutation chosen by the environment
// (BALLOON_VARIANT=fixed|legacy, BALLOON_MUTANT=<name>, BALLOON_ONLY_INVARIANT=<id>,
// BALLOON_LEGAL_XEN=1), read once at start-up, and the crash report that ends a run
// with a violation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "driver/xen-2.6.18/balloon.h"
#include "run/event.h"
#include "run/failure.h"
#include "run/host.h"
#include "run/world.h"

namespace balloonbench::fuzz {

// Reads BALLOON_VARIANT, BALLOON_MUTANT, BALLOON_ONLY_INVARIANT and
// BALLOON_LEGAL_XEN; exits with status 2 and a message when one names nothing known.
void init_from_env();
Variant variant();
Mutation mutation();
// BALLOON_LEGAL_XEN=1: every run is judged under legal Xen behaviour, its
// contract_breaks knob cleared whatever the input says, so that a search for bugs of
// the driver is not spent on the latent bugs only a broken contract exposes (the
// fixed driver has one, which it shares with legacy: docs/fidelity.md).
bool legal_xen();
// The run as the target judges it: `run` itself, or with BALLOON_LEGAL_XEN=1 without
// the contract_breaks knob.
Run as_judged(Run run);
// The violation a run that stopped at one is reported by, or nullptr for none: its
// first violation; with BALLOON_ONLY_INVARIANT=<id>, that invariant's, if the step
// where the run stopped broke it (a step reports each broken invariant once), so that
// a search can be aimed at one invariant (the fuzz teeth and `ci/bench --tte` do).
const Violation* reported(const RunResult& result);
// The same for a host (balloon_host): BALLOON_LEGAL_XEN clears every guest's knob.
HostRun as_judged(HostRun run);
const HostViolation* reported(const HostResult& result);

// driver/parse.h's simple_strtoull, which the kernel shim gives a source driver with
// whatever base it names, against the text model's reading of the kernel's
// (run/text_model.h): empty when `parse` agrees with it on `text` (a C string's bytes,
// without its NUL) in `base`, else what differs. The fuzz target judges the real
// parser; the tests also a broken one.
using Strtoull = std::uint64_t (*)(std::string_view text, std::size_t& end, unsigned base);
std::string strtoull_mismatch(std::string_view text, unsigned base, Strtoull parse);

// Prints the failure for people (the violation, the driver, a reproduce line) and then
// the one machine-readable BALLOONBENCH-FAILURE line to stderr, and aborts so that the
// fuzzer keeps the input.
[[noreturn]] void report_and_abort(const Failure& failure);
// The same for one violation of a run.
[[noreturn]] void report_and_abort(const Run& run, const Violation& violation);

}  // namespace balloonbench::fuzz
