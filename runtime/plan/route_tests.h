// One route against a request, as the language reference defines each test: its
// path (exact, prefix, glob segment by segment, regex), its methods, its header,
// cookie and query tests, and which migration moves a request it won. The decision
// tree (matcher.cpp) calls these for what its shape has not already decided;
// route_matches() and `banyanc route` call them for any route.
#pragma once

#include <cstdint>
#include <string_view>

#include "runtime/plan/matcher.h"

namespace re2 {
class RE2;
}

namespace banyan::plan {

// A glob against the whole path, segment by segment; fills `out`'s captures when given.
bool glob_ok(const Plan& plan, Slice glob, std::string_view path, MatchResult* out);

// Does `path` match a path pattern of this kind (a route's or a `move`'s)?
bool path_ok(const Plan& plan, PathKind kind, std::string_view pattern, Slice glob, const re2::RE2* re,
             std::string_view path, MatchResult* out);

// The route's own path test.
bool route_path_ok(const Plan& plan, uint32_t route, std::string_view path, MatchResult* out);

// Its method list (an empty list takes every method), compared exactly.
bool methods_ok(const Plan& plan, const Route& r, std::string_view method);

// Its header, cookie and query tests, all of which must hold.
bool tests_ok(const Plan& plan, const Route& r, const RequestView& req);

// The migration whose `move` takes this request, of those the route lists; kNone.
// `host` is canonical (lower case, no port).
uint32_t split_of(const Plan& plan, const Route& r, std::string_view host, std::string_view path);

}  // namespace banyan::plan
