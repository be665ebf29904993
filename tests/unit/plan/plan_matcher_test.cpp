// The plan's matcher against the reference matcher (tests/support/reference_matcher.h),
// on two kinds of generated route files, each compiled to plan bytes, loaded, and
// asked random requests, half of them with a path as a client might send it (percent
// escapes, `%2F`, `%2e%2e`, case, `//`, dot segments, trailing slashes), normalised by
// the runtime's normalize_path for the plan and by the reference normaliser for the
// reference:
//  * 1,000 small files over a tiny vocabulary (random_routes.h), where routes collide:
//    one to three sites with exact, wildcard and default hosts, random routes (exact,
//    prefix, glob, regex; methods; header, cookie and query tests), sometimes a
//    migration; 200 requests each;
//  * 250 files shaped like REST APIs (rest_routes.h): wide and deep trees, parameters
//    nested three deep with literals between them, routes told apart by method and
//    header, runs of regexes; 400 requests each, most of them near misses of a route.
// Fixed seed in CI (a failure names it); scripts/fuzz.sh varies it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include <re2/re2.h>

#include "compiler/emit/emit_plan.h"
#include "compiler/parse/patterns.h"
#include "runtime/plan/matcher.h"
#include "runtime/plan/normalize_path.h"
#include "runtime/plan/route_tests.h"
#include "tests/support/property_seed.h"
#include "tests/support/random_routes.h"
#include "tests/support/rest_routes.h"
#include "tests/support/reference_matcher.h"
#include "tests/support/reference_normalize.h"

