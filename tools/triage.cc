#include "tools/triage.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <map>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>

#include "tools/files.h"

namespace balloonbench::triage {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

// libFuzzer's limits while fuzzing, which hangs and OOMs replay under too.
constexpr const char* kTimeoutFlag = "-timeout=10";
constexpr const char* kRssLimitFlag = "-rss_limit_mb=2048";
constexpr std::chrono::seconds kReplayLimit{60};
// -minimize_crash of a hang can run for hours (-runs=2000 at up to 10 s each).
constexpr std::chrono::minutes kMinimiseLimit{10};
constexpr unsigned kReplays = 3;
constexpr std::size_t kKeyFrames = 3;
constexpr std::size_t kKeptNameLength = 80;
// Replay logs are a few kilobytes; this bounds what one may cost.
constexpr std::size_t kLogLimitBytes = std::size_t{16} << 20;
// The target whose inputs are runs in the shared encoding, which balloon-repro reads.
constexpr std::string_view kRunTarget = "balloon_events";
// The target whose inputs are hosts of several guests, which balloon-repro reads too
// (guest 0 on the variant, the others fixed).
constexpr std::string_view kHostTarget = "balloon_host";
// What the HTML report shows of a crash's replay: the lines that say what led there,
// and a timeline no larger than a page can carry (a 256-event run draws far less).
constexpr std::size_t kTraceLines = 40;
constexpr std::size_t kTimelineLimitBytes = std::size_t{4} << 20;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return lines;
}

// The digits at the start of `text`, and how many characters they took.
std::optional<std::uint64_t> leading_number(std::string_view text, std::size_t& used) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  used = static_cast<std::size_t>(end - text.data());
  return value;
}

// "#<executions>" then ':' or blank, and "cov: <coverage>" later on: a progress line.
bool read_progress(std::string_view line, std::uint64_t& executions, std::uint64_t& coverage) {
  if (!starts_with(line, "#")) return false;
  std::size_t used = 0;
  const std::optional<std::uint64_t> count = leading_number(line.substr(1), used);
  if (!count || 1 + used >= line.size()) return false;
  const char after = line[1 + used];
  if (after != ':' && after != ' ' && after != '\t') return false;
  const std::size_t cov = line.find(" cov: ");
  if (cov == std::string_view::npos) return false;
  const std::optional<std::uint64_t> covered = leading_number(line.substr(cov + 6), used);
  if (!covered) return false;
  executions = *count;
  coverage = *covered;
  return true;
}

// The function of a stack frame line ("    #3 0x5599 in name(args) file:line"), or empty.
std::string_view frame_function(std::string_view line) {
  const std::size_t hash = line.find_first_not_of(' ');
  if (hash == 0 || hash == std::string_view::npos || line[hash] != '#') return {};
  std::size_t used = 0;
  std::string_view rest = line.substr(hash + 1);
  if (!leading_number(rest, used) || !starts_with(rest.substr(used), " 0x")) return {};
  rest = rest.substr(used + 3);
  const std::size_t hex_end = rest.find_first_not_of("0123456789abcdef");
  if (hex_end == 0 || hex_end == std::string_view::npos) return {};
  rest = rest.substr(hex_end);
  if (!starts_with(rest, " in ")) return {};
  rest = rest.substr(4);
  return rest.substr(0, rest.find_first_of(" ("));
}

bool is_runtime_frame(std::string_view function) {
  return starts_with(function, "__") || starts_with(function, "fuzzer::") ||
         starts_with(function, "std::") || starts_with(function, "LLVMFuzzer") ||
         function == "main";
}

std::string read_text(const fs::path& path, std::size_t limit) {
  std::vector<std::uint8_t> bytes;
  bool was_cut = false;
  std::string error;
  if (!read_bounded(path, limit, bytes, was_cut, error)) return {};
  return std::string(bytes.begin(), bytes.end());
}

