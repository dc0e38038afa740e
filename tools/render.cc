#include "tools/render.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace balloonbench {
namespace {

using nlohmann::json;

json thread_json(const ThreadState& t) {
  return json{{"state", bp_state_name(t.state)},
              {"sleeping", t.sleeping},
              {"schedule_delay", t.schedule_delay},
              {"max_schedule_delay", t.max_schedule_delay},
              {"retry_count", t.retry_count},
              {"max_retry_count", t.max_retry_count},
              {"target_unpopulated", t.target_unpopulated}};
}

json state_json(const StateSnapshot& s) {
  return json{{"jiffies", s.jiffies},
              {"current_pages", s.current_pages},
              {"target_pages", s.target_pages},
              {"effective_target", s.effective_target},
              {"balloon_low", s.balloon_low},
              {"balloon_high", s.balloon_high},
              {"driver_pages", static_cast<std::int64_t>(s.driver_pages)},
              {"hard_limit", s.hard_limit == kNoHardLimit ? json(nullptr) : json(s.hard_limit)},
              {"tot_pages", s.tot_pages},
              {"max_pages", s.max_pages},
              {"host_free", s.host_free},
              {"timer_pending", s.timer_pending},
              {"timer_expires", s.timer_expires},
              {"work_pending", s.work_pending},
              {"thread", s.thread ? thread_json(*s.thread) : json(nullptr)}};
}

json entry_json(const TraceEntry& entry) {
  json out{{"kind", trace_kind_name(entry.kind)},
           {"phase", phase_name(entry.phase)},
           {"event", entry.event_index},
           {"jiffies", entry.jiffies}};
  if (entry.kind == TraceKind::hypercall) {
    out["op"] = memory_op_name(entry.op);
    out["asked"] = entry.asked;
    out["answer"] = entry.answer;
    out["extents_asked"] = entry.extents_asked;
    out["extents_answered"] = entry.extents_answered;
  }
  if (entry.kind == TraceKind::state || entry.kind == TraceKind::work_done) {
    out["state"] = state_json(entry.state);
  }
  if (entry.kind == TraceKind::violation) out["invariant"] = invariant_name(entry.violation);
  if (!entry.text.empty()) out["text"] = entry.text;
  return out;
}

json config_json(const Config& c) {
  return json{{"max_pfn", c.max_pfn},
              {"nr_pages", c.nr_pages},
              {"max_low_pfn", c.max_low_pfn},
              {"auto_translated", c.auto_translated},
              {"max_pages", c.max_pages},
              {"host_free", c.host_free},
              {"host_other", c.host_other},
              {"contract_breaks", c.contract_breaks},
              {"memory_hotplug", c.memory_hotplug}};
}

}  // namespace

std::string verdict_text(const RunResult& result) {
  switch (result.outcome) {
    case Outcome::clean:
      return "clean";
    case Outcome::violation:
      return "violation: " + to_text(result.violations.front());
    case Outcome::expected_crash:
      return "expected crash: " + result.expected_crash;
  }
  return "?";
}

std::string run_json(const std::string& input, const Run& run, const WorldOptions& options,
                     const RunResult& result, const Trace& trace, const std::string& reproduce) {
  json violations = json::array();
  for (const Violation& violation : result.violations) violations.push_back(to_json(violation));
  json verdict{{"outcome", outcome_name(result.outcome)},
               {"violations", std::move(violations)},
               {"expected_crash",
                result.expected_crash.empty() ? json(nullptr) : json(result.expected_crash)},
               {"converge_judged", result.converge_judged},
               {"reproduce", reproduce}};
  if (result.outcome == Outcome::violation) {
    Failure failure =
        invariant_failure(run, result.violations.front(), options.variant, options.mutation);
    failure.reproduce = reproduce;
    verdict["failure"] = to_json(failure);
  }
  json entries = json::array();
  for (const TraceEntry& entry : trace.entries()) entries.push_back(entry_json(entry));
  const json out{
      {"input", input},
      {"variant", variant_name(options.variant)},
      {"mutant",
       options.mutation == Mutation::none ? json(nullptr) : json(mutation_name(options.mutation))},
      {"config", config_json(run.config)},
      {"events", run.events.size()},
      {"verdict", std::move(verdict)},
      {"trace", std::move(entries)}};
  // Names and texts may hold any byte; replace what is not UTF-8 rather than fail.
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The timeline. Builder walks the trace into steps (a Story), lays the canvas out in
// regions from top to bottom, draws each region and asks for its texts; then the texts
// are placed by priority, each only where it overlaps no text placed before it and no
// mark it must not hide. Whatever finds no room is left out (tick labels thin out,
// value labels vanish in long runs); the title, the verdict and the violation are
// asked for first.

namespace {

constexpr double kWidth = 1100;
constexpr double kPad = 10;
constexpr double kPlotHeight = 250;
constexpr double kOffScale = 14;      // the strip atop the plot for counts above pages_high
constexpr double kGlyphWidth = 0.65;  // of the font size: wider than most glyphs
constexpr double kAscent = 0.95;      // of the font size, above the baseline
constexpr double kDescent = 0.3;      // below it
constexpr std::size_t kStepLabelGlyphs = 30;
constexpr std::size_t kTooltipLines = 60;

double d(std::uint64_t value) { return static_cast<double>(value); }

std::string fmt(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

// The length of the UTF-8 sequence at `at` if it is a character XML may hold, else 0.
std::size_t xml_char_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned lead = byte(0);
  if (lead < 0x80) return lead >= 0x20 || lead == '\t' ? 1 : 0;
  std::size_t length = 0;
  unsigned low = 0x80;
  unsigned high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    low = lead == 0xE0 ? 0xA0 : low;
    high = lead == 0xED ? 0x9F : high;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    low = lead == 0xF0 ? 0x90 : low;
    high = lead == 0xF4 ? 0x8F : high;
  }
  if (length == 0 || at + length > text.size() || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
  }
  if (lead == 0xEF && byte(1) == 0xBF && byte(2) >= 0xBE) return 0;  // U+FFFE, U+FFFF
  return length;
}

// Text an XML document can hold: names and event bytes may be anything, so a byte that
// starts no such character becomes '?'.
std::string clean_text(std::string_view text) {
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = xml_char_length(text, at);
    if (length == 0) {
      out += '?';
      ++at;
    } else {
      out.append(text.substr(at, length));
      at += length;
    }
  }
  return out;
}

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::size_t glyphs(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !continuation(c); }));
}

std::string first_glyphs(std::string_view text, std::size_t count) {
  std::size_t seen = 0;
  for (std::size_t at = 0; at < text.size(); ++at) {
    if (continuation(text[at])) continue;
    if (seen == count) return std::string(text.substr(0, at));
    ++seen;
  }
  return std::string(text);
}

// At most `count` characters, the last an ellipsis when something was cut.
std::string shorten(std::string_view text, std::size_t count) {
  if (glyphs(text) <= count) return std::string(text);
  return first_glyphs(text, count > 0 ? count - 1 : 0) + "\u2026";
}

double text_width(std::string_view text, double size) {
  return d(glyphs(clean_text(text))) * size * kGlyphWidth;
}

// Clean text broken at spaces into lines of at most `per_line` characters, at most
// `max_lines` of them; the last ends in an ellipsis when the text goes on.
std::vector<std::string> wrap(std::string_view text, std::size_t per_line, std::size_t max_lines) {
  std::vector<std::string> lines;
  std::string line;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t end = text.find(' ', at);
    if (end == std::string_view::npos) end = text.size();
    std::string word(text.substr(at, end - at));
    at = end + 1;
    while (glyphs(word) > per_line) {
      if (!line.empty()) lines.push_back(std::exchange(line, {}));
      lines.push_back(first_glyphs(word, per_line));
      word.erase(0, lines.back().size());
    }
    if (line.empty()) {
      line = word;
    } else if (glyphs(line) + 1 + glyphs(word) <= per_line) {
      line += " " + word;
    } else {
      lines.push_back(std::exchange(line, word));
    }
  }
  if (!line.empty()) lines.push_back(line);
  if (lines.size() > max_lines) {
    lines.resize(max_lines);
    lines.back() = shorten(lines.back() + " \u2026", per_line);
  }
  return lines;
}

// Texts placed one by one, each only inside the canvas and clear of every text placed
// before it and of the marks it must not hide.
class Placer {
 public:
  Placer(Box canvas, std::vector<Box> obstacles)
      : canvas_(canvas), obstacles_(std::move(obstacles)) {}

  bool place(PlacedText text) {
    text.text = clean_text(text.text);
    text.box = text_box(text);
    if (!canvas_.contains(text.box)) return false;
    for (const Box& box : obstacles_) {
      if (box.overlaps(text.box)) return false;
    }
    for (const PlacedText& placed : placed_) {
      if (placed.box.overlaps(text.box)) return false;
    }
    placed_.push_back(std::move(text));
    return true;
  }

  std::vector<PlacedText> take() { return std::move(placed_); }

 private:
  Box canvas_;
  std::vector<Box> obstacles_;
  std::vector<PlacedText> placed_;
};

}  // namespace

bool Box::overlaps(const Box& other) const {
  return x0 < other.x1 && other.x0 < x1 && y0 < other.y1 && other.y0 < y1;
}

bool Box::contains(const Box& inner) const {
  return inner.x0 >= x0 && inner.x1 <= x1 && inner.y0 >= y0 && inner.y1 <= y1;
}

