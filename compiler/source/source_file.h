// Source files and ranges. Every AST node and diagnostic points into a SourceFile
// through a SourceRange of byte offsets; line and column are computed on demand.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace banyan::source {

using FileId = uint32_t;
inline constexpr FileId kNoFile = 0;

// Half-open byte range [begin, end) in one file. `file == kNoFile` means "nowhere"
// (e.g. a diagnostic about the command line).
struct SourceRange {
  FileId file = kNoFile;
  uint32_t begin = 0;
  uint32_t end = 0;

  bool valid() const { return file != kNoFile; }
  // The smallest range covering both (same file required; otherwise `a`).
  static SourceRange join(SourceRange a, SourceRange b);
};

struct LineCol {
  uint32_t line = 0;    // 1-based
  uint32_t column = 0;  // 1-based, in bytes
};

class SourceFile {
 public:
  SourceFile(FileId id, std::string path, std::string text);

  FileId id() const { return id_; }
  const std::string& path() const { return path_; }
  std::string_view text() const { return text_; }

  LineCol line_col(uint32_t offset) const;
  // The text of 1-based line `line`, without its line terminator.
  std::string_view line_text(uint32_t line) const;
  uint32_t line_count() const { return static_cast<uint32_t>(line_starts_.size()); }
  uint32_t line_start(uint32_t line) const { return line_starts_[line - 1]; }

 private:
  FileId id_;
  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;  // offset of the first byte of each line
};

// Owns every file read in one run (the root files and their includes).
class SourceManager {
 public:
  FileId add(std::string path, std::string text);
  const SourceFile& file(FileId id) const { return *files_.at(id - 1); }
  size_t size() const { return files_.size(); }

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

// `path` as a file names it: unchanged when absolute (or when `from` is nowhere),
// else relative to the directory of the file `from` lies in. Certificates and keys
// resolve so, for the checker and for the plan.
std::string resolve_from(const SourceManager& sm, SourceRange from, const std::string& path);

}  // namespace banyan::source
