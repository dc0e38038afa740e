// balloon-triage's parts (tools/triage.h): statistics from libFuzzer logs, crash keys
// from replay logs (the failure line first, never prose; then the sanitizer's summary
// and frames; then libFuzzer's file names), known or new, the reports, child processes
// with a time limit, and the whole triage of a run directory against a fake build whose
// "fuzz targets" are shell scripts, so that it needs no fuzzer and runs in milliseconds.

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tools/triage.h"

namespace balloonbench::triage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const char kForkLog[] =
    "INFO: Seed: 1518296187\n"
    "INFO: -fork=2: 6 seed inputs, starting to fuzz in /tmp/libFuzzerTemp.dir\n"
    "#6: cov: 1828 ft: 1828 corp: 6 exec/s 0 oom/timeout/crash: 0/0/0 time: 2s job: 1\n"
    "  NEW_FUNC: 0x56157ccc4010 in LLVMFuzzerTestOneInput /work/fuzz/balloon_events.cc:19\n"
    "#485: cov: 3004 ft: 3464 corp: 93 exec/s 0 oom/timeout/crash: 0/0/19 time: 8s job: 21\n"
    "==25811== ERROR: libFuzzer: deadly signal\n"
    "INFO: exiting: 77 time: 8s\n";

// An AddressSanitizer report, cut down from a real balloon_procfs_replay one.
const char kAsanReport[] =
    "running crash-1 (4 bytes)\n"
    "==25845==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000073\n"
    "READ of size 4 at 0x602000000073 thread T0\n"
    "    #0 0x55b9fc0fba35 in strnlen (/build/fuzz/balloon_procfs_replay+0x98a35)\n"
    "    #1 0x55b9fc22a924 in balloonbench::BalloonCore::balloon_write(std::basic_string_view<"
    "char, std::char_traits<char> >) /src/driver/xen-2.6.18/balloon.cc:290:49\n"
    "    #2 0x55b9fc1a5ce3 in LLVMFuzzerTestOneInput /src/fuzz/balloon_procfs.cc:67:24\n"
    "    #3 0x55b9fc1a0000 in fuzzer::Fuzzer::ExecuteCallback(unsigned char const*, unsigned "
    "long) FuzzerLoop.cpp:611:15\n"
    "    #4 0x55b9fc1aa023 in main /src/fuzz/replay_main.cc:71:5\n"
    "    #5 0x7f3c79b65249 in __libc_start_call_main csu/libc_start_call_main.h:58:16\n"
    "    #6 0x55b9fc0e5630 in _start (/build/fuzz/balloon_procfs_replay+0x82630)\n"
    "\n"
    "SUMMARY: AddressSanitizer: heap-buffer-overflow (/build/fuzz/balloon_procfs_replay+0x98a35) "
    "in strnlen\n"
    "==25845==ABORTING\n";

Failure rearm_failure() {
  Failure failure;
  failure.violation = Violation{InvariantId::rearm, Phase::event, 4, "no timer armed"};
  failure.variant = Variant::legacy;
  failure.reproduce = "balloon-repro --variant legacy --hex 0100";
  return failure;
}

TEST(FuzzLog, ReadsTheLastProgressLineOfForkMode) {
  const FuzzLogStats stats = read_fuzz_log(kForkLog);
  EXPECT_EQ(stats.executions, 485U);
  EXPECT_EQ(stats.coverage, 3004U);
  EXPECT_EQ(stats.progress_line.substr(0, 15), "#485: cov: 3004");
  EXPECT_EQ(stats.last_line, "INFO: exiting: 77 time: 8s");
}

TEST(FuzzLog, ReadsPlainModeProgressLines) {
  const FuzzLogStats stats = read_fuzz_log(
      "#2\tINITED cov: 40 ft: 41 corp: 1/1b exec/s: 0 rss: 30Mb\n"
      "#1024\tpulse  cov: 235 ft: 500 corp: 27/1kb lim: 4 exec/s: 512 rss: 31Mb\n\n");
  EXPECT_EQ(stats.executions, 1024U);
  EXPECT_EQ(stats.coverage, 235U);
  EXPECT_EQ(stats.last_line.substr(0, 5), "#1024");
}

