// Route tables shaped like public REST APIs, and requests for them, for the property
// test of the plan's matcher (the second generator beside random_routes.h, whose
// tiny vocabulary makes routes collide but never makes a wide or deep tree):
// many routes under one or two literal prefixes followed by parameters nested one
// to three deep, literal segments after parameters (`/repos/:owner/:repo/issues`),
// literal segments where other routes have a parameter (`/repos/search`), several
// routes per path told apart by method (standard and extension methods) and by a
// header, exact and prefix endpoints, a cluster of unanchored regexes (asked through
// one RE2::Set tree) and anchored ones whose literal prefix ends inside a segment,
// and sometimes a fallback. Nodes with more than eight literal children (a perfect
// hash) are common.
#pragma once

#include <random>
#include <vector>

#include "compiler/analysis/route_model.h"
#include "compiler/ast/ast.h"

namespace banyan::test {

// One site's routes (without actions: the caller gives each one).
std::vector<ast::Route> rest_routes(std::mt19937& rng);

// A request to example.com for those routes: a route's pattern filled in (parameter
// values that are sometimes another route's literal), or a near miss of one (a
// literal one character off or in another case, a segment more or fewer, a trailing
// slash, a file extension), with a method the route takes or another, and sometimes
// the header, query and cookie the routes test (or names that almost match).
analysis::Request rest_request(std::mt19937& rng, const std::vector<ast::Route>& routes);

}  // namespace banyan::test
