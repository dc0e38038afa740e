// balloon-repro: replay runs and show why they fail. See --help.

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "run/codec.h"
#include "run/diff.h"
#include "run/host.h"
#include "run/world.h"
#include "tools/files.h"
#include "tools/render.h"

namespace {

using namespace balloonbench;
namespace fs = std::filesystem;

constexpr int kExitClean = 0;
constexpr int kExitViolation = 1;
constexpr int kExitUnusable = 2;

// No valid run needs more than this (the decoder keeps 256 events).
constexpr std::size_t kMaxInputBytes = std::size_t{1} << 20;

const char kUsage[] =
    "usage: balloon-repro [options] FILE|DIR...\n"
    "       balloon-repro [options] --hex HEX\n"
    "\n"
    "Replays balloonbench runs (files in the shared run encoding, as saved by the\n"
    "balloon_events fuzz target or kept in corpus/) and shows what happened: the\n"
    "configuration, each event, the hypercalls it caused (asked -> answered), timer\n"
    "arms and fires, the state after it, then the first violation and a reproduce line.\n"
    "A directory means every regular file in it (not README files or dotfiles).\n"
    "A host of several guests (a file of the balloon_host fuzz target, first byte 'H')\n"
    "replays with one trace per guest and the host's own checks; guest 0 runs --variant,\n"
    "the others --others.\n"
    "\n"
    "options:\n"
    "  --variant V             the driver to replay on: fixed (default), legacy, or\n"
    "                          source in a build with a source driver\n"
    "  --others V              the driver every guest of a host but guest 0 runs\n"
    "                          (default fixed)\n"
    "  --host                  every input must be a host (a run is then an error)\n"
    "  --diff                  replay on the source driver and, beside it, on the port\n"
    "                          of the same kind; report the first event after which\n"
    "                          they differ, side by side (exit 1), else 'agree'\n"
    "  --mutant NAME           seed a named bug into its variant's driver (see the README;\n"
    "                          it picks the variant when --variant is not given)\n"
    "  --hex HEX               replay this encoded run, as printed by a reproduce line\n"
    "  --quiet                 print only the verdict, one line per input\n"
    "  --json                  print verdict and trace as JSON, one object per line per input\n"
    "  --svg FILE              draw a timeline of the (single) input as SVG into FILE\n"
    "  --expect VERDICT        check each input's verdict: clean, expected-crash,\n"
    "                          no-violation (either of those), an invariant id that\n"
    "                          must be the run's first violation, or from-name: the id\n"
    "                          the file's name starts with (corpus/regressions naming,\n"
    "                          <invariant-id>-<description>)\n"
    "  --save FILE             write the (single) input's canonical encoding to FILE;\n"
    "                          refuses to overwrite an existing file\n"
    "  --list-invariants       print the invariant catalogue's ids, one per line, and exit\n"
    "  --list-legacy-breaks    print the ids of the invariants legacy breaks, and exit\n"
    "  --list-mutants          print each seeded bug, the failure key it exists to cause\n"
    "                          (invariant:<id>, or sanitizer:<kind>) and its variant,\n"
    "                          and exit\n"
    "  -h, --help              this text\n"
    "\n"
    "exit status: 0 no violation (with --expect: every input as expected), 1 a violation\n"
    "(with --expect: an input not as expected), 2 unusable input or command line.\n";

struct Options {
  WorldOptions world;
  Variant others = Variant::fixed;
  bool host = false;
  std::vector<std::string> hex;
  std::vector<fs::path> paths;
  bool quiet = false;
  bool json = false;
  std::optional<fs::path> svg;
  std::optional<fs::path> save;
  std::optional<std::string> expect;
  bool diff = false;
};

struct Input {
  std::string name;                 // for messages and the reproduce line
  std::vector<std::uint8_t> bytes;  // the encoded run
  bool from_hex = false;
  bool was_cut = false;
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "balloon-repro: %s\n(try balloon-repro --help)\n", message.c_str());
  return kExitUnusable;
}

// The variants this build can replay on, for messages: "fixed, legacy or source".
std::string variant_list() {
  const std::vector<Variant>& variants = available_variants();
  std::string out;
  for (std::size_t i = 0; i < variants.size(); ++i) {
    if (i > 0) out += i + 1 == variants.size() ? " or " : ", ";
    out += variant_name(variants[i]);
  }
  return out;
}

