// The pipeline list. Add a pass here and in compiler/sema/passes.h.
#include "compiler/check_pipeline.h"

#include "compiler/parse/load_routes.h"
#include "compiler/sema/passes.h"

namespace banyan {

CheckResult check_file(const std::string& path, source::SourceManager& sm, diag::DiagnosticSink& sink,
                       source::FileReader& reader, const parse::Limits& limits) {
  CheckResult out;
  parse::LoadResult loaded = parse::load_routes(path, sm, sink, reader, limits);
  out.read_ok = loaded.read_ok;
  out.syntax_ok = loaded.syntax_ok;
  if (!out.read_ok) return out;
  out.ast = std::move(loaded.ast);

  using Pass = void (*)(const ast::File&, diag::DiagnosticSink&);
  static constexpr Pass kPasses[] = {
      sema::check_duplicate_names,
      sema::resolve_names,
  };
  for (Pass pass : kPasses) pass(out.ast, sink);
  sink.sort();
  return out;
}

}  // namespace banyan