Box text_box(const PlacedText& text) {
  const double length = d(glyphs(text.text)) * text.size * kGlyphWidth;
  const double before = text.anchor == TextAnchor::start    ? 0
                        : text.anchor == TextAnchor::middle ? length / 2
                                                            : length;
  const double ascent = text.size * kAscent;
  const double descent = text.size * kDescent;
  if (!text.upright) {
    return Box{text.x - before, text.y - ascent, text.x - before + length, text.y + descent};
  }
  // Turned a quarter anticlockwise, the text runs upwards and its ascent points left.
  return Box{text.x - ascent, text.y - (length - before), text.x + descent, text.y + before};
}

double TimelineLayout::y_of(std::uint64_t pages) const {
  if (pages > pages_high) return plot.y0 + kOffScale / 2;
  const double top = plot.y0 + kOffScale;
  const double span = d(std::max<std::uint64_t>(pages_high - pages_low, 1));
  const double above_low = pages > pages_low ? d(pages - pages_low) : 0;
  return plot.y1 - (plot.y1 - top) * above_low / span;
}

namespace {

// What happened in one step, in trace order.
struct Step {
  TimelineColumn column;
  std::vector<const TraceEntry*> slots;  // the entries drawn at a point of the step
  std::vector<std::string> tooltip;      // the trace lines of the step
  bool opened_by_timer = false;
  bool work_ran = false;
  bool epilogue_end = false;
};

// Where a violation was found: the step, and the point in it.
struct Found {
  const TraceEntry* entry = nullptr;
  std::size_t step = 0;
  std::size_t slot = kNoColumn;  // kNoColumn: the step as a whole
};

struct Story {
  const TraceEntry* config = nullptr;
  std::vector<Step> steps;
  std::vector<Found> violations;
};

bool drawn_at_a_point(TraceKind kind) {
  switch (kind) {
    case TraceKind::event:
    case TraceKind::hypercall:
    case TraceKind::in_flight:
    case TraceKind::timer_armed:
    case TraceKind::timer_fired:
    case TraceKind::work_scheduled:
    case TraceKind::work_run:
    case TraceKind::work_done:
    case TraceKind::state:
      return true;
    case TraceKind::config:
    case TraceKind::note:
    case TraceKind::violation:
    case TraceKind::epilogue:
      return false;
  }
  return false;
}

bool has_state(const TraceEntry& entry) {
  return entry.kind == TraceKind::state || entry.kind == TraceKind::work_done;
}

void open_step(Story& story, Phase phase, std::size_t event_index, std::string label,
               std::uint64_t jiffies) {
  Step step;
  step.column.phase = phase;
  step.column.event_index = event_index;
  step.column.label = std::move(label);
  step.column.t_start = story.steps.empty() ? jiffies : story.steps.back().column.t_end;
  step.column.t_end = step.column.t_start;
  story.steps.push_back(std::move(step));
}

// The steps entries open: boot, each event, and in the epilogue the heal, each timer
// firing, each work run the timer did not start, and the end (the first entry after
// the last of those that finds time moved on, or the final state).
void open_step_for(Story& story, const TraceEntry& entry) {
  if (story.steps.empty() && entry.kind != TraceKind::event) {
    open_step(story, Phase::boot, 0, "boot", entry.jiffies);
  }
  const Step* current = story.steps.empty() ? nullptr : &story.steps.back();
  const bool in_epilogue = current != nullptr && current->column.phase == Phase::epilogue;
  switch (entry.kind) {
    case TraceKind::event:
      open_step(story, Phase::event, entry.event_index,
                "#" + std::to_string(entry.event_index) + " " + entry.text, entry.jiffies);
      break;
    case TraceKind::epilogue:
      open_step(story, Phase::epilogue, entry.event_index, "heal", entry.jiffies);
      break;
    case TraceKind::timer_fired:
      if (!in_epilogue) break;
      open_step(story, Phase::epilogue, entry.event_index, "timer", entry.jiffies);
      story.steps.back().opened_by_timer = true;
      break;
    case TraceKind::work_run:
      if (in_epilogue && !(current->opened_by_timer && !current->work_ran)) {
        open_step(story, Phase::epilogue, entry.event_index, "work", entry.jiffies);
      }
      story.steps.back().work_ran = true;
      break;
    default:
      if (!in_epilogue || current->epilogue_end) break;
      if (entry.kind == TraceKind::state || entry.jiffies > current->column.t_end) {
        open_step(story, Phase::epilogue, entry.event_index, "end", entry.jiffies);
        story.steps.back().epilogue_end = true;
      }
      break;
  }
}

std::string trace_line(const TraceEntry& entry) {
  switch (entry.kind) {
    case TraceKind::event:
      return "#" + std::to_string(entry.event_index) + " t=" + std::to_string(entry.jiffies) + " " +
             entry.text;
    case TraceKind::state:
      return "= " + to_text(entry.state);
    default:
      return entry.text;
  }
}

// The k-th violation was found just before the first entry drawn at a point that counts
// more than k (a hypercall's answer, a work run's end, a step's state); one the checks
// found after the last of those (the final scan) gets a step of its own.
void place_violations(Story& story, const std::vector<const TraceEntry*>& violations) {
  for (std::size_t k = 0; k < violations.size(); ++k) {
    Found found{violations[k], kNoColumn, kNoColumn};
    for (std::size_t i = 0; i < story.steps.size() && found.step == kNoColumn; ++i) {
      const std::vector<const TraceEntry*>& slots = story.steps[i].slots;
      for (std::size_t s = 0; s < slots.size(); ++s) {
        if (slots[s]->violations_found > k) {
          found.step = i;
          found.slot = s;
          break;
        }
      }
    }
    if (found.step == kNoColumn) {
      if (story.steps.empty() || story.steps.back().column.label != "scan") {
        open_step(story, violations[k]->phase, violations[k]->event_index, "scan",
                  violations[k]->jiffies);
      }
      found.step = story.steps.size() - 1;
    }
    story.steps[found.step].tooltip.push_back("VIOLATION " + violations[k]->text);
    story.violations.push_back(found);
  }
}

Story collect(const Trace& trace) {
  Story story;
  std::vector<const TraceEntry*> violations;
  for (const TraceEntry& entry : trace.entries()) {
    if (entry.kind == TraceKind::config) {
      story.config = &entry;
      continue;
    }
    if (entry.kind == TraceKind::violation) {
      violations.push_back(&entry);
      continue;
    }
    open_step_for(story, entry);
    Step& step = story.steps.back();
    if (drawn_at_a_point(entry.kind)) step.slots.push_back(&entry);
    const std::uint64_t jiffies = has_state(entry) ? entry.state.jiffies : entry.jiffies;
    step.column.t_end = std::max(step.column.t_end, jiffies);
    if (step.tooltip.size() < kTooltipLines) step.tooltip.push_back(trace_line(entry));
  }
  place_violations(story, violations);
  return story;
}

// What the legend can explain, in its order.
enum class Key : std::uint8_t {
  current,
  effective,
  target,
  hard_limit,
  max_pages,
  tot_pages,
  set_target,
  xenstore,
  proc_write,
  sysfs_write,
  in_flight,
  host_take,
  host_free,
  set_max_pages,
  fault,
  other_event,
  call_full,
  call_short,
  call_none,
  call_error,
  timer_armed,
  timer_fired,
  timer_pending,
  work_scheduled,
  work_run,
  thread_done,
  thread_wait,
  thread_eagain,
  thread_ecanceled,
  time_passes,
  violation,
  expected_crash,
};
constexpr std::size_t kKeys = static_cast<std::size_t>(Key::expected_crash) + 1;

enum class Glyph : std::uint8_t { line, circle, square, diamond, up, down, bar, band };

struct Style {
  Glyph glyph;
  const char* fill;
  const char* stroke;
  const char* legend;
};

Style style(Key key) {
  switch (key) {
    case Key::current:
      return {Glyph::line, "none", "#d62728", "current_pages"};
    case Key::effective:
      return {Glyph::line, "none", "#74c476", "effective target"};
    case Key::target:
      return {Glyph::line, "none", "#1f77b4", "target_pages"};
    case Key::hard_limit:
      return {Glyph::line, "none", "#9467bd", "hard limit (latched)"};
    case Key::max_pages:
      return {Glyph::line, "none", "#8c8c8c", "max_pages (Xen's cap)"};
    case Key::tot_pages:
      return {Glyph::line, "none", "#000", "tot_pages (Xen's count)"};
    case Key::set_target:
      return {Glyph::circle, "#1f77b4", "#1f77b4", "set_target"};
    case Key::xenstore:
      return {Glyph::square, "#1f77b4", "#1f77b4", "xenstore memory/target"};
    case Key::proc_write:
      return {Glyph::diamond, "#1f77b4", "#1f77b4", "/proc/xen/balloon write"};
    case Key::sysfs_write:
      return {Glyph::up, "#1f77b4", "#1f77b4", "sysfs target write"};
    case Key::in_flight:
      return {Glyph::up, "#fff", "#e377c2", "in flight, mid-hypercall"};
    case Key::host_take:
      return {Glyph::down, "#ff7f0e", "#ff7f0e", "another guest takes frames"};
    case Key::host_free:
      return {Glyph::up, "#2ca02c", "#2ca02c", "other guests free frames"};
    case Key::set_max_pages:
      return {Glyph::diamond, "#8c8c8c", "#8c8c8c", "max_pages set"};
    case Key::fault:
      return {Glyph::diamond, "#e377c2", "#e377c2", "fault armed"};
    case Key::other_event:
      return {Glyph::circle, "#bbb", "#777", "other event"};
    case Key::call_full:
      return {Glyph::bar, "#555", "#555", "answered in full"};
    case Key::call_short:
      return {Glyph::bar, "#ff7f0e", "#ff7f0e", "answered short"};
    case Key::call_none:
      return {Glyph::bar, "#fff", "#d62728", "answered 0"};
    case Key::call_error:
      return {Glyph::bar, "#8b0000", "#8b0000", "answered an error"};
    case Key::timer_armed:
      return {Glyph::down, "#fff", "#444", "timer armed"};
    case Key::timer_fired:
      return {Glyph::down, "#444", "#444", "timer fires"};
    case Key::timer_pending:
      return {Glyph::band, "#c7c7c7", "none", "timer pending"};
    case Key::work_scheduled:
      return {Glyph::square, "#fff", "#17becf", "work scheduled"};
    case Key::work_run:
      return {Glyph::square, "#17becf", "#17becf", "work runs"};
    case Key::thread_done:
      return {Glyph::band, "#c7e9c0", "none", "thread BP_DONE"};
    case Key::thread_wait:
      return {Glyph::band, "#c6dbef", "none", "thread BP_WAIT"};
    case Key::thread_eagain:
      return {Glyph::band, "#fdd0a2", "none", "thread BP_EAGAIN (back-off)"};
    case Key::thread_ecanceled:
      return {Glyph::band, "#d9d9d9", "none", "thread BP_ECANCELED"};
    case Key::time_passes:
      return {Glyph::band, "#e3edf9", "none", "virtual time passes"};
    case Key::violation:
      return {Glyph::line, "none", "#c00", "violation found"};
    case Key::expected_crash:
      return {Glyph::line, "none", "#d67f00", "expected crash"};
  }
  return {Glyph::circle, "#000", "#000", "?"};
}

// A line of pages over the steps; kNoHardLimit means "not there".
struct SeriesSpec {
  Key key;
  const char* name;
  const char* dash;
  double width;
  const char* opacity;
  bool focus;  // the plot's range covers it (Xen's cap may lie far above the run)
  std::uint64_t (*get)(const StateSnapshot&);
};

// Drawn in this order, so current_pages lies on top. The effective target is a broad
// pale line that the target's dashes and current_pages show on when they reach it; the
// hard limit a broad translucent band, seen even where current_pages runs along it.
const SeriesSpec kSeries[] = {
    {Key::max_pages, "max_pages", "2,3", 1.5, "1", false,
     [](const StateSnapshot& s) { return s.max_pages; }},
    {Key::effective, "effective target", "", 5, "1", true,
     [](const StateSnapshot& s) { return s.effective_target; }},
    {Key::target, "target_pages", "7,4", 2, "1", true,
     [](const StateSnapshot& s) { return s.target_pages; }},
    {Key::tot_pages, "tot_pages", "1,2", 1.5, "1", true,
     [](const StateSnapshot& s) { return s.tot_pages; }},
    {Key::hard_limit, "hard limit", "", 9, "0.4", true,
     [](const StateSnapshot& s) { return s.hard_limit; }},
    {Key::current, "current_pages", "", 2, "1", true,
     [](const StateSnapshot& s) { return s.current_pages; }},
};

// Every event is drawn in one lane; a tick is drawn as time passing, a run_work as the
// work run it starts.
enum class LaneKind : std::uint8_t {
  target_writes,
  host,
  fault,
  populate,
  decrease,
  timer,
  work,
  thread,
  other
};

struct Lane {
  LaneKind kind;
  EventKind fault = EventKind::populate_limit;  // LaneKind::fault: which fault
  std::string name;
  double y0 = 0, y1 = 0;
  double middle() const { return (y0 + y1) / 2; }
};

std::optional<LaneKind> lane_of(EventKind kind) {
  switch (kind) {
    case EventKind::set_target:
    case EventKind::xenstore_target:
    case EventKind::proc_write:
    case EventKind::sysfs_target_kb:
    case EventKind::sysfs_target:
      return LaneKind::target_writes;
    case EventKind::host_take:
    case EventKind::host_free:
    case EventKind::set_max_pages:
      return LaneKind::host;
    case EventKind::populate_limit:
    case EventKind::populate_error:
    case EventKind::alloc_fail:
    case EventKind::in_flight:
    case EventKind::timer_late:
    case EventKind::delay_work:
    case EventKind::decrease_short:
    case EventKind::decrease_error:
    case EventKind::mem_pressure:
      return LaneKind::fault;
    case EventKind::sysfs_knob:
    case EventKind::proc_read:
    case EventKind::driver_allowance:
    case EventKind::alloc_empty:
    case EventKind::free_empty:
    case EventKind::release_driver_page:
    case EventKind::online_memory:
      return LaneKind::other;
    case EventKind::run_work:
    case EventKind::tick:
      return std::nullopt;
  }
  return std::nullopt;
}

Key key_of(EventKind kind) {
  switch (kind) {
    case EventKind::set_target:
      return Key::set_target;
    case EventKind::xenstore_target:
      return Key::xenstore;
    case EventKind::proc_write:
      return Key::proc_write;
    case EventKind::sysfs_target_kb:
    case EventKind::sysfs_target:
      return Key::sysfs_write;
    case EventKind::host_take:
      return Key::host_take;
    case EventKind::host_free:
      return Key::host_free;
    case EventKind::set_max_pages:
      return Key::set_max_pages;
    default:
      return lane_of(kind) == LaneKind::fault ? Key::fault : Key::other_event;
  }
}

InFlightAction action_of(const Event& event) {
  return static_cast<InFlightAction>(event.extra % kInFlightActions);
}

// The short label drawn beside an event's mark.
std::string event_value(const Event& event) {
  const std::string value = std::to_string(event.value);
  switch (event.kind) {
    case EventKind::set_target:
      return value;
    case EventKind::xenstore_target:
    case EventKind::proc_write:
    case EventKind::sysfs_target_kb:
    case EventKind::sysfs_target:
      return shorten(quote_bytes(event.bytes), 14);
    case EventKind::host_take:
      return "-" + value;
    case EventKind::host_free:
      return "+" + value;
    case EventKind::set_max_pages:
      return "max " + value;
    case EventKind::populate_limit:
      return "\u2264" + value;
    case EventKind::populate_error:
      return "-" + value;
    case EventKind::alloc_fail:
      return "after " + value + " fail " + std::to_string(event.extra);
    case EventKind::in_flight:
      return std::string(in_flight_name(action_of(event))) + " " + value;
    case EventKind::timer_late:
      return "+" + value + " j";
    case EventKind::delay_work:
      return value + " j";
    case EventKind::decrease_short:
      return "answers " + value;
    case EventKind::decrease_error:
      return "answers -" + value;
    case EventKind::driver_allowance:
      return "allowance " + std::to_string(static_cast<std::int64_t>(event.value));
    case EventKind::sysfs_knob:
      return std::string(backoff_knob_name(static_cast<BackoffKnob>(event.value % kBackoffKnobs))) +
             " " + shorten(quote_bytes(event.bytes), 10);
    case EventKind::mem_pressure:
      return "holds " + value;
    case EventKind::proc_read:
    case EventKind::alloc_empty:
    case EventKind::free_empty:
    case EventKind::release_driver_page:
    case EventKind::run_work:
    case EventKind::tick:
    case EventKind::online_memory:
      return event_kind_name(event.kind);
  }
  return {};
}

// Labels are asked for in this order; an earlier one wins the room.
enum class Priority : std::uint8_t {
  header,
  legend,
  axis,
  lane,
  violation,
  range,
  line_end,
  tick,
  key_step,
  step,
  value,
  time,
};

struct Request {
  Priority priority;
  std::vector<PlacedText> candidates;  // the first that fits is placed
};

PlacedText label(std::string text, double x, double y, double size,
                 TextAnchor anchor = TextAnchor::start, std::string colour = "#222") {
  PlacedText out;
  out.text = std::move(text);
  out.x = x;
  out.y = y;
  out.size = size;
  out.anchor = anchor;
  out.colour = std::move(colour);
  return out;
}

Shape shape(std::string role, std::size_t column, double x, double y, std::string element,
            std::vector<std::pair<std::string, std::string>> attributes, std::string tooltip = {}) {
  return Shape{std::move(role),   column, x, y, std::move(element), std::move(attributes),
               std::move(tooltip)};
}

Shape rect(std::string role, std::size_t column, Box box, std::string fill, std::string stroke,
           std::string tooltip = {}) {
  return shape(std::move(role), column, box.x0, box.y0, "rect",
               {{"x", fmt(box.x0)},
                {"y", fmt(box.y0)},
                {"width", fmt(std::max(box.x1 - box.x0, 0.0))},
                {"height", fmt(std::max(box.y1 - box.y0, 0.0))},
                {"fill", std::move(fill)},
                {"stroke", std::move(stroke)}},
               std::move(tooltip));
}

Shape line(std::string role, double x1, double y1, double x2, double y2, std::string stroke,
           double width = 1, std::string dash = {}) {
  std::vector<std::pair<std::string, std::string>> attributes{
      {"x1", fmt(x1)}, {"y1", fmt(y1)},    {"x2", fmt(x2)},
      {"y2", fmt(y2)}, {"stroke", stroke}, {"stroke-width", fmt(width)}};
  if (!dash.empty()) attributes.emplace_back("stroke-dasharray", dash);
  return shape(std::move(role), kNoColumn, x1, y1, "line", std::move(attributes));
}

// A mark of `key`'s glyph centred on (x, y), `size` across.
Shape glyph(Key key, std::string role, std::size_t column, double x, double y, double size,
            std::string tooltip = {}) {
  const Style look = style(key);
  const double h = size / 2;
  std::string path;
  switch (look.glyph) {
    case Glyph::circle:
      return shape(std::move(role), column, x, y, "circle",
                   {{"cx", fmt(x)},
                    {"cy", fmt(y)},
                    {"r", fmt(h)},
                    {"fill", look.fill},
                    {"stroke", look.stroke}},
                   std::move(tooltip));
    case Glyph::square:
    case Glyph::bar:
    case Glyph::band:
    case Glyph::line:
      path = "M" + fmt(x - h) + "," + fmt(y - h) + " h" + fmt(size) + " v" + fmt(size) + " h" +
             fmt(-size) + " z";
      break;
    case Glyph::diamond:
      path = "M" + fmt(x) + "," + fmt(y - h) + " l" + fmt(h) + "," + fmt(h) + " l" + fmt(-h) + "," +
             fmt(h) + " l" + fmt(-h) + "," + fmt(-h) + " z";
      break;
    case Glyph::up:
      path = "M" + fmt(x) + "," + fmt(y - h) + " l" + fmt(h) + "," + fmt(size) + " h" + fmt(-size) +
             " z";
      break;
    case Glyph::down:
      path = "M" + fmt(x) + "," + fmt(y + h) + " l" + fmt(h) + "," + fmt(-size) + " h" +
             fmt(-size) + " z";
      break;
  }
  return shape(std::move(role), column, x, y, "path",
               {{"d", path}, {"fill", look.fill}, {"stroke", look.stroke}}, std::move(tooltip));
}

Box around(double x, double y, double size) {
  return Box{x - size / 2, y - size / 2, x + size / 2, y + size / 2};
}

class Builder {
 public:
  Builder(const std::string& title, const Trace& trace, const RunResult& result)
      : title_(title), result_(result), story_(collect(trace)) {}
  TimelineLayout build();

