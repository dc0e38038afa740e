// Crash triage for the nightly job: balloon-triage reads the run directory ci/nightly
// lays out, keys, deduplicates, minimises and replays its crashes, and writes
// report.md, report.json and report.html (tools/report_html.h). Reading logs, keying and the
// reports are pure functions of text and values, so that tools/triage_test.cc checks them without a
// fuzzer.
//
// The run directory, all plain one-value files (no JSON is written by shell):
//   fuzz/<target>/log            libFuzzer's output
//   fuzz/<target>/status         its exit status
//   fuzz/<target>/seconds        how long it ran
//   fuzz/<target>/corpus_before  corpus files before the run, and after the merge
//   fuzz/<target>/corpus_after
//   fuzz/<target>/merge          what became of the merge, in words
//   crashes/<target>/            the crashes, timeouts and OOMs libFuzzer saved
//   props/{seed,cases,size,result}  as ci/props-nightly --record writes them; no
//                                props/ means the property stage was skipped
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "run/failure.h"

namespace balloonbench::triage {

// --- What the texts say ---------------------------------------------------------

// What a libFuzzer log says about a run, from its last progress line
// ("#N: cov: X ..." in fork mode, "#N<tab>NEW cov: X ..." otherwise).
struct FuzzLogStats {
  std::optional<std::uint64_t> executions;
  std::optional<std::uint64_t> coverage;
  std::string progress_line;  // the last progress line, or empty if there was none
  std::string last_line;      // the log's last non-empty line
};
FuzzLogStats read_fuzz_log(std::string_view log);

// The error kind of a sanitizer's "SUMMARY: <X>Sanitizer: <kind> ..." line, or empty.
// A leak report's summary counts bytes instead of naming a kind; its kind is "leak".
std::string sanitizer_kind(std::string_view report);
// The functions of the first `count` stack frames ("    #N 0x... in <function> ...")
// in the report that are not the runtime's (__*), libFuzzer's (fuzzer::, LLVMFuzzer*),
// the standard library's (std::) or main. <function> ends at a space or '('.
std::vector<std::string> top_frames(std::string_view report, std::size_t count);
// The kind libFuzzer's artifact name gives ("timeout", "out-of-memory", "slow-unit",
// "leak"), or empty for a crash.
std::string artifact_kind(std::string_view file_name);
// Whether an input replays through the fuzz target under -timeout and -rss_limit_mb
// (hangs, OOMs and slow units) rather than through the plain replay executable.
bool replays_under_limits(std::string_view file_name);

// The key crashes are deduplicated by, from the log of one replay: the failure line's
// key (invariant:<id>, or <kind>:<detail> for proc-write-contract, divergence and
// kernel-library); else, with a sanitizer summary,
// "sanitizer:<kind>:<f1|f2|f3>"; else the artifact kind of the file's name; else
// "sanitizer:unknown:<frames, or ?>".
std::string crash_key(std::string_view replay_log, std::string_view file_name);

// The invariants corpus/regressions shows legacy breaking, read off its file names
// (`<invariant-id>-<description>`) against the catalogue.
std::set<InvariantId> regression_invariants(const std::vector<std::string>& file_names);
// Known only on legacy without a seeded bug, for an invariant the regressions show
// broken; on the fixed driver, or with a mutation, every crash is new.
bool is_known(std::string_view key, Variant variant, Mutation mutation,
              const std::set<InvariantId>& regressions);

// "<target>-<key>", the key with every run of other than [A-Za-z0-9._-] made one '-'
// and cut to 80 characters: the name of a distinct crash's file.
std::string kept_file_name(std::string_view target, std::string_view key);
// "reproducible" when every replay crashed, else "flaky (k of n)".
std::string replay_status(unsigned crashed, unsigned replays);
// The command that replays a kept crash: balloon-repro for the run and host targets, the fuzz
// target under its limits for a hang or OOM, else the target's replay executable.
std::string replay_command(const std::filesystem::path& bin_dir, std::string_view target,
                           std::string_view key, const std::filesystem::path& kept, Variant variant,
                           Mutation mutation);

// --- The report -----------------------------------------------------------------

struct TargetRun {
  std::string name;
  std::uint64_t seconds = 0;
  int status = 0;               // libFuzzer's exit status
  std::size_t crash_files = 0;  // files it saved in crashes/<target>/
  std::uint64_t corpus_before = 0;
  std::uint64_t corpus_after = 0;
  std::string merge;
  FuzzLogStats log;

