// Who every algorithm may pick, checked on random endpoint arrays against the rule
// written plainly (tests/support/balance_oracle.h): never an unusable endpoint or one
// of weight 0; backups only when no primary is usable; kNoEndpoint exactly when no
// endpoint is usable.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "runtime/balance/consistent_hash.h"
#include "runtime/balance/least_conn.h"
#include "runtime/balance/power_of_two.h"
#include "runtime/balance/random_pick.h"
#include "runtime/balance/smooth_weighted.h"
#include "tests/support/balance_oracle.h"

namespace banyan::balance {
namespace {

TEST_CASE("no algorithm picks an endpoint outside the usable tier, and all say so when nothing is usable",
          "[balance]") {
  std::mt19937 gen(3);
  Rng rng(3);
  for (int round = 0; round < 3000; ++round) {
    const std::vector<Endpoint> endpoints = test::random_endpoints(gen, 10, 4);
    const std::vector<uint32_t> allowed = test::allowed_endpoints(endpoints);
    std::vector<std::string> names;
    for (std::size_t i = 0; i < endpoints.size(); ++i) names.push_back("backend-" + std::to_string(i) + ":80");
    const std::vector<std::string_view> identities(names.begin(), names.end());
    const HashRing ring(identities, endpoints);
    SmoothWeighted rr(endpoints.size());
    LeastConn lc(endpoints.size());
    for (int n = 0; n < 20; ++n) {
      const std::string key = "k" + std::to_string(n);
      const uint32_t picks[] = {rr.pick(endpoints), lc.pick(endpoints), pick_power_of_two(endpoints, rng),
                                pick_random(endpoints, rng), ring.pick(key, endpoints)};
      for (std::size_t a = 0; a < std::size(picks); ++a) {
        INFO("round " << round << ", algorithm " << a);
        if (allowed.empty()) {
          REQUIRE(picks[a] == kNoEndpoint);
        } else {
          REQUIRE(std::find(allowed.begin(), allowed.end(), picks[a]) != allowed.end());
        }
      }
    }
  }
}

TEST_CASE("backups take requests only while every primary is unusable", "[balance]") {
  std::vector<Endpoint> endpoints = {{.weight = 1}, {.weight = 1, .backup = true}, {.weight = 1}};
  const std::vector<std::string_view> identities = {"a:1", "b:1", "c:1"};
  const HashRing ring(identities, endpoints);
  SmoothWeighted rr(3);
  LeastConn lc(3);
  Rng rng(1);
  auto all_pick = [&](uint32_t expected) {
    for (int n = 0; n < 20; ++n) {
      CHECK(rr.pick(endpoints) == expected);
      CHECK(lc.pick(endpoints) == expected);
      CHECK(pick_power_of_two(endpoints, rng) == expected);
      CHECK(pick_random(endpoints, rng) == expected);
      CHECK(ring.pick("key" + std::to_string(n), endpoints) == expected);
    }
  };
  endpoints[0].usable = false;
  all_pick(2);  // one primary left: the backup still waits
  endpoints[2].usable = false;
  all_pick(1);
  endpoints[1].usable = false;
  all_pick(kNoEndpoint);
  endpoints[2].usable = true;
  all_pick(2);
}

TEST_CASE("an upstream without endpoints has nothing to pick", "[balance]") {
  SmoothWeighted rr(0);
  LeastConn lc(0);
  Rng rng(1);
  CHECK(rr.pick({}) == kNoEndpoint);
  CHECK(lc.pick({}) == kNoEndpoint);
  CHECK(pick_power_of_two({}, rng) == kNoEndpoint);
  CHECK(pick_random({}, rng) == kNoEndpoint);
}

}  // namespace
}  // namespace banyan::balance
