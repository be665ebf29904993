// Property tests of the routing analyses against the reference matcher
// (tests/support/reference_matcher.h), on 1,000 random sites of 2 to 10 routes
// (exact, prefix, glob, regex; methods; header, cookie and query tests) and 150
// random requests each. The reference reads the routes from the AST and ranks them
// itself, so a mistake in the route model cannot hide in both. Fixed seed in CI (a
// failure names it); scripts/fuzz.sh varies it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "compiler/analysis/analyses.h"
#include "tests/support/property_seed.h"
#include "tests/support/random_routes.h"
#include "tests/support/reference_matcher.h"

namespace banyan::analysis {
namespace {

using test::ReferenceMatcher;
using test::random_request;
using test::random_route;
using test::pick;
using test::chance;

// Routes by their index in the site: the reference's names for them.
std::set<size_t> indices(const std::vector<const Rule*>& v) {
  std::set<size_t> out;
  for (const Rule* r : v) out.insert(r->index);
  return out;
}

std::set<size_t> as_set(const std::vector<size_t>& v) { return {v.begin(), v.end()}; }

}  // namespace

TEST_CASE("on random sites the analyses agree with the reference matcher: witnesses win, examples tie, "
          "shadowed routes never win, and every tie a request exposes is reported") {
  const uint32_t seed = test::property_seed(20261126);
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  size_t witnesses = 0, conflicts = 0, shadowed = 0;
  for (int round = 0; round < test::property_rounds(1000); ++round) {
    ast::File file;
    ast::Site site;
    site.hosts.push_back({false, "example.com", {}});
    int n = std::uniform_int_distribution<int>(2, 10)(rng);
    for (int i = 0; i < n; ++i) site.routes.push_back(random_route(rng));
    file.sites.push_back(std::move(site));

    RouteModel model = build_route_model(file);
    REQUIRE(model.problems.empty());
    const SiteRules& sr = model.sites[0];
    ReferenceMatcher ref(file.sites[0]);
    SiteVocabulary vocab(sr);
    SiteIndex index(sr);
    auto found = find_conflicts(sr, vocab);
    auto reach = find_unreachable(sr, index, vocab);

    std::string routes;
    for (const auto& r : sr.rules) routes += "  " + std::string(class_name(r.cls)) + " " + r.pattern + "\n";
    INFO("round " << round << ", routes:\n" << routes);

    for (const auto& [rule, req] : reach.witnesses) {
      INFO("witness for " << rule->pattern << ": " << req.describe());
      CHECK(as_set(ref.winners(req)).count(rule->index) == 1);
      ++witnesses;
    }
    std::set<size_t> certain_unreachable;
    for (const auto& u : reach.unreachable) {
      if (!u.certain) continue;
      certain_unreachable.insert(u.rule->index);
      ++shadowed;
      for (const auto& [req, w] : u.taken_by) {
        INFO("unreachable " << u.rule->pattern << " taken by " << w->pattern << " on " << req.describe());
        auto win = as_set(ref.winners(req));
        CHECK(win.count(w->index) == 1);
        CHECK(win.count(u.rule->index) == 0);
      }
    }
    std::set<std::pair<size_t, size_t>> reported;
    for (const auto& c : found) {
      reported.insert({std::min(c.a->index, c.b->index), std::max(c.a->index, c.b->index)});
      if (!c.certain) continue;
      ++conflicts;
      INFO("conflict " << c.a->pattern << " / " << c.b->pattern << " on " << c.example.describe());
      CHECK(ref.matches(c.a->index, c.example));
      CHECK(ref.matches(c.b->index, c.example));
      CHECK(ref.rank(c.a->index) == ref.rank(c.b->index));
    }
    for (int k = 0; k < 150; ++k) {
      Request req = random_request(rng);
      auto win = ref.winners(req);
      INFO("request " << req.describe());
      CHECK(indices(index.winners(req)) == as_set(win));  // the fast index is the oracle's order
      for (size_t w : win) CHECK(certain_unreachable.count(w) == 0);
      for (size_t i = 0; i < win.size(); ++i) {
        for (size_t j = i + 1; j < win.size(); ++j) {
          INFO("tie between " << sr.rules[win[i]].pattern << " and " << sr.rules[win[j]].pattern);
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
