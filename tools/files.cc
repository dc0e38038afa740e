#include "files.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <system_error>

#include <unistd.h>

namespace balloonbench {

namespace fs = std::filesystem;

bool read_bounded(const fs::path& path, std::size_t limit, std::vector<std::uint8_t>& bytes,
                  bool& was_cut, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open for reading";
    return false;
  }
  bytes.assign(limit + 1, 0);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(limit + 1));
  if (in.bad()) {
    error = "read error";
    return false;
  }
  const auto got = static_cast<std::size_t>(in.gcount());
  was_cut = got > limit;
  bytes.resize(std::min(got, limit));
  return true;
}

bool write_atomically(const fs::path& path, const std::string& bytes, std::string& error) {
  const fs::path temporary =
      path.parent_path() / ("." + path.filename().string() + ".tmp" + std::to_string(getpid()));
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) {
      error = "cannot create " + temporary.string();
      return false;
    }
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      error = "cannot write " + temporary.string();
      std::error_code ignored;
      fs::remove(temporary, ignored);
      return false;
    }
  }
  std::error_code code;
  fs::rename(temporary, path, code);
  if (code) {
    error = "cannot rename into place: " + code.message();
    fs::remove(temporary, code);
    return false;
  }
  return true;
}

std::vector<fs::path> input_files(const fs::path& directory) {
  std::vector<fs::path> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || name.rfind("README", 0) == 0) continue;
    if (entry.is_regular_file(error)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace balloonbench
