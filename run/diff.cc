#include "run/diff.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "run/trace.h"
#include "run/world.h"

namespace balloonbench {
namespace {

std::string n(std::uint64_t value) { return std::to_string(value); }

std::string list_text(const std::vector<std::uint64_t>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i == 0 ? "" : " ") + n(values[i]);
  return out + "]";
}

// What an entry says, in terms both drivers must agree on. Where a BUG fired is a
// file and line of each driver's own, so a violation compares by its id and a note
// that names a BUG by the words before it.
std::string comparable(const TraceEntry& entry) {
  std::string out = std::string(trace_kind_name(entry.kind)) + " j=" + n(entry.jiffies) + " ";
  switch (entry.kind) {
    case TraceKind::violation:
      return out + invariant_name(entry.violation);
    case TraceKind::hypercall:
      return out + memory_op_name(entry.op) + " asked=" + n(entry.asked) +
             " answer=" + std::to_string(entry.answer) + " in=" + list_text(entry.extents_asked) +
             " out=" + list_text(entry.extents_answered);
    default: {
      // "expected crash: BUG at balloon.cc:400 (...)": the same BUG in either driver.
      const std::size_t bug = entry.text.find("BUG at ");
      if (entry.text.empty()) out.pop_back();
      return out + (bug == std::string::npos ? entry.text : entry.text.substr(0, bug) + "BUG");
    }
  }
}

// One side of a differential run: a World with its trace, and how far it was read.
struct Side {
  Side(const Config& config, Variant variant) : world(config, options(variant, trace)) {}
  static WorldOptions options(Variant variant, Trace& trace) {
    WorldOptions made;
    made.variant = variant;
    made.trace = &trace;
    return made;
  }
  // Entries since the last call, comparable, without the config line (it names the
  // variant).
  std::vector<std::string> next_entries() {
    std::vector<std::string> out;
    const std::vector<TraceEntry>& entries = trace.entries();
    for (; read < entries.size(); ++read) {
      if (entries[read].kind == TraceKind::config) continue;
      out.push_back(comparable(entries[read]));
    }
    return out;
  }

  Trace trace;
  World world;
  std::size_t read = 0;
};

// "<name>: <x> vs <y>" when the two differ.
std::optional<std::string> field(const char* name, std::uint64_t x, std::uint64_t y) {
  if (x == y) return std::nullopt;
  return std::string(name) + ": " + n(x) + " vs " + n(y);
}

// The first fact that differs between the two drivers and their simulations.
std::optional<std::string> compare_state(const World& left, const World& right) {
  const Driver& a = left.core();
  const Driver& b = right.core();
  for (const auto& diff :
       {field("current_pages", a.current_pages(), b.current_pages()),
        field("totalram_pages", a.totalram_pages(), b.totalram_pages()),
        field("target_pages", a.target_pages(), b.target_pages()),
        field("balloon_low", a.balloon_low(), b.balloon_low()),
        field("balloon_high", a.balloon_high(), b.balloon_high()),
        field("driver_pages", a.driver_pages(), b.driver_pages()),
        field("hard_limit", a.hard_limit(), b.hard_limit()),
        field("balloon list length", a.balloon_list_size(), b.balloon_list_size())}) {
    if (diff) return diff;
  }
  if (a.balloon_list_pages() != b.balloon_list_pages()) {
    const std::vector<pfn_t> x = a.balloon_list_pages();
    const std::vector<pfn_t> y = b.balloon_list_pages();
    const auto at = std::mismatch(x.begin(), x.end(), y.begin(), y.end());
    const std::size_t i = static_cast<std::size_t>(at.first - x.begin());
    return "balloon list entry " + n(i) + ": " + (at.first == x.end() ? "end" : n(*at.first)) +
           " vs " + (at.second == y.end() ? "end" : n(*at.second));
  }
  if (a.balloon_read() != b.balloon_read()) {
    return "/proc/xen/balloon reads differ:\n" + a.balloon_read() + "vs\n" + b.balloon_read();
  }

  return machine_difference(left.sim(), right.sim());
}

// The first trace entry of a step that differs, as "<kind>: <left> vs <right>" with
// both entries' words after their kind and jiffies (or "nothing" where a side's step
// ended first): "timer_armed: timer armed for t=100 vs timer armed for t=101".
std::string trace_difference(const std::string* left, const std::string* right) {
  const auto words = [](const std::string* entry) -> std::string {
    if (entry == nullptr) return "nothing";
    const std::size_t jiffies = entry->find(' ');
    const std::size_t after =
        jiffies == std::string::npos ? jiffies : entry->find(' ', jiffies + 1);
    return after == std::string::npos ? *entry : entry->substr(after + 1);
  };
  const std::string* named = left != nullptr ? left : right;
  const std::string kind = named->substr(0, named->find(' '));
  return kind + ": " + words(left) + " vs " + words(right);
}

// "pfn 12 P2M: 3 vs 4" -> "P2M"; "timer_armed: ... vs ..." -> "timer_armed".
std::string fact_of(const std::string& what) {
  std::string fact = what.substr(0, what.find(':'));
  if (fact.rfind("pfn ", 0) == 0) fact = fact.substr(fact.find(' ', 4) + 1);
  if (fact.rfind("balloon list entry", 0) == 0) fact = "balloon list order";
  return fact;
}

}  // namespace