TEST(FuzzLog, WithoutProgressLinesKnowsNothing) {
  const FuzzLogStats stats =
      read_fuzz_log("#!/bin/sh cov: 3\n#12 no coverage here\nerror: cannot open corpus\n");
  EXPECT_FALSE(stats.executions.has_value());
  EXPECT_FALSE(stats.coverage.has_value());
  EXPECT_TRUE(stats.progress_line.empty());
  EXPECT_EQ(stats.last_line, "error: cannot open corpus");
}

TEST(Sanitizer, KindComesFromTheSummaryLine) {
  EXPECT_EQ(sanitizer_kind(kAsanReport), "heap-buffer-overflow");
  EXPECT_EQ(sanitizer_kind("SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior a.cc:3:4 in\n"),
            "undefined-behavior");
  EXPECT_EQ(sanitizer_kind("SUMMARY: AddressSanitizer: 24 byte(s) leaked in 1 allocation(s).\n"),
            "leak");
  EXPECT_EQ(sanitizer_kind("SUMMARY: libFuzzer: timeout\n"), "");
  EXPECT_EQ(sanitizer_kind("  SUMMARY: AddressSanitizer: not-at-line-start\n"), "");
}

TEST(Sanitizer, TopFramesSkipTheRuntimeLibFuzzerAndMain) {
  EXPECT_EQ(
      top_frames(kAsanReport, 3),
      (std::vector<std::string>{"strnlen", "balloonbench::BalloonCore::balloon_write", "_start"}));
  EXPECT_EQ(top_frames(kAsanReport, 1), std::vector<std::string>{"strnlen"});
  EXPECT_TRUE(top_frames("#0 0x1 in unindented\n    #1 in no_address\n", 3).empty());
}

TEST(CrashKey, TheFailureLineDecides) {
  // Prose in the old format, and a sanitizer summary, do not outvote the line.
  const std::string log = std::string("==balloonbench== ledger at event #1: prose\n") +
                          kAsanReport + failure_line(rearm_failure()) + "\n";
  EXPECT_EQ(crash_key(log, "crash-1"), "invariant:rearm");
  // Whatever the detail text says, even naming another invariant, the id decides.
  Failure reworded = rearm_failure();
  reworded.violation.detail = "ledger at event #9: a sentence written differently";
  EXPECT_EQ(crash_key(failure_line(reworded) + "\n", "crash-1"), "invariant:rearm");

  Failure contract;
  contract.kind = FailureKind::proc_write_contract;
  contract.detail = "unexpected return value";
  EXPECT_EQ(crash_key(failure_line(contract), "crash-2"),
            "proc-write-contract:unexpected return value");

  Failure library;
  library.kind = FailureKind::kernel_library;
  library.detail = "simple_strtoull reads another number than the kernel's";
  EXPECT_EQ(crash_key(failure_line(library), "crash-3"),
            "kernel-library:simple_strtoull reads another number than the kernel's");
  const std::optional<Failure> read_back =
      failure_from_json(nlohmann::json::parse(to_json(library).dump()));
  ASSERT_TRUE(read_back.has_value());
  EXPECT_EQ(read_back->key(), library.key());
}

TEST(CrashKey, ProseAloneIsNoInvariant) {
  EXPECT_EQ(crash_key("==balloonbench== violation of rearm (variant legacy)\n"
                      "rearm at event #3: no timer armed\n",
                      "crash-1"),
            "sanitizer:unknown:?");
}

TEST(CrashKey, ASanitizerReportGivesKindAndFrames) {
  EXPECT_EQ(
      crash_key(kAsanReport, "crash-1"),
      "sanitizer:heap-buffer-overflow:strnlen|balloonbench::BalloonCore::balloon_write|_start");
}

TEST(CrashKey, HangsAndOomsAreKnownByTheirFileName) {
  const char hang[] =
      "ALARM: working on the last Unit for 10 seconds\nSUMMARY: libFuzzer: timeout\n";
  EXPECT_EQ(crash_key(hang, "timeout-abc"), "timeout");
  EXPECT_EQ(crash_key("", "oom-abc"), "out-of-memory");
  EXPECT_EQ(crash_key("", "slow-unit-abc"), "slow-unit");
  EXPECT_EQ(crash_key("", "leak-abc"), "leak");
  // A report, when there is one, still says more than the name.
  EXPECT_EQ(crash_key(kAsanReport, "timeout-abc").substr(0, 31), "sanitizer:heap-buffer-overflow:");
}

