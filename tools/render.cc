#include "tools/render.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

namespace balloonbench {
namespace {

std::string n(std::uint64_t value) { return std::to_string(value); }

using nlohmann::json;

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
              {"work_pending", s.work_pending}};
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
  return json{{"max_pfn", c.max_pfn},         {"nr_pages", c.nr_pages},
              {"max_low_pfn", c.max_low_pfn}, {"auto_translated", c.auto_translated},
              {"max_pages", c.max_pages},     {"host_free", c.host_free},
              {"host_other", c.host_other},   {"contract_breaks", c.contract_breaks}};
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

namespace {

struct Point {
  std::uint64_t t;
  StateSnapshot s;
};

struct Plot {
  double left = 70, right = 880, top = 50, bottom = 330;
  std::uint64_t t_max = 1;
  std::uint64_t y_max = 1;
  double x(std::uint64_t t) const {
    return left + (right - left) * static_cast<double>(t) / static_cast<double>(t_max);
  }
  double y(std::uint64_t v) const {
    return bottom - (bottom - top) * static_cast<double>(v) / static_cast<double>(y_max);
  }
};

std::string fmt(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

// A step line: the value holds until the next point, then jumps.
template <class Get>
std::string step_line(const Plot& plot, const std::vector<Point>& points, Get get,
                      const char* colour, const char* dash) {
  std::string path;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::string x = fmt(plot.x(points[i].t));
    const std::string y = fmt(plot.y(get(points[i].s)));
    if (i == 0) {
      path += "M" + x + "," + y;
    } else {
      path += " H" + x + " V" + y;
    }
  }
  path += " H" + fmt(plot.right);
  return "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\"" +
         (dash[0] != '\0' ? std::string(" stroke-dasharray=\"") + dash + "\"" : "") + "/>\n";
}

std::string escape_xml(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

namespace {

Plot plot_for(const std::vector<Point>& points) {
  Plot plot;
  for (const Point& p : points) {
    plot.t_max = std::max(plot.t_max, p.t);
    plot.y_max = std::max({plot.y_max, p.s.current_pages, p.s.effective_target,
                           p.s.balloon_low + p.s.balloon_high,
                           std::min(p.s.target_pages, 4 * p.s.max_pages)});
  }
  plot.y_max += plot.y_max / 20 + 1;
  plot.t_max += plot.t_max / 50 + 1;
  return plot;
}

// The title, the verdict, and the axes with a few labelled ticks.
std::string svg_frame(const Plot& plot, const std::string& title, const RunResult& result) {
  std::string svg = "<text x=\"" + fmt(plot.left) + "\" y=\"22\" font-size=\"14\">" +
                    escape_xml(title) + "</text>\n<text x=\"" + fmt(plot.left) +
                    "\" y=\"40\" fill=\"" +
                    (result.outcome == Outcome::violation ? "#b00" : "#060") + "\">" +
                    escape_xml(verdict_text(result)) + "</text>\n";
  svg += "<line x1=\"" + fmt(plot.left) + "\" y1=\"" + fmt(plot.bottom) + "\" x2=\"" +
         fmt(plot.right) + "\" y2=\"" + fmt(plot.bottom) + "\" stroke=\"black\"/>\n<line x1=\"" +
         fmt(plot.left) + "\" y1=\"" + fmt(plot.top) + "\" x2=\"" + fmt(plot.left) + "\" y2=\"" +
         fmt(plot.bottom) + "\" stroke=\"black\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    const std::uint64_t t = plot.t_max * static_cast<std::uint64_t>(i) / 4;
    const std::uint64_t v = plot.y_max * static_cast<std::uint64_t>(i) / 4;
    svg += "<text x=\"" + fmt(plot.x(t)) + "\" y=\"" + fmt(plot.bottom + 16) +
           "\" text-anchor=\"middle\">" + n(t) + "</text>\n";
    svg += "<text x=\"" + fmt(plot.left - 6) + "\" y=\"" + fmt(plot.y(v) + 4) +
           "\" text-anchor=\"end\">" + n(v) + "</text>\n";
  }
  svg += "<text x=\"" + fmt((plot.left + plot.right) / 2) + "\" y=\"" + fmt(plot.bottom + 34) +
         "\" text-anchor=\"middle\">virtual time (jiffies, " + n(kHz) + " per second)</text>\n";
  svg += "<text x=\"14\" y=\"" + fmt((plot.top + plot.bottom) / 2) +
         "\" transform=\"rotate(-90 14 " + fmt((plot.top + plot.bottom) / 2) +
         ")\" text-anchor=\"middle\">pages</text>\n";
  return svg;
}

std::string svg_lines(const Plot& plot, const std::vector<Point>& points) {
  if (points.empty()) return {};
  return step_line(
             plot, points, [](const StateSnapshot& s) { return s.balloon_low + s.balloon_high; },
             "#999", "2,3") +
         step_line(
             plot, points,
             [&](const StateSnapshot& s) { return std::min(s.target_pages, plot.y_max); },
             "#1f77b4", "6,4") +
         step_line(
             plot, points, [](const StateSnapshot& s) { return s.effective_target; }, "#2ca02c",
             "") +
         step_line(
             plot, points, [](const StateSnapshot& s) { return s.current_pages; }, "#d62728", "");
}

// Hypercalls that fell short (orange for partial, red for none or an error) and the
// first violation.
std::string svg_markers(const Plot& plot, const Trace& trace) {
  std::string svg;
  for (const TraceEntry& entry : trace.entries()) {
    if (entry.kind != TraceKind::hypercall) continue;
    if (entry.answer >= 0 && static_cast<std::uint64_t>(entry.answer) >= entry.asked) continue;
    const char* colour = entry.answer > 0 ? "#ff7f0e" : "#b00";
    svg += "<path d=\"M" + fmt(plot.x(entry.jiffies)) + "," + fmt(plot.bottom - 1) +
           " l-5,-9 l10,0 z\" fill=\"" + colour + "\"><title>" + escape_xml(entry.text) +
           "</title></path>\n";
  }
  for (const TraceEntry& entry : trace.entries()) {
    if (entry.kind != TraceKind::violation) continue;
    const std::string x = fmt(plot.x(entry.jiffies));
    svg += "<line x1=\"" + x + "\" y1=\"" + fmt(plot.top) + "\" x2=\"" + x + "\" y2=\"" +
           fmt(plot.bottom) + "\" stroke=\"#b00\" stroke-dasharray=\"4,3\"/>\n<text x=\"" + x +
           "\" y=\"" + fmt(plot.top - 2) + "\" fill=\"#b00\" text-anchor=\"middle\">" +
           escape_xml(invariant_name(entry.violation)) + "</text>\n";
    break;
  }
  return svg;
}

std::string svg_legend(const Plot& plot) {
  std::string svg;
  const char* names[] = {"current_pages", "effective target", "target_pages", "balloon"};
  const char* colours[] = {"#d62728", "#2ca02c", "#1f77b4", "#999"};
  for (int i = 0; i < 4; ++i) {
    const double y = 372 + 14.0 * (i % 2);
    const double x = plot.left + 200.0 * (i / 2);
    svg += "<line x1=\"" + fmt(x) + "\" y1=\"" + fmt(y - 4) + "\" x2=\"" + fmt(x + 24) +
           "\" y2=\"" + fmt(y - 4) + "\" stroke=\"" + colours[i] +
           "\" stroke-width=\"2\"/><text x=\"" + fmt(x + 30) + "\" y=\"" + fmt(y) + "\">" +
           names[i] + "</text>\n";
  }
  svg += "<path d=\"M" + fmt(plot.left + 420) +
         ",371 l-5,-9 l10,0 z\" fill=\"#ff7f0e\"/><text x=\"" + fmt(plot.left + 432) +
         "\" y=\"372\">hypercall answered short</text>\n";
  svg += "<path d=\"M" + fmt(plot.left + 420) + ",385 l-5,-9 l10,0 z\" fill=\"#b00\"/><text x=\"" +
         fmt(plot.left + 432) + "\" y=\"386\">hypercall answered 0 or an error</text>\n";
  return svg;
}

}  // namespace

std::string timeline_svg(const std::string& title, const Trace& trace, const RunResult& result) {
  std::vector<Point> points;
  for (const TraceEntry& entry : trace.entries()) {
    if (entry.kind == TraceKind::state || entry.kind == TraceKind::work_done) {
      points.push_back({entry.state.jiffies, entry.state});
    }
  }
  const Plot plot = plot_for(points);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"420\" "
         "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"960\" height=\"420\" "
         "fill=\"white\"/>\n" +
         svg_frame(plot, title, result) + svg_lines(plot, points) + svg_markers(plot, trace) +
         svg_legend(plot) + "</svg>\n";
}

}  // namespace balloonbench