 private:
  struct EndLabel {
    const SeriesSpec* spec;
    std::string text;
    bool at_end;  // the line runs to the end of the plot
    double y;     // where its line ends
  };

  void choose_lanes();
  void focus_pages();
  void lay_out();
  double draw_header();
  void draw_backgrounds();
  void draw_pages_axis();
  void draw_full_range();
  void draw_series();
  void draw_end_labels();
  void draw_lanes();
  void draw_event(std::size_t step, double x, const TraceEntry& entry, double size);
  void draw_in_flight(std::size_t step, double x, const TraceEntry& entry, double size);
  void draw_hypercall(std::size_t step, double x, const TraceEntry& entry);
  void draw_timer_and_work(std::size_t step, double x, const TraceEntry& entry, double size);
  void close_timer_span(double x, const std::string& why);
  void draw_thread(std::size_t step, double x, const ThreadState& thread);
  void close_thread_span(double x);
  void draw_time();
  void draw_violations();
  void draw_step_labels();
  double draw_legend(double top);

  const Lane* lane(LaneKind kind, EventKind fault = EventKind::populate_limit) const;
  double column_width() const;
  double slot_x(std::size_t step, std::size_t slot) const;
  double time_y(std::uint64_t jiffies) const;
  void mark(Key key, std::string role, std::size_t step, double x, double y, double size,
            std::string tooltip);
  void ask(Priority priority, PlacedText text) {
    requests_.push_back({priority, {std::move(text)}});
  }
  void ask(Priority priority, std::vector<PlacedText> candidates) {
    requests_.push_back({priority, std::move(candidates)});
  }
  void use(Key key) { used_[static_cast<std::size_t>(key)] = true; }