// Parses argv; returns an exit status when the command line is unusable or --help.
std::optional<int> parse(int argc, char** argv, Options& options) {
  bool variant_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    const bool takes_value = arg == "--variant" || arg == "--others" || arg == "--mutant" ||
                             arg == "--hex" || arg.rfind("--others=", 0) == 0 || arg == "--svg" ||
                             arg == "--expect" || arg == "--save" ||
                             arg.rfind("--variant=", 0) == 0 || arg.rfind("--mutant=", 0) == 0 ||
                             arg.rfind("--hex=", 0) == 0 || arg.rfind("--svg=", 0) == 0 ||
                             arg.rfind("--expect=", 0) == 0 || arg.rfind("--save=", 0) == 0;
    if (takes_value) {
      if (const std::size_t eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return usage_error(arg + " needs a value");
      }
    }
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return kExitClean;
    } else if (arg == "--list-mutants") {
      for (const Mutation mutation : all_mutations())
        std::printf("%s %s %s\n", mutation_name(mutation), expected_failure_key(mutation).c_str(),
                    variant_name(mutation_variant(mutation)));
      return kExitClean;
    } else if (arg == "--list-legacy-breaks") {
      for (const InvariantId id : all_invariants()) {
        if (broken_by_legacy(id)) std::printf("%s\n", invariant_name(id));
      }
      return kExitClean;
    } else if (arg == "--list-invariants") {
      for (const InvariantId id : all_invariants()) std::printf("%s\n", invariant_name(id));
      return kExitClean;
    } else if (arg == "--variant") {
      const std::optional<Variant> variant = parse_variant(value);
      if (!variant) return usage_error("unknown variant '" + value + "' (" + variant_list() + ")");
      options.world.variant = *variant;
      variant_given = true;
    } else if (arg == "--others") {
      const std::optional<Variant> variant = parse_variant(value);
      if (!variant) return usage_error("unknown variant '" + value + "' (" + variant_list() + ")");
      options.others = *variant;
    } else if (arg == "--host") {
      options.host = true;
    } else if (arg == "--mutant") {
      const std::optional<Mutation> mutation = parse_mutation(value);
      if (!mutation) return usage_error("unknown mutation '" + value + "'");
      options.world.mutation = *mutation;
    } else if (arg == "--hex") {
      options.hex.push_back(value);
    } else if (arg == "--svg") {
      options.svg = value;
    } else if (arg == "--save") {
      options.save = value;
    } else if (arg == "--expect") {
      if (value != "clean" && value != "expected-crash" && value != "no-violation" &&
          value != "from-name" && !parse_invariant(value)) {
        return usage_error(
            "--expect takes clean, expected-crash, no-violation, from-name or an invariant id, "
            "not '" +
            value + "'");
      }
      options.expect = value;
    } else if (arg == "--quiet") {
      options.quiet = true;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--diff") {
      options.diff = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("unknown option " + arg);
    } else {
      options.paths.emplace_back(arg);
    }
  }
  if (options.paths.empty() && options.hex.empty()) return usage_error("no input given");
  // A mutation belongs to one variant: --mutant alone picks it, and a --variant must
  // agree.
  if (options.world.mutation != Mutation::none) {
    const Variant owner = mutation_variant(options.world.mutation);
    if (variant_given && options.world.variant != owner) {
      return usage_error(std::string("mutation ") + mutation_name(options.world.mutation) +
                         " is seeded into variant " + variant_name(owner) + ", not " +
                         variant_name(options.world.variant));
    }
    options.world.variant = owner;
  }
  if (options.quiet && options.json) return usage_error("--quiet and --json exclude each other");
  if (options.diff) {
    if (!parse_variant("source")) {
      return usage_error("--diff needs a build with a source driver (BALLOONBENCH_DRIVER_SOURCE)");
    }
    if (options.json || options.svg || options.save || options.expect ||
        options.world.mutation != Mutation::none) {
      return usage_error("--diff takes no --json, --svg, --save, --expect or --mutant");
    }
  }
  return std::nullopt;
}

