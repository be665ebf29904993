// The pipeline list. Add a pass here and in compiler/sema/passes.h.
#include "compiler/check_pipeline.h"

#include <ctime>

#include "compiler/analysis/route_model.h"
#include "compiler/parse/load_routes.h"
#include "compiler/sema/passes.h"

namespace banyan {

CheckResult check_file(const std::string& path, source::SourceManager& sm, diag::DiagnosticSink& sink,
                       source::FileReader& reader, const CheckOptions& options) {
  CheckResult out;
  const size_t errors_before = sink.error_count();
  parse::LoadResult loaded = parse::load_routes(path, sm, sink, reader, options.limits);
  out.read_ok = loaded.read_ok;
  out.syntax_ok = loaded.syntax_ok;
  if (!out.read_ok) return out;
  out.ast = std::move(loaded.ast);
  out.model = std::make_shared<const analysis::RouteModel>(analysis::build_route_model(out.ast));

  sema::Context cx{out.ast, *out.model, sm, reader, options.now_unix.value_or(static_cast<int64_t>(std::time(nullptr))),
                   loaded.root, loaded.syntax_ok, errors_before};
  static constexpr sema::Pass kPasses[] = {
      sema::check_duplicate_names,
      sema::resolve_names,
      sema::check_tls,
      sema::check_values,
      sema::check_caching,
      sema::check_routing,
      sema::check_unused,
      sema::check_start,
  };
  for (sema::Pass pass : kPasses) pass(cx, sink);
  parse::apply_annotations(loaded.annotations, sink);
  sink.sort();
  return out;
}

}  // namespace banyan
