// `balance hash KEY`: consistent hashing (Karger et al.; laid out as ketama does it).
// Each endpoint owns points on a ring of 64-bit hashes, kPointsPerWeight per unit of
// weight: point k of an endpoint is XXH3-64 of its identity with seed k. A key (the
// header's or cookie's value, or the client address as text) hashes with XXH3-64 to a
// position; its endpoint owns the first point at or after it, clockwise (wrapping).
// When that endpoint is not a candidate (unusable, or not in the usable tier), the
// walk goes on clockwise to the next point whose endpoint is, which is exactly where
// the key would go on a ring built without the unusable endpoints. So removing or
// adding one endpoint of n moves about 1/n of the keys, and only keys to or from it.
//
// The ring depends only on identities and weights, so every replica, every worker and
// every restart builds the same one. Build it once per endpoint set (at load or after
// re-resolving) and share it read-only between workers; the usability each pick
// reads is the worker's own. A request without the key has nothing to be consistent
// about: the caller balances it with round robin rather than hashing "" (which would
// send every keyless request to one endpoint).
//
// Cost: building sorts the points, O(P log P); a pick is a binary search, O(log P),
// then the walk, which is O(1) expected while most points' endpoints are candidates
// and at most P steps; it allocates nothing and locks nothing.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/balance/endpoint.h"

namespace banyan::balance {

// Ketama's density: 160 points per server spreads keys within a few percent of the
// weights while the ring of 100 weight-1 servers stays at 16,000 points.
inline constexpr uint32_t kPointsPerWeight = 160;
// The most points one ring holds (16 bytes each: 16 MiB), with one more per endpoint
// at most. When the weights would need more, every endpoint's count is scaled down by
// the same factor (each keeping at least one point); the scaled counts are prefixes of
// the full ones, so keys on kept points do not move.
inline constexpr uint64_t kMaxRingPoints = uint64_t{1} << 20;

class HashRing {
 public:
  // identities[i] names endpoints[i] (its resolved "address:port"; distinct for distinct
  // endpoints, equal on every replica); weights come from endpoints[i].weight, and an
  // endpoint of weight 0 gets no point. The sizes must be equal.
  HashRing(std::span<const std::string_view> identities, std::span<const Endpoint> endpoints);

  // The endpoint for `key`, or kNoEndpoint when none is usable. `endpoints` is the
  // worker's array for the same endpoint set (same size and order as at build).
  uint32_t pick(std::string_view key, std::span<const Endpoint> endpoints) const;

  // The same, for a key already hashed with hash_key.
  uint32_t pick_hashed(uint64_t key_hash, std::span<const Endpoint> endpoints) const;

  static uint64_t hash_key(std::string_view key);

  std::size_t point_count() const { return points_.size(); }

 private:
  struct Point {
    uint64_t hash;
    uint32_t endpoint;
    uint32_t pad;
  };
  std::vector<Point> points_;  // sorted by (hash, endpoint)
  std::size_t endpoint_count_;
};

}  // namespace banyan::balance