  std::uint64_t exec_per_second() const;
};
// Why a target could not run, or nothing. Fork mode with -ignore_crashes passes on a
// crashed job's exit status, so an error status with crashes saved is those crashes;
// no progress line at all, or an error with nothing saved, means it could not run.
std::optional<std::string> could_not_run(const TargetRun& run);

struct Crash {
  std::string target;
  std::string key;
  std::filesystem::path file;  // the kept (minimised when it could be) input
  std::string status;          // replay_status
  bool known = false;
  std::string replay;
  std::optional<Failure> failure;  // from the failure line, when there was one
  // For the HTML report: the first lines of what its replay printed (balloon-repro's
  // trace, for a run), how many more there were, and the run's timeline as one <svg>
  // element (empty when the input is no run or could not be drawn).
  std::string trace_head;
  std::size_t trace_lines_left = 0;
  std::string timeline_svg;
};

struct Properties {
  bool ran = false;  // false: skipped (--no-props)
  std::string seed;
  std::optional<std::uint64_t> cases;
  std::optional<std::uint64_t> size;
  std::string result;  // passed or failed
};

// Time to exposure, as bench/tte.sh (ci/bench --tte) writes it: per bug and start
// (an empty corpus or the seeds), the median and worst executions to the first crash
// with the expected key, and in how many of the runs it was found at all.
struct ExposureRow {
  std::string bug;
  std::string from;
  std::uint64_t median_executions = 0;
  std::uint64_t worst_executions = 0;
  std::uint64_t found = 0;
  std::uint64_t runs = 0;
};
struct TimeToExposure {
  std::uint64_t cap = 0;  // executions; "not found" counts as the cap
  std::vector<ExposureRow> rows;
};
// Reads bench/tte.sh's JSON; nothing, with `error` set, if it is not that.
std::optional<TimeToExposure> read_time_to_exposure(std::string_view json_text, std::string& error);

struct Report {
  std::string time_utc;  // "2024-05-01T02:00:00Z"
  Variant variant = Variant::fixed;
  Mutation mutation = Mutation::none;
  unsigned jobs = 1;
  std::uint64_t seconds_per_target = 0;
  std::vector<TargetRun> targets;
  std::vector<Crash> crashes;
  Properties properties;
  std::optional<TimeToExposure> time_to_exposure;  // when the run was given one
  std::string coverage_html;                       // a coverage report's index.html, if known

  std::vector<std::string> target_failures() const;
  // A target that could not run, a new crash or a failed property.
  bool new_failures() const;
};

std::string render_markdown(const Report& report);
// Field names as ci/nightly's report.json always had them, plus each crash's failure.
nlohmann::ordered_json render_json(const Report& report);

// --- Running it -----------------------------------------------------------------

// How a child process ended.
struct ProcessResult {
  bool started = false;
  bool timed_out = false;
  int exit_status = 0;  // when it exited
  int signal = 0;       // when a signal ended it
  bool failed() const { return !started || timed_out || signal != 0 || exit_status != 0; }
};
// Runs argv (argv[0] a path) with stdin from /dev/null and stdout and stderr into
// `output`, in a process group of its own that is killed after `limit`. `environment`
// ("NAME=value") replaces or adds to this process's environment for the child.
ProcessResult run_bounded(const std::vector<std::string>& argv, const std::filesystem::path& output,
                          std::chrono::milliseconds limit,
                          const std::vector<std::string>& environment = {});

struct Options {
  std::filesystem::path run_dir;
  std::filesystem::path bin_dir;  // a build with fuzz/<target>, fuzz/<target>_replay, tools/
  std::vector<std::filesystem::path>
      regressions_dirs;  // corpus/regressions and corpus/host-regressions
  Variant variant = Variant::fixed;
  Mutation mutation = Mutation::none;
  unsigned jobs = 1;
  std::uint64_t seconds_per_target = 0;
};

// The first `count` lines of `text`, and how many lines came after them.
std::string first_lines(std::string_view text, std::size_t count, std::size_t& left);

// Reads fuzz/<target>/ of the run directory; nothing if a file is missing or unreadable.
std::optional<TargetRun> read_target_run(const std::filesystem::path& run_dir,
                                         const std::string& target, std::string& error);
Properties read_properties(const std::filesystem::path& props_dir);

// Keys, deduplicates, minimises and replays the crashes of `targets`, printing progress.
std::vector<Crash> triage_crashes(const Options& options, const std::vector<std::string>& targets);

}  // namespace balloonbench::triage
