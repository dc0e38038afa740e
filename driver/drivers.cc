// The registry of drivers: which variants this build has, how each is made, and the
// names of variants, seeded bugs, back-off knobs and thread states.
#include <array>
#include <stdexcept>
#include <string>

#include "driver/driver.h"
#include "driver/linux/balloon.h"
#include "driver/mutation.h"
#include "driver/xen-2.6.18/balloon.h"

#ifdef BALLOONBENCH_HAVE_SOURCE_DRIVER
#include "driver/shim/source_driver.h"
#endif

namespace balloonbench {
namespace {

struct VariantName {
  Variant variant;
  const char* name;
};

constexpr std::array<VariantName, 4> kVariantNames{{
    {Variant::fixed, "fixed"},
    {Variant::legacy, "legacy"},
    {Variant::source, "source"},
    {Variant::mainline, "mainline"},
}};
static_assert(kVariantNames.size() == static_cast<std::size_t>(Variant::mainline) + 1,
              "every Variant needs its name");

struct MutationEntry {
  Mutation mutation;
  const char* name;
  Variant variant;
};

constexpr std::array<MutationEntry, 17> kMutations{{
    {Mutation::none, "none", Variant::fixed},
    {Mutation::forget_current_pages, "forget-current-pages", Variant::fixed},
    {Mutation::keep_p2m_on_decrease, "keep-p2m-on-decrease", Variant::fixed},
    {Mutation::highmem_at_head, "highmem-at-head", Variant::fixed},
    {Mutation::overshoot_target, "overshoot-target", Variant::fixed},
    {Mutation::no_batch_clamp, "no-batch-clamp", Variant::fixed},
    {Mutation::ignore_need_sleep, "ignore-need-sleep", Variant::fixed},
    {Mutation::no_rearm, "no-rearm", Variant::fixed},
    {Mutation::alarm_forgets_work, "alarm-forgets-work", Variant::fixed},
    {Mutation::bug_on_short_populate, "bug-on-short-populate", Variant::fixed},
    {Mutation::proc_write_reads_past_count, "proc-write-reads-past-count", Variant::fixed},
    {Mutation::kib_read_as_bytes, "kib-read-as-bytes", Variant::fixed},
    {Mutation::fix_cancelled_balloon_action, "fix-cancelled-balloon-action", Variant::mainline},
    {Mutation::fix_alloc_error_path_accounting, "fix-alloc-error-path-accounting",
     Variant::mainline},
    {Mutation::fix_accounting_without_hotplug, "fix-accounting-without-hotplug", Variant::mainline},
    {Mutation::xsa300_no_reserve_backoff, "xsa-300-no-reserve-backoff", Variant::mainline},
    {Mutation::free_wakes_nobody, "free-wakes-nobody", Variant::mainline},
}};
// In declaration order, so that the table is indexed by the enum too.
static_assert([] {
  for (std::size_t i = 0; i < kMutations.size(); ++i) {
    if (static_cast<std::size_t>(kMutations[i].mutation) != i) return false;
  }
  return true;
}());
static_assert(kMutations.size() == static_cast<std::size_t>(Mutation::free_wakes_nobody) + 1,
              "every Mutation needs its name and variant");

#ifdef BALLOONBENCH_HAVE_SOURCE_DRIVER
constexpr bool kHaveSource = true;
#else
constexpr bool kHaveSource = false;
#endif

bool built(Variant variant) { return variant != Variant::source || kHaveSource; }

}  // namespace

const char* mutation_name(Mutation mutation) {
  const auto index = static_cast<std::size_t>(mutation);
  return index < kMutations.size() ? kMutations[index].name : "?";
}

std::optional<Mutation> parse_mutation(std::string_view name) {
  for (const auto& entry : kMutations) {
    if (name == entry.name) return entry.mutation;
  }
  return std::nullopt;
}

const std::vector<Mutation>& all_mutations() {
  static const std::vector<Mutation> mutations = [] {
    std::vector<Mutation> out;
    for (const auto& entry : kMutations) {
      if (entry.mutation != Mutation::none) out.push_back(entry.mutation);
    }
    return out;
  }();
  return mutations;
}

Variant mutation_variant(Mutation mutation) {
  const auto index = static_cast<std::size_t>(mutation);
  return index < kMutations.size() ? kMutations[index].variant : Variant::fixed;
}

// The names traces and reports give a knob and a state of Linux's balloon thread.
const char* backoff_knob_name(BackoffKnob knob) {
  switch (knob) {
    case BackoffKnob::max_schedule_delay:
      return "max_schedule_delay";
    case BackoffKnob::max_retry_count:
      return "max_retry_count";
  }
  return "?";
}

const char* bp_state_name(ThreadState::Bp state) {
  switch (state) {
    case ThreadState::Bp::done:
      return "BP_DONE";
    case ThreadState::Bp::wait:
      return "BP_WAIT";
    case ThreadState::Bp::eagain:
      return "BP_EAGAIN";
    case ThreadState::Bp::ecanceled:
      return "BP_ECANCELED";
  }
  return "?";
}

const char* variant_name(Variant variant) {
  for (const auto& entry : kVariantNames) {
    if (entry.variant == variant) return entry.name;
  }
  return "?";
}

std::optional<Variant> parse_variant(std::string_view name) {
  for (const auto& entry : kVariantNames) {
    if (name == entry.name && built(entry.variant)) return entry.variant;
  }
  return std::nullopt;
}

const std::vector<Variant>& available_variants() {
  static const std::vector<Variant> variants = [] {
    std::vector<Variant> out;
    for (const auto& entry : kVariantNames) {
      if (built(entry.variant)) out.push_back(entry.variant);
    }
    return out;
  }();
  return variants;
}

bool pre_patch(Variant variant) {
  switch (variant) {
    case Variant::fixed:
    case Variant::mainline:
      return false;
    case Variant::legacy:
      return true;
    case Variant::source:
#ifdef BALLOONBENCH_HAVE_SOURCE_DRIVER
      return source_driver_pre_patch();
#else
      return false;
#endif
  }
  return false;
}

std::unique_ptr<Driver> make_driver(Env& env, Variant variant, Mutation mutation,
                                    bool memory_hotplug) {
  if (mutation != Mutation::none && mutation_variant(mutation) != variant) {
    throw std::invalid_argument(std::string("mutation ") + mutation_name(mutation) +
                                " belongs to variant " + variant_name(mutation_variant(mutation)) +
                                ", not " + variant_name(variant));
  }
  switch (variant) {
    case Variant::fixed:
    case Variant::legacy:
      return std::make_unique<BalloonCore>(env, variant, mutation);
    case Variant::mainline:
      return std::make_unique<LinuxBalloon>(env, mutation, memory_hotplug);
    case Variant::source:
#ifdef BALLOONBENCH_HAVE_SOURCE_DRIVER
      return make_source_driver(env);
#else
      break;
#endif
  }
  throw std::invalid_argument(std::string("this build has no driver for variant ") +
                              variant_name(variant));
}

}  // namespace balloonbench