TEST(Artifacts, HangsAndOomsReplayUnderLibFuzzersLimits) {
  EXPECT_TRUE(replays_under_limits("timeout-1"));
  EXPECT_TRUE(replays_under_limits("oom-1"));
  EXPECT_TRUE(replays_under_limits("slow-unit-1"));
  EXPECT_FALSE(replays_under_limits("leak-1"));
  EXPECT_FALSE(replays_under_limits("crash-1"));
  EXPECT_EQ(artifact_kind("crash-timeout-1"), "");
}

TEST(Known, OnlyLegacyWithoutAMutantKnowsTheRegressionsInvariants) {
  const std::set<InvariantId> ids = regression_invariants(
      {"README.md", "rearm-latches-on-a-zero-populate", "no-partial-return-hands-back",
       "progress-asks-again", "nonsense-name", "rearm"});
  EXPECT_EQ(ids, (std::set<InvariantId>{InvariantId::rearm, InvariantId::no_partial_return,
                                        InvariantId::progress}));
  EXPECT_TRUE(is_known("invariant:rearm", Variant::legacy, Mutation::none, ids));
  EXPECT_FALSE(is_known("invariant:ledger", Variant::legacy, Mutation::none, ids));
  EXPECT_FALSE(is_known("invariant:rearm", Variant::fixed, Mutation::none, ids));
  EXPECT_FALSE(is_known("invariant:rearm", Variant::legacy, all_mutations().back(), ids));
  EXPECT_FALSE(is_known("timeout", Variant::legacy, Mutation::none, ids));
  EXPECT_FALSE(is_known("sanitizer:rearm:x", Variant::legacy, Mutation::none, ids));
}

TEST(Names, KeptFilesAndStatuses) {
  EXPECT_EQ(kept_file_name("balloon_events", "invariant:rearm"), "balloon_events-invariant-rearm");
  EXPECT_EQ(kept_file_name("balloon_procfs", "sanitizer:heap-buffer-overflow:a::b|c"),
            "balloon_procfs-sanitizer-heap-buffer-overflow-a-b-c");
  EXPECT_EQ(kept_file_name("t", std::string(200, 'x')).size(), 2U + 80U);
  EXPECT_EQ(replay_status(3, 3), "reproducible");
  EXPECT_EQ(replay_status(1, 3), "flaky (1 of 3)");
  EXPECT_EQ(replay_status(0, 3), "flaky (0 of 3)");
}

TEST(Names, ReplayCommands) {
  const Mutation mutant = all_mutations().back();
  const std::string m = mutation_name(mutant);
  EXPECT_EQ(replay_command("/b", "balloon_events", "invariant:rearm", "/o/k", Variant::legacy,
                           Mutation::none),
            "/b/tools/balloon-repro --variant legacy /o/k");
  EXPECT_EQ(
      replay_command("/b", "balloon_events", "invariant:rearm", "/o/k", Variant::fixed, mutant),
      "/b/tools/balloon-repro --variant fixed --mutant " + m + " /o/k");
  EXPECT_EQ(
      replay_command("/b", "balloon_procfs", "timeout", "/o/k", Variant::fixed, Mutation::none),
      "BALLOON_VARIANT=fixed /b/fuzz/balloon_procfs -timeout=10 -rss_limit_mb=2048 /o/k");
  EXPECT_EQ(replay_command("/b", "balloon_procfs", "sanitizer:x:y", "/o/k", Variant::fixed, mutant),
            "BALLOON_VARIANT=fixed BALLOON_MUTANT=" + m + " /b/fuzz/balloon_procfs_replay /o/k");
  // A host replays with balloon-repro too: guest 0 on the variant, the others fixed.
  EXPECT_EQ(replay_command("/b", "balloon_host", "invariant:system-converge", "/o/k",
                           Variant::legacy, Mutation::none),
            "/b/tools/balloon-repro --host --variant legacy --others fixed /o/k");
  // Paths with spaces or quotes stay one word each for the shell.
  EXPECT_EQ(replay_command("/my build", "balloon_events", "invariant:rearm", "/o/it's here",
                           Variant::legacy, Mutation::none),
            "'/my build/tools/balloon-repro' --variant legacy '/o/it'\\''s here'");
}

