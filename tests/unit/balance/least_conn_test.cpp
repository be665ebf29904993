// Least connections against a brute-force oracle (least active/weight computed by
// division: IEEE division is correctly rounded, so equal fractions give equal
// doubles), and its tie-break: round robin by weight among the tied only.
#include "runtime/balance/least_conn.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "tests/support/balance_oracle.h"

namespace banyan::balance {
namespace {

TEST_CASE("least_conn picks an endpoint with the least active/weight among the allowed ones", "[balance]") {
  std::mt19937 rng(11);
  for (int round = 0; round < 5000; ++round) {
    std::vector<Endpoint> endpoints = test::random_endpoints(rng, 8, 6);
    const std::vector<uint32_t> allowed = test::allowed_endpoints(endpoints);
    LeastConn lc(endpoints.size());
    for (int pick = 0; pick < 3; ++pick) {
      const uint32_t got = lc.pick(endpoints);
      INFO("round " << round << ", pick " << pick);
      if (allowed.empty()) {
        REQUIRE(got == kNoEndpoint);
        continue;
      }
      double least = 1e300;
      for (uint32_t i : allowed) least = std::min(least, double(endpoints[i].active) / endpoints[i].weight);
      REQUIRE(std::find(allowed.begin(), allowed.end(), got) != allowed.end());
      REQUIRE(double(endpoints[got].active) / endpoints[got].weight == least);
    }
  }
}

TEST_CASE("least_conn shares equally loaded endpoints by weight and never picks a busier one", "[balance]") {
  // Loads 2/2, 1/1 and 3/3 tie at 1; 5/2 is busier.
  std::vector<Endpoint> endpoints = {
      {.weight = 2, .active = 2}, {.weight = 1, .active = 1}, {.weight = 3, .active = 3}, {.weight = 2, .active = 5}};
  LeastConn lc(endpoints.size());
  std::vector<int> counts(endpoints.size());
  for (int i = 0; i < 600; ++i) ++counts[lc.pick(endpoints)];
  CHECK(counts == std::vector<int>{200, 100, 300, 0});
}

TEST_CASE("least_conn keeps in-flight requests proportional to weights when none completes", "[balance]") {
  std::vector<Endpoint> endpoints = {{.weight = 1}, {.weight = 4}, {.weight = 2}, {.weight = 3}};
  LeastConn lc(endpoints.size());
  for (int n = 1; n <= 1000; ++n) {
    const uint32_t got = lc.pick(endpoints);
    REQUIRE(got != kNoEndpoint);
    ++endpoints[got].active;
    // Each pick goes to the least loaded, so no load exceeds another's by more than one request's share.
    for (const Endpoint& a : endpoints) {
      for (const Endpoint& b : endpoints) {
        REQUIRE((double(a.active) - 1) / a.weight <= double(b.active) / b.weight + 1e-9);
      }
    }
  }
  CHECK(endpoints[0].active == 100);
  CHECK(endpoints[1].active == 400);
  CHECK(endpoints[2].active == 200);
  CHECK(endpoints[3].active == 300);
}

}  // namespace
}  // namespace banyan::balance