  const std::string& title_;
  const RunResult& result_;
  Story story_;
  TimelineLayout layout_;
  std::vector<Lane> lanes_;
  std::vector<EndLabel> end_labels_;
  std::vector<Request> requests_;
  std::vector<Shape> back_, middle_, front_;
  std::vector<Box> obstacles_;  // marks no text may hide
  std::array<bool, kKeys> used_{};
  std::uint64_t asked_max_[2] = {1, 1};  // the largest hypercall of each op
  bool off_scale_ = false;               // some count lies above the range
  double strip_top_ = 0;                 // the violations' labels, above the plot
  std::size_t strip_rows_ = 1;
  double range_x_ = 0;  // the bar of the full range
  double time_top_ = 0, time_bottom_ = 0;
  std::uint64_t time_most_ = 1;  // the latest time any step reaches, at least 1
  double labels_top_ = 0;
  bool upright_labels_ = false;
  double axis_title_y_ = 0;
  double legend_top_ = 0;
  double timer_from_ = -1;  // where the pending timer was armed, if one is
  std::string timer_armed_text_;
  std::size_t timer_step_ = 0;
  double work_from_ = 0;
  double thread_from_ = -1;  // where the thread's current state began, if known
  std::optional<ThreadState> thread_;
  std::size_t thread_step_ = 0;
};

TimelineLayout Builder::build() {
  choose_lanes();
  focus_pages();
  lay_out();
  draw_backgrounds();
  draw_pages_axis();
  draw_full_range();
  draw_series();
  draw_end_labels();
  draw_lanes();
  draw_time();
  draw_violations();
  draw_step_labels();
  layout_.height = draw_legend(legend_top_) + kPad;
  for (const Step& step : story_.steps) layout_.columns.push_back(step.column);
  for (std::vector<Shape>* layer : {&back_, &middle_, &front_}) {
    for (Shape& drawn : *layer) layout_.shapes.push_back(std::move(drawn));
  }
  std::stable_sort(requests_.begin(), requests_.end(),
                   [](const Request& a, const Request& b) { return a.priority < b.priority; });
  Placer placer(Box{0, 0, layout_.width, layout_.height}, std::move(obstacles_));
  for (Request& request : requests_) {
    for (PlacedText& candidate : request.candidates) {
      if (placer.place(std::move(candidate))) break;
    }
  }
  layout_.texts = placer.take();
  return std::move(layout_);
}

// Lanes for target writes, hypercalls, the timer and work always; for the host, each
// kind of fault and the other entry points when the run has them.
void Builder::choose_lanes() {
  std::array<bool, kEventKinds> seen{};
  bool host = false;
  bool thread = false;
  for (const Step& step : story_.steps) {
    for (const TraceEntry* entry : step.slots) {
      if (has_state(*entry) && entry->state.thread) thread = true;
      if (entry->kind == TraceKind::event) seen[static_cast<std::size_t>(entry->event.kind)] = true;
      if (entry->kind == TraceKind::in_flight &&
          action_of(entry->event) != InFlightAction::set_target) {
        host = true;
      }
      if (entry->kind == TraceKind::hypercall) {
        std::uint64_t& most = asked_max_[entry->op == MemoryOp::populate_physmap ? 0 : 1];
        most = std::max(most, entry->asked);
      }
    }
  }
  lanes_.push_back({LaneKind::target_writes, {}, "target writes"});
  for (unsigned k = 0; k < kEventKinds; ++k) {
    const auto kind = static_cast<EventKind>(k);
    if (seen[k] && lane_of(kind) == LaneKind::host) host = true;
  }
  if (host) lanes_.push_back({LaneKind::host, {}, "host"});
  for (unsigned k = 0; k < kEventKinds; ++k) {
    const auto kind = static_cast<EventKind>(k);
    if (seen[k] && lane_of(kind) == LaneKind::fault) {
      lanes_.push_back({LaneKind::fault, kind, std::string("fault ") + event_kind_name(kind)});
    }
  }
  lanes_.push_back({LaneKind::populate, {}, "populate_physmap"});
  lanes_.push_back({LaneKind::decrease, {}, "decrease_reservation"});
  // A balloon thread waits with a timeout and runs as the work item does; its lane
  // shows the state it waits in and its back-off.
  lanes_.push_back({LaneKind::timer, {}, thread ? "timer (thread's wait)" : "timer"});
  lanes_.push_back({LaneKind::work, {}, thread ? "work (thread runs)" : "work"});
  if (thread) lanes_.push_back({LaneKind::thread, {}, "balloon thread"});
  for (unsigned k = 0; k < kEventKinds; ++k) {
    if (seen[k] && lane_of(static_cast<EventKind>(k)) == LaneKind::other) {
      lanes_.push_back({LaneKind::other, {}, "other events"});
      break;
    }
  }
}

// The plot shows the pages the run touched, with a margin. Counts above max_pfn (a
// target can ask for anything) and Xen's cap go to a strip at the top when they lie
// above that, instead of stretching the range until a 10-page gap is a pixel.
void Builder::focus_pages() {
  const std::uint64_t cap = story_.config != nullptr ? story_.config->config.max_pfn : ~0ULL;
  std::uint64_t low = ~0ULL;
  std::uint64_t high = 0;
  std::uint64_t beyond = 0;
  for (const Step& step : story_.steps) {
    for (const TraceEntry* entry : step.slots) {
      if (!has_state(*entry)) continue;
      for (const SeriesSpec& spec : kSeries) {
        const std::uint64_t value = spec.get(entry->state);
        if (value == kNoHardLimit) continue;
        if (value > cap || !spec.focus) {
          beyond = std::max(beyond, value);
          continue;
        }
        low = std::min(low, value);
        high = std::max(high, value);
      }
    }
  }
  if (low > high) low = high = 0;
  const std::uint64_t span = high - low;
  const std::uint64_t margin = std::max<std::uint64_t>(span == 0 ? high / 50 : span / 8, 3);
  layout_.pages_low = low > margin ? low - margin : 0;
  layout_.pages_high = high + margin;
  layout_.pages_full = story_.config != nullptr ? cap : layout_.pages_high;
  off_scale_ = beyond > layout_.pages_high;
}

// The regions, top to bottom: the header, the violations' labels, the pages plot, the
// lanes, the virtual time, the step labels, the axis title and the legend. Left of
// them the lane names and page ticks; right, the lines' labels and the full range.
void Builder::lay_out() {
  for (const SeriesSpec& spec : kSeries) {
    std::optional<std::uint64_t> last;
    bool at_end = false;
    for (const Step& step : story_.steps) {
      for (const TraceEntry* entry : step.slots) {
        if (!has_state(*entry)) continue;
        const std::uint64_t value = spec.get(entry->state);
        at_end = value != kNoHardLimit;
        if (at_end) last = value;
      }
    }
    if (!last) continue;
    end_labels_.push_back(
        {&spec, std::string(spec.name) + " " + std::to_string(*last) + (at_end ? "" : " (cleared)"),
         at_end, 0});
  }
  double names = text_width("virtual time", 11);
  for (const Lane& lane : lanes_) names = std::max(names, text_width(lane.name, 11));
  names = std::max(names, text_width(std::to_string(layout_.pages_high), 11));
  double ends = text_width("0000000 jiffies = 00000.00 s", 10);
  for (const EndLabel& end : end_labels_) ends = std::max(ends, text_width(end.text, 11));
  layout_.width = kWidth;
  range_x_ = kWidth - kPad - 18;
  layout_.plot.x0 = kPad + 20 + names + 8;
  layout_.plot.x1 = std::max(range_x_ - 20 - ends - 12, layout_.plot.x0 + 200);

  std::size_t marks = result_.outcome == Outcome::expected_crash ? 1 : 0;
  marks += story_.violations.size();
  strip_rows_ = std::clamp<std::size_t>(marks, 1, 3);
  strip_top_ = draw_header();
  layout_.plot.y0 = strip_top_ + 15 * static_cast<double>(strip_rows_) + 4;
  layout_.plot.y1 = layout_.plot.y0 + kPlotHeight;
  double y = layout_.plot.y1 + 10;
  for (Lane& lane : lanes_) {
    const bool calls = lane.kind == LaneKind::populate || lane.kind == LaneKind::decrease;
    lane.y0 = y;
    lane.y1 = y + (calls ? 34 : 20);
    y = lane.y1;
  }
  time_top_ = y + 4;
  time_bottom_ = time_top_ + 42;
  for (const Step& step : story_.steps) time_most_ = std::max(time_most_, step.column.t_end);
  labels_top_ = time_bottom_ + 4;
  upright_labels_ = column_width() >= 13;
  double label_height = 14;
  if (upright_labels_) {
    for (const Step& step : story_.steps) {
      label_height = std::max(
          label_height, text_width(shorten(clean_text(step.column.label), kStepLabelGlyphs), 10));
    }
  }
  axis_title_y_ = labels_top_ + label_height + 18;
  legend_top_ = axis_title_y_ + 10;
  const double width = column_width();
  for (std::size_t i = 0; i < story_.steps.size(); ++i) {
    TimelineColumn& column = story_.steps[i].column;
    column.x0 = layout_.plot.x0 + width * static_cast<double>(i);
    column.x1 = column.x0 + width;
  }
}

// The title (the input's name), the configuration and the verdict, wrapped to the
// width; returns where the header ends.
double Builder::draw_header() {
  const auto per_line = [](double size) {
    return static_cast<std::size_t>((kWidth - 2 * kPad) / (size * kGlyphWidth));
  };
  double y = kPad + 14;
  ask(Priority::header, label(shorten(clean_text(title_), per_line(14)), kPad, y, 14));
  y += 5;
  if (story_.config != nullptr) {
    for (const std::string& text : wrap(clean_text(story_.config->text), per_line(11), 2)) {
      y += 14;
      ask(Priority::header, label(text, kPad, y, 11, TextAnchor::start, "#555"));
    }
  }
  const char* colour = result_.outcome == Outcome::clean       ? "#060"
                       : result_.outcome == Outcome::violation ? "#b00"
                                                               : "#a65f00";
  for (const std::string& text : wrap(clean_text(verdict_text(result_)), per_line(12), 3)) {
    y += 15;
    ask(Priority::header, label(text, kPad, y, 12, TextAnchor::start, colour));
  }
  return y + 8;
}

double Builder::column_width() const {
  const double count = static_cast<double>(std::max<std::size_t>(story_.steps.size(), 1));
  return (layout_.plot.x1 - layout_.plot.x0) / count;
}

double Builder::slot_x(std::size_t step, std::size_t slot) const {
  const TimelineColumn& column = story_.steps[step].column;
  const std::size_t slots = story_.steps[step].slots.size();
  if (slot == kNoColumn || slots == 0) return (column.x0 + column.x1) / 2;
  return column.x0 +
         (column.x1 - column.x0) * (static_cast<double>(slot) + 0.5) / static_cast<double>(slots);
}

const Lane* Builder::lane(LaneKind kind, EventKind fault) const {
  for (const Lane& candidate : lanes_) {
    if (candidate.kind == kind && (kind != LaneKind::fault || candidate.fault == fault)) {
      return &candidate;
    }
  }
  return nullptr;
}

void Builder::mark(Key key, std::string role, std::size_t step, double x, double y, double size,
                   std::string tooltip) {
  use(key);
  middle_.push_back(glyph(key, std::move(role), step, x, y, size, std::move(tooltip)));
  obstacles_.push_back(around(x, y, size));
}

// The plot's frame, the off-scale strip, the lanes with their names, the steps in
// which virtual time passes, the step a violation was found in, and under everything
// one invisible box per step whose tooltip is that step's part of the trace.
void Builder::draw_backgrounds() {
  const Box& plot = layout_.plot;
  back_.push_back(rect("plot", kNoColumn, plot, "#fff", "#bbb"));
  if (off_scale_) {
    back_.push_back(rect("off-scale", kNoColumn,
                         Box{plot.x0, plot.y0, plot.x1, plot.y0 + kOffScale}, "#f3f3f3", "none",
                         "counts above " + std::to_string(layout_.pages_high) +
                             " (see the line labels on the right)"));
    ask(Priority::tick, label("above " + std::to_string(layout_.pages_high), plot.x0 + 4,
                              plot.y0 + 10, 9, TextAnchor::start, "#777"));
  }
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    const Lane& lane = lanes_[i];
    back_.push_back(rect("lane:" + lane.name, kNoColumn, Box{plot.x0, lane.y0, plot.x1, lane.y1},
                         i % 2 == 0 ? "#f5f5f5" : "#fcfcfc", "none"));
    ask(Priority::lane,
        label(lane.name, plot.x0 - 6, lane.middle() + 4, 11, TextAnchor::end, "#444"));
  }
  back_.push_back(rect("lane:virtual time", kNoColumn,
                       Box{plot.x0, time_top_, plot.x1, time_bottom_}, "#fff", "#ddd"));
  ask(Priority::lane, label("virtual time", plot.x0 - 6, (time_top_ + time_bottom_) / 2 + 4, 11,
                            TextAnchor::end, "#444"));
  for (std::size_t i = 0; i < story_.steps.size(); ++i) {
    const TimelineColumn& column = story_.steps[i].column;
    if (column.t_end <= column.t_start) continue;
    use(Key::time_passes);
    back_.push_back(rect("time-passes", i, Box{column.x0, plot.y0, column.x1, time_bottom_},
                         style(Key::time_passes).fill, "none",
                         "virtual time passes: t=" + std::to_string(column.t_start) +
                             " to t=" + std::to_string(column.t_end)));
  }
  if (!story_.violations.empty()) {
    const TimelineColumn& column = story_.steps[story_.violations.front().step].column;
    back_.push_back(rect("violation-step", story_.violations.front().step,
                         Box{column.x0, plot.y0, column.x1, time_bottom_}, "#fbe1e1", "none"));
  }
  for (std::size_t i = 0; i < story_.steps.size(); ++i) {
    const Step& step = story_.steps[i];
    std::string tooltip;
    for (const std::string& text : step.tooltip) tooltip += (tooltip.empty() ? "" : "\n") + text;
    Shape hover = rect("step", i, Box{step.column.x0, plot.y0, step.column.x1, time_bottom_},
                       "#fff", "none", std::move(tooltip));
    hover.attributes.emplace_back("fill-opacity", "0");
    back_.push_back(std::move(hover));
  }
}

