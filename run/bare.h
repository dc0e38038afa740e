// A balloon core on a simulation with no World around it: no virtual time, no trace
// and no invariant checks. For the entry points that never need them (the text
// paths, mostly) and for tests that drive a Sim directly.
#pragma once

#include <memory>

#include "driver/driver.h"
#include "driver/xen-2.6.18/balloon.h"
#include "sim/sim.h"

namespace balloonbench {

// A SimObserver that ignores everything it is told.
class NullSimObserver final : public SimObserver {
 public:
  void hypercall_issued(MemoryOp, const Reservation&) override {}
  void hypercall_answered(MemoryOp, const Reservation&, long) override {}
  void timer_armed(std::uint64_t) override {}
  void work_scheduled() override {}
  void memory_added(pfn_t, std::uint64_t) override {}
  void memory_online(pfn_t, std::uint64_t) override {}
};

// A 16-pfn PV guest, half populated: enough for the paths that never reach Xen, and
// cheap to build once per fuzz input or property case.
inline Config tiny_guest() {
  Config config;
  config.max_pfn = 16;
  config.nr_pages = 8;
  config.max_low_pfn = 16;
  config.max_pages = 16;
  return config;
}

// The driver of `variant`, booted on `config`, on a simulation that reports to nobody.
struct BareCore {
  explicit BareCore(const Config& config = tiny_guest(), Variant variant = Variant::fixed,
                    Mutation mutation = Mutation::none)
      : sim(config, observer),
        driver(make_driver(sim, variant, mutation, config.memory_hotplug)),
        core(*driver) {
    core.balloon_init(config.max_pfn, config.nr_pages);
  }
  BareCore(const BareCore&) = delete;
  BareCore& operator=(const BareCore&) = delete;

  NullSimObserver observer;
  Sim sim;
  std::unique_ptr<Driver> driver;
  Driver& core;
};

}  // namespace balloonbench
