// Property tests of the routing analyses against the reference matcher
// (tests/support/reference_matcher.h), on 1,000 random sites of 2 to 10 routes
// (exact, prefix, glob, regex; methods; header, cookie and query tests) and 150
// random requests each. Fixed seed: a failure reproduces.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "compiler/analysis/analyses.h"
#include "tests/support/reference_matcher.h"

namespace banyan::analysis {
namespace {

using test::ReferenceMatcher;

template <typename T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

bool chance(std::mt19937& rng, int percent) { return std::uniform_int_distribution<int>(0, 99)(rng) < percent; }

std::string literal_path(std::mt19937& rng) {
  static const std::vector<std::string> segs{"a", "b", "users"};
  int n = std::uniform_int_distribution<int>(0, 3)(rng);
  std::string p;
  for (int i = 0; i < n; ++i) p += "/" + pick(rng, segs);
  if (p.empty() || chance(rng, 15)) p += "/";
  return p;
}

ast::PathMatcher random_path(std::mt19937& rng) {
  static const std::vector<std::string> segs{"a", "b", "users", ":id", "*", "**"};
  static const std::vector<std::string> regexes{
      "^/a/[0-9]+$", "^/a/.*",     "^/users/[a-z]+", "\\.png$",         "^/(a|b)/x", "^/b",
      "/a",          "^/a/b$",     "[0-9]",          "^/users/.*\\.png$", "^/users/.*\\.jpg$", "^/a/(x|1)$"};
  ast::PathMatcher m;
  switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
    case 0:
      m.kind = ast::PathKind::Exact;
      m.pattern = literal_path(rng);
      break;
    case 1:
      m.kind = ast::PathKind::Prefix;
      m.pattern = literal_path(rng);
      break;
    case 2: {
      m.kind = ast::PathKind::Glob;
      int n = std::uniform_int_distribution<int>(1, 3)(rng);
      bool wild = false;
      for (int i = 0; i < n; ++i) {
        std::string s = pick(rng, segs);
        if (s == "**" && i + 1 < n) s = "*";
        if (i + 1 == n && !wild && s[0] != ':' && s[0] != '*') s = chance(rng, 50) ? "**" : ":p";
        if (s == ":id" || s == ":p") s += std::to_string(i);  // parameter names are unique
        wild = wild || s[0] == ':' || s[0] == '*';
        m.pattern += "/" + s;
      }
      break;
    }
    default:
      m.kind = ast::PathKind::Regex;
      m.pattern = pick(rng, regexes);
      break;
  }
  return m;
}

ast::Route random_route(std::mt19937& rng) {
  ast::Route r;
  r.path = random_path(rng);
  if (chance(rng, 30)) {
    r.methods.push_back({"GET", {}});
    if (chance(rng, 40)) r.methods.push_back({"POST", {}});
  }
  struct P {
    ast::Predicate::Kind kind;
    const char* name;
    ast::ValueMatchKind match;
    const char* value;
  };
  static const std::vector<P> preds{
      {ast::Predicate::Kind::Header, "X-A", ast::ValueMatchKind::Present, ""},
      {ast::Predicate::Kind::Header, "x-a", ast::ValueMatchKind::Equals, "1"},
      {ast::Predicate::Kind::Header, "X-A", ast::ValueMatchKind::Prefix, "1"},
      {ast::Predicate::Kind::Header, "X-A", ast::ValueMatchKind::Regex, "^2"},
      {ast::Predicate::Kind::Cookie, "s", ast::ValueMatchKind::Present, ""},
      {ast::Predicate::Kind::Cookie, "s", ast::ValueMatchKind::Equals, "v"},
      {ast::Predicate::Kind::Query, "q", ast::ValueMatchKind::Regex, "^[0-9]+$"},
  };
  int n = chance(rng, 60) ? 0 : std::uniform_int_distribution<int>(1, 2)(rng);
  for (int i = 0; i < n; ++i) {
    const P& p = pick(rng, preds);
    ast::Predicate pr;
    pr.kind = p.kind;
    pr.name.text = p.name;
    pr.match = p.match;
    pr.value.text = p.value;
    r.predicates.push_back(pr);
  }
  return r;
}

Request random_request(std::mt19937& rng) {
  static const std::vector<std::string> segs{"a", "b", "users", "x", "1", "img.png", "img.jpg", "2", "ab", "users2"};
  Request req;
  req.host = "example.com";
  req.method = pick(rng, std::vector<std::string>{"GET", "POST", "PUT"});
  int n = std::uniform_int_distribution<int>(0, 4)(rng);
  req.path.clear();
  for (int i = 0; i < n; ++i) req.path += "/" + pick(rng, segs);
  if (req.path.empty() || chance(rng, 15)) req.path += "/";
  std::string xa = pick(rng, std::vector<std::string>{"", "1", "12", "2", "zz"});
  if (!xa.empty()) req.headers.emplace_back(chance(rng, 50) ? "X-A" : "x-a", xa);
  std::string s = pick(rng, std::vector<std::string>{"", "v", "w"});
  if (!s.empty()) req.cookies.emplace_back("s", s);
  std::string q = pick(rng, std::vector<std::string>{"", "1", "a"});
  if (!q.empty()) req.query.emplace_back("q", q);
  return req;
}

std::set<const Rule*> as_set(const std::vector<const Rule*>& v) { return {v.begin(), v.end()}; }

}  // namespace

