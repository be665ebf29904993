// Migrations, checked against the routes they act on. Run by check_routing on the
// route model it has already built (one lowering, one set of compiled regexes).
#pragma once

#include <vector>

#include "compiler/analysis/samples.h"
#include "compiler/sema/passes.h"

namespace banyan::analysis {

// `vocab` and `index` hold one entry per site of `model`.
void check_migrations(const sema::Context& cx, const RouteModel& model, const std::vector<SiteVocabulary>& vocab,
                      const std::vector<SiteIndex>& index, diag::DiagnosticSink& sink);

}  // namespace banyan::analysis
