// `sticky cookie "NAME"`: stateless sticky sessions. The cookie's value names the
// endpoint that served the client: the 16 lowercase hex digits of XXH3-64 of the
// endpoint's identity (its resolved "address:port", as for the hash ring). Every
// replica computes the same value for the same endpoint, so any replica honours the
// cookie without shared state; the value does not show the address itself, and
// needs no secret (a client that forges one can only choose among the endpoints,
// which any client can reach by retrying).
//
// The request path: find(value) names an endpoint that may take the request now, or
// returns kNoEndpoint (no cookie, a malformed or unknown value, an endpoint that is
// unusable or a backup while a primary is usable); on kNoEndpoint the caller picks
// with the upstream's balancer and sets the cookie to value_for(the pick's identity).
//
// The value is untrusted input: anything other than exactly 16 characters in
// [0-9a-f] is rejected before it is compared with anything. Build a StickyTable once
// per endpoint set and share it read-only; find is O(n), allocates nothing, locks nothing.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/balance/endpoint.h"

namespace banyan::balance {

inline constexpr std::size_t kStickyValueLength = 16;

// A cookie value, not NUL-terminated: view() it.
struct StickyValue {
  std::array<char, kStickyValueLength> chars;
  std::string_view view() const { return {chars.data(), chars.size()}; }
};

// The cookie value that names the endpoint with this identity.
StickyValue sticky_value(std::string_view identity);

class StickyTable {
 public:
  // identities[i] names endpoint i, as for HashRing.
  explicit StickyTable(std::span<const std::string_view> identities);

  // The endpoint `value` names if it may be picked now, else kNoEndpoint.
  // `endpoints` is the worker's array for the same endpoint set.
  uint32_t find(std::string_view value, std::span<const Endpoint> endpoints) const;

 private:
  std::vector<uint64_t> ids_;  // XXH3-64 of each identity
};

}  // namespace banyan::balance
