// The perfect hash of a wide node's literal children (runtime/plan/child_table.h has
// the functions; format.h the record).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "compiler/emit/plan_writer.h"

namespace banyan::emit {

// A table for the labels of the children [first_child, first_child + labels.size()),
// its displacements and slots appended to w. Deterministic: seeds and displacements
// are tried from 0 up, so the same labels give the same bytes.
plan::ChildTable build_child_table(PlanWriter& w, const std::vector<std::string_view>& labels, uint32_t first_child);

}  // namespace banyan::emit
