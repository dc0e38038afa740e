#include "run/trace.h"

#include <iterator>

namespace balloonbench {
namespace {

std::string n(std::uint64_t value) { return std::to_string(value); }

}  // namespace

const char* trace_kind_name(TraceKind kind) {
  static constexpr const char* kNames[] = {
      "config",      "event",          "hypercall", "in_flight", "timer_armed",
      "timer_fired", "work_scheduled", "work_run",  "work_done", "note",
      "state",       "violation",      "epilogue"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(TraceKind::epilogue) + 1,
                "every TraceKind needs its name, in order");
  return kNames[static_cast<std::size_t>(kind)];
}

const char* memory_op_name(MemoryOp op) {
  return op == MemoryOp::populate_physmap ? "populate_physmap" : "decrease_reservation";
}

std::string to_text(const StateSnapshot& state) {
  std::string out = "current=" + n(state.current_pages) + " target=" + n(state.target_pages) +
                    " effective=" + n(state.effective_target) +
                    " balloon=" + n(state.balloon_low + state.balloon_high) + " (" +
                    n(state.balloon_low) + " low, " + n(state.balloon_high) + " high)" +
                    " | xen tot=" + n(state.tot_pages) + " max=" + n(state.max_pages) +
                    " host_free=" + n(state.host_free);
  if (state.driver_pages != 0)
    out += " driver=" + std::to_string(static_cast<std::int64_t>(state.driver_pages));
  if (state.hard_limit != kNoHardLimit) out += " hard_limit=" + n(state.hard_limit);
  out += state.timer_pending ? " | timer@" + n(state.timer_expires) : std::string(" | no timer");
  if (state.work_pending) out += " work pending";
  return out;
}

std::string Trace::to_text() const {
  std::string out;
  for (const TraceEntry& entry : entries_) {
    switch (entry.kind) {
      case TraceKind::config:
      case TraceKind::epilogue:
        out += entry.text;
        break;
      case TraceKind::event:
        out += "#" + n(entry.event_index) + " t=" + n(entry.jiffies) + " " + entry.text;
        break;
      case TraceKind::violation:
        out += "VIOLATION " + entry.text;
        break;
      case TraceKind::state:
        out += "    = " + balloonbench::to_text(entry.state);
        break;
      default:
        out += "    " + entry.text;
        break;
    }
    out += '\n';
  }
  return out;
}

}  // namespace balloonbench
