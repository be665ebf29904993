// Random routes and requests for the property tests of the routing analyses and of
// the plan's matcher: small vocabularies, so routes and requests collide often.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "compiler/analysis/route_model.h"

namespace banyan::test {

template <typename T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

inline bool chance(std::mt19937& rng, int percent) { return std::uniform_int_distribution<int>(0, 99)(rng) < percent; }

// Exact, prefix, glob or regex paths over the segments a, b, users.
ast::PathMatcher random_path(std::mt19937& rng);
// A random path, sometimes methods, sometimes header, cookie and query tests.
ast::Route random_route(std::mt19937& rng);
// A request to example.com whose path, headers, cookie and query meet those routes,
// and their near misses: names that differ by case or a character.
analysis::Request random_request(std::mt19937& rng);
// The path as a client might send it before normalisation: percent-encoded letters,
// `%2F`, `%2e%2e`, changed case, `//`, dot segments, a trailing slash added or taken
// away. Some variants normalise back to `path`, some to another path, some are refused.
std::string unnormalised(std::mt19937& rng, const std::string& path);

}  // namespace banyan::test
