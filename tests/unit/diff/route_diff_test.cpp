// banyanc diff against its definition: "a change is reported iff some request's
// outcome differs". The property test compares it with the reference matcher
// (tests/support/reference_matcher.h) on random pairs of route files, one a mutation
// of the other, and random requests: a request whose reference outcome differs must
// be covered by a reported change (or, with regexes involved, by an "uncertain"
// note), and every example request the diff shows must really change. The cases
// below pin the stories the issue tells, with expectations written by hand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include <re2/re2.h>

#include "compiler/ast/dump_ast.h"
#include "compiler/diff/outcome.h"
#include "compiler/diff/render_diff.h"
#include "compiler/diff/route_diff.h"
#include "tests/support/property_seed.h"
#include "tests/support/random_routes.h"
#include "tests/support/reference_matcher.h"
#include "tests/support/test_files.h"

namespace banyan::diff {
namespace {

using analysis::Request;
using test::chance;
using test::pick;

const std::vector<std::string> kHostPool{"example.com", "*.example.com", "a.example.com", "other.org"};

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

ast::Route proxy_route(std::mt19937& rng) {
  ast::Route r = test::random_route(rng);
  r.action.kind = ast::ActionKind::Proxy;
  r.action.upstream.text = chance(rng, 70) ? "app" : "other";
  return r;
}

ast::File random_file(std::mt19937& rng) {
  ast::File f;
  f.upstreams = {upstream("app"), upstream("new"), upstream("other")};
  std::vector<std::string> hosts = kHostPool;
  std::shuffle(hosts.begin(), hosts.end(), rng);
  int sites = std::uniform_int_distribution<int>(1, 2)(rng);
  for (int s = 0; s < sites; ++s) {
    ast::Site site;
    site.hosts.push_back({false, hosts[static_cast<size_t>(s)], {}});
    if (s == 0 && chance(rng, 40)) site.hosts.push_back({true, "", {}});
    int n = std::uniform_int_distribution<int>(2, 7)(rng);
    for (int i = 0; i < n; ++i) site.routes.push_back(proxy_route(rng));
    f.sites.push_back(std::move(site));
  }
  if (chance(rng, 50)) {
    ast::Migration m;
    m.name.text = "m";
    m.from.text = "app";
    m.to.text = "new";
    m.paths.push_back(test::random_path(rng));
    if (chance(rng, 30)) m.on_host = ast::Text{"a.example.com", {}};
    f.migrations.push_back(std::move(m));
  }
  return f;
}

// One edit a reviewer might see: an upstream changed, a route removed or added,
// methods or a policy added, a migration's paths or host changed, a host moved.
void mutate(std::mt19937& rng, ast::File& f) {
  ast::Site& site = f.sites[std::uniform_int_distribution<size_t>(0, f.sites.size() - 1)(rng)];
  auto& routes = site.routes;
  size_t i = std::uniform_int_distribution<size_t>(0, routes.size() - 1)(rng);
  switch (std::uniform_int_distribution<int>(0, 7)(rng)) {
    case 0: routes[i].action.upstream.text = routes[i].action.upstream.text == "app" ? "other" : "app"; break;
    case 1:
      if (routes.size() > 1) routes.erase(routes.begin() + static_cast<long>(i));
      break;
    case 2: routes.insert(routes.begin() + static_cast<long>(i), proxy_route(rng)); break;
    case 3: routes[i].methods = {{"GET", {}}}; break;
    case 4: routes[i].rewrite = ast::Text{"/rewritten", {}}; break;
    case 5:
      if (f.migrations.empty()) {
        ast::Migration m;
        m.name.text = "m";
        m.from.text = "app";
        m.to.text = "new";
        f.migrations.push_back(std::move(m));
      }
      f.migrations[0].paths = {test::random_path(rng)};
      break;
    case 6:
      if (!f.migrations.empty()) {
        if (f.migrations[0].on_host) f.migrations[0].on_host.reset();
        else f.migrations[0].on_host = ast::Text{"a.example.com", {}};
      }
      break;
    case 7: site.hosts[0].host = pick(rng, kHostPool); break;
  }
}

// The reference's outcome: host -> site by the language reference, the first of the
// reference matcher's winners, whether the migration moves it (paths through the
// reference's own regexes), and the winner's whole dump.
std::string reference_site_outcome(const ast::File& f, const std::vector<test::ReferenceMatcher>& refs, const Request& req,
                                   size_t& site) {
  site = SIZE_MAX;
  size_t deflt = SIZE_MAX, best_len = 0, best = SIZE_MAX;
  for (size_t s = 0; s < f.sites.size() && site == SIZE_MAX; ++s) {
    for (const auto& h : f.sites[s].hosts) {
      if (h.is_default) {
        if (deflt == SIZE_MAX) deflt = s;
      } else if (h.host == req.host) {
        site = s;
        break;
      } else if (h.host.starts_with("*.")) {
        std::string suffix = h.host.substr(1);
        if (req.host.size() > suffix.size() && req.host.ends_with(suffix) && suffix.size() > best_len) {
          best = s;
          best_len = suffix.size();
        }
      }
    }
  }
  if (site == SIZE_MAX) site = best != SIZE_MAX ? best : deflt;
  if (site == SIZE_MAX) return "no site";
  auto winners = refs[site].winners(req);
  if (winners.empty()) return "no route";
  const ast::Route& w = f.sites[site].routes[winners[0]];
  std::string out = ast::dump_route(w);
  for (const auto& m : f.migrations) {
    if (m.from.text != w.action.upstream.text || (m.on_host && m.on_host->text != req.host)) continue;
    bool moves = std::any_of(m.paths.begin(), m.paths.end(), [&](const ast::PathMatcher& p) {
      re2::RE2 re(test::path_pattern_regex(p));
      return p.kind == ast::PathKind::Regex ? RE2::PartialMatch(req.path, re) : RE2::FullMatch(req.path, re);
    });
    if (moves) {
      out += "moved to " + m.to.text;
      break;
    }
  }
  return out;
}

// A file with the reference matcher of each of its sites.
struct Reference {
  explicit Reference(const ast::File& file) : f(file) {
    for (const auto& s : f.sites) refs.emplace_back(s);
  }
  const ast::File& f;
  std::vector<test::ReferenceMatcher> refs;
};

std::string reference_outcome(const Reference& r, const Request& req) {
  size_t site;
  return reference_site_outcome(r.f, r.refs, req, site);
}

bool has_regex(const ast::File& f) {
  for (const auto& s : f.sites) {
    for (const auto& r : s.routes) {
      if (r.path.kind == ast::PathKind::Regex) return true;
      for (const auto& p : r.predicates) {
        if (p.match == ast::ValueMatchKind::Regex) return true;
      }
    }
  }
  for (const auto& m : f.migrations) {
    for (const auto& p : m.paths) {
      if (p.kind == ast::PathKind::Regex) return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("on random pairs of route files the diff reports a change exactly when the reference finds a request that changes", "[diff]") {
  static const std::vector<std::string> request_hosts{"example.com", "a.example.com", "x.example.com", "other.org",
                                                      "nowhere.net"};
  const uint32_t seed = test::property_seed(20261202);
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  size_t pairs_changed = 0, pairs_same = 0, found_by_reference = 0, uncertain = 0, examples = 0;
  for (int round = 0; round < test::property_rounds(300); ++round) {
    INFO("round " << round);
    ast::File before = random_file(rng);
    ast::File after = before;
    int edits = std::uniform_int_distribution<int>(0, 2)(rng);
    for (int e = 0; e < edits; ++e) mutate(rng, after);
    DiffResult d = diff_files(before, after, {});
    FileModel fa(before), fb(after);
    Reference ra(before), rb(after);
    INFO("diff:\n" << render_text(d));
    bool regexes = has_regex(before) || has_regex(after);
    // Without regexes only a sample budget leaves the search incomplete, and it says so.
    for (const auto& u : d.uncertain) {
      if (!regexes) CHECK(u.find("hit a budget") != std::string::npos);
    }
    bool certain = d.uncertain.empty();
    // Every example the diff shows changes by the reference.
    for (const auto& c : d.changes) {
      if (!c.has_example) continue;
      INFO("example " << c.example.describe());
      CHECK(reference_outcome(ra, c.example) != reference_outcome(rb, c.example));
      ++examples;
    }
    // A request that changes by the reference is never met with a certain "no change".
    bool reference_changed = false;
    for (int k = 0; k < 200 && !reference_changed; ++k) {
      Request req = test::random_request(rng);
      req.host = pick(rng, request_hosts);
      if (reference_outcome(ra, req) != reference_outcome(rb, req)) {
        reference_changed = true;
        INFO("the reference finds a change for " << req.describe());
        CHECK((!d.changes.empty() || !d.uncertain.empty()));
        if (!certain) continue;
        // A group of the diff holds this request: the same two outcomes, in the words
        // the diff uses for them (the reference said it changes; this says where).
        Outcome x = outcome_of(fa, req, 0), y = outcome_of(fb, req, 0);
        std::string route_line = "route " + (x.route_text.empty() ? "none" : x.route_text) + " -> " +
                                 (y.route_text.empty() ? "none" : y.route_text);
        bool covered = std::any_of(d.changes.begin(), d.changes.end(), [&](const Change& c) {
          bool routes_match = x.route_text == y.route_text ||
                              std::find(c.details.begin(), c.details.end(), route_line) != c.details.end();
          return c.has_example && c.before == x.where() && c.after == y.where() && routes_match;
        });
        INFO("outcomes " << x.where() << " / " << y.where() << "; " << route_line);
        CHECK(covered);
      }
    }
    found_by_reference += reference_changed;
    uncertain += !d.uncertain.empty();
    (d.changes.empty() ? pairs_same : pairs_changed)++;
  }
  INFO(pairs_changed << " pairs changed, " << pairs_same << " unchanged, " << found_by_reference
                     << " with a change the reference's random requests found, " << uncertain << " uncertain, "
                     << examples << " examples replayed");
  // The generator reaches both answers often enough to mean something.
  CHECK(pairs_changed > 50);
  CHECK(pairs_same > 30);
  CHECK(found_by_reference > 30);
  CHECK(examples > 100);
}

namespace {

DiffResult diff_texts(const std::string& before, const std::string& after, int64_t now_ms = 0) {
  test::Checked a, b;
  test::check_text(a, "before.routes", before);
  test::check_text(b, "after.routes", after);
  REQUIRE(a.sink.error_count() == 0);
  REQUIRE(b.sink.error_count() == 0);
  DiffOptions o;
  o.now_ms = now_ms;
  return diff_files(a.result.ast, b.result.ast, o);
}

const char* kUpstreams = "upstream monolith {\n  server \"m:80\"\n}\nupstream users {\n  server \"u:80\"\n}\n";

}  // namespace

TEST_CASE("deleting `for 1d` from a shadow line is reported as the moved requests going from 0% to 100% on the new upstream now", "[diff]") {
  std::string site = "site \"shop.example.com\" {\n  route /api {\n    to monolith\n  }\n}\n";
  auto migration = [](const char* shadow) {
    return std::string("migration \"users\" {\n  move /api/users/** from monolith to users\n  ") + shadow +
           "\n  shift 100%\n  start \"2026-03-01T00:00:00Z\"\n}\n";
  };
  int64_t noon = *test::parse_utc("2026-03-01T12:00:00Z") * 1000;
  DiffResult d = diff_texts(kUpstreams + site + migration("shadow 50% for 1d"),
                            kUpstreams + site + migration("shadow 50%"), noon);
  REQUIRE(d.changes.size() == 1);
  const Change& c = d.changes[0];
  // At noon of the first day: 0% before, 100% (so: users) after.
  CHECK(c.kind == ChangeKind::Destination);
  CHECK(c.hosts == "shop.example.com");
  CHECK(c.before.find("monolith -> users: 0% now, 100% from 2026-03-02T00:00:00Z") == 0);
  CHECK(c.after.find("users -> at 100%") == 0);
  CHECK(c.example.path.starts_with("/api/users"));
  CHECK(d.uncertain.empty());
}

TEST_CASE("removing a site changes its unrouted requests from 404 (no route) to 404 (no site), and the diff says so", "[diff]") {
  // The root and every path of one segment are the site's: the requests that matched
  // no route of the removed site are deeper ones.
  DiffResult d = diff_texts(std::string(kUpstreams) +
                                "site \"a.example.com\" {\n  route /:id {\n    to monolith\n  }\n  route = / {\n    to monolith\n  }\n}\n",
                            std::string(kUpstreams) + "site \"b.example.com\" {\n  route / {\n    to users\n  }\n}\n");
  CHECK(d.uncertain.empty());
  bool unrouted = false;
  for (const Change& c : d.changes) {
    INFO(c.before << " -> " << c.after << " e.g. " << c.example.describe());
    if (c.hosts == "a.example.com" && c.before.starts_with("404 (no route)")) unrouted = true;
  }
  CHECK(unrouted);
}

TEST_CASE("past its budget of route pairs the diff says its search is not exhaustive, never a silent no change", "[diff]") {
  std::string before = std::string(kUpstreams) + "site \"a\" {\n  route /api {\n    to monolith\n  }\n  route /api/x {\n    to monolith\n  }\n}\n";
  std::string after = std::string(kUpstreams) + "site \"a\" {\n  route /api {\n    to users\n  }\n  route /api/x {\n    to users\n  }\n}\n";
  test::Checked a, b;
  test::check_text(a, "before.routes", before);
  test::check_text(b, "after.routes", after);
  DiffOptions o;
  CHECK(diff_files(a.result.ast, b.result.ast, o).uncertain.empty());
  o.max_pairs = 1;  // four changed routes, each meeting the other three
  DiffResult d = diff_files(a.result.ast, b.result.ast, o);
  REQUIRE(d.uncertain.size() == 1);
  CHECK(d.uncertain[0].find("hit a budget") != std::string::npos);
  CHECK(!d.changes.empty());
}

TEST_CASE("a file laid out again, in another order and with comments, has no change", "[diff]") {
  DiffResult d = diff_texts(std::string(kUpstreams) + "site \"a\" { route / { to monolith } route = /x { respond 204 } }\n",
                            std::string(kUpstreams) +
                                "# moved around\nsite \"a\" {\n  route = /x {\n    respond 204\n  }\n  route / {\n    to monolith\n  }\n}\n");
  CHECK(d.changes.empty());
  CHECK(d.uncertain.empty());
}

TEST_CASE("a new glob route takes part of a prefix route's requests, and only those are reported", "[diff]") {
  std::string before = std::string(kUpstreams) + "site \"a\" {\n  route /api {\n    to monolith\n  }\n}\n";
  std::string after = std::string(kUpstreams) +
                      "site \"a\" {\n  route /api {\n    to monolith\n  }\n  route /api/users/:id {\n    method GET\n    to users\n  }\n}\n";
  DiffResult d = diff_texts(before, after);
  REQUIRE(d.changes.size() == 1);
  CHECK(d.changes[0].kind == ChangeKind::Destination);
  CHECK(d.changes[0].before == "monolith");
  CHECK(d.changes[0].after == "users");
  CHECK(d.changes[0].requests == "GET /api/users/:id (was /api)");
  CHECK(d.changes[0].example.method == "GET");
}

TEST_CASE("a changed regex route makes the answer uncertain, never a silent no change", "[diff]") {
  std::string head = std::string(kUpstreams) + "site \"a\" {\n  route / {\n    to monolith\n  }\n  route ~ \"";
  std::string tail = "\" {\n    to users\n  }\n}\n";
  DiffResult d = diff_texts(head + "^/items/[0-9]+$" + tail, head + "^/items/[0-9]{1,4}$" + tail);
  CHECK_FALSE(d.uncertain.empty());
  CHECK(d.uncertain[0].find("^/items/[0-9]{1,4}$") != std::string::npos);
}

TEST_CASE("an upstream's servers and a route's settings are reported item by item", "[diff]") {
  std::string before = "upstream m {\n  server \"m1:80\"\n}\nsite \"a\" {\n  route / {\n    to m\n    request_header X-Env \"prod\"\n  }\n}\n";
  std::string after = "upstream m {\n  server \"m2:80\"\n}\nsite \"a\" {\n  route / {\n    to m\n    request_header X-Env \"dev\"\n  }\n}\n";
  DiffResult d = diff_texts(before, after);
  REQUIRE(d.changes.size() == 2);
  CHECK(d.changes[0].kind == ChangeKind::Upstream);
  CHECK(d.changes[1].kind == ChangeKind::Policy);
  REQUIRE(d.changes[1].details.size() == 2);
  CHECK(d.changes[1].details[0] == "- request_header X-Env \"prod\"");
  CHECK(d.changes[1].details[1] == "+ request_header X-Env \"dev\"");
}

}  // namespace banyan::diff

namespace banyan::diff {

TEST_CASE("an unchanged regex route whose paths no changed route can share leaves the answer proven", "[diff]") {
  auto file = [](const char* api_upstream, const char* regex) {
    return std::string(kUpstreams) + "site \"a\" {\n  route /api {\n    to " + api_upstream + "\n  }\n  route ~ \"" + regex +
           "\" {\n    to users\n  }\n}\n";
  };
  // `^/static/...` starts with /static/, which /api is not a prefix of, nor it of /api.
  DiffResult far = diff_texts(file("monolith", "^/static/[a-z]+\\\\.png$"), file("users", "^/static/[a-z]+\\\\.png$"));
  REQUIRE(far.changes.size() == 1);
  CHECK(far.changes[0].certain);
  CHECK(far.uncertain.empty());
  // `^/api/v[0-9]+` may take some of /api's requests: which, the samples cannot prove.
  DiffResult near = diff_texts(file("monolith", "^/api/v[0-9]+"), file("users", "^/api/v[0-9]+"));
  CHECK_FALSE(near.changes.empty());
  REQUIRE(near.uncertain.size() == 1);
  CHECK(near.uncertain[0].find("^/api/v[0-9]+") != std::string::npos);
}

}  // namespace banyan::diff
