#include "compiler/compile.h"

#include "compiler/analysis/route_model.h"
#include "compiler/check_pipeline.h"
#include "compiler/diag/render.h"
#include "compiler/diff/render_diff.h"
#include "compiler/diff/route_diff.h"
#include "compiler/emit/emit_plan.h"
#include "compiler/plan_sources.h"

namespace banyan {

class RoutesSource {
 public:
  ast::File ast;
};

CompileOutcome compile_routes(const std::string& path) {
  CompileOutcome out;
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  source::DiskFileReader reader;
  CheckResult r = check_file(path, sm, sink, reader);
  out.diagnostics = diag::render_text(sink.all(), sm);
  if (!r.read_ok) {
    out.status = 2;
    return out;
  }
  if (sink.error_count() > 0) {
    out.diagnostics += diag::summary_line(sink) + "; no plan written\n";
    out.status = 1;
    return out;
  }
  out.bytes = emit::emit_plan(r.ast, *r.model, sm);
  auto source = std::make_shared<RoutesSource>();
  source->ast = std::move(r.ast);
  out.source = std::move(source);
  return out;
}

std::shared_ptr<const RoutesSource> plan_routes_source(const plan::Plan& p, std::string& error) {
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  auto source = std::make_shared<RoutesSource>();
  if (!parse_plan_sources(p, sm, sink, source->ast, error)) return nullptr;
  return source;
}

ChangeReport diff_compiled(const RoutesSource& before, const RoutesSource& after, int64_t now_ms) {
  diff::DiffOptions options;
  options.now_ms = now_ms;
  diff::DiffResult d = diff::diff_files(before.ast, after.ast, options);
  ChangeReport out;
  out.changed = !d.changes.empty() || !d.uncertain.empty();
  out.summary = diff::summary(d);
  out.text = diff::render_text(d);
  return out;
}

}  // namespace banyan
