// The hash ring against the definition of consistent hashing: a key always maps to
// the same endpoint, on every ring built from the same endpoints; keys spread by
// weight; removing or adding one endpoint moves about 1/n of the keys and only keys
// from or to it; an unusable endpoint's keys go where a ring without it sends them.
#include "runtime/balance/consistent_hash.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace banyan::balance {
namespace {

struct Upstream {
  std::vector<std::string> names;
  std::vector<std::string_view> identities;
  std::vector<Endpoint> endpoints;

  explicit Upstream(const std::vector<uint32_t>& weights, int first = 1) {
    for (std::size_t i = 0; i < weights.size(); ++i) {
      names.push_back("10.0.0." + std::to_string(first + int(i)) + ":8080");
      endpoints.push_back(Endpoint{.weight = weights[i]});
    }
    for (const std::string& name : names) identities.push_back(name);
  }
  HashRing ring() const { return HashRing(identities, endpoints); }
};

std::string key(int i) { return "user-" + std::to_string(i); }

TEST_CASE("a key maps to the same endpoint on every ring built from the same endpoints", "[balance]") {
  const Upstream up({1, 2, 1, 3});
  const HashRing a = up.ring(), b = up.ring();
  CHECK(a.point_count() == 7 * kPointsPerWeight);
  for (int i = 0; i < 1000; ++i) {
    const uint32_t got = a.pick(key(i), up.endpoints);
    REQUIRE(got < up.endpoints.size());
    REQUIRE(a.pick(key(i), up.endpoints) == got);
    REQUIRE(b.pick(key(i), up.endpoints) == got);
  }
}

TEST_CASE("100,000 keys spread over the ring in proportion to the weights", "[balance]") {
  const Upstream up({1, 2, 3, 4});
  const HashRing ring = up.ring();
  std::vector<int> counts(up.endpoints.size());
  for (int i = 0; i < 100000; ++i) ++counts[ring.pick(key(i), up.endpoints)];
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double expected = 100000.0 * up.endpoints[i].weight / 10;
    INFO("endpoint " << i << ": " << counts[i] << " keys, " << expected << " expected");
    // 160 points per unit of weight: an endpoint's arc varies by about 8% / sqrt(weight).
    CHECK(std::abs(counts[i] - expected) <= 0.10 * expected);  // seen: within 5%
  }
}

TEST_CASE("removing one of ten endpoints moves about a tenth of the keys, all of them its own", "[balance]") {
  const Upstream ten(std::vector<uint32_t>(10, 1));
  Upstream nine(std::vector<uint32_t>(9, 1), 2);  // the same endpoints but 10.0.0.1
  const HashRing before = ten.ring(), after = nine.ring();
  int moved = 0;
  for (int i = 0; i < 100000; ++i) {
    const uint32_t was = before.pick(key(i), ten.endpoints);
    const uint32_t now = after.pick(key(i), nine.endpoints) + 1;  // nine's index i is ten's i + 1
    if (was == now) continue;
    ++moved;
    REQUIRE(was == 0);
  }
  INFO(moved << " of 100,000 keys moved");
  CHECK(moved >= 5000);
  CHECK(moved <= 15000);
}

TEST_CASE("adding an eleventh endpoint moves about an eleventh of the keys, all to it", "[balance]") {
  const Upstream ten(std::vector<uint32_t>(10, 1));
  const Upstream eleven(std::vector<uint32_t>(11, 1));
  const HashRing before = ten.ring(), after = eleven.ring();
  int moved = 0;
  for (int i = 0; i < 100000; ++i) {
    const uint32_t was = before.pick(key(i), ten.endpoints);
    const uint32_t now = after.pick(key(i), eleven.endpoints);
    if (was == now) continue;
    ++moved;
    REQUIRE(now == 10);
  }
  INFO(moved << " of 100,000 keys moved");
  CHECK(moved >= 5000);
  CHECK(moved <= 15000);
}

TEST_CASE("an unusable endpoint's keys go where a ring without it sends them, the others stay", "[balance]") {
  Upstream ten({1, 2, 1, 1, 3, 1, 1, 1, 2, 1});
  const HashRing ring = ten.ring();
  std::vector<uint32_t> healthy;
  for (int i = 0; i < 20000; ++i) healthy.push_back(ring.pick(key(i), ten.endpoints));
  ten.endpoints[4].usable = false;
  ten.endpoints[7].usable = false;
  // The same upstream without endpoints 4 and 7.
  Upstream eight({1, 2, 1, 1, 1, 1, 2, 1});
  eight.names = {ten.names[0], ten.names[1], ten.names[2], ten.names[3],
                 ten.names[5], ten.names[6], ten.names[8], ten.names[9]};
  eight.identities.assign(eight.names.begin(), eight.names.end());
  const HashRing smaller = eight.ring();
  const std::vector<uint32_t> index_in_ten = {0, 1, 2, 3, 5, 6, 8, 9};
  for (int i = 0; i < 20000; ++i) {
    const uint32_t got = ring.pick(key(i), ten.endpoints);
    REQUIRE(got == index_in_ten[smaller.pick(key(i), eight.endpoints)]);
    if (healthy[i] != 4 && healthy[i] != 7) REQUIRE(got == healthy[i]);
  }
}

TEST_CASE("a ring whose weights exceed the point budget is scaled down to it", "[balance]") {
  const Upstream heavy(std::vector<uint32_t>(10, 1000));  // 1,600,000 points unscaled
  const HashRing ring = heavy.ring();
  CHECK(ring.point_count() <= kMaxRingPoints + heavy.endpoints.size());
  CHECK(ring.point_count() >= kMaxRingPoints - heavy.endpoints.size());
  std::vector<int> counts(heavy.endpoints.size());
  for (int i = 0; i < 20000; ++i) ++counts[ring.pick(key(i), heavy.endpoints)];
  for (int c : counts) CHECK(std::abs(c - 2000) < 300);
}

TEST_CASE("an empty upstream has no endpoint for any key", "[balance]") {
  const HashRing ring({}, {});
  CHECK(ring.point_count() == 0);
  CHECK(ring.pick("anything", {}) == kNoEndpoint);
}

}  // namespace
}  // namespace banyan::balance
