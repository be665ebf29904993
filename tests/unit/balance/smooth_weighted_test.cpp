// Smooth weighted round robin against its definition: nginx's documented sequence,
// exact shares over whole periods, and, step by step, the closed form of the
// algorithm: after t picks current_i = t * w_i - W * count_i, so pick t + 1 is the
// endpoint furthest behind its share, argmax((t + 1) * w_i - W * count_i), the first
// on a tie.
#include "runtime/balance/smooth_weighted.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tests/support/balance_oracle.h"

namespace banyan::balance {
namespace {

std::vector<Endpoint> with_weights(std::vector<uint32_t> weights) {
  std::vector<Endpoint> endpoints;
  for (uint32_t w : weights) endpoints.push_back(Endpoint{.weight = w});
  return endpoints;
}

TEST_CASE("round robin with weights 5, 1, 1 picks a a b a c a a, as nginx documents, and repeats", "[balance]") {
  const std::vector<Endpoint> endpoints = with_weights({5, 1, 1});
  SmoothWeighted rr(endpoints.size());
  std::string seen;
  for (int i = 0; i < 14; ++i) seen += static_cast<char>('a' + rr.pick(endpoints));
  CHECK(seen == "aabacaaaabacaa");
}

TEST_CASE("10,000 round robin picks split exactly in proportion to the weights", "[balance]") {
  const std::vector<Endpoint> endpoints = with_weights({5, 1, 1, 3});  // total 10 divides 10,000
  SmoothWeighted rr(endpoints.size());
  std::vector<int> counts(endpoints.size());
  for (int i = 0; i < 10000; ++i) ++counts[rr.pick(endpoints)];
  CHECK(counts == std::vector<int>{5000, 1000, 1000, 3000});
}

TEST_CASE("round robin follows its closed form pick by pick, and each period gives each endpoint its weight",
          "[balance]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::vector<Endpoint> endpoints = test::random_endpoints(rng, 8, 0);
    for (Endpoint& e : endpoints) e.usable = true, e.backup = false, e.weight = std::max<uint32_t>(e.weight, 1);
    int64_t total = 0;
    for (const Endpoint& e : endpoints) total += e.weight;
    SmoothWeighted rr(endpoints.size());
    std::vector<int64_t> counts(endpoints.size());
    for (int64_t t = 0; t < 3 * total; ++t) {
      uint32_t expected = kNoEndpoint;
      int64_t best = 0;
      for (uint32_t i = 0; i < endpoints.size(); ++i) {
        const int64_t behind = (t + 1) * endpoints[i].weight - total * counts[i];
        if (expected == kNoEndpoint || behind > best) expected = i, best = behind;
      }
      const uint32_t got = rr.pick(endpoints);
      INFO("round " << round << ", pick " << t);
      REQUIRE(got == expected);
      if (got != kNoEndpoint) ++counts[got];
      if ((t + 1) % total == 0) {
        for (uint32_t i = 0; i < endpoints.size(); ++i) REQUIRE(counts[i] == (t + 1) / total * endpoints[i].weight);
      }
    }
  }
}

TEST_CASE("round robin shares the usable endpoints only, by weight", "[balance]") {
  std::vector<Endpoint> endpoints = with_weights({2, 3, 1});
  endpoints[1].usable = false;
  SmoothWeighted rr(endpoints.size());
  std::vector<int> counts(endpoints.size());
  for (int i = 0; i < 300; ++i) ++counts[rr.pick(endpoints)];
  CHECK(counts == std::vector<int>{200, 0, 100});
}

}  // namespace
}  // namespace banyan::balance
