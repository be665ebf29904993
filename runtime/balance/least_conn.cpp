// Least connections (least_conn.h): one pass finds the least active/weight and counts
// the candidates that share it; only a tie takes a second pass, the smooth weighted
// round robin step restricted to the tied candidates.
#include "runtime/balance/least_conn.h"

#include "runtime/balance/smooth_weighted.h"

namespace banyan::balance {

uint32_t LeastConn::pick(std::span<const Endpoint> endpoints) {
  require_same_size(current_.size(), endpoints.size());
  const Tier tier = usable_tier(endpoints);
  if (tier == Tier::None) return kNoEndpoint;

  uint32_t best = kNoEndpoint;
  uint32_t tied = 0;
  for (uint32_t i = 0; i < endpoints.size(); ++i) {
    if (!in_tier(endpoints[i], tier)) continue;
    if (best == kNoEndpoint || less_loaded(endpoints[i], endpoints[best])) {
      best = i;
      tied = 1;
    } else if (!less_loaded(endpoints[best], endpoints[i])) {
      ++tied;  // neither is less loaded: equal load
    }
  }
  if (tied == 1) return best;

  const Endpoint least = endpoints[best];
  return smooth_weighted_step(endpoints, current_, [&](uint32_t i) {
    return in_tier(endpoints[i], tier) && !less_loaded(least, endpoints[i]);  // no one is below `least`
  });
}

}  // namespace banyan::balance
