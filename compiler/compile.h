// Routes file -> plan bytes in memory: the check pipeline, then the emitter. banyanc
// `compile` writes the bytes to a file; the runtime (`banyan run x.routes`, and a
// reload of a routes file) loads them directly, and keeps the checked routes so the
// next reload can say what changed (`diff_compiled`, the same diff as `banyanc diff`).
// A compiled plan file carries its routes sources, read back by `plan_routes_source`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace banyan {

// The checked routes a plan was compiled from (opaque to the runtime).
class RoutesSource;
namespace plan {
class Plan;
}

struct CompileOutcome {
  int status = 0;           // 0: compiled; 1: the file has errors; 2: it could not be read
  std::string bytes;        // the plan, when status is 0
  std::string diagnostics;  // rendered like `banyanc check` (may hold warnings when status is 0)
  std::shared_ptr<const RoutesSource> source;  // when status is 0
};

CompileOutcome compile_routes(const std::string& path);

// The routes a compiled plan carries, parsed again (compiler/plan_sources.h); null,
// with `error`, when they do not read back.
std::shared_ptr<const RoutesSource> plan_routes_source(const plan::Plan& p, std::string& error);

// What changes between two compiled routes files: `summary` is one line ("2 changes (1
// destination, 1 policy)", "no change"), `text` is `banyanc diff`'s text output.
struct ChangeReport {
  bool changed = false;
  std::string summary;
  std::string text;
};
ChangeReport diff_compiled(const RoutesSource& before, const RoutesSource& after, int64_t now_ms);

}  // namespace banyan