// The last `limit` bytes of a file: a long fuzzing log ends with what matters.
std::string read_tail(const fs::path& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamoff size = in.tellg();
  const auto keep = static_cast<std::streamoff>(limit);
  in.seekg(size > keep ? size - keep : 0);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

FuzzLogStats read_fuzz_log(std::string_view log) {
  FuzzLogStats stats;
  for (const std::string_view line : lines_of(log)) {
    std::uint64_t executions = 0;
    std::uint64_t coverage = 0;
    if (read_progress(line, executions, coverage)) {
      stats.executions = executions;
      stats.coverage = coverage;
      stats.progress_line = std::string(trim(line));
    }
    if (!trim(line).empty()) stats.last_line = std::string(trim(line));
  }
  return stats;
}

std::string sanitizer_kind(std::string_view report) {
  for (const std::string_view line : lines_of(report)) {
    if (!starts_with(line, "SUMMARY: ")) continue;
    const std::string_view rest = line.substr(9);
    const std::size_t colon = rest.find(": ");
    if (colon == std::string_view::npos) continue;
    const std::string_view tool = rest.substr(0, colon);
    constexpr std::string_view kSanitizer = "Sanitizer";
    if (tool.size() <= kSanitizer.size() ||
        tool.substr(tool.size() - kSanitizer.size()) != kSanitizer ||
        tool.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") !=
            std::string_view::npos) {
      continue;
    }
    const std::string_view after = trim(rest.substr(colon + 2));
    const std::string_view kind = after.substr(0, after.find(' '));
    if (kind.empty()) continue;
    if (kind.front() >= '0' && kind.front() <= '9') return "leak";
    return std::string(kind);
  }
  return {};
}

std::vector<std::string> top_frames(std::string_view report, std::size_t count) {
  std::vector<std::string> frames;
  for (const std::string_view line : lines_of(report)) {
    if (frames.size() == count) break;
    const std::string_view function = frame_function(line);
    if (!function.empty() && !is_runtime_frame(function)) frames.emplace_back(function);
  }
  return frames;
}

std::string artifact_kind(std::string_view file_name) {
  if (starts_with(file_name, "timeout-")) return "timeout";
  if (starts_with(file_name, "oom-")) return "out-of-memory";
  if (starts_with(file_name, "slow-unit-")) return "slow-unit";
  if (starts_with(file_name, "leak-")) return "leak";
  return {};
}

bool replays_under_limits(std::string_view file_name) {
  const std::string kind = artifact_kind(file_name);
  return !kind.empty() && kind != "leak";
}

std::string crash_key(std::string_view replay_log, std::string_view file_name) {
  if (const std::optional<Failure> failure = find_failure_line(replay_log)) return failure->key();
  const std::string kind = sanitizer_kind(replay_log);
  // No report to read: a hang, an out-of-memory input or a slow one, known by the name
  // libFuzzer gave the file.
  if (kind.empty() && !artifact_kind(file_name).empty()) return artifact_kind(file_name);
  std::string frames;
  for (const std::string& frame : top_frames(replay_log, kKeyFrames))
    frames += (frames.empty() ? "" : "|") + frame;
  return "sanitizer:" + (kind.empty() ? std::string("unknown") : kind) + ":" +
         (frames.empty() ? std::string("?") : frames);
}

std::set<InvariantId> regression_invariants(const std::vector<std::string>& file_names) {
  std::set<InvariantId> ids;
  for (const std::string& name : file_names) {
    if (const std::optional<InvariantId> id = invariant_of_file_name(name)) ids.insert(*id);
  }
  return ids;
}

bool is_known(std::string_view key, Variant variant, Mutation mutation,
              const std::set<InvariantId>& regressions) {
  constexpr std::string_view kInvariant = "invariant:";
  // A driver from before the patch (legacy, or a pre-patch source) is known to break
  // what the regressions show legacy breaking.
  if (!pre_patch(variant) || mutation != Mutation::none || !starts_with(key, kInvariant))
    return false;
  const std::optional<InvariantId> id = parse_invariant(key.substr(kInvariant.size()));
  return id && regressions.count(*id) > 0;
}

std::string kept_file_name(std::string_view target, std::string_view key) {
  std::string name;
  for (const char c : key) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (plain) {
      name += c;
    } else if (name.empty() || name.back() != '-') {
      name += '-';
    }
  }
  return std::string(target) + "-" + name.substr(0, kKeptNameLength);
}

std::string replay_status(unsigned crashed, unsigned replays) {
  if (crashed == replays) return "reproducible";
  return "flaky (" + std::to_string(crashed) + " of " + std::to_string(replays) + ")";
}

