// The balloon driver's core, ported from the 2.6.18-xen driver so that it can be read
// side by side with it: drivers/xen/balloon/balloon.c and the target stores of
// drivers/xen/balloon/sysfs.c. `Variant::legacy` is the last revision before "balloon:
// try harder to balloon up under memory pressure" (with the hard limit, the
// minimum_target() floor and totalhigh_pages kept in step); `Variant::fixed` is that
// revision with the patch. docs/fidelity.md names the copies followed. The port
// reaches the world only through Env (env.h).
//
// A `Mutation` (driver/mutation.h) seeds one named bug into the fixed driver.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driver/balloon_list.h"
#include "driver/driver.h"
#include "driver/env.h"
#include "driver/mutation.h"

namespace balloonbench {

// Kernel errno values returned by the /proc write path.
inline constexpr long kEperm = 1;
inline constexpr long kEfbig = 27;
inline constexpr long kEbadmsg = 74;

// The /proc/xen/balloon write buffer (char memstring[64]).
inline constexpr std::size_t kProcWriteBuffer = 64;

class BalloonCore final : public Driver {
 public:
  // `variant` is fixed or legacy.
  BalloonCore(Env& env, Variant variant, Mutation mutation = Mutation::none);

  void balloon_init(pfn_t max_pfn, pfn_t nr_pages) override;

  void balloon_set_new_target(std::uint64_t target) override;
  void watch_target(std::string_view value) override;
  long balloon_write(std::string_view buffer) override;  // count = size
  std::string balloon_read() const override;
  void balloon_update_driver_allowance(std::int64_t delta) override;
  std::optional<std::vector<pfn_t>> alloc_empty_pages(std::size_t nr_pages) override;
  void free_empty_pages(const std::vector<pfn_t>& pagevec) override;
  void balloon_release_driver_page(pfn_t page) override;
  long store_target_kb(std::string_view buffer) override;  // count = size
  long store_target(std::string_view buffer) override;     // count = size
  // Every entry point but Linux's back-off knobs.
  bool has(OptionalEntry entry) const override { return entry != OptionalEntry::backoff_knobs; }

  void balloon_process() override;
  void balloon_alarm() override;

  std::uint64_t current_pages() const override { return current_pages_; }
  std::uint64_t totalram_pages() const override { return totalram_pages_; }
  std::uint64_t target_pages() const override { return target_pages_; }
  std::uint64_t balloon_low() const override { return balloon_low_; }
  std::uint64_t balloon_high() const override { return balloon_high_; }
  std::uint64_t driver_pages() const override { return driver_pages_; }
  std::uint64_t hard_limit() const override { return hard_limit_; }
  std::uint64_t current_target() const override;
  // The floor balloon_set_new_target puts under every new target.
  std::uint64_t minimum_target() const;
  // The kernel's count of highmem pages in use, which the balloon keeps in step.
  std::uint64_t totalhigh_pages() const { return totalhigh_pages_; }
  std::size_t balloon_list_size() const override { return ballooned_pages_.size(); }
  std::vector<pfn_t> balloon_list_pages() const override;
  const BalloonList& balloon_list() const { return ballooned_pages_; }

  void set_list_journal(std::vector<ListOp>* journal) override {
    ballooned_pages_.set_journal(journal);
  }
  // balloon_init asks the Env which pfns are highmem and nothing else.
  std::unique_ptr<Driver> copy_booted() const override;
  void assign_booted(const Driver& booted) override;

 private:
  void balloon_append(pfn_t pfn);
  std::optional<pfn_t> balloon_retrieve();
  void balloon_free_page(pfn_t pfn);
  std::uint64_t clamp_to_frame_list(std::uint64_t nr_pages);
  long increase_reservation(std::uint64_t nr_pages);
  void legacy_hit_hard_limit(Reservation& reservation, long rc);
  long decrease_reservation(std::uint64_t nr_pages);
  bool release_empty_page(pfn_t pfn);

  Env& env_;
  const Variant variant_;
  const Mutation mutation_;

  // The state: assign_booted copies every field from here on.
  pfn_t max_pfn_ = 0;  // the kernel's max_pfn, which minimum_target() scales with
  std::uint64_t current_pages_ = 0;
  std::uint64_t totalhigh_pages_ = 0;
  std::uint64_t totalram_pages_ = 0;
  std::uint64_t target_pages_ = 0;
  std::uint64_t balloon_low_ = 0;
  std::uint64_t balloon_high_ = 0;
  std::uint64_t driver_pages_ = 0;
  std::uint64_t hard_limit_ = kNoHardLimit;  // legacy only

  BalloonList ballooned_pages_;
  std::vector<std::uint64_t> frame_list_;
  bool balloon_mutex_held_ = false;

  // Lets the checker's own tests corrupt one fact at a time (tests/ only).
  friend struct BalloonCoreTestPeer;
};

}  // namespace balloonbench