TEST_CASE("on random sites the analyses agree with the reference matcher: witnesses win, examples tie, "
          "shadowed routes never win, and every tie a request exposes is reported") {
  std::mt19937 rng(20261126);
  size_t witnesses = 0, conflicts = 0, shadowed = 0;
  for (int round = 0; round < 1000; ++round) {
    ast::File file;
    ast::Site site;
    site.hosts.push_back({false, "example.com", {}});
    int n = std::uniform_int_distribution<int>(2, 10)(rng);
    for (int i = 0; i < n; ++i) site.routes.push_back(random_route(rng));
    file.sites.push_back(std::move(site));

    RouteModel model = build_route_model(file);
    REQUIRE(model.problems.empty());
    const SiteRules& sr = model.sites[0];
    ReferenceMatcher ref(sr);
    SiteVocabulary vocab(sr);
    SiteIndex index(sr);
    auto found = find_conflicts(sr, vocab);
    auto reach = find_unreachable(sr, index, vocab);

    std::string routes;
    for (const auto& r : sr.rules) routes += "  " + std::string(class_name(r.cls)) + " " + r.pattern + "\n";
    INFO("round " << round << ", routes:\n" << routes);

    for (const auto& [rule, req] : reach.witnesses) {
      INFO("witness for " << rule->pattern << ": " << req.describe());
      CHECK(as_set(ref.winners(req)).count(rule) == 1);
      ++witnesses;
    }
    std::set<const Rule*> certain_unreachable;
    for (const auto& u : reach.unreachable) {
      if (!u.certain) continue;
      certain_unreachable.insert(u.rule);
      ++shadowed;
      for (const auto& [req, w] : u.taken_by) {
        INFO("unreachable " << u.rule->pattern << " taken by " << w->pattern << " on " << req.describe());
        auto win = as_set(ref.winners(req));
        CHECK(win.count(w) == 1);
        CHECK(win.count(u.rule) == 0);
      }
    }
    std::set<std::pair<const Rule*, const Rule*>> reported;
    for (const auto& c : found) {
      reported.insert({std::min(c.a, c.b), std::max(c.a, c.b)});
      if (!c.certain) continue;
      ++conflicts;
      INFO("conflict " << c.a->pattern << " / " << c.b->pattern << " on " << c.example.describe());
      CHECK(ref.matches(*c.a, c.example));
      CHECK(ref.matches(*c.b, c.example));
      CHECK(ref.rank(*c.a) == ref.rank(*c.b));
    }
    for (int k = 0; k < 150; ++k) {
      Request req = random_request(rng);
      auto win = ref.winners(req);
      INFO("request " << req.describe());
      CHECK(as_set(index.winners(req)) == as_set(win));  // the fast index is the oracle's order
      for (const Rule* w : win) CHECK(certain_unreachable.count(w) == 0);
      for (size_t i = 0; i < win.size(); ++i) {
        for (size_t j = i + 1; j < win.size(); ++j) {
          INFO("tie between " << win[i]->pattern << " and " << win[j]->pattern);
          CHECK(reported.count({std::min(win[i], win[j]), std::max(win[i], win[j])}) == 1);
        }
      }
    }
  }
  // The generator must exercise every finding, or the properties above prove little.
  CHECK(witnesses > 2000);
  CHECK(conflicts > 50);
  CHECK(shadowed > 25);
}

}  // namespace banyan::analysis
