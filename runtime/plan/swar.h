// Eight bytes at a time in one 64-bit word (SIMD within a register), for the few byte
// scans on the lookup path: the end of a path segment, and lower-casing the Host
// while finding its port. Exact per byte (no false positives from borrows).
#pragma once

#include <cstdint>
#include <cstring>

namespace banyan::plan::swar {

inline constexpr uint64_t kOnes = 0x0101010101010101ull;
inline constexpr uint64_t kHigh = 0x8080808080808080ull;

inline uint64_t load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// 0x80 in every byte of `x` that is zero, 0 in the others.
inline uint64_t zero_bytes(uint64_t x) {
  uint64_t low7 = (x & ~kHigh) + ~kHigh;  // high bit set when the low seven bits are not all zero
  return ~(low7 | x) & kHigh;
}

// 0x80 in every byte of `x` that equals `c`.
inline uint64_t bytes_equal(uint64_t x, char c) { return zero_bytes(x ^ (kOnes * static_cast<unsigned char>(c))); }

// `x` with the ASCII letters A-Z lower-cased; every other byte as it was.
inline uint64_t lower(uint64_t x) {
  uint64_t low7 = x & ~kHigh;
  uint64_t at_least_a = low7 + kOnes * (0x80 - 'A');      // high bit: byte >= 'A'
  uint64_t above_z = low7 + kOnes * (0x80 - 'Z' - 1);     // high bit: byte > 'Z'
  uint64_t upper = at_least_a & ~above_z & ~x & kHigh;    // and not a byte >= 0x80
  return x | (upper >> 2);                                // 0x80 >> 2 is 0x20
}

// The index of the first byte flagged in a non-zero mask from the functions above.
inline unsigned first(uint64_t mask) { return static_cast<unsigned>(__builtin_ctzll(mask)) / 8; }
inline unsigned last(uint64_t mask) { return 7 - static_cast<unsigned>(__builtin_clzll(mask)) / 8; }

}  // namespace banyan::plan::swar