std::uint64_t nice_step(std::uint64_t span) {
  std::uint64_t unit = 1;
  for (int digits = 0; digits < 18; ++digits, unit *= 10) {
    for (const std::uint64_t times : {1ULL, 2ULL, 5ULL}) {
      if (span / (unit * times) <= 5) return unit * times;
    }
  }
  return unit;
}

// Page ticks over the focused range, and a break in the axis when it does not start at 0.
void Builder::draw_pages_axis() {
  const Box& plot = layout_.plot;
  const std::uint64_t step = nice_step(layout_.pages_high - layout_.pages_low);
  for (std::uint64_t value = (layout_.pages_low + step - 1) / step * step;
       value <= layout_.pages_high; value += step) {
    const double y = layout_.y_of(value);
    back_.push_back(line("grid", plot.x0, y, plot.x1, y, "#e6e6e6"));
    ask(Priority::tick,
        label(std::to_string(value), plot.x0 - 5, y + 4, 11, TextAnchor::end, "#444"));
  }
  front_.push_back(line("axis:pages", plot.x0, plot.y0, plot.x0, plot.y1, "#444"));
  if (layout_.pages_low > 0) {
    const std::string d = "M" + fmt(plot.x0 - 6) + "," + fmt(plot.y1 - 2) + " l12,-5 M" +
                          fmt(plot.x0 - 6) + "," + fmt(plot.y1 - 7) + " l12,-5";
    front_.push_back(shape("axis-break", kNoColumn, plot.x0, plot.y1 - 5, "path",
                           {{"d", d}, {"stroke", "#444"}, {"stroke-width", "1.5"}},
                           "the axis starts at " + std::to_string(layout_.pages_low) +
                               ", not at 0; the bar on the right shows the whole range"));
  }
  PlacedText title = label("pages", kPad + 12, (plot.y0 + plot.y1) / 2, 12, TextAnchor::middle);
  title.upright = true;
  ask(Priority::axis, std::move(title));
}

