// What a balancer sees of an upstream's endpoints, and the one rule for backups.
//
// Each gateway worker thread owns an array of Endpoint, one per resolved address of
// the upstream's servers, in a fixed order (the order of the plan's Server records,
// each server's addresses in resolver order). The worker updates `usable` (active and
// passive health, cool-down, `max_conns` reached) and `active` itself; the balancers
// read the array and never write it, and keep their own per-worker state beside it.
// Nothing here locks or allocates.
//
// Who may be picked (`Tier`): the usable primaries; only when none is usable, the
// usable backups; when no endpoint is usable, nobody, and every pick returns
// kNoEndpoint (the proxy answers 503). An endpoint of weight 0 is never picked (the
// language's weights are 1..1000; 0 can only come from a caller draining one).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <span>
#include <type_traits>

namespace banyan::balance {

// "No endpoint can take this request": every pick's result when nothing is usable.
inline constexpr uint32_t kNoEndpoint = 0xFFFFFFFFu;

struct Endpoint {
  uint32_t weight = 1;  // the server's `weight`, 1..1000
  uint32_t active = 0;  // requests in flight to this endpoint from this worker
  bool backup = false;  // the server's `backup`
  bool usable = true;   // healthy, not cooling down, below max_conns
};
static_assert(std::is_trivially_copyable_v<Endpoint>);

enum class Tier : uint8_t { None, Primary, Backup };

// The tier a pick chooses from: O(n), stops at the first usable primary.
inline Tier usable_tier(std::span<const Endpoint> endpoints) {
  bool any_backup = false;
  for (const Endpoint& e : endpoints) {
    if (!e.usable || e.weight == 0) continue;
    if (!e.backup) return Tier::Primary;
    any_backup = true;
  }
  return any_backup ? Tier::Backup : Tier::None;
}

// Whether `e` may be picked when picks choose from `tier`.
inline bool in_tier(const Endpoint& e, Tier tier) {
  return tier != Tier::None && e.usable && e.weight != 0 && e.backup == (tier == Tier::Backup);
}

// A balancer's state sized for another endpoint array than the one it is given is a
// bug in the caller (state is rebuilt with the array on every reload): crash, do not
// pick out of bounds.
inline void require_same_size(std::size_t state, std::size_t endpoints) {
  if (state != endpoints) std::abort();
}

}  // namespace banyan::balance