TargetRun target_run(const char* log, int status, std::size_t crash_files) {
  TargetRun run;
  run.name = "balloon_events";
  run.seconds = 10;
  run.status = status;
  run.crash_files = crash_files;
  run.corpus_before = 6;
  run.corpus_after = 9;
  run.merge = "merged";
  run.log = read_fuzz_log(log);
  return run;
}

TEST(CouldNotRun, NeedsProgressAndCrashesToExplainAnErrorStatus) {
  EXPECT_FALSE(could_not_run(target_run(kForkLog, 0, 0)).has_value());
  EXPECT_FALSE(could_not_run(target_run(kForkLog, 77, 19)).has_value());
  EXPECT_EQ(could_not_run(target_run(kForkLog, 1, 0)),
            "balloon_events could not run (exit 1): INFO: exiting: 77 time: 8s");
  EXPECT_EQ(could_not_run(target_run("ERROR: no such file\n", 0, 0)),
            "balloon_events could not run (exit 0): ERROR: no such file");
}

Report small_report() {
  Report report;
  report.time_utc = "2024-05-01T02:00:00Z";
  report.variant = Variant::legacy;
  report.jobs = 2;
  report.seconds_per_target = 10;
  report.targets.push_back(target_run(kForkLog, 77, 1));
  Crash crash;
  crash.target = "balloon_events";
  crash.key = "invariant:rearm";
  crash.file = "/o/crashes/distinct/k";
  crash.status = "reproducible";
  crash.known = true;
  crash.replay = "repro /o/k";
  crash.failure = rearm_failure();
  report.crashes.push_back(crash);
  report.properties = Properties{true, "42", 2000, 150, "passed"};
  return report;
}

TEST(Report, MarkdownReadsAsBefore) {
  EXPECT_EQ(render_markdown(small_report()),
            "# balloonbench nightly, 2024-05-01T02:00:00Z\n"
            "\n"
            "Variant `legacy`, 2 processes (libFuzzer fork mode), 10s per target.\n"
            "\n"
            "| target | time (s) | executions | exec/s | coverage | corpus before | corpus after | "
            "merge |\n"
            "|---|---|---|---|---|---|---|---|\n"
            "| balloon_events | 10 | 485 | 48 | 3004 | 6 | 9 | merged |\n"
            "\n"
            "## Distinct crashes\n"
            "\n"
            "| target | key | minimised file | replays | | replay with |\n"
            "|---|---|---|---|---|---|\n"
            "| balloon_events | `invariant:rearm` | `/o/crashes/distinct/k` | reproducible | known "
            "(corpus/regressions) | `repro /o/k` |\n"
            "\n"
            "## Properties\n"
            "\n"
            "Seed 42, 2000 cases per property: **passed**. Rerun with `ci/props-nightly --seed 42 "
            "--cases 2000 --size 150`.\n");
}

TEST(Report, MarkdownNamesTargetsThatCouldNotRunAndSkippedProperties) {
  Report report = small_report();
  report.mutation = all_mutations().back();
  report.targets.front() = target_run("", 1, 0);
  report.crashes.clear();
  report.properties = Properties{};
  const std::string md = render_markdown(report);
  EXPECT_NE(md.find(std::string("with the seeded bug `") + mutation_name(report.mutation) + "`"),
            std::string::npos);
  EXPECT_NE(md.find("\n- **balloon_events could not run (exit 1): **\n"), std::string::npos);
  EXPECT_NE(md.find("| ? | 6 | 9 |"), std::string::npos);
  EXPECT_NE(md.find("\nNo crashes.\n"), std::string::npos);
  EXPECT_NE(md.find("\nSkipped (--no-props).\n"), std::string::npos);
}

TEST(Report, MarkdownEscapesTheFramesSeparatorInCells) {
  Report report = small_report();
  report.crashes.front().key = "sanitizer:kind:a|b";
  EXPECT_NE(render_markdown(report).find("| `sanitizer:kind:a\\|b` |"), std::string::npos);
}

