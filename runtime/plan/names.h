// Names for people: "did you mean" suggestions (the closest candidate by edit
// distance, when close enough to be a typo) and "a, b or c" lists. One definition for
// the compiler's diagnostics and the runtime's configuration errors.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace banyan::names {

// Damerau-Levenshtein (optimal string alignment) distance, ignoring case.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, when it is within a third of the word's length
// (at least 1 edit, at most 3): close enough to be a typo, far enough to not guess.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

// "a", "a or b", "a, b or c".
std::string list_names(const std::vector<std::string>& names);

}  // namespace banyan::names
