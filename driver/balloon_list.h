// The list of ballooned pages. The driver threads it through page->lru; here it is
// a deque of pfns with the same three operations (add at head, add at tail, take
// from head) and a walk from the head. Every operation can be written to a journal,
// which is how the `list` invariant watches the list in time proportional to what
// changed instead of walking it after every step.
#pragma once

#include <cstddef>
#include <deque>
#include <vector>

#include "driver/env.h"

namespace balloonbench {

struct ListOp {
  enum Kind : std::uint8_t { add_head, add_tail, take_head };
  Kind kind;
  pfn_t pfn;
};

class BalloonList {
 public:
  void add_head(pfn_t pfn) {
    pages_.push_front(pfn);
    record(ListOp::add_head, pfn);
  }
  void add_tail(pfn_t pfn) {
    pages_.push_back(pfn);
    record(ListOp::add_tail, pfn);
  }
  // balloon_retrieve's list half: returns false when the list is empty.
  bool take_head(pfn_t& pfn) {
    if (pages_.empty()) return false;
    pfn = pages_.front();
    pages_.pop_front();
    record(ListOp::take_head, pfn);
    return true;
  }

  std::size_t size() const { return pages_.size(); }
  bool empty() const { return pages_.empty(); }
  // The i-th page from the head (balloon_first_page / balloon_next_page).
  pfn_t at(std::size_t i) const { return pages_[i]; }

  // Attach (or detach with nullptr) a journal that receives every operation.
  void set_journal(std::vector<ListOp>* journal) { journal_ = journal; }

 private:
  void record(ListOp::Kind kind, pfn_t pfn) {
    if (journal_ != nullptr) journal_->push_back(ListOp{kind, pfn});
  }

  std::deque<pfn_t> pages_;
  std::vector<ListOp>* journal_ = nullptr;
};

}  // namespace balloonbench
