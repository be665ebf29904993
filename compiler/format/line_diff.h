// What `banyanc fmt --check` shows: a unified diff of two texts, line by line, in the
// form `diff -u` prints and `patch` applies. Hunks carry three lines of context; a
// last line without a newline is marked "\ No newline at end of file".
//
// The edit script is a shortest one (Myers' O(ND) algorithm) for up to
// kMaxDiffEdits changed lines after the common head and tail are set aside. Beyond
// that budget the middle is shown as one hunk that deletes it and inserts its
// replacement: still a correct patch, found in linear time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace banyan::format {

inline constexpr size_t kMaxDiffEdits = 2000;

// Empty when the texts are equal.
std::string unified_diff(std::string_view before, std::string_view after, std::string_view before_label,
                         std::string_view after_label, size_t max_edits = kMaxDiffEdits);

}  // namespace banyan::format
