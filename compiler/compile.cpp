#include "compiler/compile.h"

#include "compiler/analysis/route_model.h"
#include "compiler/check_pipeline.h"
#include "compiler/diag/render.h"
#include "compiler/emit/emit_plan.h"

namespace banyan {

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
  analysis::RouteModel model = analysis::build_route_model(r.ast);
  out.bytes = emit::emit_plan(r.ast, model, sm);
  return out;
}

}  // namespace banyan
