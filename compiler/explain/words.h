// How explain and route write values: one spelling for both.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/analysis/route_model.h"
#include "runtime/plan/format.h"

namespace banyan::explain {

// "text" with '"', '\' and control bytes escaped.
std::string quote(std::string_view s);
// 150 basis points -> "1.5%".
std::string percent(uint32_t basis_points);
// A path kind by the name the checker's diagnostics use ("exact path", "glob", ...).
inline std::string_view kind_name(plan::PathKind k) {
  return analysis::class_name(static_cast<analysis::PathClass>(static_cast<uint8_t>(k)));
}

}  // namespace banyan::explain
