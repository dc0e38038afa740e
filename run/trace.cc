#include "run/trace.h"

namespace balloonbench {
namespace {

std::string n(std::uint64_t value) { return std::to_string(value); }

}  // namespace

// A switch with no default: -Wswitch (an error here) makes every kind have its name.
const char* trace_kind_name(TraceKind kind) {
  switch (kind) {
    case TraceKind::config:
      return "config";
    case TraceKind::event:
      return "event";
    case TraceKind::hypercall:
      return "hypercall";
    case TraceKind::in_flight:
      return "in_flight";
    case TraceKind::timer_armed:
      return "timer_armed";
    case TraceKind::timer_fired:
      return "timer_fired";
    case TraceKind::work_scheduled:
      return "work_scheduled";
    case TraceKind::work_run:
      return "work_run";
    case TraceKind::work_done:
      return "work_done";
    case TraceKind::note:
      return "note";
    case TraceKind::state:
      return "state";
    case TraceKind::violation:
      return "violation";
    case TraceKind::epilogue:
      return "epilogue";
  }
  return "?";
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
  if (state.thread) {
    const ThreadState& thread = *state.thread;
    out += std::string(" | thread ") + bp_state_name(thread.state) +
           (thread.sleeping ? " asleep" : " runnable") + " delay=" + n(thread.schedule_delay) +
           "s retry=" + n(thread.retry_count) + "/" + n(thread.max_retry_count);
    if (thread.target_unpopulated != 0) out += " unpopulated=" + n(thread.target_unpopulated);
  }
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
