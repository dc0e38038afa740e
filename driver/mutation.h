// Seeded bugs. A `Mutation` puts one named bug into a port so the bench can prove
// that each invariant catches the bug it is meant to catch; every mutation belongs to
// one variant and is off unless asked for by name.
//
// The fixed 2.6.18 port's mutations are bugs of the kind the catalogue exists for.
// All but one of the mainline port's are real, each restoring the code a named fix to
// Linux's drivers/xen/balloon.c replaced (docs/fidelity.md and the README list them);
// free_wakes_nobody is made up, to prove a rule of the checker.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace balloonbench {

enum class Variant;

enum class Mutation {
  none,
  // Variant fixed.
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
  proc_write_reads_past_count,
  // The sysfs target_kb store reads its number as bytes, not KiB: a wrong but legal
  // target, which only the text-write oracle catches.
  kib_read_as_bytes,
  // Variant mainline: the code before a real fix, named after the fix.
  fix_cancelled_balloon_action,     // the thread wakes at once while cancelled
  fix_alloc_error_path_accounting,  // the error path keeps target_unpopulated raised
  fix_accounting_without_hotplug,   // a cancelled increase drops target_unpopulated
  xsa300_no_reserve_backoff,        // nothing available to give: retry at once, no back-off
  // Not a fix: a free of borrowed pages that leaves a credit wakes nobody, to prove
  // that the converge window's allowance for a borrow nobody was woken for ends there.
  free_wakes_nobody,
};

const char* mutation_name(Mutation mutation);
std::optional<Mutation> parse_mutation(std::string_view name);
// Every mutation but `none`, in declaration order.
const std::vector<Mutation>& all_mutations();
// The variant a mutation is seeded into.
Variant mutation_variant(Mutation mutation);

}  // namespace balloonbench
