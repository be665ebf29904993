// "Did you mean" suggestions: the closest candidate by edit distance, if close enough.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace banyan::diag {

// Damerau-Levenshtein (optimal string alignment) distance.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, when it is within a third of the word's length
// (at least 1 edit, at most 3): close enough to be a typo, far enough to not guess.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace banyan::diag
