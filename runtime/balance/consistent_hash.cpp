// The hash ring (consistent_hash.h): points from XXH3-64 of each identity with seeds
// 0, 1, 2..., sorted once; a pick is the first point at or after the key's hash,
// then the clockwise walk over points whose endpoints are not candidates.
#include "runtime/balance/consistent_hash.h"

#include <xxhash.h>

#include <algorithm>

namespace banyan::balance {
namespace {

// How many points each endpoint gets: kPointsPerWeight per unit, or, when the ring
// would exceed kMaxRingPoints, the endpoint's share of kMaxRingPoints (at least one).
uint64_t points_for(uint32_t weight, uint64_t total_weight) {
  if (weight == 0) return 0;
  if (total_weight * kPointsPerWeight <= kMaxRingPoints) return uint64_t{weight} * kPointsPerWeight;
  return std::max<uint64_t>(1, uint64_t{weight} * kMaxRingPoints / total_weight);
}

}  // namespace

HashRing::HashRing(std::span<const std::string_view> identities, std::span<const Endpoint> endpoints)
    : endpoint_count_(endpoints.size()) {
  require_same_size(identities.size(), endpoints.size());
  uint64_t total_weight = 0;
  for (const Endpoint& e : endpoints) total_weight += e.weight;
  uint64_t total_points = 0;
  for (const Endpoint& e : endpoints) total_points += points_for(e.weight, total_weight);
  points_.reserve(total_points);
  for (uint32_t i = 0; i < endpoints.size(); ++i) {
    const uint64_t count = points_for(endpoints[i].weight, total_weight);
    for (uint64_t k = 0; k < count; ++k) {
      points_.push_back(Point{XXH3_64bits_withSeed(identities[i].data(), identities[i].size(), k), i, 0});
    }
  }
  // Equal hashes (of different endpoints) are ordered by endpoint, so every build agrees.
  std::sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.endpoint < b.endpoint;
  });
}

uint64_t HashRing::hash_key(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

uint32_t HashRing::pick(std::string_view key, std::span<const Endpoint> endpoints) const {
  return pick_hashed(hash_key(key), endpoints);
}

uint32_t HashRing::pick_hashed(uint64_t key_hash, std::span<const Endpoint> endpoints) const {
  require_same_size(endpoint_count_, endpoints.size());
  const Tier tier = usable_tier(endpoints);
  if (tier == Tier::None || points_.empty()) return kNoEndpoint;
  const auto at =
      std::lower_bound(points_.begin(), points_.end(), key_hash, [](const Point& p, uint64_t h) { return p.hash < h; });
  std::size_t i = at == points_.end() ? 0 : static_cast<std::size_t>(at - points_.begin());
  for (std::size_t steps = 0; steps < points_.size(); ++steps) {
    const uint32_t owner = points_[i].endpoint;
    if (in_tier(endpoints[owner], tier)) return owner;
    if (++i == points_.size()) i = 0;
  }
  return kNoEndpoint;  // the candidates own no point: weight 0 at build, more now
}

}  // namespace banyan::balance