// Expands the inputs; returns an exit status if one is unusable.
std::optional<int> collect(const Options& options, std::vector<Input>& inputs) {
  for (const std::string& hex : options.hex) {
    std::optional<std::vector<std::uint8_t>> bytes = from_hex(hex);
    if (!bytes) return usage_error("--hex: not a hex string");
    inputs.push_back(Input{"--hex", std::move(*bytes), true, false});
  }
  for (const fs::path& path : options.paths) {
    std::error_code error;
    std::vector<fs::path> files;
    if (fs::is_directory(path, error)) {
      files = input_files(path);
      if (files.empty()) return usage_error(path.string() + ": directory holds no input files");
    } else if (fs::exists(path, error)) {
      files.push_back(path);
    } else {
      return usage_error(path.string() + ": no such file or directory");
    }
    for (const fs::path& file : files) {
      Input input{file.string(), {}, false, false};
      std::string why;
      if (!read_bounded(file, kMaxInputBytes, input.bytes, input.was_cut, why)) {
        return usage_error(file.string() + ": " + why);
      }
      inputs.push_back(std::move(input));
    }
  }
  if (inputs.size() > 1 && (options.svg || options.save)) {
    return usage_error("--svg and --save take exactly one input");
  }
  return std::nullopt;
}

// An invariant id must be the run's first violation: a run that breaks another
// invariant first tells a different story, even if the expected one follows.
bool meets(const std::string& expect, Outcome outcome, const Violation* first) {
  if (expect == "clean") return outcome == Outcome::clean;
  if (expect == "expected-crash") return outcome == Outcome::expected_crash;
  if (expect == "no-violation") return outcome != Outcome::violation;
  if (outcome != Outcome::violation || first == nullptr) return false;
  return invariant_name(first->id) == expect;
}

// What --expect asks of this input: from-name reads the id off the file's name.
std::optional<std::string> expectation(const std::string& expect, const Input& input) {
  if (expect != "from-name") return expect;
  const std::optional<InvariantId> id =
      invariant_of_file_name(fs::path(input.name).filename().string());
  if (!id) return std::nullopt;
  return std::string(invariant_name(*id));
}

std::string reproduce_line(const Options& options, const Input& input, const Run& run) {
  if (input.from_hex) return reproduce_command(run, options.world.variant, options.world.mutation);
  std::string line = std::string("balloon-repro --variant ") + variant_name(options.world.variant);
  if (options.world.mutation != Mutation::none)
    line += std::string(" --mutant ") + mutation_name(options.world.mutation);
  return line + " " + shell_quote(input.name);
}

// --expect: the exit status of one input against what was expected of it.
// The same for a run or a host: its outcome, first violation and verdict text.
int check_expectation(const std::string& wanted, const Input& input, Outcome outcome,
                      const Violation* first, const std::string& verdict) {
  const std::optional<std::string> expect = expectation(wanted, input);
  if (!expect) {
    std::fprintf(stderr,
                 "balloon-repro: %s: --expect from-name: the name does not start with an "
                 "invariant id and '-' (see --list-invariants)\n",
                 input.name.c_str());
    return kExitUnusable;
  }
  if (meets(*expect, outcome, first)) return kExitClean;
  std::fprintf(stderr, "balloon-repro: %s: expected %s first, got %s\n", input.name.c_str(),
               expect->c_str(), verdict.c_str());
  return kExitViolation;
}

int check_expectation(const std::string& wanted, const Input& input, const RunResult& result) {
  return check_expectation(wanted, input, result.outcome,
                           result.violations.empty() ? nullptr : &result.violations.front(),
                           verdict_text(result));
}

// --svg and --save: writes `text` to `path`, never over an existing file for --save;
// false (having said why) when it cannot.
bool write_output(const fs::path& path, const std::string& text, bool new_file) {
  std::string error;
  const bool written =
      new_file ? write_new_file(path, text, error) : write_atomically(path, text, error);
  if (!written) std::fprintf(stderr, "balloon-repro: %s: %s\n", path.c_str(), error.c_str());
  return written;
}