namespace banyan::plan {
namespace {

using analysis::Request;
using test::chance;
using test::pick;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Host selection from the language reference, by scanning: exact, then the longest
// wildcard suffix (one or more labels), then the default site.
uint32_t reference_site(const ast::File& f, std::string host) {
  host = lower(host);
  if (size_t colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  if (!host.empty() && host.back() == '.') host.pop_back();
  uint32_t best = kNone, deflt = kNone;
  size_t best_len = 0;
  for (size_t s = 0; s < f.sites.size(); ++s) {
    for (const auto& h : f.sites[s].hosts) {
      if (h.is_default) deflt = static_cast<uint32_t>(s);
      else if (h.host == host) return static_cast<uint32_t>(s);
      else if (h.host.starts_with("*.")) {
        std::string suffix = h.host.substr(1);
        if (host.size() > suffix.size() && host.ends_with(suffix) && suffix.size() > best_len) {
          best = static_cast<uint32_t>(s);
          best_len = suffix.size();
        }
      }
    }
  }
  return best != kNone ? best : deflt;
}

ast::Upstream upstream(const std::string& name) {
  ast::Upstream u;
  u.name.text = name;
  ast::Server s;
  s.address.text = name + ":80";
  s.host = name;
  s.port = 80;
  u.servers.push_back(s);
  return u;
}

// Routes for one site of a file, from the generator a test case names.
using SiteRoutes = std::vector<ast::Route> (*)(std::mt19937&);

std::vector<ast::Route> small_routes(std::mt19937& rng) {
  std::vector<ast::Route> out;
  for (int i = std::uniform_int_distribution<int>(2, 10)(rng); i > 0; --i) out.push_back(test::random_route(rng));
  return out;
}

ast::File random_file(std::mt19937& rng, SiteRoutes make_routes) {
  static const std::vector<std::string> host_pool{"example.com", "*.example.com", "a.example.com", "*.b.example.com", "other.org"};
  ast::File f;
  f.upstreams = {upstream("app"), upstream("new"), upstream("other")};
  std::vector<std::string> hosts = host_pool;
  std::shuffle(hosts.begin(), hosts.end(), rng);
  int sites = std::uniform_int_distribution<int>(1, 3)(rng);
  for (int s = 0; s < sites; ++s) {
    ast::Site site;
    site.hosts.push_back({false, hosts[static_cast<size_t>(s)], {}});
    if (s == 0 && chance(rng, 50)) site.hosts.push_back({true, "", {}});
    for (ast::Route& r : make_routes(rng)) {
      r.action.kind = ast::ActionKind::Proxy;
      r.action.upstream.text = chance(rng, 70) ? "app" : "other";
      site.routes.push_back(std::move(r));
    }
    f.sites.push_back(std::move(site));
  }
  if (chance(rng, 50)) {
    ast::Migration m;
    m.name.text = "m";
    m.from.text = "app";
    m.to.text = "new";
    int n = std::uniform_int_distribution<int>(1, 2)(rng);
    for (int i = 0; i < n; ++i) m.paths.push_back(test::random_path(rng));
    if (chance(rng, 30)) m.on_host = ast::Text{"a.example.com", {}};
    f.migrations.push_back(std::move(m));
  }
  return f;
}

// Does the migration move this request, by the language reference: the winner goes
// to its `from` upstream, the host is its `on` host if it names one, and one of its
// patterns matches the path.
bool reference_moves(const ast::File& f, const ast::Route& winner, const Request& req) {
  if (f.migrations.empty()) return false;
  const ast::Migration& m = f.migrations[0];
  if (winner.action.upstream.text != m.from.text) return false;
  if (m.on_host && lower(req.host) != m.on_host->text) return false;
  return std::any_of(m.paths.begin(), m.paths.end(), [&](const ast::PathMatcher& p) {
    re2::RE2 re(test::path_pattern_regex(p));
    return p.kind == ast::PathKind::Regex ? RE2::PartialMatch(req.path, re) : RE2::FullMatch(req.path, re);
  });
}

struct View {
  std::vector<HeaderField> headers;
  std::string cookie, query;
  RequestView req;
};

// The request as the runtime hands it to the matcher: cookies in a Cookie header,
// the query as raw text.
void to_view(const Request& r, View& v) {
  v.headers.clear();
  for (const auto& [n, val] : r.headers) v.headers.push_back({n, val});
  v.cookie.clear();
  for (const auto& [n, val] : r.cookies) v.cookie += (v.cookie.empty() ? "" : "; ") + n + "=" + val;
  if (!v.cookie.empty()) v.headers.push_back({"Cookie", v.cookie});
  v.query.clear();
  for (const auto& [n, val] : r.query) v.query += (v.query.empty() ? "" : "&") + n + "=" + val;
  v.req = {r.method, r.host, r.path, v.query, v.headers};
}

// The captures of route `route` alone on `path` (route_tests.h).
bool glob_captures(const Plan& plan, uint32_t route, std::string_view path, MatchResult& out) {
  return glob_ok(plan, plan.routes()[route].glob, path, &out);
}

struct Counts {
  size_t requests = 0, routed = 0, moved = 0, ambiguous = 0, refused = 0, renormalised = 0;
};

// `rounds` files from `make_routes`, `per_file` requests each (from `make_request`,
// given the file's first site's routes): the plan's answer must be the reference's.
template <typename MakeRequest>
Counts compare_with_reference(std::mt19937& rng, int rounds, int per_file, SiteRoutes make_routes, MakeRequest&& make_request) {
  static const std::vector<std::string> request_hosts{
      "example.com", "EXAMPLE.com:8080", "example.com.", "a.example.com", "x.a.example.com", "b.example.com",
      "x.b.example.com", "y.x.b.example.com", "other.org", "nowhere.net"};
  Counts c;
  for (int round = 0; round < rounds; ++round) {
    ast::File file = random_file(rng, make_routes);
    analysis::RouteModel model = analysis::build_route_model(file);
    source::SourceManager sm;
    std::string bytes = emit::emit_plan(file, model, sm);
    REQUIRE(bytes == emit::emit_plan(file, model, sm));  // deterministic
    LoadResult loaded = load_plan(bytes);
    INFO("round " << round << ": " << loaded.error);
    REQUIRE(loaded.plan);
    const Plan& plan = *loaded.plan;
    std::vector<test::ReferenceMatcher> refs;
    for (const auto& site : file.sites) refs.emplace_back(site);

    View view;
    for (int k = 0; k < per_file; ++k) {
      // A request for the routes of the site its host selects (or the first site's).
      std::string host = pick(rng, request_hosts);
      uint32_t for_site = reference_site(file, host);
      Request req = make_request(rng, file.sites[for_site == kNone ? 0 : for_site].routes);
      req.host = host;
      // Half the requests arrive un-normalised: each side normalises by its own rules.
      const std::string raw = chance(rng, 50) ? test::unnormalised(rng, req.path) : req.path;
      INFO("request " << req.describe() << ", path as sent: " << raw);
      std::string runtime_path(raw.size(), '\0');
      NormalizedPath n = normalize_path(raw, runtime_path.data());
      test::ReferencePath want_path = test::reference_normalize(raw);
      REQUIRE(describe(n.error) == describe(want_path.error));
      ++c.requests;
      if (n.error != PathError::None) {
        ++c.refused;  // the runtime answers 400 before routing
        continue;
      }
      runtime_path.resize(n.length);
      c.renormalised += raw != req.path && want_path.path != req.path;
      req.path = want_path.path;  // the reference's view of the request
      to_view(req, view);
      view.req.path = runtime_path;  // the plan's view: the runtime's normalisation
      MatchResult got;
      bool found = match(plan, view.req, got);
      uint32_t site = reference_site(file, req.host);
      REQUIRE(got.site == site);
      if (site == kNone) {
        REQUIRE_FALSE(found);
        continue;
      }
      // The walk enters each node at most once (matcher.cpp, "The bound").
      REQUIRE(got.steps <= plan.nodes().size());
      auto winners = refs[site].winners(req);
      if (winners.empty()) {
        REQUIRE_FALSE(found);
        continue;
      }
      REQUIRE(found);
      uint32_t first = plan.sites()[site].routes.first;
      // Equal-rank winners are an ambiguity the checker refuses; the plan picks one of them.
      c.ambiguous += winners.size() > 1;
      bool among = std::find(winners.begin(), winners.end(), got.route - first) != winners.end();
      INFO("plan chose route " << got.route - first << ", reference " << winners[0]);
      REQUIRE(among);
      ++c.routed;
      const ast::Route& winner = file.sites[site].routes[got.route - first];
      bool expect_moved = reference_moves(file, winner, req);
      REQUIRE((got.migration != kNone) == expect_moved);
      c.moved += expect_moved;
      // Captures are the winner's, by the reference's reading of its pattern.
      MatchResult alone;
      if (winner.path.kind == ast::PathKind::Glob) {
        REQUIRE(glob_captures(plan, got.route, view.req.path, alone));
        REQUIRE(got.capture_count == alone.capture_count);
        for (uint32_t i = 0; i < got.capture_count; ++i) {
          REQUIRE(got.captures[i].name == alone.captures[i].name);
          REQUIRE(got.captures[i].value == alone.captures[i].value);
        }
      }
    }
  }
  return c;
}

}  // namespace

TEST_CASE("on random route files the plan's matcher agrees with the reference matcher on every request", "[plan]") {
  const uint32_t seed = test::property_seed(20261127);
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  Counts c = compare_with_reference(rng, test::property_rounds(1000), 200, small_routes,
                                    [](std::mt19937& r, const std::vector<ast::Route>&) { return test::random_request(r); });
  // The generator reaches every outcome often enough to mean something.
  INFO(c.requests << " requests: " << c.routed << " routed, " << c.moved << " moved, " << c.refused << " refused, "
                  << c.renormalised << " normalised to another path");
  CHECK(c.routed > c.requests / 4);
  CHECK(c.moved > 1000);
  CHECK(c.ambiguous < c.routed / 10);
  CHECK(c.refused > c.requests / 50);
  CHECK(c.renormalised > c.requests / 20);
}

TEST_CASE("on route files shaped like REST APIs the plan's matcher agrees with the reference matcher on every request", "[plan]") {
  const uint32_t seed = test::property_seed(20261128);
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  Counts c = compare_with_reference(rng, test::property_rounds(250), 400, test::rest_routes, test::rest_request);
  INFO(c.requests << " requests: " << c.routed << " routed, " << c.moved << " moved, " << c.refused << " refused, "
                  << c.ambiguous << " ambiguous");
  CHECK(c.requests >= 100000);
  CHECK(c.routed > c.requests / 2);
  CHECK(c.routed < c.requests * 9 / 10);  // near misses that nothing takes, too
  CHECK(c.ambiguous < c.routed / 20);
}

TEST_CASE("captures are views of the path: glob parameters by name, and the rest after `**` or a prefix", "[plan]") {
  ast::File f;
  f.upstreams = {upstream("app")};
  ast::Site site;
  site.hosts.push_back({false, "example.com", {}});
  // Deeper than the walk tracks segments (kTracked, 32): its captures are found by a
  // scan of the path instead.
  std::string deep = "/deep/:first";
  for (int i = 0; i < 34; ++i) deep += "/x";
  deep += "/:last/**";
  for (const std::string& pattern :
       {std::string("/users/:id/photos/:photo"), std::string("/files/**"), std::string("/any/*/x"),
        std::string("/static"), std::string("/assets/"), std::string("/"), deep}) {
    ast::Route r;
    r.path = {parse::is_glob(pattern) ? ast::PathKind::Glob : ast::PathKind::Prefix, pattern, {}};
    r.action.kind = ast::ActionKind::Proxy;
    r.action.upstream.text = "app";
    site.routes.push_back(r);
  }
  f.sites.push_back(site);
  source::SourceManager sm;
  auto loaded = load_plan(emit::emit_plan(f, analysis::build_route_model(f), sm));
  REQUIRE(loaded.plan);
  auto caps = [&](std::string_view path) {
    RequestView req{"GET", "example.com", path, "", {}};
    MatchResult m;
    std::string out;
    if (!match(*loaded.plan, req, m)) return std::string("no match");
    for (uint32_t i = 0; i < m.capture_count; ++i) out += std::string(m.captures[i].name) + "=" + std::string(m.captures[i].value) + ";";
    return out;
  };
  CHECK(caps("/users/7/photos/beach.jpg") == "id=7;photo=beach.jpg;");
  CHECK(caps("/files/a/b/c") == "**=a/b/c;");
  CHECK(caps("/files") == "**=;");
  CHECK(caps("/any/q/x") == "*=q;");
  CHECK(caps("/users/7/photos/") == "**=users/7/photos/;");  // the fallback `/` takes it
  CHECK(caps("/static") == "**=;");
  CHECK(caps("/static/css/a.css") == "**=css/a.css;");
  CHECK(caps("/assets/x") == "**=x;");
  CHECK(caps("/") == "**=;");
  std::string xs;
  for (int i = 0; i < 34; ++i) xs += "/x";
  CHECK(caps("/deep/a" + xs + "/b/c/d") == "first=a;last=b;**=c/d;");
  CHECK(caps("/deep/a" + xs + "/b") == "first=a;last=b;**=;");
}

}  // namespace banyan::plan
