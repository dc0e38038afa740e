// The shim's state for the one `source` driver alive at a time: the environment its
// kernel calls go to, mem_map, and what the driver registered with the kernel (its
// timer, work item, xenstore watch and /proc entry). kernel.cc implements the kernel
// over it; source_driver.cc drives the driver through it.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "driver/balloon_list.h"
#include "driver/env.h"
#include "driver/shim/include/bbshim/types.h"

namespace balloonbench::shim {

struct Context {
  Env* env = nullptr;
  std::vector<page> pages;  // mem_map
  std::vector<std::uint8_t> on_balloon;
  list_head* balloon_head = nullptr;  // the one list of pages the driver keeps
  std::uint64_t balloon_count = 0;
  std::vector<ListOp>* journal = nullptr;
  timer_list* timer = nullptr;
  work_struct* work = nullptr;
  xenbus_watch* watch = nullptr;
  proc_dir_entry proc{};
  bool proc_created = false;
  std::string xenstore_target;  // memory/target as xenbus_scanf reads it
  // The driver's kmalloc()ed blocks not yet kfree()d, and whether it stopped at a BUG:
  // a kernel that BUGs keeps its memory, which goes with the driver.
  std::set<void*> allocations;
  bool crashed = false;
};

// The live context; only valid while a SourceDriver exists.
Context& context();
// Claims the context for a new driver (throws std::logic_error if one is alive) and
// empties it; release gives it up.
void claim(Env& env);
void release();

// The pfn of a struct page inside mem_map, or false for any other address.
bool pfn_of(const list_head* entry, pfn_t& pfn);

}  // namespace balloonbench::shim
