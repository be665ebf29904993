// The balancers' tests: who may be picked, written plainly from the words
// (usable primaries; only when there are none, usable backups; weight 0 never), and
// random endpoint arrays for the property tests.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "runtime/balance/endpoint.h"

namespace banyan::test {

inline std::vector<uint32_t> allowed_endpoints(std::span<const balance::Endpoint> endpoints) {
  std::vector<uint32_t> primaries, backups;
  for (uint32_t i = 0; i < endpoints.size(); ++i) {
    const balance::Endpoint& e = endpoints[i];
    if (!e.usable || e.weight == 0) continue;
    (e.backup ? backups : primaries).push_back(i);
  }
  return primaries.empty() ? backups : primaries;
}

// 0..max_size endpoints; weights 0..10 (0 rarely), actives 0..max_active, about a
// third unusable and a quarter backups, so every tier and "nothing usable" occur.
inline std::vector<balance::Endpoint> random_endpoints(std::mt19937& rng, uint32_t max_size, uint32_t max_active) {
  std::uniform_int_distribution<uint32_t> size(0, max_size), weight(0, 10), active(0, max_active), percent(0, 99);
  std::vector<balance::Endpoint> endpoints(size(rng));
  for (balance::Endpoint& e : endpoints) {
    e.weight = weight(rng);
    if (e.weight == 0 && percent(rng) < 70) e.weight = 1;
    e.active = active(rng);
    e.backup = percent(rng) < 25;
    e.usable = percent(rng) >= 33;
  }
  return endpoints;
}

}  // namespace banyan::test
