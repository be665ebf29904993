// The slow oracle for routing: scan every route of a site, match each through a
// regex translated from its pattern (not the model's path_matches), test predicates
// straight from the AST, and keep the routes of greatest rank, computed here from
// the definition in compiler/analysis/route_model.h. The only thing borrowed from the
// model is an anchored regex's literal prefix, which needs RE2's PossibleMatchRange.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/analysis/route_model.h"

namespace banyan::test {

class ReferenceMatcher {
 public:
  // `rules` must outlive the matcher (it keeps pointers).
  explicit ReferenceMatcher(const analysis::SiteRules& site);

  bool matches(const analysis::Rule& r, const analysis::Request& req) const;
  // The rank as a tuple, for comparing: literal length, class, shape, predicates.
  std::vector<int> rank(const analysis::Rule& r) const;
  // Every matching route of greatest rank.
  std::vector<const analysis::Rule*> winners(const analysis::Request& req) const;

 private:
  struct Entry {
    const analysis::Rule* rule;
    std::shared_ptr<re2::RE2> path_regex;
    bool full;               // full match (translated patterns) or search (user regex)
    std::vector<int> rank;
  };
  std::vector<Entry> entries_;
};

// The regex a path pattern means, written from the language reference.
std::string path_pattern_regex(const ast::PathMatcher& m);

}  // namespace banyan::test
