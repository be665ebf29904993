// `balance round_robin`: smooth weighted round robin, as nginx does it
// (ngx_http_upstream_get_peer). Each pick adds every candidate's weight to its
// `current`, chooses the candidate with the greatest `current` (the first one on a
// tie) and subtracts the candidates' total weight from the chosen one. With weights
// {5, 1, 1} the picks are a a b a c a a, and then again: over any W consecutive picks
// (W the total weight of a fixed candidate set) each endpoint is picked exactly its
// weight's times, spread out rather than in runs.
//
// Candidates are the endpoints of the usable tier (endpoint.h). State: one int64 per
// endpoint, owned by one worker. A pick is O(n), allocates nothing and locks nothing.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/balance/endpoint.h"

namespace banyan::balance {

class SmoothWeighted {
 public:
  // For an endpoint array of this size; every pick must be given an array that size.
  explicit SmoothWeighted(std::size_t endpoint_count) : current_(endpoint_count, 0) {}

  // The next endpoint, or kNoEndpoint when none is usable.
  uint32_t pick(std::span<const Endpoint> endpoints);

 private:
  std::vector<int64_t> current_;
};

// One step of the algorithm over the endpoints `admit(i)` accepts, on the caller's
// `current` (endpoints.size() entries). least_conn uses it to break ties. Returns
// kNoEndpoint when `admit` accepts none. |current[i]| stays below the total weight.
template <typename Admit>
uint32_t smooth_weighted_step(std::span<const Endpoint> endpoints, std::span<int64_t> current, Admit admit) {
  uint32_t best = kNoEndpoint;
  int64_t total = 0;
  for (uint32_t i = 0; i < endpoints.size(); ++i) {
    if (!admit(i)) continue;
    current[i] += endpoints[i].weight;
    total += endpoints[i].weight;
    if (best == kNoEndpoint || current[i] > current[best]) best = i;  // `>`: the first on a tie
  }
  if (best != kNoEndpoint) current[best] -= total;
  return best;
}

}  // namespace banyan::balance
