// Property tests of the routing analyses against the reference matcher
// (tests/support/reference_matcher.h), on 1,000 random sites of 2 to 10 routes
// (exact, prefix, glob, regex; methods; header, cookie and query tests) and 150
// random requests each. Fixed seed: a failure reproduces.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "compiler/analysis/analyses.h"
#include "tests/support/random_routes.h"
#include "tests/support/reference_matcher.h"

namespace banyan::analysis {
namespace {

using test::ReferenceMatcher;
using test::random_request;
using test::random_route;
using test::pick;
using test::chance;

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