TEST(Report, JsonKeepsTheFieldNamesAndAddsTheFailure) {
  const nlohmann::ordered_json json = render_json(small_report());
  const std::string start =
      R"({"variant":"legacy","mutant":null,"jobs":2,"seconds_per_target":10,"targets":[{)";
  EXPECT_EQ(json.dump().substr(0, start.size()), start);
  const auto& target = json.at("targets").at(0);
  EXPECT_EQ(target.at("name"), "balloon_events");
  EXPECT_EQ(target.at("time_seconds"), 10);
  EXPECT_EQ(target.at("executions"), 485);
  EXPECT_EQ(target.at("exec_per_second"), 48);
  EXPECT_EQ(target.at("coverage"), 3004);
  EXPECT_EQ(target.at("corpus_before"), 6);
  EXPECT_EQ(target.at("corpus_after"), 9);
  EXPECT_EQ(target.at("merge"), "merged");
  const auto& crash = json.at("crashes").at(0);
  EXPECT_EQ(crash.at("key"), "invariant:rearm");
  EXPECT_EQ(crash.at("file"), "/o/crashes/distinct/k");
  EXPECT_EQ(crash.at("status"), "reproducible");
  EXPECT_EQ(crash.at("known"), true);
  EXPECT_EQ(crash.at("replay"), "repro /o/k");
  const std::optional<Failure> failure = failure_from_json(nlohmann::json(crash.at("failure")));
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->key(), "invariant:rearm");
  EXPECT_EQ(json.at("properties").at("seed"), "42");
  EXPECT_EQ(json.at("properties").at("cases"), 2000);
  EXPECT_EQ(json.at("properties").at("result"), "passed");
  EXPECT_EQ(json.at("new_failures"), false);
  EXPECT_EQ(json.at("could_not_run"), nlohmann::ordered_json::array());
}

TEST(Report, AnythingNewFailsTheRun) {
  EXPECT_FALSE(small_report().new_failures());
  Report report = small_report();
  report.crashes.front().known = false;
  EXPECT_TRUE(report.new_failures());
  report = small_report();
  report.properties.result = "failed";
  EXPECT_TRUE(report.new_failures());
  report = small_report();
  report.targets.front().status = 1;
  report.targets.front().crash_files = 0;
  EXPECT_TRUE(report.new_failures());
  EXPECT_EQ(render_json(report).at("could_not_run").size(), 1U);
  report = small_report();
  report.properties = Properties{};
  EXPECT_FALSE(report.new_failures());
  const nlohmann::ordered_json json = render_json(report);
  EXPECT_TRUE(json.at("properties").at("seed").is_null());
  EXPECT_EQ(json.at("properties").at("result"), "skipped");
}

