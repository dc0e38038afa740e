#include "run/failure.h"

#include <array>
#include <iterator>

#include <nlohmann/json.hpp>

#include "run/codec.h"

namespace balloonbench {
namespace {

using nlohmann::json;

constexpr const char* kPhaseNames[] = {"boot", "event", "epilogue"};
static_assert(std::size(kPhaseNames) == static_cast<std::size_t>(Phase::epilogue) + 1);

constexpr const char* kKindNames[] = {"invariant", "proc-write-contract", "divergence",
                                      "kernel-library"};
static_assert(std::size(kKindNames) == static_cast<std::size_t>(FailureKind::kernel_library) + 1);

template <typename Enum, std::size_t N>
std::optional<Enum> find_name(const char* const (&names)[N], std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (name == names[i]) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace

// A switch with no default: -Wswitch (an error here) makes every id have its name.
const char* invariant_name(InvariantId id) {
  switch (id) {
    case InvariantId::ledger:
      return "ledger";
    case InvariantId::p2m:
      return "p2m";
    case InvariantId::list:
      return "list";
    case InvariantId::no_partial_return:
      return "no-partial-return";
    case InvariantId::rearm:
      return "rearm";
    case InvariantId::at_or_below_target:
      return "at-or-below-target";
    case InvariantId::batch:
      return "batch";
    case InvariantId::progress:
      return "progress";
    case InvariantId::converge:
      return "converge";
    case InvariantId::no_bug:
      return "no-bug";
    case InvariantId::text_write:
      return "text-write";
    case InvariantId::host_frames:
      return "host-frames";
    case InvariantId::system_converge:
      return "system-converge";
  }
  return "?";
}

std::optional<InvariantId> parse_invariant(std::string_view name) {
  for (const InvariantId id : all_invariants()) {
    if (name == invariant_name(id)) return id;
  }
  return std::nullopt;
}

const std::vector<InvariantId>& all_invariants() {
  static const std::vector<InvariantId> ids = [] {
    std::vector<InvariantId> out;
    for (unsigned i = 0; i < kInvariantCount; ++i) out.push_back(static_cast<InvariantId>(i));
    return out;
  }();
  return ids;
}

std::optional<InvariantId> invariant_of_file_name(std::string_view name) {
  // The longest id that prefixes the name wins, so that no id shadows a longer one.
  std::optional<InvariantId> found;
  std::size_t found_length = 0;
  for (const InvariantId id : all_invariants()) {
    const std::string_view id_name = invariant_name(id);
    if (name.size() > id_name.size() && name.substr(0, id_name.size()) == id_name &&
        name[id_name.size()] == '-' && id_name.size() > found_length) {
      found = id;
      found_length = id_name.size();
    }
  }
  return found;
}

bool broken_by_legacy(InvariantId id) {
  switch (id) {
    case InvariantId::no_partial_return:  // it hands a partial populate straight back
    case InvariantId::rearm:              // the latched limit leaves no retry timer
    case InvariantId::converge:           // ... and the reservation short of its target
    case InvariantId::progress:           // a wrapped driver allowance latches ever higher
    case InvariantId::no_bug:             // an error answer maps a pfn as a frame
    case InvariantId::ledger:             // ... or counts pages with no frame behind them
      return true;
    case InvariantId::p2m:
    case InvariantId::list:
    case InvariantId::at_or_below_target:
    case InvariantId::batch:
    case InvariantId::text_write:
    // A host's invariants: legacy breaks system-converge, but only on a host.
    case InvariantId::host_frames:
    case InvariantId::system_converge:
      return false;
  }
  return false;
}

std::optional<InvariantId> invariant_for_mutation(Mutation mutation) {
  switch (mutation) {
    case Mutation::none:
      return std::nullopt;
    case Mutation::proc_write_reads_past_count:
      return InvariantId::text_write;
    case Mutation::forget_current_pages:
      return InvariantId::ledger;
    case Mutation::keep_p2m_on_decrease:
      return InvariantId::p2m;
    case Mutation::highmem_at_head:
      return InvariantId::list;
    case Mutation::overshoot_target:
      return InvariantId::at_or_below_target;
    case Mutation::no_batch_clamp:
      return InvariantId::batch;
    case Mutation::ignore_need_sleep:
      return InvariantId::progress;
    case Mutation::no_rearm:
      return InvariantId::rearm;
    case Mutation::alarm_forgets_work:
      return InvariantId::converge;
    case Mutation::bug_on_short_populate:
      return InvariantId::no_bug;
    case Mutation::kib_read_as_bytes:
      return InvariantId::text_write;
    case Mutation::fix_cancelled_balloon_action:
      return InvariantId::rearm;
    case Mutation::fix_alloc_error_path_accounting:
      return InvariantId::ledger;
    case Mutation::fix_accounting_without_hotplug:
      return InvariantId::converge;
    case Mutation::xsa300_no_reserve_backoff:
      return InvariantId::progress;
    case Mutation::free_wakes_nobody:
      return InvariantId::converge;
  }
  return std::nullopt;
}

std::string expected_failure_key(Mutation mutation) {
  if (mutation == Mutation::proc_write_reads_past_count) return "sanitizer:heap-buffer-overflow";
  const std::optional<InvariantId> id = invariant_for_mutation(mutation);
  return id ? std::string("invariant:") + invariant_name(*id) : std::string();
}

const char* phase_name(Phase phase) { return kPhaseNames[static_cast<std::size_t>(phase)]; }

std::string to_text(const Violation& violation) {
  std::string where;
  switch (violation.phase) {
    case Phase::boot:
      where = "at boot";
      break;
    case Phase::event:
      where = "at event #" + std::to_string(violation.event_index);
      break;
    case Phase::epilogue:
      where = "in the epilogue";
      break;
  }
  return std::string(invariant_name(violation.id)) + " " + where + ": " + violation.detail;
}

std::string Failure::key() const {
  if (kind == FailureKind::invariant)
    return std::string("invariant:") + invariant_name(violation.id);
  return std::string(kKindNames[static_cast<std::size_t>(kind)]) + ":" + detail;
}

Failure invariant_failure(const Run& run, const Violation& violation, Variant variant,
                          Mutation mutation) {
  Failure failure;
  failure.kind = FailureKind::invariant;
  failure.violation = violation;
  failure.variant = variant;
  failure.mutation = mutation;
  failure.reproduce = reproduce_command(run, variant, mutation);
  return failure;
}

std::string reproduce_command(const Run& run, Variant variant, Mutation mutation) {
  std::string out = std::string("balloon-repro --variant ") + variant_name(variant);
  if (mutation != Mutation::none) out += std::string(" --mutant ") + mutation_name(mutation);
  if (encodable(run).empty()) return out + " --hex " + to_hex(encode(run));
  return out + " (this run is outside the encoding's bounds: " + encodable(run) + ")";
}

std::string to_text(const Failure& failure) {
  std::string driver = std::string("variant ") + variant_name(failure.variant);
  if (failure.mutation != Mutation::none)
    driver += std::string(", mutation ") + mutation_name(failure.mutation);
  std::string out;
  if (failure.kind == FailureKind::invariant) {
    out = std::string("violation of ") + invariant_name(failure.violation.id) + " (" + driver +
          ")\n" + to_text(failure.violation) + "\n";
  } else if (failure.kind == FailureKind::divergence) {
    out = "the port and the driver diverge (" + driver + "): " + failure.detail + "\n";
  } else if (failure.kind == FailureKind::kernel_library) {
    out = "the kernel shim's library differs from the kernel's (" + driver +
          "): " + failure.detail + "\n";
  } else {
    out = "/proc write contract broken (" + driver + "): " + failure.detail + "\n";
  }
  if (!failure.reproduce.empty()) out += "reproduce: " + failure.reproduce + "\n";
  return out;
}

json to_json(const Violation& violation) {
  return json{{"id", invariant_name(violation.id)},
              {"phase", phase_name(violation.phase)},
              {"event", violation.event_index},
              {"detail", violation.detail}};
}

json to_json(const Failure& failure) {
  json out{{"kind", kKindNames[static_cast<std::size_t>(failure.kind)]},
           {"key", failure.key()},
           {"variant", variant_name(failure.variant)},
           {"mutation", failure.mutation == Mutation::none ? json(nullptr)
                                                           : json(mutation_name(failure.mutation))},
           {"reproduce", failure.reproduce}};
  if (failure.kind == FailureKind::invariant) {
    out.update(to_json(failure.violation));
  } else {
    out["detail"] = failure.detail;
  }
  return out;
}

std::optional<Failure> failure_from_json(const json& in) {
  if (!in.is_object()) return std::nullopt;
  try {
    Failure failure;
    const std::optional<FailureKind> kind =
        find_name<FailureKind>(kKindNames, in.at("kind").get<std::string>());
    const std::optional<Variant> variant = parse_variant(in.at("variant").get<std::string>());
    if (!kind || !variant) return std::nullopt;
    failure.kind = *kind;
    failure.variant = *variant;
    if (!in.at("mutation").is_null()) {
      const std::optional<Mutation> mutation = parse_mutation(in.at("mutation").get<std::string>());
      if (!mutation) return std::nullopt;
      failure.mutation = *mutation;
    }
    failure.reproduce = in.at("reproduce").get<std::string>();
    if (failure.kind == FailureKind::invariant) {
      const std::optional<InvariantId> id = parse_invariant(in.at("id").get<std::string>());
      const std::optional<Phase> phase =
          find_name<Phase>(kPhaseNames, in.at("phase").get<std::string>());
      if (!id || !phase) return std::nullopt;
      failure.violation = Violation{*id, *phase, in.at("event").get<std::size_t>(),
                                    in.at("detail").get<std::string>()};
    } else {
      failure.detail = in.at("detail").get<std::string>();
    }
    return failure;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string failure_line(const Failure& failure) {
  return std::string(kFailureLinePrefix) + to_json(failure).dump();
}

std::optional<Failure> find_failure_line(std::string_view log) {
  std::size_t at = 0;
  while (at < log.size()) {
    std::size_t end = log.find('\n', at);
    if (end == std::string_view::npos) end = log.size();
    const std::string_view line = log.substr(at, end - at);
    if (line.substr(0, kFailureLinePrefix.size()) == kFailureLinePrefix) {
      const json parsed = json::parse(line.substr(kFailureLinePrefix.size()), nullptr, false);
      if (std::optional<Failure> failure = failure_from_json(parsed)) return failure;
    }
    at = end + 1;
  }
  return std::nullopt;
}

}  // namespace balloonbench
