// A main() for the fuzz targets without libFuzzer: it runs each file named on the
// command line (directories: every regular file in them, by name) through
// LLVMFuzzerTestOneInput once, so a crash reproduces under gdb or a gcc build.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

bool read_file(const fs::path& path, std::vector<std::uint8_t>& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fprintf(stderr,
                 "usage: %s FILE|DIR...\n"
                 "Runs each input once through the fuzz target (no fuzzing). A directory\n"
                 "means every regular file in it but README files and dotfiles. Exit 0\n"
                 "when every input ran, 1 when the target rejected one (returned -1, as\n"
                 "for a run of an unknown format version); an input that breaks an\n"
                 "invariant aborts, as under libFuzzer.\n",
                 argv[0]);
    return 2;
  }
  LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
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
  for (const fs::path& path : inputs) {
    if (!read_file(path, bytes)) {
      std::fprintf(stderr, "%s: cannot read\n", path.c_str());
      return 2;
    }
    std::fprintf(stderr, "running %s (%zu bytes)\n", path.c_str(), bytes.size());
    if (LLVMFuzzerTestOneInput(bytes.data(), bytes.size()) == -1) {
      std::fprintf(stderr, "%s: rejected by the target (not an input it accepts)\n", path.c_str());
      ++rejected;
    }
  }
  std::fprintf(stderr, "ran %zu inputs, %zu rejected\n", inputs.size(), rejected);
  return rejected == 0 ? 0 : 1;
}
