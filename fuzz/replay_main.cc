// A main() for the fuzz targets without libFuzzer: it runs each file named on the
// command line (directories: every regular file in them, by name) through
// LLVMFuzzerTestOneInput once, so a crash reproduces under gdb or a gcc build. With
// --keep-going each input runs in a child process, and one that crashes is counted
// and the replay goes on (ci/coverage replays corpora on cores they break this way).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// clang's profile runtime, present only in a build with -fprofile-instr-generate.
extern "C" __attribute__((weak)) int __llvm_profile_write_file(void);

namespace {

namespace fs = std::filesystem;

bool read_file(const fs::path& path, std::vector<std::uint8_t>& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// A child that aborts (the harness aborts on a broken invariant) first writes its
// coverage profile, which an abort would otherwise lose. The handler runs once: an
// abort inside it ends the child. (A sanitizer's report exits without the profile.)
void write_profile_and_die(int signal_number) {
  if (__llvm_profile_write_file != nullptr) __llvm_profile_write_file();
  _exit(128 + signal_number);
}

enum class Ran { ok, rejected, crashed };

Ran run_one(const std::vector<std::uint8_t>& bytes, bool in_child) {
  if (!in_child) {
    return LLVMFuzzerTestOneInput(bytes.data(), bytes.size()) == -1 ? Ran::rejected : Ran::ok;
  }
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) {
    std::perror("fork");
    std::exit(2);
  }
  if (child == 0) {
    struct sigaction on_abort {};
    on_abort.sa_handler = write_profile_and_die;
    on_abort.sa_flags = static_cast<int>(SA_RESETHAND);
    sigaction(SIGABRT, &on_abort, nullptr);
    const int rc = LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    std::exit(rc == -1 ? 3 : 0);  // exit, not _exit: the profile is written at exit
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      std::perror("waitpid");
      std::exit(2);
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Ran::ok;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) return Ran::rejected;
  return Ran::crashed;
}

}  // namespace

int main(int argc, char** argv) {
  const bool keep_going = argc >= 2 && std::string(argv[1]) == "--keep-going";
  const int first = keep_going ? 2 : 1;
  if (argc <= first || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fprintf(stderr,
                 "usage: %s [--keep-going] FILE|DIR...\n"
                 "Runs each input once through the fuzz target (no fuzzing). A directory\n"
                 "means every regular file in it but README files and dotfiles. Exit 0\n"
                 "when every input ran, 1 when the target rejected one (returned -1, as\n"
                 "for a run of an unknown format version); an input that breaks an\n"
                 "invariant aborts, as under libFuzzer. With --keep-going each input runs\n"
                 "in a child process and the replay goes on past one that crashes; exit 1\n"
                 "if any crashed or was rejected.\n",
                 argv[0]);
    return 2;
  }
  LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> inputs;
  for (int i = first; i < argc; ++i) {
    const fs::path arg(argv[i]);
    std::error_code error;
    if (fs::is_directory(arg, error)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(arg, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("README", 0) == 0 || name.rfind('.', 0) == 0) continue;
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      if (files.empty()) {
        std::fprintf(stderr, "%s: no files in this directory\n", argv[i]);
        return 2;
      }
      std::sort(files.begin(), files.end());
      inputs.insert(inputs.end(), files.begin(), files.end());
    } else if (fs::is_regular_file(arg, error)) {
      inputs.push_back(arg);
    } else {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 2;
    }
  }
  std::vector<std::uint8_t> bytes;
  std::size_t rejected = 0;
  std::size_t crashed = 0;
  for (const fs::path& path : inputs) {
    if (!read_file(path, bytes)) {
      std::fprintf(stderr, "%s: cannot read\n", path.c_str());
      return 2;
    }
    std::fprintf(stderr, "running %s (%zu bytes)\n", path.c_str(), bytes.size());
    switch (run_one(bytes, keep_going)) {
      case Ran::ok:
        break;
      case Ran::rejected:
        std::fprintf(stderr, "%s: rejected by the target (not an input it accepts)\n",
                     path.c_str());
        ++rejected;
        break;
      case Ran::crashed:
        std::fprintf(stderr, "%s: crashed\n", path.c_str());
        ++crashed;
        break;
    }
  }
  if (keep_going) {
    std::fprintf(stderr, "ran %zu inputs, %zu rejected, %zu crashed\n", inputs.size(), rejected,
                 crashed);
  } else {
    std::fprintf(stderr, "ran %zu inputs, %zu rejected\n", inputs.size(), rejected);
  }
  return rejected == 0 && crashed == 0 ? 0 : 1;
}
