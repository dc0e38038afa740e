// Renderings of a replayed run for people and scripts: JSON (verdict and trace) and
// an SVG timeline that tells the run step by step (boot, each event, the epilogue):
// the pages, the target writes, faults, hypercalls, timer and work, the virtual time,
// and the violation where it was found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "run/event.h"
#include "run/trace.h"
#include "run/world.h"

namespace balloonbench {

// "clean", "violation: <first violation>", or "expected crash: <why>".
std::string verdict_text(const RunResult& result);

// One JSON object (no trailing newline) describing a replayed run.
std::string run_json(const std::string& input, const Run& run, const WorldOptions& options,
                     const RunResult& result, const Trace& trace, const std::string& reproduce);

// The timeline. timeline_layout places every shape and every text; timeline_svg writes
// a layout out as it is, so what a test reads from the layout is what people see.

// An axis-aligned rectangle in canvas pixels (y grows downwards).
struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  // Whether the two share any area (boxes that only touch do not).
  bool overlaps(const Box& other) const;
  bool contains(const Box& inner) const;
};

enum class TextAnchor : std::uint8_t { start, middle, end };

struct PlacedText {
  std::string text;
  double x = 0, y = 0;  // the anchor point, on the baseline
  double size = 12;     // font size, px
  TextAnchor anchor = TextAnchor::start;
  bool upright = false;  // turned a quarter anticlockwise about (x, y): reads upwards
  std::string colour = "#222";
  Box box;  // what the text may cover, estimated on the generous side
};

// The box a text may cover: each character counted as wide as a broad glyph.
Box text_box(const PlacedText& text);

inline constexpr std::size_t kNoColumn = ~std::size_t{0};

// One step of the run: boot, an event, or a step of the epilogue (the heal, a timer
// firing, a work run, its end after kConvergeJiffies, the final scan).
struct TimelineColumn {
  Phase phase = Phase::boot;
  std::size_t event_index = 0;  // the event, for Phase::event
  std::string label;            // "boot", "#3 set_target 900", "heal", "work", "end", ...
  std::uint64_t t_start = 0;    // virtual time (jiffies) when the step began
  std::uint64_t t_end = 0;      // and when it ended
  double x0 = 0, x1 = 0;        // its span on the canvas
};

// One drawn element. `role` says what it shows ("line:current_pages",
// "line:hard limit", "violation:rearm", "populate:short", "lane:timer", ...), so tests
// can find it; `column` is the step it belongs to, if any.
struct Shape {
  std::string role;
  std::size_t column = kNoColumn;
  double x = 0, y = 0;  // where it points: a mark's centre, a line's first point
  std::string element;  // the SVG element
  std::vector<std::pair<std::string, std::string>> attributes;  // in output order
  std::string tooltip;
};

struct TimelineLayout {
  double width = 0, height = 0;
  Box plot;                     // the pages plot
  std::uint64_t pages_low = 0;  // the range of pages the plot shows, focused on the run
  std::uint64_t pages_high = 0;
  std::uint64_t pages_full = 0;  // the whole range is 0..pages_full (max_pfn)
  std::vector<TimelineColumn> columns;
  std::vector<Shape> shapes;      // in drawing order
  std::vector<PlacedText> texts;  // drawn over the shapes; no two overlap
  // The plot's y for a page count; counts above pages_high sit in a strip at its top.
  double y_of(std::uint64_t pages) const;
};

TimelineLayout timeline_layout(const std::string& title, const Trace& trace,
                               const RunResult& result);
// A standalone SVG document; the same layout always gives the same bytes.
std::string timeline_svg(const TimelineLayout& layout);
std::string timeline_svg(const std::string& title, const Trace& trace, const RunResult& result);
// A host of several guests: one timeline per guest, one under another, each under its
// heading, with the host's verdict as the title.
std::string host_timeline_svg(const std::string& title, const std::vector<std::string>& headings,
                              const std::vector<Trace>& traces,
                              const std::vector<RunResult>& results);

// Text for XML and HTML element content and attribute values: & < > " ' as
// references (the timeline's SVG and the report page share it).
std::string escape_html(std::string_view text);

}  // namespace balloonbench
