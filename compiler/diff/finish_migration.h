// `banyanc migrate finish NAME FILE`: a migration at 100% becomes plain routes to its
// new upstream. A route to the old upstream whose requests the migration moves
// entirely is retargeted; one it moves in part gets a copy before it for each moved
// pattern (its predicates and settings kept, its path the pattern's, its upstream the
// new one); the migration block is deleted; the file is laid out by the formatter
// (comments kept). The result is then proven with the diff: every request that changes
// is one the migration moved, and it now goes to the new upstream; any other change,
// or an answer regexes leave unproven, refuses the rewrite.
#pragma once

#include <string>

#include "compiler/source/file_reader.h"

namespace banyan::diff {

struct FinishResult {
  int status = 0;          // 0: `text` is the new file; 1: refused (`error` says why); 2: unreadable or errors
  std::string text;
  std::string error;
  std::string proof;       // the diff's summary of what changed
};

// Edits only the root file: a route or migration in an included file is refused.
FinishResult finish_migration(const std::string& path, const std::string& name, source::FileReader& reader,
                              int64_t now_ms);

}  // namespace banyan::diff
