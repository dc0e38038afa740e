// The abstract model of the stateful test: what the fixed driver and the simulated
// host must do, stated again with counts instead of pages. It knows nothing of pfns,
// frames, lists or the P2M: only how many pages are populated (by zone), ballooned
// (by zone) or lent, how many frames the host has free, the armed faults, and time.
// From that it predicts current_pages, the balloon's size and whether the retry
// timer is pending after each command.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "run/event.h"

namespace balloonbench::props {

struct Model {
  explicit Model(const Config& config);

  Config config;
  // The driver.
  std::uint64_t current = 0;
  std::uint64_t target = 0;
  std::uint64_t balloon_low = 0;
  std::uint64_t balloon_high = 0;
  // The guest allocator: populated pages, all free, by zone; pages lent to backends.
  std::uint64_t free_low = 0;
  std::uint64_t free_high = 0;
  std::vector<std::uint64_t> lent;  // pages in each vector still lent
  // The host.
  std::uint64_t tot = 0;
  std::uint64_t max_pages = 0;
  std::uint64_t host_free = 0;
  std::uint64_t host_other = 0;
  // Armed faults: a populate answer (error or limit), allocation plan, in-flight actions.
  struct PopulateFault {
    bool error;
    std::uint64_t value;
  };
  std::deque<PopulateFault> populate_faults;
  std::uint64_t alloc_skip = 0;
  std::uint64_t alloc_fail = 0;
  std::deque<std::pair<InFlightAction, std::uint64_t>> in_flight;
  // Time and the work item.
  std::uint64_t jiffies = 0;
  bool timer_pending = false;
  std::uint64_t timer_expires = 0;
  std::uint64_t timer_late = 0;
  bool work_pending = false;
  std::uint64_t work_blocked_until = 0;

  std::uint64_t balloon() const { return balloon_low + balloon_high; }
  std::uint64_t effective_target() const;
  bool work_runnable() const { return work_pending && jiffies >= work_blocked_until; }

  // Every event but the four text paths, whose outcome the command knows.
  void apply(const Event& event);
  // balloon_set_new_target: the target, never below the floor of minimum_target().
  void set_target(std::uint64_t pages);
  std::uint64_t minimum_target() const;
  // The liveness epilogue: heal, then two seconds.
  void heal_and_wait();

 private:
  std::optional<std::uint64_t> allocate(bool highmem_ok);
  void fire_in_flight();
  long populate(std::uint64_t asked);
  bool increase(std::uint64_t credit);
  bool decrease(std::uint64_t debit);
  void work();
  void advance(std::uint64_t ticks);
  void alloc_empty(std::uint64_t pages);
  void release_driver_page(std::uint64_t which);
};

}  // namespace balloonbench::props
