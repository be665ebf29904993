// The oracle for path normalisation: runtime/plan/normalize_path.h's rules written
// plainly with strings, one input segment at a time, so that it finds the same first
// error. tests/unit/plan/normalize_path_test.cpp checks the runtime against it, and
// the plan matcher's property test feeds both un-normalised request paths.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "runtime/plan/normalize_path.h"  // PathError: the names of the refusals

namespace banyan::test {

struct ReferencePath {
  std::string path;  // when error is None
  plan::PathError error = plan::PathError::None;
  size_t offset = 0;  // of the byte at fault
};

ReferencePath reference_normalize(std::string_view in);

}  // namespace banyan::test
