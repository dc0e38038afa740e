#include "tools/report_html.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

namespace balloonbench::triage {
namespace {

// The page's only style. System fonts, no web fonts: the page loads nothing.
const char kStyle[] = R"(
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa;
        --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; border-bottom: 1px solid var(--line); }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 0 0 8px; }
.run { color: var(--muted); margin: 0 0 10px; }
.verdict { display: inline-block; font-weight: 600; padding: 4px 12px; border-radius: 6px;
           margin: 0 0 12px; }
.verdict.ok { background: #dafbe1; color: var(--ok); }
.verdict.bad { background: #ffebe9; color: var(--bad); }
nav { margin: 0 0 12px; }
nav a { margin-right: 16px; }
a { color: #0969da; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.problems li { color: var(--bad); font-weight: 600; }
.crash { border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 14px 0; }
.crash.new { border-left: 5px solid var(--bad); }
.crash.known { border-left: 5px solid var(--muted); }
.crash dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0 0 10px; }
.crash dt { color: var(--muted); }
.crash dd { margin: 0; min-width: 0; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px;
         border-radius: 10px; border: 1px solid currentColor; }
.badge.new, .badge.failed { color: var(--bad); }
.badge.known { color: var(--muted); }
.badge.reproducible, .badge.passed { color: var(--ok); }
.badge.flaky, .badge.skipped { color: var(--warn); }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px;
      margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--muted); }
.timeline { margin: 10px 0 0; }
.timeline svg { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
.timeline figcaption, .note { color: var(--muted); font-size: 13px; }
footer { color: var(--muted); font-size: 13px; padding-top: 16px; padding-bottom: 24px; }
)";

