// `banyanc diff`'s three outputs: text for a terminal, JSON for tools, Markdown for a
// pull-request comment. All three show the same changes in the same order.
#pragma once

#include <string>

#include "compiler/diff/route_diff.h"

namespace banyan::diff {

std::string render_text(const DiffResult& d);
// {"changed": bool, "certain": bool, "requests_tried": N, "changes": [...], "uncertain": [...]}
std::string render_json(const DiffResult& d);
std::string render_markdown(const DiffResult& d);

// "2 changes (1 destination, 1 policy)", or "no change".
std::string summary(const DiffResult& d);

}  // namespace banyan::diff
