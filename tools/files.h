// File helpers for the tools: bounded reads, writes that never leave a half-written
// file behind (write a temporary beside the target, then rename), and quoting paths
// for the command lines the tools print.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace balloonbench {

// Reads at most `limit` bytes. Returns false (with `error` set) if the file cannot be
// read; `was_cut` says whether the file held more than `limit` bytes.
bool read_bounded(const std::filesystem::path& path, std::size_t limit,
                  std::vector<std::uint8_t>& bytes, bool& was_cut, std::string& error);

// Writes `bytes` to `path` atomically. Returns false with `error` set on failure.
bool write_atomically(const std::filesystem::path& path, const std::string& bytes,
                      std::string& error);

// Like write_atomically, but never replaces an existing file: the file appears whole
// or not at all, and `error` says so when `path` already exists.
bool write_new_file(const std::filesystem::path& path, const std::string& bytes,
                    std::string& error);

// `text` as one word for a POSIX shell: as it is when it needs no quoting, else in
// single quotes.
std::string shell_quote(const std::string& text);

// The regular files of a directory, by name, leaving out dotfiles and README files.
std::vector<std::filesystem::path> input_files(const std::filesystem::path& directory);

}  // namespace balloonbench
