// `banyanc migrate finish NAME FILE`: a migration at 100% becomes plain routes to its
// new upstream. A route to the old upstream whose requests the migration moves
// entirely is retargeted; one it moves in part gets a copy before it for each moved
// pattern (its predicates and settings kept, its path the pattern's, its upstream the
// new one); the migration block is deleted. Each edit is made in the file that
// declares what it edits (the root or an included file), and each edited file is laid
// out by the formatter (comments kept); other files are left as they are. The result
// is then proven with the diff: every request that changes is one the migration
// moved, and it now goes to the new upstream; any other change, or an answer regexes
// leave unproven, refuses the rewrite.
#pragma once

#include <string>
#include <vector>

#include "compiler/source/file_reader.h"

namespace banyan::diff {

// One rewritten file: its path as the loader read it (an include's resolved from the
// file that includes it) and its new text.
struct FinishedFile {
  std::string path;
  std::string text;
};

struct FinishResult {
  int status = 0;          // 0: `files` are the rewritten files; 1: refused (`error` says why); 2: unreadable or errors
  std::vector<FinishedFile> files;  // in load order (the root first, when it is edited)
  std::string error;
  std::string proof;       // the diff's summary of what changed
};

FinishResult finish_migration(const std::string& path, const std::string& name, source::FileReader& reader,
                              int64_t now_ms);

}  // namespace banyan::diff
