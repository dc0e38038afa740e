// balloon-triage: the crash triage and the reports of the nightly job, over the run
// directory ci/nightly lays out (tools/triage.h). See --help.

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/files.h"
#include "tools/report_html.h"
#include "tools/triage.h"

namespace {

using namespace balloonbench;
using namespace balloonbench::triage;
namespace fs = std::filesystem;

constexpr int kExitNothingNew = 0;
constexpr int kExitNewFailure = 1;
constexpr int kExitUnusable = 2;
// bench/tte.sh writes a few kilobytes per bug.
constexpr std::size_t kTteLimitBytes = std::size_t{16} << 20;

// What balloon-triage reads beyond the triage's own options: the report's extras.
struct Extras {
  std::string tte_json;
  std::string coverage_html;
};

const char kUsage[] =
    "usage: balloon-triage --run DIR --bin DIR --regressions DIR [--variant fixed|legacy]\n"
    "                      [--mutant NAME] [--jobs N] [--seconds N] [--tte FILE]\n"
    "                      [--coverage-html PATH]\n"
    "       balloon-triage --key LOG [ARTIFACT_NAME]\n"
    "\n"
    "--key prints the key of the first failure in LOG (the output of one run of a fuzz\n"
    "target or its replay executable), as below; ARTIFACT_NAME is the name libFuzzer\n"
    "gave the input, for hangs and OOMs. It prints nothing when LOG holds no failure.\n"
    "\n"
    "Triages the crashes of a nightly run and writes DIR/report.md, DIR/report.json and\n"
    "DIR/report.html (each written whole, then renamed into place), then prints\n"
    "report.md. report.html is one static page that loads nothing: the same tables,\n"
    "and per crash the first lines of its trace and, for a run, its timeline. The run\n"
    "directory is the one ci/nightly lays out: fuzz/<target>/{log,status,seconds,\n"
    "corpus_before,corpus_after,merge}, crashes/<target>/ and, unless the properties\n"
    "were skipped, props/{seed,cases,size,result}.\n"
    "\n"
    "Each crash is replayed once for its key: the key of its BALLOONBENCH-FAILURE line\n"
    "(the invariant, or the kind and its detail), else the sanitizer's error kind and top\n"
    "three frames, else the kind libFuzzer named the file by (timeout, oom, slow-unit,\n"
    "leak). The smallest file per key is minimised (kept only if its key is unchanged),\n"
    "replayed three times (flaky unless all three crash) and copied to\n"
    "crashes/distinct/. Hangs and OOMs replay through the fuzz target under -timeout=10\n"
    "-rss_limit_mb=2048, the rest through <target>_replay; each replay gets 60 s.\n"
    "\n"
    "  --run DIR          the run directory\n"
    "  --bin DIR          the build with fuzz/<target>, fuzz/<target>_replay and tools/\n"
    "  --regressions DIR  corpus/regressions: which invariants legacy is known to break\n"
    "                     (repeatable: corpus/host-regressions too)\n"
    "  --variant V        the driver the run fuzzed (default fixed)\n"
    "  --mutant NAME      the bug seeded into it, if any\n"
    "  --jobs N           fuzzing processes, for the report (default 1)\n"
    "  --seconds N        fuzzing time per target, for the report (default 0)\n"
    "  --tte FILE         the JSON of ci/bench --tte: report.html shows its table\n"
    "  --coverage-html PATH\n"
    "                     a coverage report's index.html: report.html links to it\n"
    "  -h, --help         this text\n"
    "\n"
    "A crash is known only on legacy without a seeded bug, when a corpus/regressions\n"
    "file name shows legacy breaking the same invariant; otherwise it is new.\n"
    "\n"
    "exit status: 0 nothing new failed, 1 a target could not run, a property failed or\n"
    "a crash is new, 2 a bad command line or an unusable run directory.\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "balloon-triage: %s (try balloon-triage --help)\n", message.c_str());
  return kExitUnusable;
}

std::optional<unsigned> positive(const std::string& text) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const unsigned long value = std::stoul(text);
  if (value == 0) return std::nullopt;
  return static_cast<unsigned>(value);
}

// Parses argv; returns an exit status when the command line is unusable or --help.
std::optional<int> parse(int argc, char** argv, Options& options, Extras& extras) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return kExitNothingNew;
    }
    if (arg != "--run" && arg != "--bin" && arg != "--regressions" && arg != "--variant" &&
        arg != "--mutant" && arg != "--jobs" && arg != "--seconds" && arg != "--tte" &&
        arg != "--coverage-html") {
      return usage_error("unknown argument '" + arg + "'");
    }
    if (i + 1 >= argc) return usage_error(arg + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--run") {
      options.run_dir = value;
    } else if (arg == "--bin") {
      options.bin_dir = value;
    } else if (arg == "--regressions") {
      options.regressions_dirs.emplace_back(value);
    } else if (arg == "--tte") {
      extras.tte_json = value;
    } else if (arg == "--coverage-html") {
      extras.coverage_html = value;
    } else if (arg == "--variant") {
      const std::optional<Variant> variant = parse_variant(value);
      if (!variant) return usage_error("unknown variant '" + value + "' (fixed or legacy)");
      options.variant = *variant;
    } else if (arg == "--mutant") {
      const std::optional<Mutation> mutation = parse_mutation(value);
      if (!mutation) return usage_error("unknown mutation '" + value + "'");
      options.mutation = *mutation;
    } else {
      const std::optional<unsigned> number = positive(value);
      if (!number) return usage_error(arg + " takes a positive number, not '" + value + "'");
      if (arg == "--jobs") {
        options.jobs = *number;
      } else {
        options.seconds_per_target = *number;
      }
    }
  }
  std::error_code error;
  if (!fs::is_directory(options.run_dir / "fuzz", error))
    return usage_error("--run names no run directory (with fuzz/<target>/ in it)");
  if (!fs::is_directory(options.bin_dir / "fuzz", error))
    return usage_error("--bin names no build with fuzz targets");
  if (options.regressions_dirs.empty()) return usage_error("--regressions is missing");
  for (const fs::path& dir : options.regressions_dirs) {
    if (!fs::is_directory(dir, error))
      return usage_error("--regressions " + dir.string() + " names no directory");
  }
  return std::nullopt;
}

