// The shift schedule of a migration: what share of its traffic goes to the new
// upstream at a time t. Shared by banyanc (`route` shows when a request changes side)
// and the runtime (each request). Times are Unix milliseconds; weights are basis
// points (0..10000, so 1% is 100).
//
// The timeline: the migration begins at `start`. When it shadows for a limited time,
// the shift begins after that shadow period; otherwise it begins at `start`. Step k
// (`P% for D`) holds during [begin + D_0 + ... + D_(k-1), begin + D_0 + ... + D_k);
// a `hold` step and the last step hold for ever. Before the shift begins the weight
// is 0: everything goes to the old upstream.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace banyan::migrations {

struct Step {
  uint32_t basis_points = 0;  // 0..10000
  int64_t duration_ms = 0;    // 0 on a hold step and on the last step
  bool hold = false;
};

// The steps of records that carry basis_points, duration_ms and hold (the plan's
// ShiftStep), as weight_at reads them.
template <typename Records>
std::vector<Step> steps_of(const Records& records) {
  std::vector<Step> out;
  for (const auto& r : records) out.push_back({r.basis_points, r.duration_ms, r.hold != 0});
  return out;
}

// When the shift begins for a migration that begins at `start_ms`: after its shadow
// period when it shadows for a limited time (shadow_duration_ms > 0), else at once.
inline int64_t shift_begin(int64_t start_ms, uint32_t shadow_basis_points, int64_t shadow_duration_ms) {
  return start_ms + (shadow_basis_points > 0 && shadow_duration_ms > 0 ? shadow_duration_ms : 0);
}

// The weight of the new upstream at `now_ms` for a shift that begins at `begin_ms`.
uint32_t weight_at(std::span<const Step> steps, int64_t begin_ms, int64_t now_ms);

// The index of the step in force at `now_ms` (0-based), or -1 before the shift begins
// (and with no steps).
int step_at(std::span<const Step> steps, int64_t begin_ms, int64_t now_ms);

// The first time at or after `now_ms` when a request in `bucket` (0..9999) lands on
// the new upstream (weight_at > bucket); nullopt when it never does. Returns now_ms
// itself when it already does.
std::optional<int64_t> moves_at(std::span<const Step> steps, int64_t begin_ms, int64_t now_ms, uint32_t bucket);

// "2025-03-01T09:00:00Z" (RFC 3339, UTC, 'Z' or an explicit offset like +02:00,
// optional fraction) to Unix milliseconds; nullopt when malformed or out of range
// (years 1970..9999).
std::optional<int64_t> parse_timestamp(std::string_view text);
// Unix milliseconds to "2025-03-01T09:00:00Z" (seconds precision, UTC).
std::string format_timestamp(int64_t unix_ms);
// A duration as the routes language writes it: "1d2h", "30m", "1500ms".
std::string format_duration(int64_t ms);

}  // namespace banyan::migrations
