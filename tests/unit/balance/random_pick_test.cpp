// The worker's Rng and `balance random`: draws stay in bounds and are uniform; picks
// follow the weights.
#include "runtime/balance/random_pick.h"

#include <catch2/catch.hpp>

#include <vector>

namespace banyan::balance {
namespace {

TEST_CASE("the rng's bounded draws stay below the bound and spread evenly", "[balance]") {
  Rng rng(1);
  std::vector<int> counts(7);
  for (int n = 0; n < 70000; ++n) {
    const uint64_t x = rng.below(7);
    REQUIRE(x < 7);
    ++counts[x];
  }
  for (int c : counts) CHECK(std::abs(c - 10000) < 500);  // sd about 93
  CHECK(rng.below(1) == 0);
  CHECK(rng.below(UINT64_MAX) < UINT64_MAX);
}

TEST_CASE("the same seed gives the same draws", "[balance]") {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int n = 0; n < 100; ++n) {
    const uint64_t x = a.next();
    REQUIRE(x == b.next());
    differs = differs || x != c.next();
  }
  CHECK(differs);
}

TEST_CASE("random picks follow the weights of the usable endpoints", "[balance]") {
  const std::vector<Endpoint> endpoints = {
      {.weight = 1}, {.weight = 3}, {.weight = 100, .usable = false}, {.weight = 6}, {.weight = 50, .backup = true}};
  Rng rng(9);
  std::vector<int> counts(endpoints.size());
  for (int n = 0; n < 100000; ++n) ++counts[pick_random(endpoints, rng)];
  CHECK(std::abs(counts[0] - 10000) < 600);
  CHECK(std::abs(counts[1] - 30000) < 900);
  CHECK(counts[2] == 0);
  CHECK(std::abs(counts[3] - 60000) < 900);
  CHECK(counts[4] == 0);
}

}  // namespace
}  // namespace banyan::balance
