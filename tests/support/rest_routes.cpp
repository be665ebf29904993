#include "tests/support/rest_routes.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "compiler/parse/patterns.h"
#include "tests/support/random_routes.h"

namespace banyan::test {
namespace {

using analysis::Request;

const std::vector<std::string> kHubs{"repos", "orgs", "users", "api"};
const std::vector<std::string> kResources{"issues", "pulls",   "commits", "branches", "hooks", "labels", "comments", "keys",
                                          "releases", "assets", "events", "teams",   "members", "search", "stats", "forks"};
const std::vector<std::string> kActions{"merge", "lock", "star", "protection", "status", "reviews", "files", "raw"};
const std::vector<std::string> kParams{"owner", "repo", "id", "number", "sha", "name", "ref", "team"};
// Method lists, pairwise disjoint, so two routes of one path never take one request
// at equal rank; the empty list (any method) ranks below all of them.
const std::vector<std::vector<std::string>> kMethodSets{{"GET"}, {"POST"}, {"PUT", "PATCH"}, {"DELETE"}, {"GET", "HEAD"}, {"PURGE"}};
const std::vector<std::string> kRequestMethods{"GET", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PURGE", "get"};

int uniform(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// A glob under `hub`: parameters nested one to three deep, each often followed by a
// resource; sometimes a resource first, an action last, a `*` or a `**`.
std::string rest_glob(std::mt19937& rng, const std::string& hub) {
  std::string p = "/" + hub + (hub == "api" ? "/v" + std::to_string(uniform(rng, 1, 2)) : "");
  if (chance(rng, 25)) p += "/" + pick(rng, kResources);
  int params = uniform(rng, 1, 3);
  for (int i = 0; i < params; ++i) {
    p += chance(rng, 8) ? "/*" : "/:" + pick(rng, kParams) + std::to_string(i);
    if (i + 1 < params ? chance(rng, 60) : chance(rng, 55)) p += "/" + pick(rng, kResources);
  }
  if (chance(rng, 20)) p += "/" + pick(rng, kActions);
  else if (chance(rng, 10)) p += "/**";
  return p;
}

// A glob with its parameter names left out: two routes of one shape are duplicates.
std::string shape_of(const std::string& pattern) {
  std::string shape;
  for (const auto& seg : parse::split_segments(pattern)) shape += "/" + std::string(seg.starts_with(':') || seg == "*" ? ":" : seg);
  return shape;
}

ast::Route route_for(ast::PathKind kind, const std::string& pattern) {
  ast::Route r;
  r.path.kind = kind;
  r.path.pattern = pattern;
  return r;
}

void add_methods(ast::Route& r, const std::vector<std::string>& methods) {
  for (const auto& m : methods) r.methods.push_back({m, {}});
}

ast::Predicate header(const char* name, ast::ValueMatchKind match, const char* value) {
  ast::Predicate p;
  p.kind = ast::Predicate::Kind::Header;
  p.name.text = name;
  p.match = match;
  p.value.text = value;
  return p;
}

}  // namespace

std::vector<ast::Route> rest_routes(std::mt19937& rng) {
  std::vector<ast::Route> out;
  std::vector<std::string> hubs = kHubs;
  std::shuffle(hubs.begin(), hubs.end(), rng);
  hubs.resize(static_cast<size_t>(uniform(rng, 1, 2)));
  std::set<std::string> seen;
  int globs = uniform(rng, 10, 40);
  for (int i = 0; i < globs; ++i) {
    std::string pattern = rest_glob(rng, pick(rng, hubs));
    if (!seen.insert(shape_of(pattern)).second) continue;
    std::vector<size_t> sets{0, 1, 2, 3, 4, 5};
    std::shuffle(sets.begin(), sets.end(), rng);
    if (std::find(sets.begin(), sets.begin() + 3, 0) != sets.begin() + 3 &&
        std::find(sets.begin(), sets.begin() + 3, 4) != sets.begin() + 3)
      sets.erase(std::find(sets.begin(), sets.end(), 4));  // GET twice would be ambiguous
    int routes = uniform(rng, 1, 3);
    for (int k = 0; k < routes; ++k) {
      ast::Route r = route_for(ast::PathKind::Glob, pattern);
      if (k > 0 || chance(rng, 70)) add_methods(r, kMethodSets[sets[static_cast<size_t>(k)]]);
      out.push_back(r);
      if (k == 0 && chance(rng, 20)) {  // the same path and methods, for one media type
        r.predicates.push_back(header("Accept", ast::ValueMatchKind::Prefix, "application/vnd"));
        out.push_back(r);
      }
    }
  }
  // Literal endpoints beside the parameters: exact, prefix and their trailing-slash forms.
  for (int i = uniform(rng, 2, 6); i > 0; --i) {
    std::string p = "/" + pick(rng, hubs) + "/" + pick(rng, kResources) + (chance(rng, 30) ? "/" + pick(rng, kActions) : "");
    ast::Route r = route_for(chance(rng, 50) ? ast::PathKind::Exact : ast::PathKind::Prefix, p + (chance(rng, 20) ? "/" : ""));
    if (chance(rng, 40)) add_methods(r, {"GET"});
    if (seen.insert(std::to_string(static_cast<int>(r.path.kind)) + r.path.pattern + (r.methods.empty() ? "" : "m")).second)
      out.push_back(r);
  }
  if (chance(rng, 50)) {  // a cluster of unanchored regexes, some with predicates
    static const std::vector<std::string> regexes{"\\.png$", "\\.jpg$", "\\.json$", "\\.git$", "/raw/[^/]+$", "[0-9]{4}", "~",
                                                  "_v[0-9]$"};
    std::vector<std::string> picked = regexes;
    std::shuffle(picked.begin(), picked.end(), rng);
    for (int i = 0, n = uniform(rng, 3, 7); i < n; ++i) {
      ast::Route r = route_for(ast::PathKind::Regex, picked[static_cast<size_t>(i)]);
      if (chance(rng, 25)) add_methods(r, {"GET"});
      out.push_back(r);
    }
  }
  if (chance(rng, 60)) {  // anchored regexes whose literal prefix ends inside a segment
    static const std::vector<std::string> anchored{"^/repos/[a-z]+/[a-z0-9]+/arch", "^/api/v[0-9]+/", "^/users/[^/]+/keys$",
                                                   "^/orgs/o", "^/repos/search", "^/api/v1/i"};
    out.push_back(route_for(ast::PathKind::Regex, pick(rng, anchored)));
  }
  if (chance(rng, 60)) out.push_back(route_for(ast::PathKind::Prefix, "/"));
  if (chance(rng, 30)) {
    ast::Route r = route_for(ast::PathKind::Glob, "/" + pick(rng, hubs) + "/:x/**");
    if (seen.insert(shape_of(r.path.pattern)).second) out.push_back(r);
  }
  return out;
}

Request rest_request(std::mt19937& rng, const std::vector<ast::Route>& routes) {
  Request req;
  req.host = "example.com";
  req.method = chance(rng, 30) ? pick(rng, kRequestMethods) : "GET";
  const ast::Route& r = pick(rng, routes);
  if (!r.methods.empty() && chance(rng, 60)) req.method = pick(rng, r.methods).text;
  std::vector<std::string> segs;
  if (r.path.kind == ast::PathKind::Regex) {
    segs = {pick(rng, kHubs), chance(rng, 50) ? "search" : "octo", "archive.png"};
  } else {
    for (auto seg : parse::split_segments(r.path.pattern)) {
      std::string s(seg);
      if (s == "**") {
        for (int i = uniform(rng, 0, 2); i > 0; --i) segs.push_back(pick(rng, kResources));
        continue;
      }
      if (s == "*" || s.starts_with(':')) {
        s = chance(rng, 15) ? pick(rng, kResources) : chance(rng, 50) ? std::to_string(uniform(rng, 1, 999)) : "octo";
      } else if (!s.empty() && chance(rng, 6)) {  // a near miss: one character off, or another case
        size_t at = static_cast<size_t>(uniform(rng, 0, static_cast<int>(s.size()) - 1));
        s[at] = chance(rng, 50) ? static_cast<char>(std::toupper(static_cast<unsigned char>(s[at]))) : 'q';
      }
      segs.push_back(s);
    }
  }
  if (chance(rng, 8) && !segs.empty()) segs.pop_back();
  if (chance(rng, 8)) segs.push_back(pick(rng, chance(rng, 50) ? kResources : kActions));
  if (chance(rng, 10) && !segs.empty()) segs.back() += pick(rng, std::vector<std::string>{".png", ".json", "_v2", "~1"});
  req.path.clear();
  for (const auto& s : segs) req.path += "/" + s;
  if (req.path.empty() || chance(rng, 8)) req.path += "/";
  if (chance(rng, 35))
    req.headers.emplace_back(pick(rng, std::vector<std::string>{"Accept", "accept", "Accept-"}),
                             pick(rng, std::vector<std::string>{"application/vnd.x+json", "application/json"}));
  return req;
}

}  // namespace banyan::test
