// Properties over generated hosts (run/host.h): 2 to 4 guests sharing their frames,
// each with its own faults and entry points, under a toolstack that rebalances their
// targets at once or with the decrease landing inside the other guest's hypercall.
// A host of fixed guests breaks nothing, its own invariants included; with guest 0 on
// legacy, system convergence fails (the teeth).

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "props/generators.h"
#include "props/support.h"
#include "run/host.h"

namespace balloonbench::props {
namespace {

template <class T>
rc::Gen<T> in_closed(T lo, T hi) {
  return rc::gen::inRange<T>(lo, hi + 1);
}

// A guest of 32 MiB (8192 pfns), the smallest that balloons down through a target,
// holding most of its memory, on a host with little to spare: rebalancing moves its
// pages both ways, and an increase can meet a shortage.
rc::Gen<Config> gen_rebalanceable_guest() {
  return rc::gen::mapcat(in_closed<std::uint64_t>(6144, 8192), [](std::uint64_t nr_pages) {
    return rc::gen::build<Config>(
        rc::gen::set(&Config::max_pfn, rc::gen::just<std::uint64_t>(8192)),
        rc::gen::set(&Config::nr_pages, rc::gen::just(nr_pages)),
        rc::gen::set(&Config::max_low_pfn, rc::gen::just<std::uint64_t>(8192)),
        rc::gen::set(&Config::max_pages, rc::gen::just<std::uint64_t>(8192)),
        rc::gen::set(&Config::host_free, rc::gen::weightedOneOf<std::uint64_t>(
                                             {{2, rc::gen::just<std::uint64_t>(0)},
                                              {1, in_closed<std::uint64_t>(0, 600)}})),
        rc::gen::set(&Config::host_other, in_closed<std::uint64_t>(0, 300)));
  });
}

rc::Gen<HostEvent> gen_host_event(const HostRun& run) {
  const auto count = static_cast<std::uint8_t>(run.guests.size());
  const auto guest = in_closed<std::uint8_t>(0, count - 1);
  // Two different guests: the one going down, and one of the others going up.
  const auto rebalance = [count](HostAction action) {
    return rc::gen::apply(
        [action, count](std::uint8_t down, std::uint8_t skip, std::uint64_t pages) {
          return host_events::rebalance(down, (down + 1 + skip) % count, pages, action);
        },
        in_closed<std::uint8_t>(0, count - 1), in_closed<std::uint8_t>(0, count - 2),
        in_closed<std::uint64_t>(1, 2048));
  };
  const std::vector<Config> guests = run.guests;
  const auto on_guest = rc::gen::mapcat(guest, [guests](std::uint8_t g) {
    // A host's layout (version 3's) has no online_memory, nor memory hotplug.
    return rc::gen::map(rc::gen::suchThat(gen_event(guests[g]),
                                          [](const Event& event) {
                                            return event.kind != EventKind::online_memory;
                                          }),
                        [g](Event event) { return host_events::on(g, std::move(event)); });
  });
  return rc::gen::weightedOneOf<HostEvent>({{5, on_guest},
                                            {2, rebalance(HostAction::rebalance)},
                                            {1, rebalance(HostAction::rebalance_in_flight)}});
}

rc::Gen<HostRun> gen_host(Variant first) {
  const auto guest = rc::gen::map(
      rc::gen::weightedOneOf<Config>({{3, gen_rebalanceable_guest()}, {1, gen_config()}}),
      [](Config config) {
        config.memory_hotplug = false;
        return config;
      });
  return rc::gen::mapcat(
      rc::gen::container<std::vector<Config>>(*in_closed<std::size_t>(2, 4), guest),
      [first](std::vector<Config> guests) {
        HostRun run;
        run.guests = std::move(guests);
        run.variants.assign(run.guests.size(), Variant::fixed);
        run.variants[0] = first;
        return rc::gen::map(
            rc::gen::resize(16, rc::gen::container<std::vector<HostEvent>>(gen_host_event(run))),
            [run](std::vector<HostEvent> events) {
              HostRun out = run;
              out.events = std::move(events);
              return out;
            });
      });
}

// Generated hosts break nothing; with `only`, nothing but that id counts.
std::function<void()> host_property(Variant first, std::optional<InvariantId> only = std::nullopt) {
  return [first, only] {
    const HostRun run = *gen_host(first);
    const HostResult result = run_host(run, {});
    if (result.system_converge_judged) RC_TAG("system-converge judged");
    if (run.guests.size() > 2) RC_TAG("three or more guests");
    for (const HostEvent& event : run.events) {
      if (event.action == HostAction::rebalance_in_flight) {
        RC_TAG("in-flight rebalance");
        break;
      }
    }
    for (const HostViolation& violation : result.violations) {
      if (only.has_value() && violation.violation.id != *only) continue;
      RC_FAIL(to_text(host_failure(run, violation, Mutation::none)));
    }
  };
}

// A share of CI's case count: a host boots several guests of up to 32 MiB.
constexpr int kHostCases = 2000;
constexpr std::uint64_t kHostSeed = 20261130;

TEST(Host, catalogue) {
  expect_success_covering(
      check_with("host-catalogue", host_property(Variant::fixed), kHostSeed, kHostCases),
      {"system-converge judged", "three or more guests", "in-flight rebalance"});
}

TEST(Host, MainlineGuestAmongFixedOnes) {
  expect_success_covering(
      check_with("host-mainline", host_property(Variant::mainline), kHostSeed, kHostCases),
      {"system-converge judged", "in-flight rebalance"});
}

TEST(HostTeeth, ALegacyGuestBreaksSystemConvergence) {
  const Result legacy =
      check_with("host-legacy", host_property(Variant::legacy, InvariantId::system_converge),
                 kHostSeed, kHostCases);
  ASSERT_TRUE(legacy.is<rc::detail::FailureResult>())
      << "a legacy guest never failed system-converge";
  EXPECT_NE(legacy.get<rc::detail::FailureResult>().description.find("system-converge"),
            std::string::npos);
}

}  // namespace
}  // namespace balloonbench::props
