// Kernel primitives the ports share. BUG_ON stays on in every build: a tripped
// condition goes to Env::bug, which the simulation reports as the `no-bug` invariant
// (the macro needs an `env_` in scope). balloon_mutex is a flag set for the holder's
// scope: the bench runs one entry point at a time, so the mutex is never contended;
// a port that finds the flag set where it would take the mutex BUGs, since the bench
// re-entered it.
#pragma once

#define BALLOON_BUG_ON(condition)                            \
  do {                                                       \
    if (condition) env_.bug(__FILE__, __LINE__, #condition); \
  } while (0)

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
