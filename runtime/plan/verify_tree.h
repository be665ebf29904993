// The decision trees of an untrusted plan, checked before any lookup walks them
// (docs/plan-format.md, "What the loader verifies", item 4). After this, a lookup
// reads no index out of range and enters each node at most once.
#pragma once

#include <string>

#include "runtime/plan/plan.h"

namespace banyan::plan {

// "" when every site's tree is sound, else the first problem in words ("node 12:
// ..."). The plan's sections, strings, slices and routes must be verified already.
std::string verify_trees(const Plan& plan);

}  // namespace banyan::plan