std::string grouped(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string number_cell(std::uint64_t value) {
  return "<td class=\"num\">" + grouped(value) + "</td>";
}

std::string cell(std::string_view text) { return "<td>" + escape_html(text) + "</td>"; }

std::string code(std::string_view text) { return "<code>" + escape_html(text) + "</code>"; }

std::string badge(std::string_view kind, std::string_view text) {
  return "<span class=\"badge " + std::string(kind) + "\">" + escape_html(text) + "</span>";
}

std::string header(const Report& report) {
  std::string run =
      escape_html(report.time_utc) + " · variant " + code(variant_name(report.variant));
  if (report.mutation != Mutation::none)
    run += " with the seeded bug " + code(mutation_name(report.mutation));
  run += " · " + std::to_string(report.jobs) + " processes (libFuzzer fork mode) · " +
         grouped(report.seconds_per_target) + " s per target";
  const bool bad = report.new_failures();
  std::string nav = "<a href=\"#targets\">Targets</a><a href=\"#crashes\">Crashes (" +
                    std::to_string(report.crashes.size()) +
                    ")</a><a href=\"#properties\">Properties</a>";
  if (report.time_to_exposure) nav += "<a href=\"#time-to-exposure\">Time to exposure</a>";
  if (!report.coverage_html.empty()) nav += "<a href=\"#coverage\">Coverage</a>";
  return "<header>\n<h1>balloonbench nightly</h1>\n<p class=\"run\">" + run + "</p>\n" +
         "<p class=\"verdict " +
         (bad ? "bad\">New failures: this run fails the job." : "ok\">Nothing new failed.") +
         "</p>\n<nav>" + nav + "</nav>\n</header>\n";
}

std::string targets_section(const Report& report) {
  std::string out = "<section id=\"targets\">\n<h2>Targets</h2>\n";
  const std::vector<std::string> failures = report.target_failures();
  if (!failures.empty()) {
    out += "<ul class=\"problems\">\n";
    for (const std::string& failure : failures) out += "<li>" + escape_html(failure) + "</li>\n";
    out += "</ul>\n";
  }
  out +=
      "<table>\n<thead><tr><th>target</th><th>time (s)</th><th>executions</th><th>exec/s</th>"
      "<th>coverage</th><th>corpus before</th><th>corpus after</th><th>new</th><th>merge</th>"
      "</tr></thead>\n<tbody>\n";
  for (const TargetRun& run : report.targets) {
    const std::uint64_t grown =
        run.corpus_after > run.corpus_before ? run.corpus_after - run.corpus_before : 0;
    out += "<tr>" + cell(run.name) + number_cell(run.seconds) +
           number_cell(run.log.executions.value_or(0)) + number_cell(run.exec_per_second()) +
           (run.log.coverage ? number_cell(*run.log.coverage)
                             : std::string("<td class=\"num\">?</td>")) +
           number_cell(run.corpus_before) + number_cell(run.corpus_after) + "<td class=\"num\">+" +
           grouped(grown) + "</td>" + cell(run.merge) + "</tr>\n";
  }
  return out + "</tbody>\n</table>\n</section>\n";
}

// What broke, in words: the violation and where, or the failure's detail; for a crash
// with no failure line (a sanitizer report, a hang), its key says it.
std::string what_broke(const Crash& crash) {
  if (!crash.failure) return code(crash.key);
  if (crash.failure->kind == FailureKind::invariant)
    return escape_html(to_text(crash.failure->violation));
  return escape_html(crash.failure->detail);
}

std::string trace_block(const Crash& crash) {
  if (crash.trace_head.empty())
    return "<p class=\"note\">No trace: the replay printed nothing.</p>\n";
  std::string summary = "Trace";
  if (crash.trace_lines_left > 0)
    summary +=
        ", the first lines (" + grouped(crash.trace_lines_left) + " more: run the replay command)";
  return "<details class=\"trace\" open>\n<summary>" + escape_html(summary) + "</summary>\n<pre>" +
         escape_html(crash.trace_head) + "</pre>\n</details>\n";
}

std::string timeline_block(const Crash& crash) {
  if (crash.timeline_svg.empty()) {
    return "<p class=\"note\">No timeline: balloon-repro draws the runs of balloon_events that "
           "replay to their end.</p>\n";
  }
  return "<figure class=\"timeline\">\n" + crash.timeline_svg +
         "\n<figcaption>The run step by step, as <code>balloon-repro --svg</code> draws it; "
         "hover over a mark for its details.</figcaption>\n</figure>\n";
}

std::string crash_article(const Crash& crash, std::size_t number) {
  const bool flaky = crash.status.rfind("flaky", 0) == 0;
  std::string out = "<article class=\"crash " + std::string(crash.known ? "known" : "new") +
                    "\" id=\"crash-" + std::to_string(number) + "\">\n<h3>" +
                    badge(crash.known ? "known" : "new", crash.known ? "known" : "new") + " " +
                    code(crash.key) + "</h3>\n<dl>\n";
  out += "<dt>target</dt><dd>" + code(crash.target) + "</dd>\n";
  out += "<dt>what broke</dt><dd>" + what_broke(crash) + "</dd>\n";
  out += "<dt>replays</dt><dd>" + badge(flaky ? "flaky" : "reproducible", crash.status) + "</dd>\n";
  if (crash.known) out += "<dt>known from</dt><dd><code>corpus/regressions/</code></dd>\n";
  out += "<dt>input</dt><dd>" + code(crash.file.string()) + "</dd>\n";
  out += "<dt>replay with</dt><dd><pre class=\"command\">" + escape_html(crash.replay) +
         "</pre></dd>\n";
  if (crash.failure && !crash.failure->reproduce.empty()) {
    out += "<dt>reproduce</dt><dd><pre class=\"command\">" + escape_html(crash.failure->reproduce) +
           "</pre></dd>\n";
  }
  return out + "</dl>\n" + trace_block(crash) + timeline_block(crash) + "</article>\n";
}

// One line per crash, each linking to its article below.
std::string crash_index(const std::vector<Crash>& crashes) {
  std::string out =
      "<table class=\"index\">\n<thead><tr><th></th><th>key</th><th>target</th><th>replays</th>"
      "</tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < crashes.size(); ++i) {
    const Crash& crash = crashes[i];
    const bool flaky = crash.status.rfind("flaky", 0) == 0;
    out += "<tr><td>" + badge(crash.known ? "known" : "new", crash.known ? "known" : "new") +
           "</td><td><a href=\"#crash-" + std::to_string(i + 1) + "\">" + code(crash.key) +
           "</a></td>" + cell(crash.target) + "<td>" +
           badge(flaky ? "flaky" : "reproducible", crash.status) + "</td></tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

std::string crashes_section(const Report& report) {
  std::string out = "<section id=\"crashes\">\n<h2>Distinct crashes</h2>\n";
  if (report.crashes.empty()) return out + "<p>No crashes.</p>\n</section>\n";
  const auto fresh =
      static_cast<std::size_t>(std::count_if(report.crashes.begin(), report.crashes.end(),
                                             [](const Crash& crash) { return !crash.known; }));
  out += "<p>" + std::to_string(report.crashes.size()) + " distinct, " + std::to_string(fresh) +
         " new. Each is the smallest input per key, minimised when its key stayed the same, "
         "and replayed three times.</p>\n";
  out += crash_index(report.crashes);
  for (std::size_t i = 0; i < report.crashes.size(); ++i)
    out += crash_article(report.crashes[i], i + 1);
  return out + "</section>\n";
}

std::string properties_section(const Properties& properties) {
  std::string out = "<section id=\"properties\">\n<h2>Properties</h2>\n";
  if (!properties.ran)
    return out + "<p>" + badge("skipped", "skipped") + " (--no-props)</p>\n</section>\n";
  const std::string cases = properties.cases ? std::to_string(*properties.cases) : "?";
  const std::string size = properties.size ? std::to_string(*properties.size) : "?";
  const bool passed = properties.result == "passed";
  return out + "<p>" + badge(passed ? "passed" : "failed", properties.result) + " seed " +
         code(properties.seed) + ", " + escape_html(cases) +
         " cases per property. Rerun with:</p>\n<pre class=\"command\">" +
         escape_html("ci/props-nightly --seed " + properties.seed + " --cases " + cases +
                     " --size " + size) +
         "</pre>\n</section>\n";
}

std::string exposure_section(const TimeToExposure& tte) {
  std::string out =
      "<section id=\"time-to-exposure\">\n<h2>Time to exposure</h2>\n<p>Executions of "
      "libFuzzer until the first crash with the expected key, per bug and start (an empty "
      "corpus, or the seeds that do not already break it); a bug not found counts as the cap, " +
      grouped(tte.cap) +
      " executions.</p>\n<table>\n<thead><tr><th>bug</th><th>from</th><th>median</th>"
      "<th>worst</th><th>found</th></tr></thead>\n<tbody>\n";
  for (const ExposureRow& row : tte.rows) {
    const std::string found =
        std::to_string(row.found) + (row.runs > 0 ? " of " + std::to_string(row.runs) : "");
    out += "<tr>" + cell(row.bug) + cell(row.from) + number_cell(row.median_executions) +
           number_cell(row.worst_executions) + "<td class=\"num\">" + escape_html(found) +
           "</td></tr>\n";
  }
  return out + "</tbody>\n</table>\n</section>\n";
}

std::string coverage_section(std::string_view coverage_html) {
  return "<section id=\"coverage\">\n<h2>Coverage</h2>\n<p>Line and branch coverage of "
         "driver/, sim/ and run/: <a href=\"" +
         href_of_path(coverage_html) + "\">" + escape_html(coverage_html) +
         "</a></p>\n</section>\n";
}

}  // namespace

std::string href_of_path(std::string_view path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string address;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = byte > 0x20 && byte < 0x7f &&
                       std::string_view("\"'<>#%?`{}|\\^").find(c) == std::string_view::npos;
    if (plain) {
      address += c;
    } else {
      address += '%';
      address += kHex[byte >> 4];
      address += kHex[byte & 0xf];
    }
  }
  return escape_html(address);
}

std::string render_html(const Report& report) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
      "balloonbench nightly, " +
      escape_html(report.time_utc) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  out += header(report) + "<main>\n" + targets_section(report) + crashes_section(report) +
         properties_section(report.properties);
  if (report.time_to_exposure) out += exposure_section(*report.time_to_exposure);
  if (!report.coverage_html.empty()) out += coverage_section(report.coverage_html);
  out +=
      "</main>\n<footer>report.md and report.json beside this page hold the same run as text "
      "and as data; balloon-triage wrote all three.</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace balloonbench::triage