// The whole range of pages, 0..max_pfn, as a small bar with the focused range filled in.
void Builder::draw_full_range() {
  const Box& plot = layout_.plot;
  const double top = plot.y0 + kOffScale;
  const double full = d(std::max<std::uint64_t>(layout_.pages_full, 1));
  const auto y = [&](std::uint64_t pages) {
    return plot.y1 - (plot.y1 - top) * std::min(d(pages), full) / full;
  };
  const Box bar{range_x_, top, range_x_ + 8, plot.y1};
  back_.push_back(rect("full-range", kNoColumn, bar, "#f2f2f2", "#999",
                       "all pages, 0 to max_pfn " + std::to_string(layout_.pages_full)));
  const double focus_top = std::min(y(layout_.pages_high), y(layout_.pages_low) - 2);
  middle_.push_back(rect("full-range:focus", kNoColumn,
                         Box{range_x_, focus_top, range_x_ + 8, y(layout_.pages_low)}, "#555",
                         "none",
                         "the plot shows pages " + std::to_string(layout_.pages_low) + " to " +
                             std::to_string(layout_.pages_high)));
  obstacles_.push_back(bar);
  ask(Priority::range, label(std::to_string(layout_.pages_full), kWidth - kPad, top - 3, 10,
                             TextAnchor::end, "#555"));
  ask(Priority::range, label("0", kWidth - kPad, plot.y1 + 12, 10, TextAnchor::end, "#555"));
  PlacedText caption =
      label("0 to max_pfn", range_x_ - 5, (top + plot.y1) / 2, 10, TextAnchor::middle, "#555");
  caption.upright = true;
  ask(Priority::range, std::move(caption));
}

// Each line steps where a state was recorded (after a work run, after a step) and
// holds its value until the next; the hard limit breaks off where it is cleared.
void Builder::draw_series() {
  for (const SeriesSpec& spec : kSeries) {
    std::string path;
    bool open = false;
    double first_x = 0, first_y = 0;
    for (std::size_t i = 0; i < story_.steps.size(); ++i) {
      const std::vector<const TraceEntry*>& slots = story_.steps[i].slots;
      for (std::size_t s = 0; s < slots.size(); ++s) {
        if (!has_state(*slots[s])) continue;
        const double x = slot_x(i, s);
        const std::uint64_t value = spec.get(slots[s]->state);
        if (value == kNoHardLimit) {
          if (open) path += " H" + fmt(x);
          open = false;
          continue;
        }
        const double y = layout_.y_of(value);
        if (path.empty()) {
          first_x = x;
          first_y = y;
        }
        path += open ? " H" + fmt(x) + " V" + fmt(y)
                     : (path.empty() ? "M" : " M") + fmt(x) + "," + fmt(y);
        open = true;
      }
    }
    if (path.empty()) continue;
    if (open) path += " H" + fmt(layout_.plot.x1);
    use(spec.key);
    std::vector<std::pair<std::string, std::string>> attributes{{"d", path},
                                                                {"fill", "none"},
                                                                {"stroke", style(spec.key).stroke},
                                                                {"stroke-width", fmt(spec.width)},
                                                                {"stroke-opacity", spec.opacity}};
    if (spec.dash[0] != '\0') attributes.emplace_back("stroke-dasharray", spec.dash);
    middle_.push_back(shape(std::string("line:") + spec.name, kNoColumn, first_x, first_y, "path",
                            std::move(attributes), spec.name));
  }
}

// Positions for labels that want to sit at `wanted` (ascending), at least `gap` apart,
// within [low, high] when they can be.
std::vector<double> spread(std::vector<double> wanted, double gap, double low, double high) {
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    wanted[i] = std::max(wanted[i], i == 0 ? low : wanted[i - 1] + gap);
  }
  for (std::size_t i = wanted.size(); i-- > 0;) {
    wanted[i] = std::min(wanted[i], i + 1 == wanted.size() ? high : wanted[i + 1] - gap);
  }
  return wanted;
}

// Each line's last value, named, right of the plot; labels that would collide move
// apart and a thin leader joins each to its line.
void Builder::draw_end_labels() {
  const Box& plot = layout_.plot;
  for (EndLabel& end : end_labels_) {
    std::uint64_t last = 0;
    for (const Step& step : story_.steps) {
      for (const TraceEntry* entry : step.slots) {
        if (has_state(*entry) && end.spec->get(entry->state) != kNoHardLimit) {
          last = end.spec->get(entry->state);
        }
      }
    }
    end.y = layout_.y_of(last);
  }
  std::vector<std::size_t> order(end_labels_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return end_labels_[a].y < end_labels_[b].y;
  });
  std::vector<double> wanted;
  for (const std::size_t i : order) wanted.push_back(end_labels_[i].y + 4);
  const std::vector<double> at = spread(wanted, 14, plot.y0 + 12, plot.y1 + 4);
  const double x = plot.x1 + 14;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const EndLabel& end = end_labels_[order[k]];
    const char* colour = style(end.spec->key).stroke;
    if (end.at_end)
      front_.push_back(line("leader", plot.x1 + 1, end.y, x - 2, at[k] - 4, colour, 0.8));
    ask(Priority::line_end, label(end.text, x, at[k], 11, TextAnchor::start, colour));
  }
}

void Builder::draw_lanes() {
  const double size = std::clamp(column_width() * 0.6, 3.0, 8.0);
  for (std::size_t i = 0; i < story_.steps.size(); ++i) {
    const std::vector<const TraceEntry*>& slots = story_.steps[i].slots;
    for (std::size_t s = 0; s < slots.size(); ++s) {
      const TraceEntry& entry = *slots[s];
      const double x = slot_x(i, s);
      switch (entry.kind) {
        case TraceKind::event:
          draw_event(i, x, entry, size);
          break;
        case TraceKind::in_flight:
          draw_in_flight(i, x, entry, size);
          break;
        case TraceKind::hypercall:
          draw_hypercall(i, x, entry);
          break;
        default:
          draw_timer_and_work(i, x, entry, size);
          break;
      }
      if (has_state(entry) && entry.state.thread) draw_thread(i, x, *entry.state.thread);
    }
  }
  if (timer_from_ >= 0) close_timer_span(layout_.plot.x1, "; still pending when the run ended");
  close_thread_span(layout_.plot.x1);
}

void Builder::draw_event(std::size_t step, double x, const TraceEntry& entry, double size) {
  const std::optional<LaneKind> kind = lane_of(entry.event.kind);
  if (!kind) return;
  const Lane* row = lane(*kind, entry.event.kind);
  if (row == nullptr) return;
  const std::string tooltip = "#" + std::to_string(entry.event_index) + " " + entry.text;
  mark(key_of(entry.event.kind), std::string("event:") + event_kind_name(entry.event.kind), step, x,
       row->middle(), size, tooltip);
  ask(Priority::value, label(event_value(entry.event), x + size / 2 + 2, row->middle() + 3, 9,
                             TextAnchor::start, "#444"));
}

// An action carried out inside a hypercall: a target write or a change of the host.
void Builder::draw_in_flight(std::size_t step, double x, const TraceEntry& entry, double size) {
  const InFlightAction action = action_of(entry.event);
  const Lane* row =
      lane(action == InFlightAction::set_target ? LaneKind::target_writes : LaneKind::host);
  if (row == nullptr) return;
  mark(Key::in_flight, std::string("in-flight:") + in_flight_name(action), step, x, row->middle(),
       size, entry.text);
  std::string value = std::to_string(entry.event.value);
  if (action == InFlightAction::host_take) value = "-" + value;
  if (action == InFlightAction::host_free) value = "+" + value;
  if (action == InFlightAction::set_max_pages) value = "max " + value;
  ask(Priority::value,
      label(value, x + size / 2 + 2, row->middle() + 3, 9, TextAnchor::start, "#444"));
}