std::string replay_command(const fs::path& bin_dir, std::string_view target, std::string_view key,
                           const fs::path& kept, Variant variant, Mutation mutation) {
  const std::string mutant = mutation == Mutation::none ? "" : mutation_name(mutation);
  const std::string env = std::string("BALLOON_VARIANT=") + variant_name(variant) +
                          (mutant.empty() ? "" : " BALLOON_MUTANT=" + mutant);
  const std::string fuzzer = (bin_dir / "fuzz" / target).string();
  const std::string file = shell_quote(kept.string());
  if (key == "timeout" || key == "out-of-memory" || key == "slow-unit") {
    return env + " " + shell_quote(fuzzer) + " " + kTimeoutFlag + " " + kRssLimitFlag + " " + file;
  }
  if (target == kRunTarget || target == kHostTarget) {
    return shell_quote((bin_dir / "tools" / "balloon-repro").string()) +
           (target == kHostTarget ? " --host" : "") + " --variant " + variant_name(variant) +
           (target == kHostTarget ? " --others fixed" : "") +
           (mutant.empty() ? "" : " --mutant " + mutant) + " " + file;
  }
  return env + " " + shell_quote(fuzzer + "_replay") + " " + file;
}

// --- The report -----------------------------------------------------------------

std::uint64_t TargetRun::exec_per_second() const {
  return log.executions.value_or(0) / std::max<std::uint64_t>(seconds, 1);
}

std::optional<std::string> could_not_run(const TargetRun& run) {
  if (!run.log.progress_line.empty() && (run.status == 0 || run.crash_files > 0))
    return std::nullopt;
  return run.name + " could not run (exit " + std::to_string(run.status) +
         "): " + run.log.last_line;
}

std::vector<std::string> Report::target_failures() const {
  std::vector<std::string> failures;
  for (const TargetRun& run : targets) {
    if (std::optional<std::string> why = could_not_run(run)) failures.push_back(std::move(*why));
  }
  return failures;
}

bool Report::new_failures() const {
  const bool new_crash =
      std::any_of(crashes.begin(), crashes.end(), [](const Crash& crash) { return !crash.known; });
  return new_crash || !target_failures().empty() ||
         (properties.ran && properties.result != "passed");
}