// The targets the run fuzzed: the folders of fuzz/, by name.
std::vector<std::string> fuzzed_targets(const fs::path& run_dir) {
  std::vector<std::string> targets;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(run_dir / "fuzz", error)) {
    if (entry.is_directory(error)) targets.push_back(entry.path().filename().string());
  }
  std::sort(targets.begin(), targets.end());
  return targets;
}

std::string now_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// The time-to-exposure table, if the file holds one; a file that cannot be read only
// leaves the table out, since the measurement is an extra and not the night's verdict.
std::optional<TimeToExposure> read_tte(const fs::path& path) {
  std::vector<std::uint8_t> bytes;
  bool cut = false;
  std::string error;
  if (read_bounded(path, kTteLimitBytes, bytes, cut, error) && !cut) {
    std::optional<TimeToExposure> tte =
        read_time_to_exposure(std::string(bytes.begin(), bytes.end()), error);
    if (tte) return tte;
  } else if (cut) {
    error = "larger than a time-to-exposure file can be";
  }
  std::fprintf(stderr, "balloon-triage: --tte %s: %s; the report leaves the table out\n",
               path.c_str(), error.c_str());
  return std::nullopt;
}

}  // namespace

// --key LOG [NAME]: one key, for the scripts that judge a single run (fuzz/teeth.sh,
// bench/tte.sh), so that they read failures the way triage does.
int print_key(const fs::path& log, const std::string& artifact) {
  std::vector<std::uint8_t> bytes;
  bool cut = false;
  std::string error;
  if (!read_bounded(log, std::size_t{64} << 20, bytes, cut, error)) {
    std::fprintf(stderr, "balloon-triage: %s: %s\n", log.c_str(), error.c_str());
    return kExitUnusable;
  }
  const std::string text(bytes.begin(), bytes.end());
  const bool failed = find_failure_line(text).has_value() || !sanitizer_kind(text).empty() ||
                      !artifact_kind(artifact).empty();
  if (failed) std::printf("%s\n", crash_key(text, artifact).c_str());
  return kExitNothingNew;
}

int main(int argc, char** argv) {
  if (argc >= 3 && argc <= 4 && std::string_view(argv[1]) == "--key")
    return print_key(argv[2], argc == 4 ? argv[3] : "");
  Options options;
  Extras extras;
  if (const std::optional<int> status = parse(argc, argv, options, extras)) return *status;
  options.run_dir = fs::absolute(options.run_dir).lexically_normal();
  options.bin_dir = fs::absolute(options.bin_dir).lexically_normal();

  Report report;
  report.variant = options.variant;
  report.mutation = options.mutation;
  report.jobs = options.jobs;
  report.seconds_per_target = options.seconds_per_target;
  const std::vector<std::string> targets = fuzzed_targets(options.run_dir);
  for (const std::string& target : targets) {
    std::string error;
    std::optional<TargetRun> run = read_target_run(options.run_dir, target, error);
    if (!run) {
      std::fprintf(stderr, "balloon-triage: %s\n", error.c_str());
      return kExitUnusable;
    }
    report.targets.push_back(std::move(*run));
  }
  report.crashes = triage_crashes(options, targets);
  report.properties = read_properties(options.run_dir / "props");
  report.time_utc = now_utc();
  if (!extras.tte_json.empty()) report.time_to_exposure = read_tte(extras.tte_json);
  report.coverage_html = extras.coverage_html;

  const std::string markdown = render_markdown(report);
  const fs::path md = options.run_dir / "report.md";
  const fs::path json = options.run_dir / "report.json";
  const fs::path html = options.run_dir / "report.html";
  std::string error;
  if (!write_atomically(md, markdown, error) ||
      !write_atomically(json, render_json(report).dump() + "\n", error) ||
      !write_atomically(html, render_html(report), error)) {
    std::fprintf(stderr, "balloon-triage: cannot write the reports: %s\n", error.c_str());
    return kExitUnusable;
  }
  std::printf("\n%s\nreports: %s, %s, %s\n", markdown.c_str(), md.c_str(), json.c_str(),
              html.c_str());
  return report.new_failures() ? kExitNewFailure : kExitNothingNew;
}
