#include "props/model.h"

#include <algorithm>

namespace balloonbench::props {
namespace {

constexpr std::uint64_t kBatch = 512;
constexpr std::uint64_t kMaxArmed = 64;
constexpr std::uint64_t kMaxWait = 60 * 100;  // jiffies an event may move or hold things
constexpr std::uint64_t kSecond = 100;

}  // namespace

Model::Model(const Config& c) : config(c) {
  current = target = tot = c.nr_pages;
  max_pages = c.max_pages;
  host_free = c.host_free;
  host_other = c.host_other;
  // Populated pfns are [0, nr_pages); the rest are ballooned. Highmem starts at max_low_pfn.
  const std::uint64_t low_limit = c.max_low_pfn;
  free_low = std::min(c.nr_pages, low_limit);
  free_high = c.nr_pages - free_low;
  balloon_low = low_limit > c.nr_pages ? low_limit - c.nr_pages : 0;
  balloon_high = c.max_pfn - c.nr_pages - balloon_low;
}

std::uint64_t Model::effective_target() const { return std::min(target, current + balloon()); }

// The floor, stated in MiB of a max_pfn-page guest: 8 + half below 128, 40 + a
// quarter below 512, 104 + an eighth below 2048, else 296 + a thirty-second; never
// above the effective target (no growth).
std::uint64_t Model::minimum_target() const {
  const std::uint64_t pfns = config.max_pfn;
  constexpr std::uint64_t kPagesPerMib = 256;
  std::uint64_t floor = 0;
  if (pfns < 128 * kPagesPerMib) {
    floor = 8 * kPagesPerMib + pfns / 2;
  } else if (pfns < 512 * kPagesPerMib) {
    floor = 40 * kPagesPerMib + pfns / 4;
  } else if (pfns < 2048 * kPagesPerMib) {
    floor = 104 * kPagesPerMib + pfns / 8;
  } else {
    floor = 296 * kPagesPerMib + pfns / 32;
  }
  return std::min(floor, effective_target());
}

void Model::set_target(std::uint64_t pages) {
  target = std::max(pages, minimum_target());
  work_pending = true;
}

// The allocation plan first, then the zones: GFP_BALLOON takes highmem first.
std::optional<std::uint64_t> Model::allocate(bool highmem_ok) {
  if (alloc_fail > 0) {
    if (alloc_skip > 0) {
      --alloc_skip;
    } else {
      --alloc_fail;
      return std::nullopt;
    }
  }
  if (highmem_ok && free_high > 0) {
    --free_high;
    return 1;
  }
  if (free_low > 0) {
    --free_low;
    return 0;
  }
  return std::nullopt;
}

void Model::fire_in_flight() {
  if (in_flight.empty()) return;
  const auto [action, value] = in_flight.front();
  in_flight.pop_front();
  switch (action) {
    case InFlightAction::set_target:
      set_target(value);
      break;
    case InFlightAction::host_take: {
      const std::uint64_t moved = std::min(value, host_free);
      host_free -= moved;
      host_other += moved;
      break;
    }
    case InFlightAction::host_free: {
      const std::uint64_t moved = std::min(value, host_other);
      host_other -= moved;
      host_free += moved;
      break;
    }
    case InFlightAction::set_max_pages:
      max_pages = std::max(value, tot);
      break;
  }
}

// populate_physmap: the in-flight action, then the answer.
long Model::populate(std::uint64_t asked) {
  fire_in_flight();
  PopulateFault fault{false, ~std::uint64_t{0}};
  if (!populate_faults.empty()) {
    fault = populate_faults.front();
    populate_faults.pop_front();
  }
  if (fault.error) return -static_cast<long>(fault.value);
  const std::uint64_t room = max_pages > tot ? max_pages - tot : 0;
  return static_cast<long>(std::min({asked, host_free, room, fault.value}));
}

// Returns "needs retry".
bool Model::increase(std::uint64_t credit) {
  const std::uint64_t asked = std::min(credit, kBatch);
  const long rc = populate(asked);
  if (rc < 0) return true;
  const auto got = static_cast<std::uint64_t>(rc);
  // Lowmem sits at the head of the list and comes back first.
  const std::uint64_t low = std::min(got, balloon_low);
  balloon_low -= low;
  balloon_high -= got - low;
  free_low += low;
  free_high += got - low;
  host_free -= got;
  tot += got;
  current += got;
  return got != asked;
}

bool Model::decrease(std::uint64_t debit) {
  const std::uint64_t asked = std::min(debit, kBatch);
  std::uint64_t taken = 0;
  bool need_sleep = false;
  for (; taken < asked; ++taken) {
    const std::optional<std::uint64_t> zone = allocate(true);
    if (!zone) {
      need_sleep = true;
      break;
    }
    ++(*zone == 1 ? balloon_high : balloon_low);
  }
  fire_in_flight();
  tot -= taken;
  host_free += taken;
  current -= taken;
  return need_sleep;
}

void Model::work() {
  long credit = 0;
  bool need_sleep = false;
  do {
    credit = static_cast<long>(effective_target() - current);
    if (credit > 0) need_sleep = increase(static_cast<std::uint64_t>(credit));
    if (credit < 0) need_sleep = decrease(static_cast<std::uint64_t>(-credit));
  } while (credit != 0 && !need_sleep);
  if (effective_target() != current) {
    timer_pending = true;
    timer_expires = jiffies + kSecond;
  }
}

void Model::advance(std::uint64_t ticks) {
  const std::uint64_t end = jiffies + std::min(ticks, kMaxWait);
  for (;;) {
    if (timer_pending && timer_expires + timer_late <= jiffies) {
      timer_pending = false;
      timer_late = 0;
      work_pending = true;
    }
    if (work_runnable()) {
      work_pending = false;
      work();
      continue;
    }
    std::uint64_t next = end;
    if (timer_pending) next = std::min(next, timer_expires + timer_late);
    if (work_pending) next = std::min(next, work_blocked_until);
    if (next <= jiffies) break;
    jiffies = next;
  }
}

// Per page: a lowmem allocation, then one frame back to Xen. A failure returns the
// pages given so far to the balloon and lends nothing.
void Model::alloc_empty(std::uint64_t pages) {
  std::uint64_t done = 0;
  bool failed = false;
  for (; done < pages; ++done) {
    if (!allocate(false)) {
      failed = true;
      break;
    }
    fire_in_flight();
    --tot;
    ++host_free;
    --current;
  }
  if (failed) {
    balloon_low += done;
  } else {
    lent.push_back(pages);
  }
  work_pending = true;
}

// A frontend gives back one lent page (which counts through all of them): it joins
// the balloon, and a vector left empty is gone.
void Model::release_driver_page(std::uint64_t which) {
  std::uint64_t pages = 0;
  for (const std::uint64_t count : lent) pages += count;
  if (pages == 0) return;
  which %= pages;
  auto vector = lent.begin();
  while (which >= *vector) {
    which -= *vector;
    ++vector;
  }
  if (--*vector == 0) lent.erase(vector);
  ++balloon_low;
  work_pending = true;
}

void Model::apply(const Event& event) {
  switch (event.kind) {
    case EventKind::set_target:
      set_target(event.value);
      break;
    case EventKind::release_driver_page:
      release_driver_page(event.value);
      break;
    case EventKind::xenstore_target:
    case EventKind::proc_write:
    case EventKind::sysfs_target_kb:
    case EventKind::sysfs_target:
    case EventKind::proc_read:
    case EventKind::driver_allowance:
    case EventKind::decrease_short:
    case EventKind::decrease_error:
    case EventKind::sysfs_knob:     // Linux's driver's knobs and memory outlook: nothing
    case EventKind::mem_pressure:   // that moves the 2.6.18 driver
    case EventKind::online_memory:  // nor does memory hotplug, which it has not
      break;
    case EventKind::alloc_empty:
      alloc_empty(event.value);
      break;
    case EventKind::free_empty:
      if (!lent.empty()) {
        const std::size_t which = event.value % lent.size();
        balloon_low += lent[which];
        lent.erase(lent.begin() + static_cast<std::ptrdiff_t>(which));
        work_pending = true;
      }
      break;
    case EventKind::run_work:
      if (work_runnable()) {
        work_pending = false;
        work();
      }
      break;
    case EventKind::tick:
      advance(event.value);
      break;
    case EventKind::host_take:
    case EventKind::host_free: {
      const bool take = event.kind == EventKind::host_take;
      std::uint64_t& from = take ? host_free : host_other;
      std::uint64_t& to = take ? host_other : host_free;
      const std::uint64_t moved = std::min(event.value, from);
      from -= moved;
      to += moved;
      break;
    }
    case EventKind::set_max_pages:
      max_pages = std::max(event.value, tot);
      break;
    case EventKind::populate_limit:
      if (populate_faults.size() < kMaxArmed) populate_faults.push_back({false, event.value});
      break;
    case EventKind::populate_error:
      if (populate_faults.size() < kMaxArmed) {
        populate_faults.push_back({true, std::clamp<std::uint64_t>(event.value, 1, 4095)});
      }
      break;
    case EventKind::alloc_fail:
      alloc_skip = event.value;
      alloc_fail = event.extra;
      break;
    case EventKind::in_flight:
      if (in_flight.size() < kMaxArmed) {
        in_flight.emplace_back(static_cast<InFlightAction>(event.extra % kInFlightActions),
                               event.value);
      }
      break;
    case EventKind::timer_late:
      timer_late = std::min(event.value, kMaxWait);
      break;
    case EventKind::delay_work:
      work_blocked_until = std::max(work_blocked_until, jiffies + std::min(event.value, kMaxWait));
      break;
  }
}

void Model::heal_and_wait() {
  populate_faults.clear();
  in_flight.clear();
  alloc_skip = alloc_fail = 0;
  timer_late = 0;
  work_blocked_until = jiffies;
  const std::uint64_t reachable = std::min(effective_target(), max_pages);
  if (reachable > tot && host_free < reachable - tot) {
    const std::uint64_t wanted = reachable - tot - host_free;
    const std::uint64_t moved = std::min(wanted, host_other);
    host_other -= moved;
    host_free += wanted;  // what other guests could not give, the host grows by
  }
  advance(2 * kSecond);
}

}  // namespace balloonbench::props
