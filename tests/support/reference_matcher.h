// The slow oracle for routing, written from the language reference (grammar/README.md,
// "Routing semantics") and sharing nothing with the compiler's route model: it reads a
// site's routes from the AST, computes each route's rank itself (the literal prefix,
// the kind, a glob's remaining segments, the number of predicates), matches each path
// through a regex translated from its pattern, tests predicates straight from the
// AST, and keeps the matching routes of greatest rank. A route whose regex does not
// compile, or exceeds the regex budget, takes no request (the checker refuses it).
// The only library judgement it borrows is RE2's: to compile regexes, and to bound
// what an anchored regex's matches start with (PossibleMatchRange).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/analysis/route_model.h"  // analysis::Request: the request as data
#include "compiler/ast/ast.h"

namespace re2 {
class RE2;
}

namespace banyan::test {

class ReferenceMatcher {
 public:
  // `site` must outlive the matcher (it keeps pointers into it).
  explicit ReferenceMatcher(const ast::Site& site);
  ~ReferenceMatcher();
  ReferenceMatcher(ReferenceMatcher&&) noexcept;

  // Routes are named by their index in the site, as written.
  bool usable(size_t route) const;
  bool matches(size_t route, const analysis::Request& req) const;
  // The rank as a tuple, compared lexicographically: literal length, kind, glob shape
  // (fixed width), predicates.
  const std::vector<int>& rank(size_t route) const;
  // Every usable matching route of greatest rank, in index order.
  std::vector<size_t> winners(const analysis::Request& req) const;

 private:
  struct Entry;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// The regex a path pattern means, written from the language reference.
std::string path_pattern_regex(const ast::PathMatcher& m);

// A regex's literal prefix by the language reference: for a regex that starts with `^`
// and has no `|` outside parentheses (so every match starts at the path's start), the
// longest text RE2 proves every match starts with; otherwise empty.
std::string reference_regex_prefix(const std::string& pattern);

}  // namespace banyan::test
