// Sample strings for a regular expression: a few short strings built from the
// pattern's structure (each alternative, each quantifier at its least counts), for
// the analyses to try as example paths and header values. Candidates only: callers
// verify each with RE2, because this reads only the common subset of RE2 syntax and
// guesses at the rest (an unsupported construct yields fewer or failing samples,
// never a wrong verdict).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace banyan::analysis {

// At most `limit` distinct candidates, shortest-ish first.
std::vector<std::string> regex_samples(std::string_view pattern, size_t limit = 16);

// Candidates at the edges of each quantifier instead: its least count, one more, its
// greatest and one past it (`{1,4}`: 1, 2, 4, 5), and a longer run for an unbounded
// one (`+`: 1, 2, 5). `banyanc diff` tries them where two regexes' languages may
// differ only in how many times a piece repeats.
std::vector<std::string> regex_boundary_samples(std::string_view pattern, size_t limit = 32);

}  // namespace banyan::analysis
