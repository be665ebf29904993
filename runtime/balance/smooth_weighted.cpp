// Smooth weighted round robin (smooth_weighted.h) over the usable tier.
#include "runtime/balance/smooth_weighted.h"

namespace banyan::balance {

uint32_t SmoothWeighted::pick(std::span<const Endpoint> endpoints) {
  require_same_size(current_.size(), endpoints.size());
  const Tier tier = usable_tier(endpoints);
  if (tier == Tier::None) return kNoEndpoint;
  return smooth_weighted_step(endpoints, current_, [&](uint32_t i) { return in_tier(endpoints[i], tier); });
}

}  // namespace banyan::balance
