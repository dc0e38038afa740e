// Tests of the SVG timeline (tools/render.h). Each replays a run with a trace, lays the
// timeline out and checks the layout the SVG is written from: every text inside the
// canvas and no two overlapping (a legacy crash, a clean fixed run, runs of hundreds
// of events, violations at boot and at the last step, the whole corpus on every
// variant); the violation's mark in the step, and at the point, that found it; the
// hard limit drawn only where one is latched; a page range that makes a small gap
// tall; the same run giving the same bytes; the overlap check firing on two labels
// forced together; mainline's thread lane.

#include "tools/render.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "run/codec.h"
#include "run/event.h"
#include "run/host.h"
#include "run/trace.h"
#include "run/world.h"

namespace balloonbench {
namespace {

struct Replay {
  Trace trace;
  RunResult result;
};

Replay replay(const Run& run, Variant variant, const char* mutant = nullptr) {
  Replay out;
  WorldOptions options;
  options.variant = variant;
  if (mutant != nullptr) options.mutation = parse_mutation(mutant).value();
  options.trace = &out.trace;
  out.result = balloonbench::run(run, options);
  return out;
}

TimelineLayout lay_out(const Replay& replay) {
  return timeline_layout("a run", replay.trace, replay.result);
}

Run corpus_run(const std::string& name) {
  std::ifstream in(std::string(BALLOONBENCH_CORPUS) + "/" + name, std::ios::binary);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  EXPECT_FALSE(bytes.empty()) << name;
  return decode(bytes);
}

Config guest(std::uint64_t max_pfn, std::uint64_t nr_pages, std::uint64_t max_pages,
             std::uint64_t host_free) {
  Config config;
  config.max_pfn = max_pfn;
  config.nr_pages = nr_pages;
  config.max_low_pfn = max_pfn;
  config.max_pages = max_pages;
  config.host_free = host_free;
  return config;
}

// The regression whose story the timeline exists to tell: legacy latches its hard limit
// under a pending timer; the timer fires in the epilogue, the work does nothing, no
// retry follows (rearm), and the guest never reaches its target (converge).
const char* const kLatched = "regressions/rearm-latches-under-a-pending-timer-then-never-converges";

// A guest that boots with 1,000 of its 1,024 pfns and no free host memory is asked for
// 10 more: current_pages stays 10 short of the target until the epilogue's heal.
Run ten_short_run() {
  return Run{guest(1024, 1000, 1024, 0),
             {events::set_target(1010), events::run_work(), events::tick(20)}};
}

// The first seed of corpus/balloon_events on which `mutant` (on fixed) first breaks `id`.
std::optional<Replay> seed_breaking(const char* mutant, InvariantId id) {
  std::vector<std::filesystem::path> seeds;
  for (const auto& file :
       std::filesystem::directory_iterator(std::string(BALLOONBENCH_CORPUS) + "/balloon_events")) {
    seeds.push_back(file.path());
  }
  std::sort(seeds.begin(), seeds.end());
  for (const std::filesystem::path& seed : seeds) {
    if (seed.filename().string().rfind("README", 0) == 0) continue;
    Replay replayed =
        replay(corpus_run("balloon_events/" + seed.filename().string()), Variant::fixed, mutant);
    if (replayed.result.outcome == Outcome::violation &&
        replayed.result.violations.front().id == id) {
      return replayed;
    }
  }
  return std::nullopt;
}

// `count` events on a guest that keeps moving: targets up and down, work, time passing,
// host memory coming and going, and (when `faults`) short populates and late timers.
Run long_run(std::size_t count, bool faults) {
  Run run{guest(1024, 512, 1024, 2048), {}};
  for (std::size_t i = 0; run.events.size() < count; ++i) {
    switch (i % 6) {
      case 0:
        run.events.push_back(events::set_target(300 + (i * 37) % 700));
        break;
      case 1:
        run.events.push_back(faults ? events::populate_limit(i % 40) : events::proc_read());
        break;
      case 2:
        run.events.push_back(events::run_work());
        break;
      case 3:
        run.events.push_back(events::tick(i % 4 == 0 ? 150 : 1));
        break;
      case 4:
        run.events.push_back(i % 12 < 6 ? events::host_take(i % 20) : events::host_free(i % 20));
        break;
      default:
        run.events.push_back(faults ? events::timer_late(i % 30) : events::proc_read());
        break;
    }
  }
  return run;
}

// A long legacy run that breaks `rearm` at its last event: the host runs dry, the
// target rises, and the populate answers nothing.
Run long_run_broken_at_the_end(std::size_t count) {
  Run run = long_run(count - 3, /*faults=*/false);
  run.events.push_back(events::host_take(1 << 20));
  run.events.push_back(events::set_target(1024));
  run.events.push_back(events::run_work());
  return run;
}

// Every text lies inside the canvas, its box is the one its text and anchor give, and
// no two boxes share any area.
void expect_no_overlap(const TimelineLayout& layout, const std::string& what) {
  const Box canvas{0, 0, layout.width, layout.height};
  ASSERT_FALSE(layout.texts.empty()) << what;
  for (std::size_t i = 0; i < layout.texts.size(); ++i) {
    const PlacedText& text = layout.texts[i];
    const Box box = text_box(text);
    EXPECT_TRUE(box.x0 == text.box.x0 && box.y0 == text.box.y0 && box.x1 == text.box.x1 &&
                box.y1 == text.box.y1)
        << what << ": the box of '" << text.text << "' is not the one it is drawn with";
    EXPECT_TRUE(canvas.contains(box))
        << what << ": '" << text.text << "' leaves the canvas at (" << box.x0 << ", " << box.y0
        << ")-(" << box.x1 << ", " << box.y1 << ")";
    for (std::size_t j = i + 1; j < layout.texts.size(); ++j) {
      EXPECT_FALSE(box.overlaps(layout.texts[j].box))
          << what << ": '" << text.text << "' overlaps '" << layout.texts[j].text << "'";
    }
  }
}

bool has_text(const TimelineLayout& layout, const std::string& text) {
  for (const PlacedText& placed : layout.texts) {
    if (placed.text == text) return true;
  }
  return false;
}

std::vector<const Shape*> shapes(const TimelineLayout& layout, const std::string& role) {
  std::vector<const Shape*> found;
  for (const Shape& shape : layout.shapes) {
    if (shape.role == role) found.push_back(&shape);
  }
  return found;
}

// The mark of the run's first violation, checked to stand inside its step.
const Shape* violation_mark(const TimelineLayout& layout, const RunResult& result) {
  const std::vector<const Shape*> marks =
      shapes(layout, std::string("violation:") + invariant_name(result.violations.front().id));
  if (marks.empty()) return nullptr;
  const Shape* mark = marks.front();
  EXPECT_LT(mark->column, layout.columns.size());
  if (mark->column >= layout.columns.size()) return nullptr;
  const TimelineColumn& column = layout.columns[mark->column];
  EXPECT_GE(mark->x, column.x0);
  EXPECT_LE(mark->x, column.x1);
  EXPECT_EQ(column.phase, result.violations.front().phase);
  return mark;
}

TEST(Timeline, LegacyCrashHasNoOverlappingText) {
  const balloonbench::Run run = corpus_run(kLatched);
  const Replay legacy = replay(run, Variant::legacy);
  ASSERT_EQ(legacy.result.outcome, Outcome::violation);
  ASSERT_EQ(legacy.result.violations.front().id, InvariantId::rearm);
  const TimelineLayout layout = lay_out(legacy);
  expect_no_overlap(layout, "legacy crash");
  // Nothing that explains the crash was left out for want of room.
  for (const char* text :
       {"a run", "rearm", "converge", "pages", "populate_physmap", "timer", "virtual time", "boot",
        "end", "current_pages", "hard limit (latched)", "answered 0", "violation found"}) {
    EXPECT_TRUE(has_text(layout, text)) << text;
  }
  // Boot, each event named, then the epilogue from its heal to its end.
  ASSERT_GE(layout.columns.size(), run.events.size() + 3);
  EXPECT_EQ(layout.columns.front().label, "boot");
  for (std::size_t i = 0; i < run.events.size(); ++i) {
    EXPECT_EQ(layout.columns[i + 1].label, "#" + std::to_string(i) + " " + to_text(run.events[i]));
    EXPECT_TRUE(has_text(layout, layout.columns[i + 1].label)) << i;
  }
  EXPECT_EQ(layout.columns[run.events.size() + 1].label, "heal");
  EXPECT_EQ(layout.columns.back().label, "end");
  EXPECT_EQ(layout.columns.back().t_end,
            layout.columns[run.events.size() + 1].t_start + kConvergeJiffies);
}

// The overlap check itself fires: the same layout with one label moved onto another.
TEST(Timeline, TheOverlapCheckFiresOnLabelsForcedTogether) {
  static TimelineLayout forced;
  forced = lay_out(replay(corpus_run(kLatched), Variant::legacy));
  expect_no_overlap(forced, "as laid out");
  ASSERT_GE(forced.texts.size(), 2U);
  const PlacedText& first = forced.texts.front();
  PlacedText& moved = forced.texts.back();
  moved.x = first.x + 1;
  moved.y = first.y;
  moved.anchor = first.anchor;
  moved.upright = first.upright;
  moved.box = text_box(moved);
  EXPECT_NONFATAL_FAILURE(expect_no_overlap(forced, "forced"), "overlaps");
}

TEST(Timeline, CleanFixedRunHasNoOverlappingText) {
  const Replay fixed = replay(corpus_run(kLatched), Variant::fixed);
  ASSERT_EQ(fixed.result.outcome, Outcome::clean);
  const TimelineLayout layout = lay_out(fixed);
  expect_no_overlap(layout, "clean fixed run");
  EXPECT_TRUE(has_text(layout, "clean"));
  EXPECT_TRUE(shapes(layout, "violation:rearm").empty());
}

TEST(Timeline, RunsOfHundredsOfEventsHaveNoOverlappingText) {
  for (const std::size_t count : {150UL, 400UL, 1000UL}) {
    const Replay fixed = replay(long_run(count, /*faults=*/true), Variant::fixed);
    EXPECT_EQ(fixed.result.outcome, Outcome::clean) << count;
    const TimelineLayout layout = lay_out(fixed);
    EXPECT_GE(layout.columns.size(), count + 2);
    expect_no_overlap(layout, std::to_string(count) + " events");
    EXPECT_TRUE(has_text(layout, "boot")) << count;
  }
}

TEST(Timeline, ViolationAtTheLastOfHundredsOfEvents) {
  const auto run = long_run_broken_at_the_end(300);
  const Replay legacy = replay(run, Variant::legacy);
  ASSERT_EQ(legacy.result.outcome, Outcome::violation);
  ASSERT_EQ(legacy.result.violations.front().event_index, run.events.size() - 1);
  const TimelineLayout layout = lay_out(legacy);
  expect_no_overlap(layout, "violation at the last event");
  const Shape* mark = violation_mark(layout, legacy.result);
  ASSERT_NE(mark, nullptr);
  EXPECT_EQ(mark->column, layout.columns.size() - 1);
  EXPECT_EQ(layout.columns[mark->column].event_index, run.events.size() - 1);
  EXPECT_TRUE(has_text(layout, "rearm"));
  EXPECT_TRUE(has_text(layout, "#" + std::to_string(run.events.size() - 1)));
}

TEST(Timeline, ViolationAtBoot) {
  // A highmem page at the head of the balloon list is found by the boot check.
  const std::optional<Replay> boot = seed_breaking("highmem-at-head", InvariantId::list);
  ASSERT_TRUE(boot.has_value());
  ASSERT_EQ(boot->result.violations.front().phase, Phase::boot);
  const TimelineLayout layout = lay_out(*boot);
  expect_no_overlap(layout, "violation at boot");
  ASSERT_EQ(layout.columns.size(), 1U);
  const Shape* mark = violation_mark(layout, boot->result);
  ASSERT_NE(mark, nullptr);
  EXPECT_EQ(mark->column, 0U);
  EXPECT_TRUE(has_text(layout, "list"));
}

// The epilogue's rearm is found when a work run returns, before the end of the
// epilogue where converge is judged; a populate that asks past the target is marked at
// that populate's bar.
TEST(Timeline, ViolationMarkStandsWhereTheViolationWasFound) {
  const Replay legacy = replay(corpus_run(kLatched), Variant::legacy);
  const TimelineLayout layout = lay_out(legacy);
  const Shape* rearm = violation_mark(layout, legacy.result);
  ASSERT_NE(rearm, nullptr);
  const std::string& found_in = layout.columns[rearm->column].label;
  EXPECT_TRUE(found_in == "timer" || found_in == "work") << found_in;
  const std::vector<const Shape*> converge = shapes(layout, "violation:converge");
  ASSERT_EQ(converge.size(), 1U);
  EXPECT_EQ(layout.columns[converge.front()->column].label, "end");
  EXPECT_LT(rearm->x, converge.front()->x);

  const std::optional<Replay> over =
      seed_breaking("overshoot-target", InvariantId::at_or_below_target);
  ASSERT_TRUE(over.has_value());
  const TimelineLayout over_layout = lay_out(*over);
  const Shape* mark = violation_mark(over_layout, over->result);
  ASSERT_NE(mark, nullptr);
  bool at_a_populate = false;
  for (const Shape& shape : over_layout.shapes) {
    at_a_populate = at_a_populate || (shape.role.rfind("populate:", 0) == 0 &&
                                      shape.column == mark->column && shape.x == mark->x);
  }
  EXPECT_TRUE(at_a_populate);
}

// The hard limit starts at the step whose state first shows it latched, at its value.
TEST(Timeline, HardLimitIsDrawnOnlyWhereLatched) {
  const Replay legacy = replay(corpus_run(kLatched), Variant::legacy);
  const TraceEntry* latched = nullptr;
  for (const TraceEntry& entry : legacy.trace.entries()) {
    const bool state = entry.kind == TraceKind::state || entry.kind == TraceKind::work_done;
    if (latched == nullptr && state && entry.state.hard_limit != kNoHardLimit) latched = &entry;
  }
  ASSERT_NE(latched, nullptr);
  ASSERT_EQ(latched->phase, Phase::event);
  const TimelineLayout layout = lay_out(legacy);
  const std::vector<const Shape*> limit = shapes(layout, "line:hard limit");
  ASSERT_EQ(limit.size(), 1U);
  const TimelineColumn& column = layout.columns.at(latched->event_index + 1);
  ASSERT_EQ(column.event_index, latched->event_index);
  EXPECT_GE(limit.front()->x, column.x0);
  EXPECT_LE(limit.front()->x, column.x1);
  EXPECT_NEAR(limit.front()->y, layout.y_of(latched->state.hard_limit), 0.05);

  const Replay fixed = replay(corpus_run(kLatched), Variant::fixed);
  const TimelineLayout fixed_layout = lay_out(fixed);
  EXPECT_TRUE(shapes(fixed_layout, "line:hard limit").empty());
  EXPECT_FALSE(has_text(fixed_layout, "hard limit (latched)"));
}

// mainline's thread: its lane shows each state it waits in as a band, the back-off
// labelled with its delay and retries, in the step whose state first shows it; a
// driver without a thread has no such lane.
TEST(Timeline, ThreadLaneShowsStateAndBackOff) {
  const Replay mainline =
      replay(corpus_run("balloon_events/back-off-and-cancel"), Variant::mainline);
  const TraceEntry* backing_off = nullptr;
  bool cancelled = false;
  for (const TraceEntry& entry : mainline.trace.entries()) {
    const bool state = entry.kind == TraceKind::state || entry.kind == TraceKind::work_done;
    if (!state || !entry.state.thread) continue;
    if (backing_off == nullptr && entry.state.thread->state == ThreadState::Bp::eagain) {
      backing_off = &entry;
    }
    cancelled = cancelled || entry.state.thread->state == ThreadState::Bp::ecanceled;
  }
  ASSERT_NE(backing_off, nullptr);
  ASSERT_TRUE(cancelled);
  ASSERT_EQ(backing_off->phase, Phase::event);
  const TimelineLayout layout = lay_out(mainline);
  expect_no_overlap(layout, "mainline back-off");
  const std::vector<const Shape*> eagain = shapes(layout, "thread:BP_EAGAIN");
  ASSERT_FALSE(eagain.empty());
  const TimelineColumn& column = layout.columns.at(backing_off->event_index + 1);
  ASSERT_EQ(column.event_index, backing_off->event_index);
  EXPECT_EQ(eagain.front()->column, backing_off->event_index + 1);
  EXPECT_FALSE(shapes(layout, "thread:BP_ECANCELED").empty());
  EXPECT_FALSE(shapes(layout, "thread:BP_DONE").empty());
  const ThreadState& first = *backing_off->state.thread;
  EXPECT_TRUE(has_text(layout, "EAGAIN " + std::to_string(first.schedule_delay) + " s (" +
                                   std::to_string(first.retry_count) + "/" +
                                   std::to_string(first.max_retry_count) + ")"));
  EXPECT_TRUE(has_text(layout, "balloon thread"));
  EXPECT_TRUE(has_text(layout, "thread BP_EAGAIN (back-off)"));

  const TimelineLayout fixed =
      lay_out(replay(corpus_run("balloon_events/back-off-and-cancel"), Variant::fixed));
  EXPECT_TRUE(shapes(fixed, "thread:BP_EAGAIN").empty());
  EXPECT_FALSE(has_text(fixed, "balloon thread"));
}

// A 10-page gap between current_pages and the target on a 1,024-pfn guest is drawn
// tall, with the whole range 0..max_pfn shown beside the plot.
TEST(Timeline, PageRangeFocusesOnWhatTheRunTouched) {
  const TimelineLayout layout = lay_out(replay(ten_short_run(), Variant::fixed));
  expect_no_overlap(layout, "ten short");
  EXPECT_GE(layout.y_of(1000) - layout.y_of(1010), 80.0);
  EXPECT_GT(layout.pages_low, 900U);
  EXPECT_LE(layout.pages_low, 1000U);
  EXPECT_GE(layout.pages_high, 1010U);
  EXPECT_LT(layout.pages_high, 1100U);
  EXPECT_EQ(layout.pages_full, 1024U);
  EXPECT_EQ(shapes(layout, "full-range").size(), 1U);
  EXPECT_EQ(shapes(layout, "full-range:focus").size(), 1U);
  EXPECT_EQ(shapes(layout, "axis-break").size(), 1U);
}

// Every variant the build can run gets the same picture from the same code.
TEST(Timeline, EveryCorpusRunOnEveryVariantHasNoOverlappingText) {
  std::size_t runs = 0;
  for (const char* folder : {"regressions", "balloon_events"}) {
    for (const auto& file :
         std::filesystem::directory_iterator(std::string(BALLOONBENCH_CORPUS) + "/" + folder)) {
      const std::string name = file.path().filename().string();
      if (name.rfind("README", 0) == 0) continue;
      for (const Variant variant : available_variants()) {
        const Replay replayed = replay(corpus_run(std::string(folder) + "/" + name), variant);
        const TimelineLayout layout =
            timeline_layout(file.path().string(), replayed.trace, replayed.result);
        expect_no_overlap(layout, name + " on " + variant_name(variant));
        if (replayed.result.outcome == Outcome::violation) {
          EXPECT_NE(violation_mark(layout, replayed.result), nullptr) << name;
        }
        ++runs;
      }
    }
  }
  EXPECT_GE(runs, 40U);
}

TEST(Timeline, SameRunSameBytes) {
  const auto run = long_run(200, /*faults=*/true);
  const Replay first = replay(run, Variant::legacy);
  const Replay second = replay(run, Variant::legacy);
  const std::string svg = timeline_svg("a run", first.trace, first.result);
  EXPECT_EQ(svg, timeline_svg("a run", second.trace, second.result));
  EXPECT_EQ(svg, timeline_svg(lay_out(first)));
  EXPECT_EQ(svg.rfind("<svg ", 0), 0U);
}

// Names are any bytes: the SVG holds them as valid UTF-8 text, escaped.
TEST(Timeline, TitleOfAnyBytesIsCleanText) {
  const Replay fixed = replay(ten_short_run(), Variant::fixed);
  const std::string svg =
      timeline_svg(std::string("a\xff<b>&\x01\xe2\x82", 9), fixed.trace, fixed.result);
  // (The question marks are split so that no trigraph forms.)
  EXPECT_NE(svg.find(">a?&lt;b&gt;&amp;?"
                     "??"
                     "</text>"),
            std::string::npos);
}

}  // namespace
}  // namespace balloonbench

