// The stable bucket of a request in a migration: a hash of the migration's name and
// the request's bucketing key (a cookie, header or query value, the client address or
// the request id) to 0..9999. The same on every replica, across restarts and builds:
// the function is fixed here (FNV-1a 64 over name, a 0 byte and the key, then the
// murmur3 64-bit finaliser, modulo 10000) and pinned by tests with known values.
//
// A request lands on the new upstream when bucket < weight (schedule.h), so as the
// weight grows the requests already moved stay moved.
#pragma once

#include <cstdint>
#include <string_view>

namespace banyan::migrations {

inline constexpr uint32_t kBuckets = 10000;

uint32_t bucket_of(std::string_view migration_name, std::string_view key);

inline bool lands_on_new(uint32_t bucket, uint32_t weight_basis_points) { return bucket < weight_basis_points; }

}  // namespace banyan::migrations
