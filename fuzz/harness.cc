#include "fuzz/harness.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "driver/parse.h"
#include "run/text_model.h"

// AddressSanitizer's defaults for the fuzz targets; ASAN_OPTIONS still overrides them.
// A run allocates and frees some hundred kilobytes; the default 256 MB quarantine
// makes every run fault in fresh pages, which halves the fuzzer's speed, while 16 MB
// still holds a hundred runs' worth of frees for use-after-free detection.
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=16"; }

namespace balloonbench::fuzz {
namespace {

Variant g_variant = Variant::fixed;
Mutation g_mutation = Mutation::none;
std::optional<InvariantId> g_only;
bool g_legal_xen = false;

}  // namespace

void init_from_env() {
  if (const char* name = std::getenv("BALLOON_VARIANT"); name != nullptr && *name != '\0') {
    const std::optional<Variant> parsed = parse_variant(name);
    if (!parsed.has_value()) {
      std::fprintf(stderr, "BALLOON_VARIANT=%s: this build has the variants", name);
      for (const Variant known : available_variants())
        std::fprintf(stderr, " %s", variant_name(known));
      std::fprintf(stderr, "\n");
      std::exit(2);
    }
    g_variant = *parsed;
  }
  if (const char* name = std::getenv("BALLOON_MUTANT"); name != nullptr && *name != '\0') {
    const std::optional<Mutation> parsed = parse_mutation(name);
    if (!parsed.has_value()) {
      std::fprintf(stderr, "BALLOON_MUTANT=%s: unknown mutation; known:", name);
      for (const Mutation known : all_mutations())
        std::fprintf(stderr, " %s", mutation_name(known));
      std::fprintf(stderr, "\n");
      std::exit(2);
    }
    g_mutation = *parsed;
    // A mutation belongs to one variant: alone it picks it; BALLOON_VARIANT must agree.
    const Variant owner = mutation_variant(g_mutation);
    const char* asked = std::getenv("BALLOON_VARIANT");
    if (asked != nullptr && *asked != '\0' && g_variant != owner) {
      std::fprintf(stderr, "BALLOON_MUTANT=%s is seeded into variant %s, not BALLOON_VARIANT=%s\n",
                   name, variant_name(owner), asked);
      std::exit(2);
    }
    g_variant = owner;
  }
  if (const char* value = std::getenv("BALLOON_LEGAL_XEN"); value != nullptr && *value != '\0') {
    const std::string text = value;
    if (text != "0" && text != "1") {
      std::fprintf(stderr, "BALLOON_LEGAL_XEN=%s: expected 0 or 1\n", value);
      std::exit(2);
    }
    g_legal_xen = text == "1";
  }
  if (const char* name = std::getenv("BALLOON_ONLY_INVARIANT"); name != nullptr && *name != '\0') {
    g_only = parse_invariant(name);
    if (!g_only.has_value()) {
      std::fprintf(stderr, "BALLOON_ONLY_INVARIANT=%s: not an invariant id; known:", name);
      for (const InvariantId id : all_invariants()) std::fprintf(stderr, " %s", invariant_name(id));
      std::fprintf(stderr, "\n");
      std::exit(2);
    }
  }
}

Variant variant() { return g_variant; }
bool legal_xen() { return g_legal_xen; }
Run as_judged(Run run) {
  if (g_legal_xen) run.config.contract_breaks = false;
  return run;
}
namespace {

// The first of `violations` (each read through `of`), or with BALLOON_ONLY_INVARIANT
// the first of that id.
template <class Item, class Of>
const Item* first_reported(Outcome outcome, const std::vector<Item>& violations, Of of) {
  if (outcome != Outcome::violation || violations.empty()) return nullptr;
  if (!g_only.has_value()) return &violations.front();
  for (const Item& item : violations) {
    if (of(item).id == *g_only) return &item;
  }
  return nullptr;
}

}  // namespace

const Violation* reported(const RunResult& result) {
  return first_reported(result.outcome, result.violations,
                        [](const Violation& v) -> const Violation& { return v; });
}
HostRun as_judged(HostRun run) {
  if (g_legal_xen) {
    for (Config& config : run.guests) config.contract_breaks = false;
  }
  return run;
}

const HostViolation* reported(const HostResult& result) {
  return first_reported(result.outcome, result.violations,
                        [](const HostViolation& v) -> const Violation& { return v.violation; });
}

Mutation mutation() { return g_mutation; }

std::string strtoull_mismatch(std::string_view text, unsigned base, Strtoull parse) {
  std::size_t end = 0;
  const std::uint64_t value = parse(text, end, base);
  const ReadNumber expected = expected_strtoull(text, base);
  if (value == expected.value && end == expected.end) return {};
  return "simple_strtoull(" + quote_bytes(std::string(text)) + ", base " + std::to_string(base) +
         ") read " + std::to_string(value) + " up to byte " + std::to_string(end) +
         "; the kernel reads " + std::to_string(expected.value) + " up to byte " +
         std::to_string(expected.end);
}

void report_and_abort(const Failure& failure) {
  std::fprintf(stderr, "\n==balloonbench== %s%s\n", to_text(failure).c_str(),
               failure_line(failure).c_str());
  std::fflush(stderr);
  std::abort();
}

void report_and_abort(const Run& run, const Violation& violation) {
  report_and_abort(invariant_failure(run, violation, g_variant, g_mutation));
}

}  // namespace balloonbench::fuzz
