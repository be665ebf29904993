// Migrations whose schedule runs on the clock but names no `start`: each gateway then
// begins it when it first loads the plan, so replicas loaded minutes apart move
// different shares of the same requests. A warning, and only on a file that is
// otherwise free of errors (like check_unused.cpp): a schedule with an error in it has
// no timeline to speak of.
#include <algorithm>

#include "compiler/sema/passes.h"

namespace banyan::sema {
namespace {

// Whether the share at a moment depends on when the migration began: a shadow that
// ends after a while, or a shift step that lasts a while. `shift 100%` or `shift 5%
// hold` alone mean the same share whenever it began.
bool runs_on_the_clock(const ast::Migration& m) {
  if (m.shadow_duration) return true;
  return std::any_of(m.shift.begin(), m.shift.end(), [](const ast::ShiftStep& s) { return s.duration.has_value(); });
}

}  // namespace

void check_start(const Context& cx, diag::DiagnosticSink& sink) {
  if (!cx.syntax_ok || sink.error_count() > cx.errors_before) return;
  for (const ast::Migration& m : cx.file.migrations) {
    if (m.start || !runs_on_the_clock(m)) continue;
    auto& d = sink.report(diag::Code::MigrationNoStart, m.name.range,
                          "migration \"" + m.name.text +
                              "\" has no `start`, so each gateway begins it when it first loads the plan and "
                              "replicas move different shares");
    d.notes.push_back({{}, "name the moment it begins, like `start \"2026-03-01T09:00:00Z\"`"});
  }
}

}  // namespace banyan::sema
