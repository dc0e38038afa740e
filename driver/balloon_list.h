// The list of ballooned pages. The driver threads it through page->lru; here it is
// a ring of pfns with the same three operations (add at head, add at tail, take from
// head) and a walk from the head. Every operation can be written to a journal, which
// is how the `list` invariant watches the list in time proportional to what changed
// instead of walking it after every step. The ring is one array that doubles when
// full, so that a guest booted with thousands of pages ballooned costs a few
// allocations, not one per block of pages.
#pragma once

#include <cstddef>
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
    if (size_ == ring_.size()) grow();
    head_ = (head_ - 1) & mask();
    ring_[head_] = pfn;
    ++size_;
    record(ListOp::add_head, pfn);
  }
  void add_tail(pfn_t pfn) {
    if (size_ == ring_.size()) grow();
    ring_[(head_ + size_) & mask()] = pfn;
    ++size_;
    record(ListOp::add_tail, pfn);
  }
  // balloon_retrieve's list half: returns false when the list is empty.
  bool take_head(pfn_t& pfn) {
    if (size_ == 0) return false;
    pfn = ring_[head_];
    head_ = (head_ + 1) & mask();
    --size_;
    record(ListOp::take_head, pfn);
    return true;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The i-th page from the head (balloon_first_page / balloon_next_page), i < size().
  pfn_t at(std::size_t i) const { return ring_[(head_ + i) & mask()]; }

  // Hold what `other` holds, in the same places, keeping this list's journal (and its
  // memory, when it is large enough). Not an operation of the list: nothing is
  // journalled.
  void assign_pages(const BalloonList& other) {
    ring_ = other.ring_;
    head_ = other.head_;
    size_ = other.size_;
  }

  // Attach (or detach with nullptr) a journal that receives every operation.
  void set_journal(std::vector<ListOp>* journal) { journal_ = journal; }

 private:
  static constexpr std::size_t kFirstCapacity = 64;

  // The capacity is 0 or a power of two.
  std::size_t mask() const { return ring_.size() - 1; }
  void grow() {
    std::vector<pfn_t> bigger(ring_.empty() ? kFirstCapacity : 2 * ring_.size());
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = at(i);
    ring_.swap(bigger);
    head_ = 0;
  }
  void record(ListOp::Kind kind, pfn_t pfn) {
    if (journal_ != nullptr) journal_->push_back(ListOp{kind, pfn});
  }

  std::vector<pfn_t> ring_;  // pages [head_, head_ + size_) modulo the capacity
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::vector<ListOp>* journal_ = nullptr;
};

}  // namespace balloonbench
