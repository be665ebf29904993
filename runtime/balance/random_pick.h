// `balance random`: a candidate drawn at random with probability weight / (the
// candidates' total weight), from the worker's Rng (rng.h). Also the weighted draw
// that power_of_two.h makes twice.
//
// Candidates are the endpoints of the usable tier. A pick is O(n) (one pass for the
// total, one to find the drawn endpoint), allocates nothing and locks nothing.
#pragma once

#include <cstdint>
#include <span>

#include "runtime/balance/endpoint.h"
#include "runtime/balance/rng.h"

namespace banyan::balance {

// The sum of the weights of the endpoints in `tier`, except `skip`.
uint64_t tier_weight(std::span<const Endpoint> endpoints, Tier tier, uint32_t skip = kNoEndpoint);

// An endpoint of `tier` other than `skip`, drawn with probability weight / total;
// `total` must be tier_weight(endpoints, tier, skip) and > 0.
uint32_t draw_weighted(std::span<const Endpoint> endpoints, Tier tier, uint64_t total, Rng& rng,
                       uint32_t skip = kNoEndpoint);

// A random usable endpoint by weight, or kNoEndpoint when none is usable.
uint32_t pick_random(std::span<const Endpoint> endpoints, Rng& rng);

}  // namespace banyan::balance
