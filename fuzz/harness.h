// What the fuzz targets share: the variant and mutation chosen by the environment
// (BALLOON_VARIANT=fixed|legacy, BALLOON_MUTANT=<name>), read once at start-up, and
// the crash report that ends a run with a violation.
#pragma once

#include "balloon.h"
#include "event.h"
#include "world.h"

namespace balloonbench::fuzz {

// Reads BALLOON_VARIANT and BALLOON_MUTANT; exits with status 2 and a message when
// either names nothing known.
void init_from_env();
Variant variant();
Mutation mutation();

// Prints the first violation, its invariant id and a reproduce line to stderr, then
// aborts so that the fuzzer keeps the input.
[[noreturn]] void report_and_abort(const Run& run, const RunResult& result);

}  // namespace balloonbench::fuzz
