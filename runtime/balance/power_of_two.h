// `balance p2c`: the power of two choices (Mitzenmacher). Draw a candidate by weight
// (random_pick.h), then a second, different one by weight among the rest; pick the
// less loaded of the two by active/weight (least_conn.h's less_loaded); on equal load
// the first drawn. So for candidates i != j:
//
//   P(i then j) = w_i / W * w_j / (W - w_i)        W: the candidates' total weight
//
// and an endpoint strictly more loaded than every other candidate is never picked
// when there are two or more candidates. With one candidate, it is the pick.
//
// The randomness is the worker's Rng (rng.h), passed in so that tests fix it.
// Candidates are the endpoints of the usable tier. A pick is O(n), allocates nothing
// and locks nothing. Unlike least_conn it keeps no state of its own, and it does not
// send every worker's burst to the same idle endpoint.
#pragma once

#include <cstdint>
#include <span>

#include "runtime/balance/endpoint.h"
#include "runtime/balance/rng.h"

namespace banyan::balance {

// The less loaded of two weighted random candidates, or kNoEndpoint when none is usable.
uint32_t pick_power_of_two(std::span<const Endpoint> endpoints, Rng& rng);

}  // namespace banyan::balance
