// The seam between the compiler and the file system: tests give the loader a fake.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace banyan::source {

class FileReader {
 public:
  virtual ~FileReader() = default;
  // The file's bytes, at most `max_bytes` + 1 of them (so the caller can tell a file
  // over its budget and say so), or nullopt with `error` saying why (no such file, a
  // directory, ...).
  virtual std::optional<std::string> read(const std::string& path, size_t max_bytes, std::string& error) = 0;
  // A name that is the same for every path to one file (for include cycles).
  virtual std::string canonical(const std::string& path) = 0;
};

class DiskFileReader : public FileReader {
 public:
  std::optional<std::string> read(const std::string& path, size_t max_bytes, std::string& error) override;
  std::string canonical(const std::string& path) override;
};

// Files held in memory, for tests.
class MemoryFileReader : public FileReader {
 public:
  void add(std::string path, std::string text) { files_[std::move(path)] = std::move(text); }
  std::optional<std::string> read(const std::string& path, size_t max_bytes, std::string& error) override;
  std::string canonical(const std::string& path) override { return path; }

 private:
  std::map<std::string, std::string> files_;
};

}  // namespace banyan::source
