// The registry of drivers: which variants this build has and how each is made.
#include <array>
#include <stdexcept>
#include <string>

#include "driver/driver.h"
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

constexpr std::array<VariantName, 3> kVariantNames{{
    {Variant::fixed, "fixed"},
    {Variant::legacy, "legacy"},
    {Variant::source, "source"},
}};
static_assert(kVariantNames.size() == static_cast<std::size_t>(Variant::source) + 1,
              "every Variant needs its name");

#ifdef BALLOONBENCH_HAVE_SOURCE_DRIVER
constexpr bool kHaveSource = true;
#else
constexpr bool kHaveSource = false;
#endif

bool built(Variant variant) { return variant != Variant::source || kHaveSource; }

}  // namespace

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

std::unique_ptr<Driver> make_driver(Env& env, Variant variant, Mutation mutation) {
  switch (variant) {
    case Variant::fixed:
    case Variant::legacy:
      return std::make_unique<BalloonCore>(env, variant, mutation);
    case Variant::source:
#ifdef BALLOONBENCH_HAVE_SOURCE_DRIVER
      if (mutation != Mutation::none) {
        throw std::invalid_argument("mutations seed bugs into the port; variant source takes none");
      }
      return make_source_driver(env);
#else
      break;
#endif
  }
  throw std::invalid_argument(std::string("this build has no driver for variant ") +
                              variant_name(variant));
}

}  // namespace balloonbench
