// Power of two choices against its definition: the exact probability of each pick
// (a sum over the ordered pairs of draws), matched by 200,000 picks; the strictly
// busiest candidate is never picked; a single candidate always is.
#include "runtime/balance/power_of_two.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "tests/support/balance_oracle.h"

namespace banyan::balance {
namespace {

// P(pick k) = sum over i != j of w_i/W * w_j/(W - w_i) * [the less loaded of (i, j), i on a tie, is k].
std::vector<double> expected_shares(const std::vector<Endpoint>& endpoints) {
  const std::vector<uint32_t> allowed = test::allowed_endpoints(endpoints);
  std::vector<double> shares(endpoints.size());
  double total = 0;
  for (uint32_t i : allowed) total += endpoints[i].weight;
  if (allowed.size() == 1) shares[allowed[0]] = 1;
  for (uint32_t i : allowed) {
    for (uint32_t j : allowed) {
      if (i == j) continue;
      const double p = endpoints[i].weight / total * endpoints[j].weight / (total - endpoints[i].weight);
      const bool j_less =
          double(endpoints[j].active) / endpoints[j].weight < double(endpoints[i].active) / endpoints[i].weight;
      shares[j_less ? j : i] += p;
    }
  }
  return shares;
}

TEST_CASE("p2c picks each endpoint as often as the two weighted draws predict", "[balance]") {
  const std::vector<std::vector<Endpoint>> cases = {
      {{.weight = 1, .active = 0}, {.weight = 1, .active = 1}, {.weight = 1, .active = 2}, {.weight = 1, .active = 3}},
      {{.weight = 5, .active = 4}, {.weight = 1, .active = 0}, {.weight = 2, .active = 1}, {.weight = 2, .active = 2}},
      {{.weight = 3, .active = 3}, {.weight = 1, .active = 1}, {.weight = 2, .active = 2}},  // all tied
      {{.weight = 1, .active = 0}, {.weight = 9, .active = 0, .usable = false}, {.weight = 4, .active = 9}},
  };
  Rng rng(2024);
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const std::vector<Endpoint>& endpoints = cases[c];
    const std::vector<double> expected = expected_shares(endpoints);
    constexpr int kPicks = 200000;
    std::vector<int> counts(endpoints.size());
    for (int n = 0; n < kPicks; ++n) ++counts[pick_power_of_two(endpoints, rng)];
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      INFO("case " << c << ", endpoint " << i << ": " << counts[i] << " picks, expected share " << expected[i]);
      // One standard deviation is at most 0.0012 here.
      CHECK(std::abs(double(counts[i]) / kPicks - expected[i]) < 0.006);
    }
  }
}

TEST_CASE("p2c never picks the strictly busiest of two or more candidates", "[balance]") {
  std::mt19937 gen(5);
  Rng rng(5);
  for (int round = 0; round < 3000; ++round) {
    const std::vector<Endpoint> endpoints = test::random_endpoints(gen, 8, 5);
    const std::vector<uint32_t> allowed = test::allowed_endpoints(endpoints);
    uint32_t busiest = kNoEndpoint;  // strictly busier than every other candidate, if any
    for (uint32_t i : allowed) {
      bool strictly = true;
      // Load is active / weight, by the definition (not least_conn.h's less_loaded).
      for (uint32_t j : allowed)
        strictly = strictly && (i == j || double(endpoints[j].active) / endpoints[j].weight <
                                              double(endpoints[i].active) / endpoints[i].weight);
      if (strictly) busiest = i;
    }
    for (int n = 0; n < 50; ++n) {
      const uint32_t got = pick_power_of_two(endpoints, rng);
      INFO("round " << round);
      if (allowed.size() == 1) REQUIRE(got == allowed[0]);
      if (allowed.size() >= 2) REQUIRE(got != busiest);
    }
  }
}

}  // namespace
}  // namespace banyan::balance
