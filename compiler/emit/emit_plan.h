// The last stage of banyanc: a checked routes file lowered to the plan format that
// runtime/plan/format.h defines. Routes become the rules of compiler/analysis (the
// rank is theirs), and each site's rules become its decision tree (build_tree.h).
// Deterministic: the same sources give the same bytes.
#pragma once

#include <string>

#include "compiler/analysis/route_model.h"
#include "compiler/ast/ast.h"
#include "compiler/source/source_file.h"

namespace banyan::emit {

// `file` must have checked clean (no errors): every name resolves and every pattern
// compiled. `sm` holds the files it came from (their text is hashed into the plan,
// their paths name each route's source).
std::string emit_plan(const ast::File& file, const analysis::RouteModel& model, const source::SourceManager& sm);

}  // namespace banyan::emit
