// Reading files from disk within a size budget, and from memory for tests.
#include "compiler/source/file_reader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>

namespace banyan::source {

std::optional<std::string> DiskFileReader::read(const std::string& path, size_t max_bytes, std::string& error) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    error = "no such file";
    return std::nullopt;
  }
  if (!std::filesystem::is_regular_file(status)) {
    error = "not a regular file";
    return std::nullopt;
  }
  auto size = std::filesystem::file_size(path, ec);
  if (ec) size = 0;
  size = std::min<uintmax_t>(size, max_bytes + 1);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  text.resize(static_cast<size_t>(size));
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

std::string DiskFileReader::canonical(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : p.string();
}

std::optional<std::string> MemoryFileReader::read(const std::string& path, size_t max_bytes, std::string& error) {
  auto it = files_.find(path);
  if (it == files_.end()) {
    error = "no such file";
    return std::nullopt;
  }
  (void)error;
  return it->second.substr(0, max_bytes + 1);
}

}  // namespace banyan::source