namespace balloonbench {
namespace {

// A host's timeline: one block per guest under its heading, each the guest's own
// timeline, with the host's verdict as the title.
TEST(HostTimeline, EachGuestHasItsOwnLanesUnderItsHeading) {
  std::ifstream in(std::string(BALLOONBENCH_CORPUS) +
                       "/host-regressions/system-converge-legacy-guest-latched-in-a-shortage",
                   std::ios::binary);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                        std::istreambuf_iterator<char>()};
  ASSERT_TRUE(is_host_encoding(bytes));
  const HostRun run = decode_host(bytes, Variant::legacy, Variant::fixed);
  std::vector<Trace> traces;
  Host host(run, {Mutation::none, &traces});
  run_host(host, run);
  std::vector<std::string> headings;
  std::vector<RunResult> results;
  for (std::size_t i = 0; i < host.guests(); ++i) {
    headings.push_back("guest " + std::to_string(i));
    results.push_back(host.guest(i).result());
  }
  const std::string svg = host_timeline_svg("system-converge", headings, traces, results);
  std::size_t nested = 0;
  for (std::size_t at = svg.find("<svg", 1); at != std::string::npos; at = svg.find("<svg", at + 1))
    ++nested;
  EXPECT_EQ(nested, 2U);
  EXPECT_NE(svg.find(">guest 0</text>"), std::string::npos);
  EXPECT_NE(svg.find(">guest 1</text>"), std::string::npos);
  // Guest 0 (legacy) carries its own violation marks; the second block starts below
  // the first.
  EXPECT_NE(svg.find("violation:rearm"), std::string::npos);
  EXPECT_LT(svg.find(">guest 0</text>"), svg.find(">guest 1</text>"));
}

}  // namespace
}  // namespace balloonbench
