// `balance least_conn`: the candidate with the fewest requests in flight relative to
// its weight, that is the least active/weight, compared as active_i * weight_j <
// active_j * weight_i (exact, no division). Ties, including the idle start where
// every count is 0, are broken as nginx breaks them: by smooth weighted round robin
// (smooth_weighted.h) among the tied candidates only, so equally loaded endpoints
// share requests in proportion to their weights.
//
// `active` is this worker's count (endpoint.h): each worker balances its own
// in-flight requests, with no shared counters; over many workers the sum follows.
// Candidates are the endpoints of the usable tier. State: one int64 per endpoint,
// owned by one worker. A pick is O(n) (two passes when there is a tie), allocates
// nothing and locks nothing.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/balance/endpoint.h"

namespace banyan::balance {

// a.active / a.weight < b.active / b.weight, for weights > 0.
inline bool less_loaded(const Endpoint& a, const Endpoint& b) {
  return static_cast<uint64_t>(a.active) * b.weight < static_cast<uint64_t>(b.active) * a.weight;
}

class LeastConn {
 public:
  explicit LeastConn(std::size_t endpoint_count) : current_(endpoint_count, 0) {}

  // The least loaded usable endpoint, or kNoEndpoint when none is usable.
  uint32_t pick(std::span<const Endpoint> endpoints);

 private:
  std::vector<int64_t> current_;  // the tie-break's smooth weighted round robin
};

}  // namespace banyan::balance
