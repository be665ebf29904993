// Power of two choices (power_of_two.h): two weighted draws, the second without the
// first, and one comparison.
#include "runtime/balance/power_of_two.h"

#include "runtime/balance/least_conn.h"
#include "runtime/balance/random_pick.h"

namespace banyan::balance {

uint32_t pick_power_of_two(std::span<const Endpoint> endpoints, Rng& rng) {
  const Tier tier = usable_tier(endpoints);
  if (tier == Tier::None) return kNoEndpoint;
  const uint64_t total = tier_weight(endpoints, tier);
  const uint32_t first = draw_weighted(endpoints, tier, total, rng);
  if (first == kNoEndpoint) return kNoEndpoint;
  const uint64_t rest = total - endpoints[first].weight;
  if (rest == 0) return first;  // the only candidate (candidates have weight > 0)
  const uint32_t second = draw_weighted(endpoints, tier, rest, rng, first);
  if (second == kNoEndpoint) return first;
  return less_loaded(endpoints[second], endpoints[first]) ? second : first;
}

}  // namespace banyan::balance
