// Helpers shared by the unit tests: small guests, running a list of events, and
// reading hypercalls back out of a trace.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "driver/xen-2.6.18/balloon.h"
#include "run/bare.h"
#include "run/event.h"
#include "run/invariants.h"
#include "run/trace.h"
#include "run/world.h"
#include "sim/sim.h"

namespace balloonbench::testing {

// A PV guest of 1024 pfns, half populated, no highmem, on a host with room to spare.
inline Config small_guest() {
  Config config;
  config.max_pfn = 1024;
  config.nr_pages = 512;
  config.max_low_pfn = 1024;
  config.max_pages = 1024;
  config.host_free = 2048;
  config.host_other = 0;
  return config;
}

// A PV guest of 8192 pfns (32 MiB), all populated, no highmem, on a host with room to
// spare. minimum_target() floors a new target at 6144 pages (8 MiB plus half of 32
// MiB) while the current target is above that, so it can balloon down by up to 2048
// pages: the scenarios that balloon down use it, since a guest below about 16 MiB
// (small_guest() included) can never lower its target at all.
inline constexpr std::uint64_t kBigGuestFloor = 6144;
inline Config big_guest() {
  Config config;
  config.max_pfn = 8192;
  config.nr_pages = 8192;
  config.max_low_pfn = 8192;
  config.max_pages = 8192;
  config.host_free = 2048;
  config.host_other = 0;
  return config;
}

inline Config with_host(Config config, std::uint64_t free_frames, std::uint64_t other_frames = 0) {
  config.host_free = free_frames;
  config.host_other = other_frames;
  return config;
}

// Everything the machine holds, walked in full: each pfn's P2M entry, kernel mapping,
// allocator state and lending, each frame's owner and M2P entry, the pools' sizes,
// tot_pages and the time. Traces show counts only; this sees frames.
inline std::uint64_t machine_digest(const Sim& sim) {
  std::uint64_t hash = 1469598103934665603ULL;
  const auto mix = [&hash](std::uint64_t value) {
    hash ^= value;
    hash *= 1099511628211ULL;
  };
  for (pfn_t pfn = 0; pfn < sim.config().max_pfn; ++pfn) {
    mix(sim.p2m_entry(pfn));
    mix(sim.mapping(pfn));
    mix(static_cast<std::uint64_t>(sim.page_state(pfn)));
    mix(sim.lent(pfn) ? 1 : 0);
  }
  for (std::uint64_t frame = 0; frame < sim.total_frames(); ++frame) {
    mix(static_cast<std::uint64_t>(sim.owner(kMfnBase + frame)));
    mix(sim.m2p(kMfnBase + frame));
  }
  mix(sim.free_frames());
  mix(sim.other_frames());
  mix(sim.tot_pages());
  mix(sim.jiffies());
  return hash;
}

inline RunResult run_events(const Config& config, std::vector<Event> list,
                            Variant variant = Variant::fixed, Mutation mutation = Mutation::none,
                            Trace* trace = nullptr) {
  return run(Run{config, std::move(list)}, WorldOptions{variant, mutation, trace});
}

inline bool has(const std::vector<Violation>& violations, InvariantId id) {
  for (const Violation& violation : violations) {
    if (violation.id == id) return true;
  }
  return false;
}
inline bool has(const RunResult& result, InvariantId id) { return has(result.violations, id); }

// All violations as text, for failure messages.
inline std::string describe(const std::vector<Violation>& violations) {
  std::string out;
  for (const Violation& violation : violations) out += to_text(violation) + "\n";
  return out.empty() ? "(no violations)" : out;
}
inline std::string describe(const RunResult& result) { return describe(result.violations); }

struct Call {
  MemoryOp op;
  std::uint64_t asked;
  long answer;
  bool operator==(const Call&) const = default;
};

inline void PrintTo(const Call& call, std::ostream* out) {
  *out << memory_op_name(call.op) << "(" << call.asked << ")->" << call.answer;
}

inline Call populate(std::uint64_t asked, long answer) {
  return Call{MemoryOp::populate_physmap, asked, answer};
}
inline Call decrease(std::uint64_t asked, long answer) {
  return Call{MemoryOp::decrease_reservation, asked, answer};
}

// The memory_op hypercalls in a trace, in order.
inline std::vector<Call> hypercalls(const Trace& trace) {
  std::vector<Call> calls;
  for (const TraceEntry& entry : trace.entries()) {
    if (entry.kind == TraceKind::hypercall)
      calls.push_back(Call{entry.op, entry.asked, entry.answer});
  }
  return calls;
}

inline std::size_t count_entries(const Trace& trace, TraceKind kind) {
  std::size_t count = 0;
  for (const TraceEntry& entry : trace.entries()) count += entry.kind == kind ? 1 : 0;
  return count;
}

}  // namespace balloonbench::testing