std::optional<std::string> machine_difference(const Sim& x, const Sim& y) {
  for (const auto& diff : {field("tot_pages", x.tot_pages(), y.tot_pages()),
                           field("max_pages", x.max_pages(), y.max_pages()),
                           field("free host frames", x.free_frames(), y.free_frames()),
                           field("other guests' frames", x.other_frames(), y.other_frames()),
                           field("timer pending", x.timer_pending(), y.timer_pending()),
                           field("timer expires", x.timer_pending() ? x.timer_expires() : 0,
                                 y.timer_pending() ? y.timer_expires() : 0),
                           field("work pending", x.work_pending(), y.work_pending()),
                           field("jiffies", x.jiffies(), y.jiffies())}) {
    if (diff) return diff;
  }
  // A pfn neither run wrote still has its boot state in both (one configuration), so
  // only the pfns either wrote are compared, lowest first.
  std::vector<pfn_t> written = x.touched_pfns();
  written.insert(written.end(), y.touched_pfns().begin(), y.touched_pfns().end());
  std::sort(written.begin(), written.end());
  written.erase(std::unique(written.begin(), written.end()), written.end());
  for (const pfn_t pfn : written) {
    if (x.p2m_entry(pfn) == y.p2m_entry(pfn) && x.mapping(pfn) == y.mapping(pfn) &&
        x.page_state(pfn) == y.page_state(pfn) && x.lent(pfn) == y.lent(pfn)) {
      continue;
    }
    const std::string at = "pfn " + n(pfn) + " ";
    if (auto diff = field("P2M", x.p2m_entry(pfn), y.p2m_entry(pfn))) return at + *diff;
    if (auto diff = field("kernel mapping", x.mapping(pfn), y.mapping(pfn))) return at + *diff;
    if (auto diff = field("allocator state", static_cast<std::uint64_t>(x.page_state(pfn)),
                          static_cast<std::uint64_t>(y.page_state(pfn)))) {
      return at + *diff;
    }
    return at + "lent: " + n(x.lent(pfn)) + " vs " + n(y.lent(pfn));
  }
  return std::nullopt;
}

Variant port_of_same_kind(Variant variant) {
  return pre_patch(variant) ? Variant::legacy : Variant::fixed;
}

DiffResult diff_run(const Run& run, Variant left, Variant right) {
  DiffResult result;
  Side a(run.config, left);
  Side b(run.config, right);
  const auto check = [&](Phase phase, std::size_t index) {
    std::vector<std::string> left_step = a.next_entries();
    std::vector<std::string> right_step = b.next_entries();
    std::optional<std::string> what;
    if (left_step != right_step) {
      const auto at =
          std::mismatch(left_step.begin(), left_step.end(), right_step.begin(), right_step.end());
      what = trace_difference(at.first == left_step.end() ? nullptr : &*at.first,
                              at.second == right_step.end() ? nullptr : &*at.second);
    } else if (a.world.outcome() != b.world.outcome()) {
      what = std::string("outcome: ") + outcome_name(a.world.outcome()) + " vs " +
             outcome_name(b.world.outcome());
    } else {
      what = compare_state(a.world, b.world);
    }
    if (what) {
      result.divergence = Divergence{
          phase, index, *what, fact_of(*what), std::move(left_step), std::move(right_step)};
    }
    return !what.has_value();
  };

  if (!check(Phase::boot, 0)) return result;
  for (std::size_t i = 0; i < run.events.size(); ++i) {
    if (a.world.stopped() && b.world.stopped()) break;
    a.world.step(run.events[i]);
    b.world.step(run.events[i]);
    ++result.events_compared;
    if (!check(Phase::event, i)) return result;
  }
  a.world.finish();
  b.world.finish();
  check(Phase::epilogue, run.events.size());
  return result;
}

std::string to_text(const Divergence& divergence, Variant left, Variant right) {
  std::string out = "divergence after " +
                    (divergence.phase == Phase::event
                         ? "event " + n(divergence.event_index)
                         : std::string(divergence.phase == Phase::boot ? "boot" : "the epilogue")) +
                    ": " + divergence.what + "\n";
  std::size_t width = std::string(variant_name(left)).size();
  for (const std::string& line : divergence.left_step) width = std::max(width, line.size());
  width = std::min<std::size_t>(width, 72);
  const auto pad = [width](std::string text) {
    if (text.size() > width) text = text.substr(0, width - 1) + "~";
    return text + std::string(width - text.size(), ' ');
  };
  out += pad(variant_name(left)) + " | " + variant_name(right) + "\n";
  const std::size_t rows = std::max(divergence.left_step.size(), divergence.right_step.size());
  for (std::size_t i = 0; i < rows; ++i) {
    const std::string l = i < divergence.left_step.size() ? divergence.left_step[i] : "";
    const std::string r = i < divergence.right_step.size() ? divergence.right_step[i] : "";
    out += pad(l) + (l == r ? " | " : " X ") +
           (r.size() > width ? r.substr(0, width - 1) + "~" : r) + "\n";
  }
  return out;
}

}  // namespace balloonbench
