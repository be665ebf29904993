// "Did you mean" for diagnostics: the shared definition in runtime/plan/names.h.
#pragma once

#include "runtime/plan/names.h"

namespace banyan::diag {

using names::closest;
using names::edit_distance;

}  // namespace banyan::diag
