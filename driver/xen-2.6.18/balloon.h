// The balloon driver's core, ported from the 2.6.18-xen driver so that it can be read
// side by side with it. `Variant::fixed` is the driver after "balloon: try harder to
// balloon up under memory pressure"; `Variant::legacy` is the driver before it, with
// the hard limit. The port reaches the world only through Env (env.h).
//
// A `Mutation` seeds one named bug into the fixed driver. Mutations exist so the bench
// can prove that each invariant catches the bug it is meant to catch; they are off
// unless asked for by name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driver/balloon_list.h"
#include "driver/env.h"

namespace balloonbench {

enum class Variant { fixed, legacy };

enum class Mutation {
  none,
  forget_current_pages,   // increase_reservation does not add rc to current_pages
  keep_p2m_on_decrease,   // decrease_reservation leaves the P2M entry valid
  highmem_at_head,        // balloon_append puts highmem pages at the head too
  overshoot_target,       // current_target aims one page above target_pages
  no_batch_clamp,         // batches are not clamped to the 512-entry frame_list
  ignore_need_sleep,      // the work loop keeps going after "needs retry"
  no_rearm,               // the work function never re-arms the retry timer
  alarm_forgets_work,     // the retry timer fires without scheduling the work function
  bug_on_short_populate,  // BUG_ON(rc != nr_pages) after populate_physmap
  // The /proc write parses up to its NUL terminator, past the `count` bytes written:
  // the original's latent read of an uninitialised buffer. Caught by AddressSanitizer
  // in the balloon_procfs fuzz target, not by an invariant.
  proc_write_reads_past_count
};

const char* variant_name(Variant variant);
std::optional<Variant> parse_variant(std::string_view name);
const char* mutation_name(Mutation mutation);
std::optional<Mutation> parse_mutation(std::string_view name);
// Every mutation but `none`, in declaration order.
const std::vector<Mutation>& all_mutations();

// Kernel errno values returned by the /proc write path.
inline constexpr long kEperm = 1;
inline constexpr long kEfbig = 27;
inline constexpr long kEbadmsg = 74;

// The /proc/xen/balloon write buffer (char memstring[64]).
inline constexpr std::size_t kProcWriteBuffer = 64;

// hard_limit when no limit is latched (~0UL).
inline constexpr std::uint64_t kNoHardLimit = ~std::uint64_t{0};

class BalloonCore {
 public:
  BalloonCore(Env& env, Variant variant, Mutation mutation = Mutation::none);

  // balloon_init: the guest booted with `nr_pages` of its `max_pfn` pfns populated.
  void balloon_init(pfn_t max_pfn, pfn_t nr_pages);

  // Entry points (SPEC §1.7).
  void balloon_set_new_target(std::uint64_t target);
  void watch_target(std::string_view value);    // xenstore memory/target (KiB)
  long balloon_write(std::string_view buffer);  // /proc/xen/balloon, count = size
  std::string balloon_read() const;             // /proc/xen/balloon
  void balloon_update_driver_allowance(std::int64_t delta);
  std::optional<std::vector<pfn_t>> alloc_empty_pages(std::size_t nr_pages);
  void free_empty_pages(const std::vector<pfn_t>& pagevec);

  // The work function and the timer function.
  void balloon_process();
  void balloon_alarm();

  // The driver's state, read-only.
  std::uint64_t current_pages() const { return current_pages_; }
  std::uint64_t totalram_pages() const { return totalram_pages_; }
  std::uint64_t target_pages() const { return target_pages_; }
  std::uint64_t balloon_low() const { return balloon_low_; }
  std::uint64_t balloon_high() const { return balloon_high_; }
  std::uint64_t driver_pages() const { return driver_pages_; }
  std::uint64_t hard_limit() const { return hard_limit_; }
  std::uint64_t current_target() const;
  const BalloonList& balloon_list() const { return ballooned_pages_; }

  // Route every balloon list operation to `journal` (nullptr to stop).
  void set_list_journal(std::vector<ListOp>* journal) { ballooned_pages_.set_journal(journal); }

 private:
  void balloon_append(pfn_t pfn);
  std::optional<pfn_t> balloon_retrieve();
  std::uint64_t clamp_to_frame_list(std::uint64_t nr_pages);
  long increase_reservation(std::uint64_t nr_pages);
  void legacy_hit_hard_limit(Reservation& reservation, long rc);
  long decrease_reservation(std::uint64_t nr_pages);
  bool release_empty_page(pfn_t pfn);

  Env& env_;
  const Variant variant_;
  const Mutation mutation_;

  std::uint64_t current_pages_ = 0;
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