// A bar as tall as the request (against the run's largest of that op), filled as far
// as Xen answered it: full, short, nothing, or an error (crossed out).
void Builder::draw_hypercall(std::size_t step, double x, const TraceEntry& entry) {
  const bool populate = entry.op == MemoryOp::populate_physmap;
  const Lane* row = lane(populate ? LaneKind::populate : LaneKind::decrease);
  if (row == nullptr) return;
  const bool error = entry.answer < 0;
  const std::uint64_t answered = error ? 0 : static_cast<std::uint64_t>(entry.answer);
  Key key = Key::call_full;
  const char* verdict = "full";
  if (error) {
    key = Key::call_error;
    verdict = "error";
  } else if (answered == 0 && entry.asked > 0) {
    key = Key::call_none;
    verdict = "none";
  } else if (answered < entry.asked) {
    key = Key::call_short;
    verdict = "short";
  }
  use(key);
  const Style look = style(key);
  const double slots =
      static_cast<double>(std::max<std::size_t>(story_.steps[step].slots.size(), 1));
  const double width = std::clamp(column_width() / slots * 0.8, 1.5, 7.0);
  const double bottom = row->y1 - 3;
  const double most = row->y1 - row->y0 - 15;
  const double height = std::max(3.0, most * d(entry.asked) / d(asked_max_[populate ? 0 : 1]));
  const double filled =
      entry.asked == 0 ? 0 : height * d(std::min(answered, entry.asked)) / d(entry.asked);
  const std::string role = std::string(populate ? "populate:" : "decrease:") + verdict;
  const Box bar{x - width / 2, bottom - height, x + width / 2, bottom};
  middle_.push_back(rect(role, step, bar, "#fff", look.stroke, entry.text));
  middle_.back().x = x;
  middle_.push_back(rect(role + ":answered", step, Box{bar.x0, bottom - filled, bar.x1, bottom},
                         look.fill, "none", entry.text));
  if (error) {
    const std::string cross = "M" + fmt(bar.x0 - 1) + "," + fmt(bar.y0 - 1) + " L" +
                              fmt(bar.x1 + 1) + "," + fmt(bar.y1 + 1) + " M" + fmt(bar.x1 + 1) +
                              "," + fmt(bar.y0 - 1) + " L" + fmt(bar.x0 - 1) + "," +
                              fmt(bar.y1 + 1);
    middle_.push_back(shape(role + ":cross", step, x, bar.y0, "path",
                            {{"d", cross}, {"stroke", look.stroke}, {"stroke-width", "1.5"}},
                            entry.text));
  }
  obstacles_.push_back(bar);
  const std::string text =
      answered == entry.asked && !error
          ? std::to_string(entry.asked)
          : std::to_string(entry.asked) + "\u2192" + std::to_string(entry.answer);
  ask(Priority::value, label(text, x, bar.y0 - 3, 9, TextAnchor::middle, look.stroke));
}

void Builder::close_timer_span(double x, const std::string& why) {
  const Lane* row = lane(LaneKind::timer);
  if (row == nullptr || timer_from_ < 0) return;
  use(Key::timer_pending);
  back_.push_back(
      rect("timer:pending", timer_step_,
           Box{timer_from_, row->middle() - 2, std::max(x, timer_from_ + 1), row->middle() + 2},
           style(Key::timer_pending).fill, "none", timer_armed_text_ + why));
  timer_from_ = -1;
}

Key thread_key(ThreadState::Bp state) {
  switch (state) {
    case ThreadState::Bp::done:
      return Key::thread_done;
    case ThreadState::Bp::wait:
      return Key::thread_wait;
    case ThreadState::Bp::eagain:
      return Key::thread_eagain;
    case ThreadState::Bp::ecanceled:
      return Key::thread_ecanceled;
  }
  return Key::thread_done;
}

// "EAGAIN 4 s (3/4)": the state without its BP_ prefix, and for a back-off the delay
// it waits and the retries against their limit.
std::string thread_text(const ThreadState& thread) {
  std::string text = bp_state_name(thread.state);
  if (text.rfind("BP_", 0) == 0) text = text.substr(3);
  if (thread.state == ThreadState::Bp::eagain) {
    text += " " + std::to_string(thread.schedule_delay) + " s (" +
            std::to_string(thread.retry_count) + "/" +
            (thread.max_retry_count == 0 ? std::string("\u221e")
                                         : std::to_string(thread.max_retry_count)) +
            ")";
  }
  return text;
}

// The back-off's figures only matter while the thread backs off.
bool same_thread_state(const ThreadState& a, const ThreadState& b) {
  if (a.state != b.state) return false;
  return a.state != ThreadState::Bp::eagain ||
         (a.schedule_delay == b.schedule_delay && a.retry_count == b.retry_count &&
          a.max_retry_count == b.max_retry_count);
}

// A band per span of one state and back-off, labelled where it begins.
void Builder::draw_thread(std::size_t step, double x, const ThreadState& thread) {
  if (thread_ && same_thread_state(*thread_, thread)) return;
  close_thread_span(x);
  thread_ = thread;
  thread_from_ = x;
  thread_step_ = step;
  const Lane* row = lane(LaneKind::thread);
  if (row == nullptr) return;
  ask(Priority::value,
      label(thread_text(thread), x + 2, row->middle() + 3, 9, TextAnchor::start, "#444"));
}

void Builder::close_thread_span(double x) {
  const Lane* row = lane(LaneKind::thread);
  if (row == nullptr || !thread_ || thread_from_ < 0) return;
  const Key key = thread_key(thread_->state);
  use(key);
  const std::string tooltip = std::string("thread ") + bp_state_name(thread_->state) +
                              " schedule_delay=" + std::to_string(thread_->schedule_delay) +
                              "s retry_count=" + std::to_string(thread_->retry_count) +
                              " max_retry_count=" + std::to_string(thread_->max_retry_count);
  std::string role = std::string("thread:") + bp_state_name(thread_->state);
  back_.push_back(rect(std::move(role), thread_step_,
                       Box{thread_from_, row->y0 + 3, std::max(x, thread_from_ + 1), row->y1 - 3},
                       style(key).fill, "none", tooltip));
  thread_from_ = -1;
}

void Builder::draw_timer_and_work(std::size_t step, double x, const TraceEntry& entry,
                                  double size) {
  const Lane* timer = lane(LaneKind::timer);
  const Lane* work = lane(LaneKind::work);
  switch (entry.kind) {
    case TraceKind::timer_armed:
      if (timer_from_ >= 0) close_timer_span(x, "; armed again");
      timer_from_ = x;
      timer_step_ = step;
      timer_armed_text_ = entry.text;
      mark(Key::timer_armed, "timer:armed", step, x, timer->middle(), size, entry.text);
      break;
    case TraceKind::timer_fired:
      close_timer_span(x, "; fired");
      mark(Key::timer_fired, "timer:fired", step, x, timer->middle(), size, entry.text);
      break;
    case TraceKind::work_scheduled:
      mark(Key::work_scheduled, "work:scheduled", step, x, work->middle(), size * 0.8, entry.text);
      break;
    case TraceKind::work_run:
      work_from_ = x;
      mark(Key::work_run, "work:run", step, x, work->middle(), size * 0.8, entry.text);
      break;
    case TraceKind::work_done:
      back_.push_back(
          rect("work:running", step,
               Box{work_from_, work->middle() - 2, std::max(x, work_from_ + 1), work->middle() + 2},
               style(Key::work_run).fill, "none", entry.text));
      break;
    default:
      break;
  }
}

double Builder::time_y(std::uint64_t jiffies) const {
  return time_bottom_ - 5 - (time_bottom_ - time_top_ - 12) * d(jiffies) / d(time_most_);
}

// Virtual time over the steps: flat while events happen at one instant, rising in the
// steps that let it pass, labelled with the time each of those reaches.
void Builder::draw_time() {
  const Box& plot = layout_.plot;
  std::string path;
  std::uint64_t most = 0;
  for (std::size_t i = 0; i < story_.steps.size(); ++i) {
    const Step& step = story_.steps[i];
    path +=
        (path.empty() ? "M" : " L") + fmt(step.column.x0) + "," + fmt(time_y(step.column.t_start));
    for (std::size_t s = 0; s < step.slots.size(); ++s) {
      const TraceEntry& entry = *step.slots[s];
      const std::uint64_t jiffies = has_state(entry) ? entry.state.jiffies : entry.jiffies;
      path += " L" + fmt(slot_x(i, s)) + "," + fmt(time_y(jiffies));
    }
    path += " L" + fmt(step.column.x1) + "," + fmt(time_y(step.column.t_end));
    most = std::max(most, step.column.t_end);
    if (step.column.t_end <= step.column.t_start) continue;
    const double y = time_y(step.column.t_end);
    const std::string text = "t=" + std::to_string(step.column.t_end);
    ask(Priority::time, {label(text, step.column.x1 - 2, y - 3, 9, TextAnchor::end, "#1f4e8c"),
                         label(text, step.column.x1 + 2, y + 10, 9, TextAnchor::start, "#1f4e8c")});
  }
  back_.push_back(line("time:zero", plot.x0, time_y(0), plot.x1, time_y(0), "#ddd"));
  if (!path.empty()) {
    middle_.push_back(
        shape("time", kNoColumn, plot.x0, time_y(0), "path",
              {{"d", path}, {"fill", "none"}, {"stroke", "#1f4e8c"}, {"stroke-width", "1.5"}},
              "virtual time, jiffies (" + std::to_string(kHz) + " a second)"));
  }
  char seconds[64];
  std::snprintf(seconds, sizeof seconds, " jiffies = %.2f s", d(most) / d(kHz));
  ask(Priority::line_end, label(std::to_string(most) + seconds, plot.x1 + 14, time_y(most) + 4, 10,
                                TextAnchor::start, "#1f4e8c"));
  if (most == 0) {
    ask(Priority::line_end, label("no virtual time passed", plot.x0 + 6, time_y(0) - 5, 10,
                                  TextAnchor::start, "#1f4e8c"));
  }
}

