#include "tools/files.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
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

namespace {

fs::path temporary_for(const fs::path& path) {
  return path.parent_path() / ("." + path.filename().string() + ".tmp" + std::to_string(getpid()));
}

bool write_temporary(const fs::path& temporary, const std::string& bytes, std::string& error) {
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
  return true;
}

}  // namespace

bool write_atomically(const fs::path& path, const std::string& bytes, std::string& error) {
  const fs::path temporary = temporary_for(path);
  if (!write_temporary(temporary, bytes, error)) return false;
  std::error_code code;
  fs::rename(temporary, path, code);
  if (code) {
    error = "cannot rename into place: " + code.message();
    fs::remove(temporary, code);
    return false;
  }
  return true;
}

bool write_new_file(const fs::path& path, const std::string& bytes, std::string& error) {
  const fs::path temporary = temporary_for(path);
  if (!write_temporary(temporary, bytes, error)) return false;
  // link() fails if the name exists, so an existing file is never replaced.
  const bool linked = ::link(temporary.c_str(), path.c_str()) == 0;
  const int link_error = errno;
  std::error_code ignored;
  fs::remove(temporary, ignored);
  if (!linked) {
    error = link_error == EEXIST ? std::string("exists; not overwriting it")
                                 : std::string("cannot create: ") + std::strerror(link_error);
  }
  return linked;
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

std::string shell_quote(const std::string& text) {
  if (text.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./+=:,") ==
      std::string::npos) {
    return text;
  }
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace balloonbench
