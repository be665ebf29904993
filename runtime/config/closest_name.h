// The closest of a few names to a misspelt one, for "did you mean" in configuration
// errors. The compiler has its own (compiler/diag/suggest); the runtime must not
// depend on the compiler, and a dozen names need nothing faster than this.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace banyan::config {

// The name within edit distance (swaps of neighbours count one) max(1, len/3) of `word`, the nearest first; nullopt
// when none is that close. Cost O(names x len^2) on short names.
std::optional<std::string> closest_name(std::string_view word, const std::vector<std::string>& names);
// "a, b or c"
std::string list_names(const std::vector<std::string>& names);

}  // namespace banyan::config
