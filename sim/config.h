// The guest and the host a simulation starts from (SPEC §1.2, §2), and the check that
// they describe something a real host could hold. Owned by the simulation; the run
// layer's encoding and generators produce it.
#pragma once

#include <cstdint>
#include <string>

namespace balloonbench {

struct Config {
  std::uint64_t max_pfn = 1024;      // pfns the guest has
  std::uint64_t nr_pages = 512;      // pfns Xen populated at boot: [0, nr_pages)
  std::uint64_t max_low_pfn = 1024;  // pfns at or above this are highmem
  bool auto_translated = false;      // Xen keeps the P2M (else paravirtualised)
  std::uint64_t max_pages = 1024;    // the domain's cap on frames it owns
  std::uint64_t host_free = 0;       // free host frames at boot
  std::uint64_t host_other = 0;      // frames other guests hold at boot (and may free)
  // Named knob: allow faults that break Xen's contract (a short decrease answer).
  // A BUG that follows one is an expected crash, not a driver defect.
  bool contract_breaks = false;
  // Linux's driver (variant mainline) built with CONFIG_XEN_BALLOON_MEMORY_HOTPLUG:
  // with nothing left in the balloon it adds memory (new pfns) to balloon up into.
  // The other drivers have no such option and ignore it.
  bool memory_hotplug = false;

  bool operator==(const Config&) const = default;
};

// Empty if the configuration describes a possible guest, else why not.
std::string validate(const Config& config);

}  // namespace balloonbench
