#include "sim/config.h"

namespace balloonbench {

std::string validate(const Config& config) {
  if (config.max_pfn == 0) return "max_pfn must be at least 1";
  if (config.nr_pages > config.max_pfn) return "nr_pages exceeds max_pfn";
  if (config.max_low_pfn == 0 || config.max_low_pfn > config.max_pfn) {
    return "max_low_pfn must be in [1, max_pfn]";
  }
  if (config.max_pages < config.nr_pages) return "max_pages is below nr_pages";
  // The simulation keeps pfns and frame indices in 32 bits; leave room for the host
  // to grow when the epilogue heals it.
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 30;
  if (config.max_pfn > kLimit || config.max_pages > kLimit) {
    return "max_pfn and max_pages must be at most 2^30";
  }
  if (config.host_free > kLimit || config.host_other > kLimit ||
      config.nr_pages + config.host_free + config.host_other > kLimit) {
    return "the host may hold at most 2^30 frames";
  }
  return {};
}

}  // namespace balloonbench
