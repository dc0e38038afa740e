// The nightly's HTML page (tools/report_html.h), built from reports made by hand: every
// text taken from a run is escaped, there is one crash article per distinct crash with
// its key, status, replay command, trace and timeline, the time-to-exposure table and
// the coverage link appear only when the run has them, and the page loads nothing.
// Reading bench/tte.sh's JSON and cutting a trace are tested here too. Whether a
// browser shows the page without errors is the CTest report.html-in-a-browser.

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "tools/report_html.h"
#include "tools/triage.h"

namespace balloonbench::triage {
namespace {

std::size_t occurrences(std::string_view text, std::string_view part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string_view::npos;
       at = text.find(part, at + part.size())) {
    ++count;
  }
  return count;
}

bool has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

Crash crash(std::string key, bool known, std::string status) {
  Crash made;
  made.target = "balloon_events";
  made.key = std::move(key);
  made.file = "/o/crashes/distinct/balloon_events-" + made.key;
  made.status = std::move(status);
  made.known = known;
  made.replay = "balloon-repro --variant legacy " + made.file.string();
  return made;
}

Report report_with(std::vector<Crash> crashes) {
  Report report;
  report.time_utc = "2026-11-30T02:00:00Z";
  report.variant = Variant::legacy;
  report.jobs = 2;
  report.seconds_per_target = 10;
  TargetRun run;
  run.name = "balloon_events";
  run.seconds = 10;
  run.corpus_before = 6;
  run.corpus_after = 9;
  run.merge = "merged";
  run.log.executions = 1234567;
  run.log.coverage = 3004;
  run.log.progress_line = "#1234567: cov: 3004";
  report.targets.push_back(run);
  report.crashes = std::move(crashes);
  return report;
}

TEST(Html, EscapesTheFiveCharactersAndAddresses) {
  EXPECT_EQ(escape_html("a<b>&\"c'd"), "a&lt;b&gt;&amp;&quot;c&#39;d");
  EXPECT_EQ(escape_html("plain text, 100%"), "plain text, 100%");
  EXPECT_EQ(href_of_path("/w/cov erage/html/index.html"), "/w/cov%20erage/html/index.html");
  EXPECT_EQ(href_of_path("a#b?c%d\"e<f>"), "a%23b%3Fc%25d%22e%3Cf%3E");
  EXPECT_EQ(href_of_path("x&y"), "x&amp;y");
}

TEST(Html, EscapesEveryTextTakenFromARun) {
  Crash hostile = crash("proc-write-contract:<script>alert('k')</script>", false, "reproducible");
  hostile.replay = "env A=\"1\" && run <file>";
  hostile.trace_head = "event #1 <set_target> & 'more'\n";
  Failure failure;
  failure.kind = FailureKind::proc_write_contract;
  failure.detail = "read past <count> & beyond";
  failure.reproduce = "balloon-repro --hex 01<02>";
  hostile.failure = failure;
  Report report = report_with({hostile});
  report.time_utc = "<time>";
  report.targets.front().name = "t<1>";
  report.targets.front().merge = "not merged (see \"merge.log\")";
  const std::string html = render_html(report);
  EXPECT_FALSE(has(html, "<script"));
  EXPECT_FALSE(has(html, "<set_target>"));
  EXPECT_FALSE(has(html, "<time>"));
  EXPECT_FALSE(has(html, "t<1>"));
  EXPECT_FALSE(has(html, "<file>"));
  EXPECT_FALSE(has(html, "<count>"));
  EXPECT_FALSE(has(html, "01<02>"));
  EXPECT_TRUE(has(html, "proc-write-contract:&lt;script&gt;alert(&#39;k&#39;)&lt;/script&gt;"));
  EXPECT_TRUE(has(html, "env A=&quot;1&quot; &amp;&amp; run &lt;file&gt;"));
  EXPECT_TRUE(has(html, "event #1 &lt;set_target&gt; &amp; &#39;more&#39;"));
  EXPECT_TRUE(has(html, "read past &lt;count&gt; &amp; beyond"));
  EXPECT_TRUE(has(html, "<title>balloonbench nightly, &lt;time&gt;</title>"));
  EXPECT_TRUE(has(html, "<td>t&lt;1&gt;</td>"));
  EXPECT_TRUE(has(html, "not merged (see &quot;merge.log&quot;)"));
}

TEST(Html, OneCrashArticlePerDistinctCrash) {
  Crash rearm = crash("invariant:rearm", true, "reproducible");
  Failure failure;
  failure.violation = Violation{InvariantId::rearm, Phase::event, 4, "no timer armed"};
  failure.variant = Variant::legacy;
  failure.reproduce = "balloon-repro --variant legacy --hex 0100";
  rearm.failure = failure;
  rearm.trace_head = "boot: current 1000\n";
  rearm.trace_lines_left = 7;
  const Report report =
      report_with({rearm, crash("timeout", false, "flaky (1 of 3)"),
                   crash("sanitizer:heap-buffer-overflow:f|g", false, "reproducible")});
  const std::string html = render_html(report);
  EXPECT_TRUE(has(html, "<section id=\"crashes\">"));
  EXPECT_EQ(occurrences(html, "<article class=\"crash "), 3U);
  EXPECT_TRUE(has(html, "<article class=\"crash known\" id=\"crash-1\">"));
  EXPECT_TRUE(has(html, "<article class=\"crash new\" id=\"crash-2\">"));
  EXPECT_TRUE(has(html, "<article class=\"crash new\" id=\"crash-3\">"));
  EXPECT_TRUE(has(html, "<code>invariant:rearm</code>"));
  EXPECT_TRUE(has(html, "<code>sanitizer:heap-buffer-overflow:f|g</code>"));
  EXPECT_TRUE(has(html, "rearm at event #4: no timer armed"));
  EXPECT_TRUE(has(html, "balloon-repro --variant legacy --hex 0100"));
  EXPECT_TRUE(has(html, "<span class=\"badge flaky\">flaky (1 of 3)</span>"));
  // Twice each: in the index and in the article.
  EXPECT_EQ(occurrences(html, "<span class=\"badge reproducible\">reproducible</span>"), 4U);
  EXPECT_TRUE(has(html, "<a href=\"#crash-2\"><code>timeout</code></a>"));
  EXPECT_TRUE(
      has(html, "balloon-repro --variant legacy /o/crashes/distinct/balloon_events-timeout"));
  EXPECT_TRUE(has(html, "<pre>boot: current 1000\n</pre>"));
  EXPECT_TRUE(has(html, "(7 more: run the replay command)"));
  EXPECT_TRUE(has(html, "3 distinct, 2 new."));
  EXPECT_TRUE(has(html, "New failures"));
  EXPECT_TRUE(has(html, "<a href=\"#crashes\">Crashes (3)</a>"));
}

TEST(Html, WithoutCrashesTheSectionSaysSo) {
  const std::string html = render_html(report_with({}));
  EXPECT_TRUE(has(html, "<section id=\"crashes\">\n<h2>Distinct crashes</h2>\n<p>No crashes.</p>"));
  EXPECT_FALSE(has(html, "<article"));
  EXPECT_TRUE(has(html, "Nothing new failed."));
  EXPECT_TRUE(has(html, "<span class=\"badge skipped\">skipped</span> (--no-props)"));
}

TEST(Html, TheTimelineGoesInWholeAndTheTargetTableHasTheNumbers) {
  Crash drawn = crash("invariant:converge", true, "reproducible");
  drawn.timeline_svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>a &lt; b</text></svg>";
  const std::string html =
      render_html(report_with({drawn, crash("timeout", true, "reproducible")}));
  EXPECT_TRUE(has(html, "<figure class=\"timeline\">\n" + drawn.timeline_svg + "\n<figcaption>"));
  EXPECT_EQ(occurrences(html, "<svg"), 1U);
  EXPECT_EQ(occurrences(html, "No timeline:"), 1U);
  EXPECT_TRUE(has(html,
                  "<td>balloon_events</td><td class=\"num\">10</td><td class=\"num\">"
                  "1,234,567</td><td class=\"num\">123,456</td><td class=\"num\">3,004</td>"
                  "<td class=\"num\">6</td><td class=\"num\">9</td><td class=\"num\">+3</td>"
                  "<td>merged</td>"));
}

TEST(Html, TheTimeToExposureTableOnlyWithData) {
  Report report = report_with({});
  EXPECT_FALSE(has(render_html(report), "time-to-exposure"));
  EXPECT_FALSE(has(render_html(report), "Time to exposure"));
  report.time_to_exposure = TimeToExposure{2000,
                                           {ExposureRow{"legacy", "empty", 310, 1200, 3, 3},
                                            ExposureRow{"no-rearm", "seeds", 2000, 2000, 0, 3}}};
  const std::string html = render_html(report);
  EXPECT_TRUE(has(html, "<section id=\"time-to-exposure\">"));
  EXPECT_TRUE(has(html, "<a href=\"#time-to-exposure\">Time to exposure</a>"));
  EXPECT_TRUE(has(html,
                  "<tr><td>legacy</td><td>empty</td><td class=\"num\">310</td>"
                  "<td class=\"num\">1,200</td><td class=\"num\">3 of 3</td></tr>"));
  EXPECT_TRUE(has(html, "<tr><td>no-rearm</td><td>seeds</td>"));
  EXPECT_TRUE(has(html, "counts as the cap, 2,000 executions"));
}

TEST(Html, TheCoverageLinkOnlyWhenAPathIsKnown) {
  Report report = report_with({});
  EXPECT_FALSE(has(render_html(report), "id=\"coverage\""));
  report.coverage_html = "/w/coverage report/html/index.html";
  const std::string html = render_html(report);
  EXPECT_TRUE(has(html, "<section id=\"coverage\">"));
  EXPECT_TRUE(has(html,
                  "<a href=\"/w/coverage%20report/html/index.html\">"
                  "/w/coverage report/html/index.html</a>"));
}

TEST(Html, ThePageLoadsNothing) {
  Report report = report_with({crash("invariant:rearm", true, "reproducible")});
  report.time_to_exposure = TimeToExposure{100, {ExposureRow{"legacy", "empty", 1, 1, 1, 1}}};
  const std::string html = render_html(report);
  EXPECT_EQ(html.substr(0, 16), "<!DOCTYPE html>\n");
  EXPECT_TRUE(has(html, "<meta charset=\"utf-8\">"));
  EXPECT_TRUE(has(html, "</html>\n"));
  for (const char* loads :
       {"<script", "<link", "<img", "<iframe", " src=", "@import", "url(", "http://", "https://"}) {
    EXPECT_FALSE(has(html, loads)) << loads;
  }
}

TEST(TimeToExposure, ReadsTheBenchmarksSummary) {
  std::string error;
  const std::optional<TimeToExposure> tte = read_time_to_exposure(
      R"({"cap": 500, "seeds_per_case": 2, "measurements": [],
          "summary": [{"bug": "legacy", "from": "empty", "median_executions": 40,
                       "worst_executions": 90, "found": 2}]})",
      error);
  ASSERT_TRUE(tte.has_value()) << error;
  EXPECT_EQ(tte->cap, 500U);
  ASSERT_EQ(tte->rows.size(), 1U);
  EXPECT_EQ(tte->rows[0].bug, "legacy");
  EXPECT_EQ(tte->rows[0].from, "empty");
  EXPECT_EQ(tte->rows[0].median_executions, 40U);
  EXPECT_EQ(tte->rows[0].worst_executions, 90U);
  EXPECT_EQ(tte->rows[0].found, 2U);
  EXPECT_EQ(tte->rows[0].runs, 2U);
}

TEST(TimeToExposure, RefusesWhatIsNotTheBenchmarksJson) {
  for (const char* text :
       {"", "not json", "[]", R"({"summary": []})", R"({"cap": -1, "summary": []})",
        R"({"cap": 5, "summary": [{"bug": "legacy"}]})"}) {
    std::string error;
    EXPECT_FALSE(read_time_to_exposure(text, error).has_value()) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

TEST(Trace, FirstLinesCountsWhatItLeavesOut) {
  std::size_t left = 99;
  EXPECT_EQ(first_lines("a\nb\nc\n", 2, left), "a\nb\n");
  EXPECT_EQ(left, 1U);
  EXPECT_EQ(first_lines("a\nb", 5, left), "a\nb\n");
  EXPECT_EQ(left, 0U);
  EXPECT_EQ(first_lines("", 5, left), "");
  EXPECT_EQ(left, 0U);
}

}  // namespace
}  // namespace balloonbench::triage
