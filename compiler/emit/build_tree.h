// A site's decision tree (runtime/plan/format.h, Node and Entry; docs/plan-format.md,
// "The decision tree"), built from its rules so that the runtime's walk meets them in
// rank order (compiler/analysis/route_model.h):
//
// * Literal region. A route is placed at the node its literal prefix reaches segment
//   by segment: an exact or prefix path at the node of its segments (a trailing '/'
//   stays at the node: "/a/" belongs to node "a"), a glob at the node of the literal
//   segments before its first wildcard, an anchored regex at the node of the text up
//   to the last '/' of its literal prefix (the rest, part of a segment, is left to
//   RE2), an unanchored regex at the root. Whatever is in a literal child's subtree
//   (node text T, child label s) has a literal prefix of at least |T/s| bytes, and
//   what is placed at the node itself at most |T/s|: only a regex whose prefix is
//   T/s itself reaches that, and a regex ranks below the exact, prefix and glob
//   routes of an equal prefix. (A `**` after an empty segment, `/a//**`, whose
//   prefix "/a/" would break this, is placed at "a" and tested whole.) So the walk
//   tries the child first; a node's own entries are sorted by rank, with the globs
//   of one literal prefix replaced by one entry that descends into their subtree.
// * Glob region. Below a Param or Rest child, globs branch segment by segment:
//   literal children, then one Param child, then the globs that end at the node
//   (they need the path to end there, the Param child needs one more segment, so
//   these two never both match), then one Rest child. Taken in that order, the walk
//   meets globs of one literal prefix in the order of their remaining segments (a
//   literal > a parameter > `**`, the end of the path > `**`), which is their rank;
//   routes at one leaf are in predicate order.
#pragma once

#include <cstdint>

#include "compiler/analysis/route_model.h"
#include "compiler/emit/plan_writer.h"

namespace banyan::emit {

// Regex routes next to each other in one node's entries, this many or more, are
// asked through one RE2::Set tree (runtime/plan/regex_sets.h) instead of one by one.
inline constexpr size_t kRegexSetFrom = 4;

// Writes the tree of `site`, whose routes are w.routes[first_route, ...), and
// returns its root node. Unusable rules (a pattern that failed to compile) take no
// request, so they are left out.
uint32_t build_tree(const analysis::SiteRules& site, uint32_t first_route, PlanWriter& w);

}  // namespace banyan::emit
