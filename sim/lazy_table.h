// Per-pfn and per-frame state for guests of up to hundreds of thousands of pfns, of
// which one run touches a few hundred: LazyTable stores state in pages of
// 2^PageBits entries, made (and filled with each entry's boot state) on first write;
// an entry on no page still has its boot state, which the owner computes (small pages
// suit scattered indices, such as machine frames). LazyStack is a LIFO
// whose bottom is an implicit run of values, so that a free list of any length costs
// nothing until it is popped. Both reset in place for the next run without giving
// back their memory, so a run's cost follows what it touched, not the guest's size.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace balloonbench {

template <class T, unsigned PageBits>
class LazyTable {
 public:
  static constexpr unsigned kPageBits = PageBits;
  static constexpr std::uint64_t kPageEntries = std::uint64_t{1} << kPageBits;

  // Forget every page and cover indices [0, size).
  void reset(std::uint64_t size) {
    for (const std::uint64_t page : used_) directory_[page] = nullptr;
    used_.clear();
    directory_.assign(pages_for(size), nullptr);
  }
  // Become what `other` is: its range, and its written pages in the order they were
  // written, reusing this table's memory.
  void copy_from(const LazyTable& other) {
    for (const std::uint64_t page : used_) directory_[page] = nullptr;
    used_.clear();
    directory_.assign(other.directory_.size(), nullptr);
    for (std::size_t slot = 0; slot < other.used_.size(); ++slot) {
      if (pool_.size() <= slot) pool_.push_back(std::make_unique<T[]>(kPageEntries));
      std::copy(other.pool_[slot].get(), other.pool_[slot].get() + kPageEntries, pool_[slot].get());
      directory_[other.used_[slot]] = pool_[slot].get();
      used_.push_back(other.used_[slot]);
    }
  }
  // Hold memory for `pages` written pages, so that copy_from a table of up to that
  // many allocates nothing.
  void reserve(std::size_t pages) {
    while (pool_.size() < pages) pool_.push_back(std::make_unique<T[]>(kPageEntries));
    used_.reserve(pages);
  }
  // Cover indices [0, size) too, keeping what is there.
  void grow(std::uint64_t size) {
    if (pages_for(size) > directory_.size()) directory_.resize(pages_for(size), nullptr);
  }

  // The stored entry, or nullptr when its page was never written (or is out of range).
  const T* find(std::uint64_t index) const {
    if ((index >> kPageBits) >= directory_.size()) return nullptr;
    const T* page = directory_[index >> kPageBits];
    return page == nullptr ? nullptr : page + (index & (kPageEntries - 1));
  }
  // The entry to write. A new page is filled by fill(first_index, entries, count).
  template <class Fill>
  T& at(std::uint64_t index, Fill&& fill) {
    T*& page = directory_[index >> kPageBits];
    if (page == nullptr) {
      const std::size_t slot = used_.size();
      if (pool_.size() <= slot) pool_.push_back(std::make_unique<T[]>(kPageEntries));
      page = pool_[slot].get();
      used_.push_back(index >> kPageBits);
      fill(index & ~(kPageEntries - 1), page, kPageEntries);
    }
    return page[index & (kPageEntries - 1)];
  }

  // The pages written since the last reset, in the order they were first written.
  const std::vector<std::uint64_t>& pages_used() const { return used_; }
  // Every stored entry, page by page (to renumber stamps, say).
  template <class Visit>
  void for_each_stored(Visit&& visit) {
    for (std::size_t slot = 0; slot < used_.size(); ++slot) {
      for (std::uint64_t i = 0; i < kPageEntries; ++i) visit(pool_[slot][i]);
    }
  }

 private:
  static std::uint64_t pages_for(std::uint64_t size) {
    return (size + kPageEntries - 1) >> kPageBits;
  }

  std::vector<T*> directory_;  // page number -> its entries in pool_, or nullptr
  std::vector<std::unique_ptr<T[]>> pool_;
  std::vector<std::uint64_t> used_;  // page numbers with entries, in pool_ order
};

// A LIFO of 32-bit values. Its bottom is the implicit run map(first), map(first + 1),
// ..., map(first + implicit - 1), with the last of them on top; pushed values sit
// above the run. It pops exactly what a vector built from the run and then the pushes
// would.
class LazyStack {
 public:
  void reset(std::uint64_t first, std::uint64_t implicit) {
    first_ = first;
    implicit_ = implicit;
    pushed_.clear();
  }
  std::uint64_t size() const { return implicit_ + pushed_.size(); }
  bool empty() const { return size() == 0; }
  void push(std::uint32_t value) { pushed_.push_back(value); }
  // Call only when not empty.
  template <class Map>
  std::uint32_t pop(Map&& map) {
    if (!pushed_.empty()) {
      const std::uint32_t value = pushed_.back();
      pushed_.pop_back();
      return value;
    }
    --implicit_;
    return static_cast<std::uint32_t>(map(first_ + implicit_));
  }

 private:
  std::uint64_t first_ = 0;
  std::uint64_t implicit_ = 0;
  std::vector<std::uint32_t> pushed_;
};

}  // namespace balloonbench