// A fresh directory for one test.
fs::path scratch_dir(const std::string& name) {
  const fs::path dir =
      fs::path(::testing::TempDir()) / ("triage-test-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& text, bool executable = false) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
  if (executable) fs::permissions(path, fs::perms::owner_all, fs::perm_options::add);
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(Process, ReportsExitStatusSignalAndOutput) {
  const fs::path dir = scratch_dir("process");
  const ProcessResult exited =
      run_bounded({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, dir / "log", 10s);
  EXPECT_TRUE(exited.started);
  EXPECT_EQ(exited.exit_status, 3);
  EXPECT_TRUE(exited.failed());
  EXPECT_EQ(read(dir / "log"), "out\nerr\n");
  const ProcessResult aborted = run_bounded({"/bin/sh", "-c", "kill -ABRT $$"}, dir / "log", 10s);
  EXPECT_EQ(aborted.signal, SIGABRT);
  const ProcessResult clean = run_bounded({"/bin/sh", "-c", "exit 0"}, dir / "log", 10s);
  EXPECT_FALSE(clean.failed());
  EXPECT_FALSE(run_bounded({(dir / "missing").string()}, dir / "log", 10s).started);
}

TEST(Process, KillsWhatOutlivesItsLimitWithItsChildren) {
  const fs::path dir = scratch_dir("limit");
  const auto start = std::chrono::steady_clock::now();
  // The grandchild would touch the file after 2 s if the group were not killed.
  const ProcessResult hung = run_bounded(
      {"/bin/sh", "-c", "(sleep 2; touch " + (dir / "survived").string() + ") & sleep 30"},
      dir / "log", 200ms);
  EXPECT_TRUE(hung.timed_out);
  EXPECT_TRUE(hung.failed());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  std::this_thread::sleep_for(2500ms);
  EXPECT_FALSE(fs::exists(dir / "survived"));
}

TEST(Process, TheEnvironmentReplacesInheritedValues) {
  const fs::path dir = scratch_dir("environment");
  setenv("BALLOON_MUTANT", "inherited", 1);
  run_bounded({"/bin/sh", "-c", "echo \"$BALLOON_VARIANT/$BALLOON_MUTANT/${PATH:+path}\""},
              dir / "log", 10s, {"BALLOON_VARIANT=legacy", "BALLOON_MUTANT="});
  unsetenv("BALLOON_MUTANT");
  EXPECT_EQ(read(dir / "log"), "legacy//path\n");
}

// A fake build in DIR/bin: the replay executable crashes on inputs starting with R
// (breaking rearm), A or B (ASan reports whose keys differ only in the third frame,
// past the length of a kept file's name) and passes others, noting the variant it ran
// on in DIR/variants; the "fuzzer" minimises any input to the single byte R, and reports
// a hang for anything else (as for an input under -timeout).
const char kFakeReplay[] =
    "#!/bin/sh\n"
    "dir=$(dirname \"$0\")/../..\n"
    "echo \"$BALLOON_VARIANT\" >>\"$dir/variants\"\n"
    "case $(head -c 1 \"$1\") in\n"
    "  R) cat \"$dir/rearm.line\"; exit 134 ;;\n"
    "  A) cat \"$dir/asan.report\"; exit 1 ;;\n"
    "  B) cat \"$dir/other.report\"; exit 1 ;;\n"
    "esac\n";
const char kFakeFuzzer[] =
    "#!/bin/sh\n"
    "for arg; do case $arg in\n"
    "  -exact_artifact_path=*) printf R >\"${arg#*=}\"; exit 0 ;;\n"
    "esac; done\n"
    "echo 'SUMMARY: libFuzzer: timeout'\n"
    "exit 70\n";
// balloon-repro draws a timeline into --svg's file and prints a 50-line trace.
const char kFakeRepro[] =
    "#!/bin/sh\n"
    "while [ $# -gt 1 ]; do case $1 in --svg) svg=$2; shift 2 ;; *) shift ;; esac; done\n"
    "printf '<svg xmlns=\"http://www.w3.org/2000/svg\"><text>run</text></svg>\\n' >\"$svg\"\n"
    "i=1; while [ $i -le 50 ]; do echo \"event #$i\"; i=$((i + 1)); done\n"
    "exit 1\n";

fs::path fake_build(const fs::path& dir) {
  write(dir / "rearm.line", failure_line(rearm_failure()) + "\n");
  write(dir / "asan.report", kAsanReport);
  std::string other = kAsanReport;
  other.replace(other.find("in _start"), 9, "in _stop");
  write(dir / "other.report", other);
  write(dir / "bin" / "fuzz" / "balloon_events_replay", kFakeReplay, true);
  write(dir / "bin" / "fuzz" / "balloon_events", kFakeFuzzer, true);
  write(dir / "bin" / "tools" / "balloon-repro", kFakeRepro, true);
  return dir / "bin";
}

TEST(Triage, KeysDeduplicatesMinimisesAndJudgesARunDirectory) {
  const fs::path dir = scratch_dir("run");
  Options options;
  options.run_dir = dir / "out";
  options.bin_dir = fake_build(dir);
  options.regressions_dirs = {dir / "regressions"};
  options.variant = Variant::legacy;
  write(options.regressions_dirs.front() / "README.md", "");
  write(options.regressions_dirs.front() / "rearm-latches-on-a-zero-populate", "");
  const fs::path crashes = options.run_dir / "crashes" / "balloon_events";
  write(crashes / "crash-1", "R-longer-input");
  write(crashes / "crash-2", "R-long");
  write(crashes / "crash-3", "A-report");
  write(crashes / "timeout-4", "Tx");
  write(crashes / "crash-5", "B-report");

  const std::vector<Crash> found = triage_crashes(options, {"balloon_events"});
  ASSERT_EQ(found.size(), 4U);  // by key: rearm, two sanitizer reports, timeout
  EXPECT_EQ(found[0].key, "invariant:rearm");
  EXPECT_TRUE(found[0].known);
  EXPECT_EQ(found[0].status, "reproducible");
  ASSERT_TRUE(found[0].failure.has_value());
  EXPECT_EQ(found[0].failure->violation.id, InvariantId::rearm);
  EXPECT_EQ(found[0].file, options.run_dir / "crashes/distinct/balloon_events-invariant-rearm");
  EXPECT_EQ(read(found[0].file), "R");  // minimised, and still breaking rearm
  // What the HTML report shows of it: balloon-repro's trace, cut, and its timeline.
  EXPECT_EQ(found[0].trace_head.substr(0, 18), "event #1\nevent #2\n");
  EXPECT_NE(found[0].trace_head.find("event #40\n"), std::string::npos);
  EXPECT_EQ(found[0].trace_head.find("event #41"), std::string::npos);
  EXPECT_EQ(found[0].trace_lines_left, 10U);
  EXPECT_EQ(found[0].timeline_svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>run</text></svg>");
  // The smaller of the two rearm crashes was the one minimised.
  EXPECT_TRUE(fs::exists(options.run_dir / "scratch" / "crash-2.minimise.log"));
  EXPECT_FALSE(fs::exists(options.run_dir / "scratch" / "crash-1.minimise.log"));
  EXPECT_EQ(found[1].key.substr(0, 31), "sanitizer:heap-buffer-overflow:");
  EXPECT_FALSE(found[1].known);
  // Minimising to R would break rearm instead: the original is kept.
  EXPECT_EQ(read(found[1].file), "A-report");
  // The second report's name would be the first's: it gets a name of its own.
  EXPECT_NE(found[2].key, found[1].key);
  EXPECT_EQ(found[2].file.string(), found[1].file.string() + "-2");
  EXPECT_EQ(read(found[2].file), "B-report");
  EXPECT_EQ(found[3].key, "timeout");
  EXPECT_EQ(found[3].status, "reproducible");
  EXPECT_NE(found[3].replay.find("-timeout=10 -rss_limit_mb=2048"), std::string::npos);
  // A hang is not replayed again to be drawn: it shows what its last replay printed.
  EXPECT_EQ(found[3].trace_head, "SUMMARY: libFuzzer: timeout\n");
  EXPECT_TRUE(found[3].timeline_svg.empty());
  EXPECT_EQ(read(dir / "variants").substr(0, 7), "legacy\n");

  // On the fixed driver the same crash is new.
  options.variant = Variant::fixed;
  EXPECT_FALSE(triage_crashes(options, {"balloon_events"}).front().known);
}

TEST(Triage, ReadsTheOneValueFilesOfARun) {
  const fs::path run_dir = scratch_dir("values");
  const fs::path fuzz = run_dir / "fuzz" / "balloon_events";
  write(fuzz / "log", kForkLog);
  write(fuzz / "status", "77\n");
  write(fuzz / "seconds", "10\n");
  write(fuzz / "corpus_before", "6\n");
  write(fuzz / "corpus_after", "9\n");
  write(fuzz / "merge", "not merged (--no-merge)\n");
  write(run_dir / "crashes" / "balloon_events" / "crash-1", "R");
  std::string error;
  const std::optional<TargetRun> run = read_target_run(run_dir, "balloon_events", error);
  ASSERT_TRUE(run.has_value()) << error;
  EXPECT_EQ(run->status, 77);
  EXPECT_EQ(run->crash_files, 1U);
  EXPECT_EQ(run->merge, "not merged (--no-merge)");
  EXPECT_EQ(run->log.executions, 485U);
  fs::remove(fuzz / "seconds");
  EXPECT_FALSE(read_target_run(run_dir, "balloon_events", error).has_value());
  EXPECT_NE(error.find("seconds"), std::string::npos);

  EXPECT_FALSE(read_properties(run_dir / "props").ran);
  write(run_dir / "props" / "seed", "123\n");
  write(run_dir / "props" / "cases", "2000\n");
  write(run_dir / "props" / "size", "150\n");
  Properties props = read_properties(run_dir / "props");
  EXPECT_TRUE(props.ran);
  EXPECT_EQ(props.seed, "123");
  EXPECT_EQ(props.cases, 2000U);
  EXPECT_EQ(props.result, "failed");  // it never finished
  write(run_dir / "props" / "result", "passed\n");
  EXPECT_EQ(read_properties(run_dir / "props").result, "passed");
}

}  // namespace
}  // namespace balloonbench::triage
