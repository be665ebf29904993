// Routes file -> plan bytes in memory: the check pipeline, then the emitter. banyanc
// `compile` writes the bytes to a file; the runtime (`banyan run x.routes`, and a
// reload of a routes file) loads them directly.
#pragma once

#include <string>

namespace banyan {

struct CompileOutcome {
  int status = 0;           // 0: compiled; 1: the file has errors; 2: it could not be read
  std::string bytes;        // the plan, when status is 0
  std::string diagnostics;  // rendered like `banyanc check` (may hold warnings when status is 0)
};

CompileOutcome compile_routes(const std::string& path);

}  // namespace banyan
