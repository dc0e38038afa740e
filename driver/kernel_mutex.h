// balloon_mutex, as the ports hold it: a flag set for the holder's scope. The bench
// runs one entry point at a time, so the mutex is never contended; a port that finds
// the flag set where it would take the mutex BUGs, since the bench re-entered it.
#pragma once

namespace balloonbench {

class MutexGuard {
 public:
  explicit MutexGuard(bool& held) : held_(held) { held_ = true; }
  ~MutexGuard() { held_ = false; }
  MutexGuard(const MutexGuard&) = delete;
  MutexGuard& operator=(const MutexGuard&) = delete;

 private:
  bool& held_;
};

}  // namespace balloonbench
