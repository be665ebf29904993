// Files as a git revision holds them: `banyanc diff main:routes/app.routes NEW` reads
// the root file and everything it includes (and the certificates it names) with
// `git show REV:PATH`, so the old side is the committed tree, not the working copy.
// Paths are as git reads them after `REV:` (from the repository's top, or from the
// current directory when they start with `./`).
#pragma once

#include <string>

#include "compiler/source/file_reader.h"

namespace banyan::source {

class GitFileReader : public FileReader {
 public:
  explicit GitFileReader(std::string revision) : revision_(std::move(revision)) {}
  std::optional<std::string> read(const std::string& path, size_t max_bytes, std::string& error) override;
  std::string canonical(const std::string& path) override;

 private:
  std::string revision_;
};

// "REV:PATH" split at its first ':' when REV is non-empty and names no file that
// exists; false otherwise (then it is an ordinary path).
bool split_git_spec(const std::string& spec, std::string& revision, std::string& path);

}  // namespace banyan::source
