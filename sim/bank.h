// The machine frames of a host that several simulated guests share (run/host.h): how
// many are free, how many the rest of the host holds (domains outside the bench, such
// as dom0) and how many there are. A guest's Sim attached to a bank takes every frame
// a populate gives from it and gives every frame a decrease frees back to it, so that
// one guest's decrease is another guest's supply. The guests' own holdings are their
// Sims' tot_pages; the host checks that the four add up (`host-frames`).
#pragma once

#include <algorithm>
#include <cstdint>

namespace balloonbench {

class FrameBank {
 public:
  void reset(std::uint64_t free, std::uint64_t rest, std::uint64_t guests_hold) {
    free_ = free;
    rest_ = rest;
    total_ = free + rest + guests_hold;
  }

  std::uint64_t free() const { return free_; }
  std::uint64_t rest() const { return rest_; }
  std::uint64_t total() const { return total_; }

  // One free frame goes to a guest; call only when free() > 0.
  void take() { --free_; }
  // One frame a guest gave back.
  void give() { ++free_; }
  // The rest of the host takes up to `frames` free frames, or gives up to `frames` of
  // its own back; each returns how many moved.
  std::uint64_t rest_take(std::uint64_t frames) {
    const std::uint64_t moved = std::min(frames, free_);
    free_ -= moved;
    rest_ += moved;
    return moved;
  }
  std::uint64_t rest_give(std::uint64_t frames) {
    const std::uint64_t moved = std::min(frames, rest_);
    rest_ -= moved;
    free_ += moved;
    return moved;
  }

 private:
  std::uint64_t free_ = 0;
  std::uint64_t rest_ = 0;
  std::uint64_t total_ = 0;

  // Lets the host check's own test lose a frame (tests/ only).
  friend struct FrameBankTestPeer;
};

}  // namespace balloonbench