std::string as_text(const std::vector<std::uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// --diff: the source driver beside the port of its kind; returns the exit status.
int replay_diff(const Options& options, const Input& input, const Run& run) {
  const Variant port = port_of_same_kind(Variant::source);
  const DiffResult result = diff_run(run, port, Variant::source);
  if (!result.divergence) {
    std::printf("%s: agree (%s and source, %zu events)\n", input.name.c_str(), variant_name(port),
                result.events_compared);
    return kExitClean;
  }
  std::printf("%s: diverge: %s\n", input.name.c_str(), result.divergence->fact.c_str());
  if (!options.quiet)
    std::fputs(to_text(*result.divergence, port, Variant::source).c_str(), stdout);
  return kExitViolation;
}

std::string host_verdict_text(const Host& host) {
  const std::vector<HostViolation> violations = host.violations();
  switch (host.outcome()) {
    case Outcome::clean:
      return "clean";
    case Outcome::violation: {
      const HostViolation& first = violations.front();
      const std::string where =
          first.guest.has_value() ? "guest " + std::to_string(*first.guest) + ": " : "host: ";
      return "violation: " + where + to_text(first.violation);
    }
    case Outcome::expected_crash:
      for (std::size_t i = 0; i < host.guests(); ++i) {
        if (host.guest(i).outcome() == Outcome::expected_crash) {
          return "expected crash: guest " + std::to_string(i) + ": " +
                 host.guest(i).expected_crash();
        }
      }
      break;
  }
  return "?";
}

// A host of several guests: each guest's trace, the host's frames, the verdict.
int replay_host(const Options& options, const Input& input) {
  if (options.diff || options.json) {
    std::fprintf(stderr, "balloon-repro: %s: --diff and --json take runs, not hosts\n",
                 input.name.c_str());
    return kExitUnusable;
  }
  HostDecodeInfo info;
  const HostRun run = decode_host(input.bytes, options.world.variant, options.others, &info);
  if (const std::string why = validate(run); !why.empty()) {
    std::fprintf(stderr, "balloon-repro: %s: %s\n", input.name.c_str(), why.c_str());
    return kExitUnusable;
  }
  std::vector<Trace> traces;
  HostOptions host_options;
  host_options.mutation = options.world.mutation;
  host_options.traces = &traces;
  Host host(run, host_options);
  run_host(host, run);
  const std::string verdict = host_verdict_text(host);
  std::string reproduce;
  if (input.from_hex) {
    reproduce = reproduce_command(run, options.world.mutation);
  } else {
    reproduce = std::string("balloon-repro --host --variant ") +
                variant_name(options.world.variant) + " --others " + variant_name(options.others);
    if (options.world.mutation != Mutation::none)
      reproduce += std::string(" --mutant ") + mutation_name(options.world.mutation);
    reproduce += " " + shell_quote(input.name);
  }
  if (options.quiet) {
    std::printf("%s: %s\n", input.name.c_str(), verdict.c_str());
  } else {
    std::printf(
        "== %s (host of %zu guests%s; guest 0 %s, the others %s%s%s)\n", input.name.c_str(),
        run.guests.size(), run.overcommit ? ", over-committing toolstack" : "",
        variant_name(options.world.variant), variant_name(options.others),
        options.world.mutation != Mutation::none ? ", mutant " : "",
        options.world.mutation != Mutation::none ? mutation_name(options.world.mutation) : "");
    if (input.was_cut) std::printf("note: only the first %zu bytes were read\n", kMaxInputBytes);
    if (info.truncated)
      std::printf("note: the input ends inside a field; the missing bytes read as zero\n");
    if (info.events_dropped > 0) {
      std::printf("note: %zu events past the first %zu were not read\n", info.events_dropped,
                  kDecodeMaxHostEvents);
    }
    std::printf("events:\n");
    for (std::size_t i = 0; i < run.events.size(); ++i) {
      std::printf("  #%zu %s\n", i, to_text(run.events[i]).c_str());
    }
    for (std::size_t i = 0; i < traces.size(); ++i) {
      std::printf("-- guest %zu (%s)\n", i, variant_name(run.variants[i]));
      std::fputs(traces[i].to_text().c_str(), stdout);
    }
    std::printf(
        "host: %llu frames free, %llu held by the rest of the host, %llu in all; %s\n",
        static_cast<unsigned long long>(host.bank().free()),
        static_cast<unsigned long long>(host.bank().rest()),
        static_cast<unsigned long long>(host.bank().total()),
        host.system_converge_judged() ? "system-converge judged" : "system-converge not judged");
    std::printf("verdict: %s\n", verdict.c_str());
    if (host.outcome() == Outcome::violation) std::printf("reproduce: %s\n", reproduce.c_str());
  }
  if (options.svg) {
    std::vector<std::string> headings;
    std::vector<RunResult> results;
    for (std::size_t i = 0; i < host.guests(); ++i) {
      headings.push_back("guest " + std::to_string(i) + " (" + variant_name(run.variants[i]) + ")");
      results.push_back(host.guest(i).result());
    }
    if (!write_output(*options.svg,
                      host_timeline_svg(input.name + ": " + verdict, headings, traces, results),
                      /*new_file=*/false)) {
      return kExitUnusable;
    }
  }
  if (options.save && !write_output(*options.save, as_text(encode(run)), /*new_file=*/true)) {
    return kExitUnusable;
  }
  if (options.expect) {
    const std::vector<HostViolation> violations = host.violations();
    return check_expectation(*options.expect, input, host.outcome(),
                             violations.empty() ? nullptr : &violations.front().violation, verdict);
  }
  return host.outcome() == Outcome::violation ? kExitViolation : kExitClean;
}

// Replays one input; returns its exit status.
int replay(const Options& options, const Input& input) {
  if (is_host_encoding(input.bytes)) return replay_host(options, input);
  if (options.host) {
    std::fprintf(stderr, "balloon-repro: %s: --host: not a host (its first byte is not 'H')\n",
                 input.name.c_str());
    return kExitUnusable;
  }
  DecodeInfo info;
  const Run run = decode(input.bytes, &info);
  if (!info.known_version) {
    std::fprintf(stderr,
                 "balloon-repro: %s: not a balloonbench run (%s; this build reads versions %u "
                 "to %u)\n",
                 input.name.c_str(),
                 input.bytes.empty()
                     ? "the file is empty"
                     : ("its format version byte is " + std::to_string(info.version)).c_str(),
                 static_cast<unsigned>(kOldestFormatVersion),
                 static_cast<unsigned>(kFormatVersion));
    return kExitUnusable;
  }
  if (options.diff) return replay_diff(options, input, run);
  Trace trace;
  WorldOptions world = options.world;
  world.trace = &trace;
  const RunResult result = balloonbench::run(run, world);
  const std::string reproduce = reproduce_line(options, input, run);

  if (options.json) {
    std::printf("%s\n", run_json(input.name, run, options.world, result, trace, reproduce).c_str());
  } else if (options.quiet) {
    std::printf("%s: %s\n", input.name.c_str(), verdict_text(result).c_str());
  } else {
    std::printf(
        "== %s (variant %s%s%s)\n", input.name.c_str(), variant_name(options.world.variant),
        options.world.mutation != Mutation::none ? ", mutant " : "",
        options.world.mutation != Mutation::none ? mutation_name(options.world.mutation) : "");
    if (input.was_cut) std::printf("note: only the first %zu bytes were read\n", kMaxInputBytes);
    if (info.truncated)
      std::printf("note: the input ends inside a field; the missing bytes read as zero\n");
    if (info.events_dropped > 0) {
      std::printf("note: %zu events past the first %zu were not read\n", info.events_dropped,
                  kDecodeMaxEvents);
    }
    std::fputs(trace.to_text().c_str(), stdout);
    std::printf("verdict: %s\n", verdict_text(result).c_str());
    if (result.outcome == Outcome::violation) std::printf("reproduce: %s\n", reproduce.c_str());
  }

  if (options.svg && !write_output(*options.svg, timeline_svg(input.name, trace, result),
                                   /*new_file=*/false)) {
    return kExitUnusable;
  }
  if (options.save && !write_output(*options.save, as_text(encode(run)), /*new_file=*/true)) {
    return kExitUnusable;
  }
  if (options.expect) return check_expectation(*options.expect, input, result);
  return result.outcome == Outcome::violation ? kExitViolation : kExitClean;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (const std::optional<int> status = parse(argc, argv, options)) return *status;
  std::vector<Input> inputs;
  if (const std::optional<int> status = collect(options, inputs)) return *status;
  int worst = kExitClean;
  for (const Input& input : inputs) {
    const int status = replay(options, input);
    worst = std::max(worst, status);
  }
  return worst;
}
