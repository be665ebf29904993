// The route IR: every route of a site lowered to a Rule with its rank, and the one
// definition of which rule a request goes to. The checker's analyses, the plan
// emitter and (through the plan) the runtime's decision tree all follow this order;
// grammar/README.md "Routing semantics" states it in words.
//
// Rank, compared left to right (greater wins):
//   1. literal   the length in bytes of the route's literal prefix: the text every
//                path it matches starts with (exact and prefix: the path; glob: the
//                segments before the first wildcard; anchored regex: the longest
//                prefix RE2 proves every match starts with; the fallback `/` and
//                unanchored regexes: empty);
//   2. class     exact > prefix > glob > regex > the fallback prefix `/`;
//   3. shape     globs only: their segments after the literal prefix, compared one
//                by one: end of path > literal > `:param` or `*` > `**`;
//   4. predicates the number of predicates: a method list counts one, and each
//                header, cookie and query test one.
// Two rules of equal rank that can match one request are ambiguous (an error), so in
// a file that checks clean every request has exactly one winner.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/parse/patterns.h"
#include "runtime/plan/format.h"

namespace re2 {
class RE2;
}

namespace banyan::analysis {

// The root prefix `/` is the site's fallback: below every other class, so it takes
// only what no other route matches (as everyone reads nginx's `location /`).
enum class PathClass : uint8_t { Fallback = 0, Regex = 1, Glob = 2, Prefix = 3, Exact = 4 };

// Shape elements of a glob after its literal prefix; the numbers are the order.
enum class ShapeElement : uint8_t { Rest = 1, Wildcard = 2, Literal = 3, End = 4 };

struct Rank {
  uint32_t literal = 0;
  PathClass cls = PathClass::Regex;
  std::vector<ShapeElement> shape;
  uint32_t predicates = 0;

  friend std::strong_ordering operator<=>(const Rank& a, const Rank& b) = default;
  friend bool operator==(const Rank& a, const Rank& b) = default;
};

std::string_view class_name(PathClass c);  // "exact path", "prefix", "glob", "regex"

// A compiled value test of a header, cookie or query predicate.
struct ValueTest {
  ast::Predicate::Kind where = ast::Predicate::Kind::Header;
  std::string name;  // as written; header names compare case-insensitively
  std::string key;   // what groups tests on one name: header names lower-cased
  ast::ValueMatchKind match = ast::ValueMatchKind::Present;
  std::string value;
  std::shared_ptr<const re2::RE2> regex;  // ValueMatchKind::Regex, when it compiled
};

// A request as the analyses and tests build them: the parts routing looks at.
struct Request {
  std::string host;
  std::string method = "GET";
  std::string path = "/";  // normalised, without the query string
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::pair<std::string, std::string>> cookies;
  std::vector<std::pair<std::string, std::string>> query;

  // `GET example.com/api/x?v=1 (header X-Beta: 1, cookie session=x)`
  std::string describe() const;
};

struct Rule {
  size_t site = 0;
  size_t index = 0;  // the route's index in its site
  const ast::Route* route = nullptr;
  PathClass cls = PathClass::Prefix;
  std::string pattern;                     // as written: path, glob or regex source
  std::string literal;                     // the literal prefix (see above)
  std::vector<parse::GlobSegment> glob;    // PathClass::Glob
  std::shared_ptr<const re2::RE2> regex;   // PathClass::Regex
  bool anchored = false;                   // a regex that starts with ^ (no top-level |)
  std::string range_lo, range_hi;          // anchored regex: every match lies in [lo, hi]
  std::string literal_suffix;              // regex ending in `literal$`: every match ends so
  std::vector<std::string> methods;        // upper-case; empty: any method
  std::vector<ValueTest> tests;
  Rank rank;
  bool usable = true;  // false when a pattern failed to compile: analyses skip it
};

bool path_matches(const Rule& r, std::string_view path);
bool method_matches(const Rule& r, std::string_view method);
bool tests_match(const Rule& r, const Request& req);  // the header, cookie and query tests
// The method first: it is the cheapest test, and on API tables most candidates differ
// from a request only there.
inline bool matches(const Rule& r, const Request& req) {
  return method_matches(r, req.method) && path_matches(r, req.path) && tests_match(r, req);
}
bool value_matches(const ValueTest& t, std::string_view value);

struct SiteRules {
  const ast::Site* site = nullptr;
  std::string sample_host;  // a host this site answers: its first exact host, or one under a wildcard
  std::vector<Rule> rules;
};

// The index the analyses use to find the winner of a request quickly: rules bucketed
// by literal prefix, longest bucket first. Equivalent to scanning every rule and
// keeping the greatest rank (tests/unit/analysis checks it against such a scan).
class SiteIndex {
 public:
  explicit SiteIndex(const SiteRules& site);
  // Every usable rule of greatest rank that matches; empty when none does. More than
  // one only when rules are ambiguous.
  std::vector<const Rule*> winners(const Request& req) const;

 private:
  // Rules by literal prefix, each list sorted by rank, greatest first.
  std::unordered_map<std::string_view, std::vector<const Rule*>> buckets_;
  std::vector<size_t> lengths_;  // the lengths of the literal prefixes, longest first
};

// A regex that failed to compile or exceeds the budget; check_routing reports it.
struct RegexProblem {
  source::SourceRange range;  // the regex string literal
  std::string pattern;
  std::string error;          // RE2's message, or the budget
  std::string fragment;       // the part of the pattern at fault, when RE2 names one
  bool too_costly = false;
  int program_size = 0;
};

struct RouteModel {
  std::vector<SiteRules> sites;
  std::vector<std::vector<Rule>> moved;  // per migration: its `move` patterns (usable ones)
  std::vector<RegexProblem> problems;    // of routes and of `move` patterns
};

// Budget: an RE2 program larger than this is refused (B0405); the plan's own budget.
using plan::kMaxRegexProgramSize;

// A compiled regex, or null with `problem` filled.
std::shared_ptr<const re2::RE2> compile_regex(const std::string& pattern, RegexProblem& problem);
// The literal prefix of a regex as its rank uses it ("" unless anchored).
std::string regex_literal_prefix(const re2::RE2& re, const std::string& pattern, bool& anchored);
// The literal text every match ends with, for a pattern ending in an unescaped `$`
// with no top-level `|` and no flags; "" when there is none or it cannot tell.
std::string regex_literal_suffix(const std::string& pattern);

// Lowers every route of every site and every migration's `move` patterns. Regexes that
// fail to compile or exceed the budget leave their rule unusable, with a problem.
RouteModel build_route_model(const ast::File& file);

// The rule a path pattern of a migration or test would become (no predicates).
Rule make_path_rule(const ast::PathMatcher& m, RouteModel& model);

}  // namespace banyan::analysis