// A line through the plot and the lanes where each violation was found, labelled with
// its invariant id above the plot (the first in full colour); an expected crash the same
// way at the step that stopped the run.
void Builder::draw_violations() {
  struct Flag {
    std::size_t step;
    double x;
    std::string name;
    Key key;
    std::string tooltip;
  };
  std::vector<Flag> flags;
  for (const Found& found : story_.violations) {
    flags.push_back({found.step, slot_x(found.step, found.slot),
                     invariant_name(found.entry->violation), Key::violation, found.entry->text});
  }
  if (result_.outcome == Outcome::expected_crash && !story_.steps.empty()) {
    const std::size_t last = story_.steps.size() - 1;
    flags.push_back({last, slot_x(last, kNoColumn), "expected crash", Key::expected_crash,
                     result_.expected_crash});
  }
  for (std::size_t k = 0; k < flags.size(); ++k) {
    const Flag& flag = flags[k];
    const std::string colour = k == 0 ? style(flag.key).stroke : "#e08080";
    use(flag.key);
    Shape mark =
        line((flag.key == Key::violation ? "violation:" : "expected-crash:") + flag.name, flag.x,
             strip_top_ + 2, flag.x, time_bottom_, colour, k == 0 ? 2 : 1.5, k == 0 ? "" : "5,3");
    mark.column = flag.step;
    mark.tooltip = flag.tooltip;
    front_.push_back(std::move(mark));
    std::vector<PlacedText> candidates;
    for (std::size_t row = 0; row < strip_rows_; ++row) {
      const double y = strip_top_ + 12 + 15 * static_cast<double>(row);
      candidates.push_back(label(flag.name, flag.x + 4, y, 12, TextAnchor::start, colour));
      candidates.push_back(label(flag.name, flag.x - 4, y, 12, TextAnchor::end, colour));
    }
    ask(Priority::violation, std::move(candidates));
  }
}

// Under the time: each step's name read upwards when there is room for all of them,
// else short names, thinned to a regular stride; boot, the epilogue's steps and the
// violation's step first.
void Builder::draw_step_labels() {
  const double width = column_width();
  std::size_t stride = 1;
  if (!upright_labels_) {
    const double room = text_width("#" + std::to_string(story_.steps.size()), 10) + 8;
    for (const std::size_t candidate :
         {1UL, 2UL, 5UL, 10UL, 20UL, 25UL, 50UL, 100UL, 200UL, 250UL, 500UL, 1000UL}) {
      stride = candidate;
      if (width * static_cast<double>(candidate) >= room) break;
    }
  }
  const std::size_t key_step =
      story_.violations.empty() ? kNoColumn : story_.violations.front().step;
  for (std::size_t i = 0; i < story_.steps.size(); ++i) {
    const TimelineColumn& column = story_.steps[i].column;
    const bool key = column.phase != Phase::event || i == key_step;
    const bool regular = column.phase == Phase::event && column.event_index % stride == 0;
    if (!upright_labels_ && !key && !regular) continue;
    const double x = (column.x0 + column.x1) / 2;
    front_.push_back(line("step-tick", x, time_bottom_, x, time_bottom_ + 3, "#888"));
    PlacedText text;
    if (upright_labels_) {
      text = label(shorten(clean_text(column.label), kStepLabelGlyphs), x + 3.5, labels_top_ + 3,
                   10, TextAnchor::end, i == key_step ? "#b00" : "#333");
      text.upright = true;
    } else {
      const std::string name =
          column.phase == Phase::event ? "#" + std::to_string(column.event_index) : column.label;
      text =
          label(name, x, labels_top_ + 12, 10, TextAnchor::middle, i == key_step ? "#b00" : "#333");
    }
    ask(key ? Priority::key_step : Priority::step, std::move(text));
  }
  ask(Priority::axis,
      label("steps: boot, each event (#N), then the epilogue (heal, timer, work, end); shaded "
            "where virtual time passes",
            (layout_.plot.x0 + layout_.plot.x1) / 2, axis_title_y_, 11, TextAnchor::middle,
            "#444"));
}

// What the marks mean, for those the picture has, in rows that wrap at the width.
double Builder::draw_legend(double top) {
  double x = kPad + 4;
  double y = top + 12;
  for (std::size_t k = 0; k < kKeys; ++k) {
    if (!used_[k]) continue;
    const auto key = static_cast<Key>(k);
    const Style look = style(key);
    const double width = 30 + text_width(look.legend, 11) + 14;
    if (x + width > kWidth - kPad && x > kPad + 4) {
      x = kPad + 4;
      y += 17;
    }
    const Box swatch{x, y - 9, x + 24, y + 1};
    const std::string role = "legend:" + std::string(look.legend);
    if (look.glyph == Glyph::line) {
      Shape sample = line(role, x, y - 4, x + 24, y - 4, look.stroke, 2);
      for (const SeriesSpec& spec : kSeries) {
        if (spec.key != key) continue;
        sample =
            line(role, x, y - 4, x + 24, y - 4, look.stroke, std::min(spec.width, 8.0), spec.dash);
        sample.attributes.emplace_back("stroke-opacity", spec.opacity);
      }
      front_.push_back(std::move(sample));
    } else if (look.glyph == Glyph::bar || look.glyph == Glyph::band) {
      const Box box = look.glyph == Glyph::bar ? Box{x + 8, y - 10, x + 14, y}
                                               : Box{x + 2, y - 7, x + 22, y - 1};
      front_.push_back(rect(role, kNoColumn, box, look.fill, look.stroke));
    } else {
      front_.push_back(glyph(key, role, kNoColumn, x + 12, y - 4, 8));
    }
    obstacles_.push_back(swatch);
    ask(Priority::legend, label(look.legend, x + 30, y, 11, TextAnchor::start, "#333"));
    x += width;
  }
  return y + 6;
}

}  // namespace

TimelineLayout timeline_layout(const std::string& title, const Trace& trace,
                               const RunResult& result) {
  return Builder(title, trace, result).build();
}

std::string timeline_svg(const TimelineLayout& layout) {
  const std::string width = fmt(layout.width);
  const std::string height = fmt(layout.height);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + width + "\" height=\"" +
                    height + "\" viewBox=\"0 0 " + width + " " + height +
                    "\" font-family=\"sans-serif\">\n<rect width=\"" + width + "\" height=\"" +
                    height + "\" fill=\"white\"/>\n";
  for (const Shape& drawn : layout.shapes) {
    svg += "<" + drawn.element;
    if (!drawn.role.empty()) svg += " class=\"" + escape_html(clean_text(drawn.role)) + "\"";
    for (const auto& [name, value] : drawn.attributes) {
      svg += " " + name + "=\"" + escape_html(clean_text(value)) + "\"";
    }
    if (drawn.tooltip.empty()) {
      svg += "/>\n";
    } else {
      svg += "><title>" + escape_html(clean_text(drawn.tooltip)) + "</title></" + drawn.element +
             ">\n";
    }
  }
  for (const PlacedText& text : layout.texts) {
    const char* anchor = text.anchor == TextAnchor::start    ? "start"
                         : text.anchor == TextAnchor::middle ? "middle"
                                                             : "end";
    svg += "<text x=\"" + fmt(text.x) + "\" y=\"" + fmt(text.y) + "\" font-size=\"" +
           fmt(text.size) + "\" text-anchor=\"" + anchor + "\" fill=\"" + text.colour +
           "\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\"";
    if (text.upright) {
      svg += " transform=\"rotate(-90 " + fmt(text.x) + " " + fmt(text.y) + ")\"";
    }
    svg += ">" + escape_html(clean_text(text.text)) + "</text>\n";
  }
  return svg + "</svg>\n";
}

std::string timeline_svg(const std::string& title, const Trace& trace, const RunResult& result) {
  return timeline_svg(timeline_layout(title, trace, result));
}

std::string host_timeline_svg(const std::string& title, const std::vector<std::string>& headings,
                              const std::vector<Trace>& traces,
                              const std::vector<RunResult>& results) {
  constexpr double kTitle = 36;
  constexpr double kHeading = 28;
  double width = 0;
  double y = kTitle;
  std::string body;
  for (std::size_t i = 0; i < traces.size(); ++i) {
    const TimelineLayout layout = timeline_layout(headings.at(i), traces[i], results.at(i));
    body += "<text class=\"heading:guest\" x=\"12\" y=\"" + fmt(y + kHeading - 8) +
            "\" font-size=\"16\" font-weight=\"bold\" fill=\"#222\">" +
            escape_html(clean_text(headings[i])) + "</text>\n";
    y += kHeading;
    // Each guest's timeline as it would stand alone, placed below the one before.
    std::string guest = timeline_svg(layout);
    guest.insert(4, " x=\"0\" y=\"" + fmt(y) + "\"");
    body += guest;
    y += layout.height;
    width = std::max(width, layout.width);
  }
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt(width) + "\" height=\"" +
         fmt(y) + "\" viewBox=\"0 0 " + fmt(width) + " " + fmt(y) +
         "\" font-family=\"sans-serif\">\n<rect width=\"" + fmt(width) + "\" height=\"" + fmt(y) +
         "\" fill=\"white\"/>\n<text class=\"title:host\" x=\"12\" y=\"24\" font-size=\"16\" "
         "fill=\"#222\">" +
         escape_html(clean_text(title)) + "</text>\n" + body + "</svg>\n";
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace balloonbench
