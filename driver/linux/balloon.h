// Linux's Xen balloon driver, ported so that it can be read side by side with
// drivers/xen/balloon.c, the stores and the xenstore watch of drivers/xen/xen-balloon.c
// and the helpers of drivers/xen/mem-reservation.c (docs/fidelity.md names the
// release). Memory hotplug (CONFIG_XEN_BALLOON_MEMORY_HOTPLUG) is a choice per guest:
// with it the driver adds memory to balloon up into when the balloon is empty, without
// it (the `#else` branch) it gives up on those pages. The guest's page-offline
// bookkeeping is left out.
//
// The driver balloons from a kernel thread, `balloon_thread`, which waits on
// balloon_thread_wq with a timeout that depends on its state. The bench maps the
// thread onto the environment's work item and timer: the work item pending is the
// thread runnable, balloon_process() runs one pass of its loop up to the next wait,
// and the timer is that wait's timeout (balloon_alarm() ends the wait). A wake-up
// whose condition already holds when the thread goes to wait makes it runnable at
// once, as wait_event_freezable_timeout returns without sleeping.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driver/balloon_list.h"
#include "driver/driver.h"
#include "driver/env.h"
#include "driver/mutation.h"

namespace balloonbench {

class LinuxBalloon final : public Driver, private MemoryHotplugClient {
 public:
  // `mutation` is none or one of variant mainline's; `memory_hotplug` is the kernel's
  // CONFIG_XEN_BALLOON_MEMORY_HOTPLUG.
  LinuxBalloon(Env& env, Mutation mutation = Mutation::none, bool memory_hotplug = false);

  void balloon_init(pfn_t max_pfn, pfn_t nr_pages) override;

  void balloon_set_new_target(std::uint64_t target) override;
  void watch_target(std::string_view value) override;
  // xen_alloc_ballooned_pages and xen_free_ballooned_pages: what backends borrow.
  std::optional<std::vector<pfn_t>> alloc_empty_pages(std::size_t nr_pages) override;
  void free_empty_pages(const std::vector<pfn_t>& pagevec) override;
  long store_target_kb(std::string_view buffer) override;
  long store_target(std::string_view buffer) override;
  // The back-off knobs only: no /proc/xen/balloon, driver allowance or driver pages.
  bool has(OptionalEntry entry) const override;
  long store_backoff_knob(BackoffKnob knob, std::string_view buffer) override;

  void balloon_process() override;  // one pass of balloon_thread's loop
  void balloon_alarm() override;    // the thread's wait timed out

  std::uint64_t current_pages() const override { return stats_.current_pages; }
  std::uint64_t totalram_pages() const override { return totalram_pages_; }
  std::uint64_t target_pages() const override { return stats_.target_pages; }
  std::uint64_t balloon_low() const override { return stats_.balloon_low; }
  std::uint64_t balloon_high() const override { return stats_.balloon_high; }
  std::uint64_t driver_pages() const override { return 0; }
  std::uint64_t hard_limit() const override { return kNoHardLimit; }
  // What the thread aims at: target_pages (the driver has no current_target()).
  std::uint64_t current_target() const override { return stats_.target_pages; }
  std::optional<ThreadState> thread_state() const override;
  std::size_t balloon_list_size() const override { return ballooned_pages_.size(); }
  std::vector<pfn_t> balloon_list_pages() const override;

  void set_list_journal(std::vector<ListOp>* journal) override {
    ballooned_pages_.set_journal(journal);
  }

 private:
  // struct balloon_stats (include/xen/balloon.h): unsigned long fields.
  struct BalloonStats {
    std::uint64_t current_pages = 0;
    std::uint64_t target_pages = 0;
    std::uint64_t target_unpopulated = 0;
    std::uint64_t balloon_low = 0;
    std::uint64_t balloon_high = 0;
    std::uint64_t total_pages = 0;
    std::uint64_t schedule_delay = 0;
    std::uint64_t max_schedule_delay = 0;
    std::uint64_t retry_count = 0;
    std::uint64_t max_retry_count = 0;
  };
  using BpState = ThreadState::Bp;

  void balloon_append(pfn_t pfn);
  std::optional<pfn_t> balloon_retrieve(bool require_lowmem);
  void update_schedule();
  BpState reserve_additional_memory();
  // With memory hotplug: xen_online_page and xen_memory_notifier's MEM_ONLINE.
  void online_page(pfn_t pfn, unsigned order) override;
  void memory_online() override;
  long current_credit() const;
  bool balloon_is_inflated() const;
  BpState increase_reservation(std::uint64_t nr_pages);
  BpState decrease_reservation(std::uint64_t nr_pages, Gfp gfp);
  bool balloon_thread_cond(long credit) const;
  void balloon_thread_wait();
  void wake_up_balloon_thread();
  int add_ballooned_pages(unsigned nr_pages);
  // mem-reservation.c
  int xenmem_reservation_increase(int count);
  int xenmem_reservation_decrease(int count);
  void xenmem_reservation_va_mapping_update(pfn_t pfn, std::uint64_t frame);
  void xenmem_reservation_va_mapping_reset(pfn_t pfn);

  Env& env_;
  const Mutation mutation_;
  const bool memory_hotplug_;

  BalloonStats stats_;
  BpState balloon_state_ = BpState::done;
  std::uint64_t totalram_pages_ = 0;  // the kernel's managed pages
  BalloonList ballooned_pages_;
  std::vector<std::uint64_t> frame_list_;
  bool balloon_mutex_held_ = false;

  // The thread: sleeping in its wait (else runnable), and the credit it read before.
  bool thread_sleeping_ = false;
  long wait_credit_ = 0;

  // watch_target's statics (xen-balloon.c).
  bool watch_fired_ = false;
  long target_diff_ = 0;
};

}  // namespace balloonbench