namespace {

std::string number_or(const std::optional<std::uint64_t>& value, const char* otherwise) {
  return value ? std::to_string(*value) : std::string(otherwise);
}

std::string targets_table(const Report& report) {
  std::string out =
      "| target | time (s) | executions | exec/s | coverage | corpus before | corpus after | merge "
      "|\n"
      "|---|---|---|---|---|---|---|---|\n";
  for (const TargetRun& run : report.targets) {
    out += "| " + run.name + " | " + std::to_string(run.seconds) + " | " +
           std::to_string(run.log.executions.value_or(0)) + " | " +
           std::to_string(run.exec_per_second()) + " | " + number_or(run.log.coverage, "?") +
           " | " + std::to_string(run.corpus_before) + " | " + std::to_string(run.corpus_after) +
           " | " + run.merge + " |\n";
  }
  return out;
}

// Text for a markdown table cell: a '|' would end the cell, even inside a code span.
std::string cell(std::string_view text) {
  std::string out;
  for (const char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string crashes_section(const Report& report) {
  if (report.crashes.empty()) return "No crashes.\n";
  std::string out =
      "## Distinct crashes\n\n"
      "| target | key | minimised file | replays | | replay with |\n"
      "|---|---|---|---|---|---|\n";
  for (const Crash& crash : report.crashes) {
    out += "| " + crash.target + " | `" + cell(crash.key) + "` | `" + cell(crash.file.string()) +
           "` | " + crash.status + " | " + (crash.known ? "known (corpus/regressions)" : "new") +
           " | `" + cell(crash.replay) + "` |\n";
  }
  return out;
}

std::string properties_section(const Properties& properties) {
  std::string out = "## Properties\n\n";
  if (!properties.ran) return out + "Skipped (--no-props).\n";
  const std::string cases = number_or(properties.cases, "?");
  return out + "Seed " + properties.seed + ", " + cases + " cases per property: **" +
         properties.result + "**. Rerun with `ci/props-nightly --seed " + properties.seed +
         " --cases " + cases + " --size " + number_or(properties.size, "?") + "`.\n";
}

ordered_json optional_number(const std::optional<std::uint64_t>& value) {
  return value ? ordered_json(*value) : ordered_json(nullptr);
}

}  // namespace

std::string render_markdown(const Report& report) {
  std::string out = "# balloonbench nightly, " + report.time_utc + "\n\n";
  out += std::string("Variant `") + variant_name(report.variant) + "`";
  if (report.mutation != Mutation::none)
    out += std::string(" with the seeded bug `") + mutation_name(report.mutation) + "`";
  out += ", " + std::to_string(report.jobs) + " processes (libFuzzer fork mode), " +
         std::to_string(report.seconds_per_target) + "s per target.\n";
  const std::vector<std::string> failures = report.target_failures();
  if (!failures.empty()) {
    out += "\n";
    for (const std::string& failure : failures) out += "- **" + failure + "**\n";
  }
  out += "\n" + targets_table(report) + "\n" + crashes_section(report) + "\n" +
         properties_section(report.properties);
  return out;
}

ordered_json render_json(const Report& report) {
  ordered_json targets = ordered_json::array();
  for (const TargetRun& run : report.targets) {
    targets.push_back(ordered_json{{"name", run.name},
                                   {"time_seconds", run.seconds},
                                   {"executions", run.log.executions.value_or(0)},
                                   {"exec_per_second", run.exec_per_second()},
                                   {"coverage", optional_number(run.log.coverage)},
                                   {"corpus_before", run.corpus_before},
                                   {"corpus_after", run.corpus_after},
                                   {"merge", run.merge}});
  }
  ordered_json crashes = ordered_json::array();
  for (const Crash& crash : report.crashes) {
    crashes.push_back(ordered_json{{"target", crash.target},
                                   {"key", crash.key},
                                   {"file", crash.file.string()},
                                   {"status", crash.status},
                                   {"known", crash.known},
                                   {"replay", crash.replay},
                                   {"failure", crash.failure ? ordered_json(to_json(*crash.failure))
                                                             : ordered_json(nullptr)}});
  }
  const Properties& props = report.properties;
  const std::string mutant =
      report.mutation == Mutation::none ? "" : mutation_name(report.mutation);
  return ordered_json{
      {"variant", variant_name(report.variant)},
      {"mutant", mutant.empty() ? ordered_json(nullptr) : ordered_json(mutant)},
      {"jobs", report.jobs},
      {"seconds_per_target", report.seconds_per_target},
      {"targets", std::move(targets)},
      {"crashes", std::move(crashes)},
      {"could_not_run", report.target_failures()},
      {"properties",
       ordered_json{{"seed", props.ran ? ordered_json(props.seed) : ordered_json(nullptr)},
                    {"cases", optional_number(props.cases)},
                    {"size", optional_number(props.size)},
                    {"result", props.ran ? props.result : std::string("skipped")}}},
      {"new_failures", report.new_failures()}};
}

std::optional<TimeToExposure> read_time_to_exposure(std::string_view json_text,
                                                    std::string& error) {
  const nlohmann::json data = nlohmann::json::parse(json_text, nullptr, false);
  const auto count = [](const nlohmann::json& object, const char* name) {
    const auto found = object.find(name);
    return found != object.end() && found->is_number_unsigned();
  };
  if (data.is_discarded() || !data.is_object() || !count(data, "cap") ||
      !data.contains("summary") || !data["summary"].is_array()) {
    error = "not the JSON of ci/bench --tte (an object with cap and summary)";
    return std::nullopt;
  }
  TimeToExposure tte;
  tte.cap = data["cap"].get<std::uint64_t>();
  const std::uint64_t runs =
      count(data, "seeds_per_case") ? data["seeds_per_case"].get<std::uint64_t>() : 0;
  for (const nlohmann::json& row : data["summary"]) {
    if (!row.is_object() || !row.contains("bug") || !row["bug"].is_string() ||
        !row.contains("from") || !row["from"].is_string() || !count(row, "median_executions") ||
        !count(row, "worst_executions") || !count(row, "found")) {
      error = "a summary row of the time-to-exposure JSON lacks bug, from or a count";
      return std::nullopt;
    }
    tte.rows.push_back(ExposureRow{row["bug"].get<std::string>(), row["from"].get<std::string>(),
                                   row["median_executions"].get<std::uint64_t>(),
                                   row["worst_executions"].get<std::uint64_t>(),
                                   row["found"].get<std::uint64_t>(), runs});
  }
  return tte;
}

// --- Running it -----------------------------------------------------------------

ProcessResult run_bounded(const std::vector<std::string>& argv, const fs::path& output,
                          std::chrono::milliseconds limit,
                          const std::vector<std::string>& environment) {
  ProcessResult result;
  if (argv.empty()) return result;
  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view current = *entry;
    const std::string_view name = current.substr(0, current.find('=') + 1);
    const bool replaced = std::any_of(environment.begin(), environment.end(),
                                      [&](const std::string& e) { return starts_with(e, name); });
    if (!replaced) env_strings.emplace_back(current);
  }
  env_strings.insert(env_strings.end(), environment.begin(), environment.end());
  std::vector<char*> args;
  std::vector<char*> envp;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  for (const std::string& entry : env_strings) envp.push_back(const_cast<char*>(entry.c_str()));
  args.push_back(nullptr);
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, argv[0].c_str(), &actions, &attributes, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) return result;
  result.started = true;

  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return result;  // cannot happen for our own child
    if (std::chrono::steady_clock::now() >= deadline) {
      // The whole group: libFuzzer's minimiser runs the target in child processes.
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.timed_out = true;
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

namespace {

// The text of a one-value file, trimmed; nothing if it cannot be read.
std::optional<std::string> read_value(const fs::path& path) {
  std::vector<std::uint8_t> bytes;
  bool was_cut = false;
  std::string error;
  if (!read_bounded(path, 4096, bytes, was_cut, error)) return std::nullopt;
  return std::string(
      trim(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())));
}

std::optional<std::uint64_t> read_number(const fs::path& path) {
  const std::optional<std::string> text = read_value(path);
  std::size_t used = 0;
  if (!text) return std::nullopt;
  const std::optional<std::uint64_t> value = leading_number(*text, used);
  if (!value || used != text->size()) return std::nullopt;
  return value;
}

}  // namespace

std::string first_lines(std::string_view text, std::size_t count, std::size_t& left) {
  const std::vector<std::string_view> lines = lines_of(text);
  std::string head;
  for (std::size_t i = 0; i < std::min(count, lines.size()); ++i) {
    head += lines[i];
    head += '\n';
  }
  left = lines.size() > count ? lines.size() - count : 0;
  return head;
}

std::optional<TargetRun> read_target_run(const fs::path& run_dir, const std::string& target,
                                         std::string& error) {
  const fs::path dir = run_dir / "fuzz" / target;
  TargetRun run;
  run.name = target;
  const std::optional<std::uint64_t> seconds = read_number(dir / "seconds");
  const std::optional<std::uint64_t> status = read_number(dir / "status");
  const std::optional<std::uint64_t> before = read_number(dir / "corpus_before");
  const std::optional<std::uint64_t> after = read_number(dir / "corpus_after");
  const std::optional<std::string> merge = read_value(dir / "merge");
  if (!seconds || !status || !before || !after || !merge || !fs::exists(dir / "log")) {
    error = dir.string() + ": needs log, status, seconds, corpus_before, corpus_after and merge";
    return std::nullopt;
  }
  run.seconds = *seconds;
  run.status = static_cast<int>(std::min<std::uint64_t>(*status, 255));
  run.corpus_before = *before;
  run.corpus_after = *after;
  run.merge = *merge;
  run.log = read_fuzz_log(read_tail(dir / "log", kLogLimitBytes));
  run.crash_files = input_files(run_dir / "crashes" / target).size();
  return run;
}

Properties read_properties(const fs::path& props_dir) {
  Properties properties;
  std::error_code error;
  if (!fs::is_directory(props_dir, error)) return properties;
  properties.ran = true;
  properties.seed = read_value(props_dir / "seed").value_or("?");
  properties.cases = read_number(props_dir / "cases");
  properties.size = read_number(props_dir / "size");
  // No result means the stage stopped before it finished (its build, say).
  const std::optional<std::string> result = read_value(props_dir / "result");
  properties.result = result && *result == "passed" ? "passed" : "failed";
  return properties;
}

namespace {

struct Context {
  const Options& options;
  fs::path scratch;
  std::vector<std::string> environment;  // what the driver under test is, for children
};

struct Keyed {
  std::string key;
  std::optional<Failure> failure;
};

// One replay of `file`: its key, and the failure it printed if any.
Keyed replay_and_key(const Context& context, const std::string& target, const fs::path& file,
                     ProcessResult* outcome = nullptr) {
  const fs::path fuzz = context.options.bin_dir / "fuzz";
  const std::string name = file.filename().string();
  std::vector<std::string> argv;
  if (replays_under_limits(name)) {
    argv = {(fuzz / target).string(), kTimeoutFlag, kRssLimitFlag,
            "-artifact_prefix=" + context.scratch.string() + "/", file.string()};
  } else {
    argv = {(fuzz / (target + "_replay")).string(), file.string()};
  }
  const fs::path log = context.scratch / "replay.log";
  const ProcessResult result = run_bounded(argv, log, kReplayLimit, context.environment);
  if (outcome != nullptr) *outcome = result;
  const std::string text = read_text(log, kLogLimitBytes);
  return Keyed{crash_key(text, name), find_failure_line(text)};
}

struct Candidate {
  fs::path file;
  std::uintmax_t size = 0;
  Keyed keyed;
};

// The smallest file per key, keyed by one replay each.
std::map<std::string, Candidate> distinct_crashes(const Context& context, const std::string& target,
                                                  const std::vector<fs::path>& files) {
  std::map<std::string, Candidate> best;
  std::printf("== %s: keying %zu saved crash files\n", target.c_str(), files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    Keyed keyed = replay_and_key(context, target, files[i]);
    std::error_code error;
    const std::uintmax_t size = fs::file_size(files[i], error);
    const auto found = best.find(keyed.key);
    if (found == best.end() || size < found->second.size) {
      const std::string key = keyed.key;
      best[key] = Candidate{files[i], size, std::move(keyed)};
    }
    if ((i + 1) % 25 == 0 && i + 1 < files.size())
      std::printf("  keyed %zu of %zu\n", i + 1, files.size());
    std::fflush(stdout);
  }
  std::printf("  %zu distinct\n", best.size());
  return best;
}

// Minimises the candidate, keeping the result only if it breaks the same thing.
void minimise(const Context& context, const std::string& target, Candidate& candidate) {
  const fs::path minimised = context.scratch / (candidate.file.filename().string() + ".min");
  std::error_code error;
  fs::remove(minimised, error);
  const fs::path fuzzer = context.options.bin_dir / "fuzz" / target;
  run_bounded({fuzzer.string(), "-minimize_crash=1", "-runs=2000", kTimeoutFlag,
               "-artifact_prefix=" + context.scratch.string() + "/",
               "-exact_artifact_path=" + minimised.string(), candidate.file.string()},
              context.scratch / (candidate.file.filename().string() + ".minimise.log"),
              kMinimiseLimit, context.environment);
  if (!fs::is_regular_file(minimised, error)) {
    std::printf("  could not minimise; keeping the original\n");
    return;
  }
  Keyed keyed = replay_and_key(context, target, minimised);
  if (keyed.key != candidate.keyed.key) {
    std::printf("  minimising changed what it breaks; keeping the original\n");
    return;
  }
  const std::uintmax_t size = fs::file_size(minimised, error);
  std::printf("  minimised from %ju to %ju bytes\n", candidate.size, size);
  candidate = Candidate{minimised, size, std::move(keyed)};
}

// Two keys can make one file name (they differ past its length, or in punctuation).
std::string unique_name(const std::string& name, std::set<std::string>& taken) {
  std::string unique = name;
  for (std::size_t n = 2; !taken.insert(unique).second; ++n)
    unique = name + "-" + std::to_string(n);
  return unique;
}

bool is_hang_key(std::string_view key) {
  return key == "timeout" || key == "out-of-memory" || key == "slow-unit";
}

// The timeline balloon-repro drew, as one <svg> element; empty if it drew none.
std::string read_timeline(const fs::path& svg) {
  std::vector<std::uint8_t> bytes;
  bool was_cut = false;
  std::string error;
  if (!read_bounded(svg, kTimelineLimitBytes, bytes, was_cut, error) || was_cut) return {};
  const std::string text(bytes.begin(), bytes.end());
  const std::string_view element = trim(text);
  if (!starts_with(element, "<svg") || element.size() < 6 ||
      element.substr(element.size() - 6) != "</svg>") {
    return {};
  }
  return std::string(element);
}

// What the HTML report shows of a kept crash: the first lines of its trace and, for a
// run or a host, its timeline. Both come from balloon-repro in a child process, so that a
// sanitizer report ends that process and never the triage; a hang is not replayed
// again, and an input that is no run shows what its last replay printed.
void describe(const Context& context, const std::string& target, const std::string& replay_output,
              Crash& crash) {
  std::string text = replay_output;
  if ((target == kRunTarget || target == kHostTarget) && !is_hang_key(crash.key)) {
    const Options& options = context.options;
    const fs::path svg = context.scratch / (crash.file.filename().string() + ".svg");
    const fs::path log = context.scratch / (crash.file.filename().string() + ".trace");
    std::vector<std::string> argv = {(options.bin_dir / "tools" / "balloon-repro").string(),
                                     "--variant", variant_name(options.variant)};
    if (target == kHostTarget) argv.insert(argv.end(), {"--host", "--others", "fixed"});
    if (options.mutation != Mutation::none) {
      argv.insert(argv.end(), {"--mutant", mutation_name(options.mutation)});
    }
    argv.insert(argv.end(), {"--svg", svg.string(), crash.file.string()});
    std::error_code error;
    fs::remove(svg, error);
    const ProcessResult result = run_bounded(argv, log, kReplayLimit, context.environment);
    if (result.started && !result.timed_out && result.signal == 0) {
      text = read_text(log, kLogLimitBytes);
      crash.timeline_svg = read_timeline(svg);
    }
  }
  crash.trace_head = first_lines(text, kTraceLines, crash.trace_lines_left);
}

// Minimises a distinct crash, replays it, keeps it as crashes/distinct/<kept_name> and
// judges it.
Crash settle(const Context& context, const std::set<InvariantId>& regressions,
             const std::string& target, Candidate candidate, const std::string& kept_name) {
  const Options& options = context.options;
  std::printf("== %s: %s (%s)\n", target.c_str(), candidate.keyed.key.c_str(),
              candidate.file.filename().c_str());
  std::fflush(stdout);
  minimise(context, target, candidate);
  // A replay counts only if it crashed the same way: a replay that could not start,
  // or that broke something else, does not reproduce this crash.
  unsigned crashed = 0;
  for (unsigned i = 0; i < kReplays; ++i) {
    ProcessResult result;
    const Keyed again = replay_and_key(context, target, candidate.file, &result);
    if (result.started && result.failed() && again.key == candidate.keyed.key) ++crashed;
  }
  const std::string replay_output = read_text(context.scratch / "replay.log", kLogLimitBytes);
  const std::string key = candidate.keyed.key;
  fs::path kept = options.run_dir / "crashes" / "distinct" / kept_name;
  std::error_code error;
  if (!fs::copy_file(candidate.file, kept, fs::copy_options::overwrite_existing, error)) {
    std::printf("  cannot copy it to %s (%s); the report names it where it is\n", kept.c_str(),
                error.message().c_str());
    kept = candidate.file;
  }
  Crash crash;
  crash.target = target;
  crash.key = key;
  crash.file = kept;
  crash.status = replay_status(crashed, kReplays);
  crash.known = is_known(key, options.variant, options.mutation, regressions);
  crash.replay =
      replay_command(options.bin_dir, target, key, kept, options.variant, options.mutation);
  crash.failure = std::move(candidate.keyed.failure);
  describe(context, target, replay_output, crash);
  std::printf("  %s, %s\n", crash.status.c_str(), crash.known ? "known" : "new");
  std::fflush(stdout);
  return crash;
}

}  // namespace

std::vector<Crash> triage_crashes(const Options& options, const std::vector<std::string>& targets) {
  const std::string mutant =
      options.mutation == Mutation::none ? "" : mutation_name(options.mutation);
  const Context context{options,
                        options.run_dir / "scratch",
                        {std::string("BALLOON_VARIANT=") + variant_name(options.variant),
                         "BALLOON_MUTANT=" + mutant}};
  std::error_code error;
  fs::create_directories(context.scratch, error);
  fs::create_directories(options.run_dir / "crashes" / "distinct", error);
  std::vector<std::string> names;
  for (const fs::path& dir : options.regressions_dirs) {
    for (const fs::path& file : input_files(dir)) names.push_back(file.filename().string());
  }
  const std::set<InvariantId> regressions = regression_invariants(names);

  std::vector<Crash> crashes;
  std::set<std::string> kept_names;
  for (const std::string& target : targets) {
    const std::vector<fs::path> files = input_files(options.run_dir / "crashes" / target);
    if (files.empty()) continue;
    for (auto& [key, candidate] : distinct_crashes(context, target, files)) {
      const std::string kept_name = unique_name(kept_file_name(target, key), kept_names);
      crashes.push_back(settle(context, regressions, target, std::move(candidate), kept_name));
    }
  }
  return crashes;
}

}  // namespace balloonbench::triage
