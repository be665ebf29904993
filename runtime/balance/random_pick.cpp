// The weighted draw (random_pick.h): a number r below the total weight, then the
// endpoint whose cumulative weight range [sum before it, sum with it) holds r.
#include "runtime/balance/random_pick.h"

namespace banyan::balance {

uint64_t tier_weight(std::span<const Endpoint> endpoints, Tier tier, uint32_t skip) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < endpoints.size(); ++i) {
    if (i != skip && in_tier(endpoints[i], tier)) total += endpoints[i].weight;
  }
  return total;
}

uint32_t draw_weighted(std::span<const Endpoint> endpoints, Tier tier, uint64_t total, Rng& rng, uint32_t skip) {
  if (total == 0) return kNoEndpoint;
  uint64_t r = rng.below(total);
  for (uint32_t i = 0; i < endpoints.size(); ++i) {
    if (i == skip || !in_tier(endpoints[i], tier)) continue;
    if (r < endpoints[i].weight) return i;
    r -= endpoints[i].weight;
  }
  return kNoEndpoint;  // only when `total` was not the tier's weight
}

uint32_t pick_random(std::span<const Endpoint> endpoints, Rng& rng) {
  const Tier tier = usable_tier(endpoints);
  if (tier == Tier::None) return kNoEndpoint;
  return draw_weighted(endpoints, tier, tier_weight(endpoints, tier), rng);
}

}  // namespace banyan::balance
