// The perfect hash of a wide node's literal children (format.h, ChildTable): the
// functions the emitter builds a table with and the lookup and the loader read it
// with. They are part of the plan format: changing one changes what every plan
// means, so it bumps kFormatVersion.
//
// Hash and displace: a label's 64-bit hash picks a bucket (its high bits); the
// bucket's displacement, XORed into its low bits, picks the slot. The compiler chose
// each displacement (and the seed) so that no two children share a slot, so a lookup
// is one multiply, three dependent reads (displacement, slot, and for a label over 8
// bytes its tail), and one comparison, whatever the number of children. (A first
// version mixed a pilot through murmur's finaliser: its chain of multiplies was half
// of a lookup's time on an API-shaped table.)
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace banyan::plan {

// A label's first 8 bytes, zero-padded, as a little-endian word (NodeKey::head).
inline uint64_t label_head(std::string_view label) {
  uint64_t v = 0;
  if (!label.empty()) std::memcpy(&v, label.data(), label.size() < 8 ? label.size() : 8);
  return v;
}

// The label's hash under `seed`, given its head (the lookup has it already): the
// head and length, then the rest in 8-byte words, the last one ending at the label's
// end (it may overlap the one before), each folded in by a multiply; then a
// finaliser that makes every bit of the input reach the low bits the slot is taken
// from. (A product's low bits depend only on the factors' low bits, and a label's
// last word is read ending at its end, so its new bytes sit in the word's high bits:
// without the finaliser, labels that differ only there shared their low bits under
// every seed, and no displacement could part them.)
inline uint64_t label_hash(std::string_view label, uint64_t head, uint64_t seed) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = (head ^ (seed * 0xFF51AFD7ED558CCDull) ^ (uint64_t{label.size()} << 56)) * kMul;
  for (size_t i = 8; i < label.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, label.data() + (i + 8 <= label.size() ? i : label.size() - 8), 8);
    h = (h ^ (h >> 32) ^ w) * kMul;
  }
  h ^= h >> 32;
  h *= 0xC4CEB9FE1A85EC53ull;
  return h ^ (h >> 32);
}

// The bucket of a hash among 2^bits (bits 40 and up; the slot takes the low ones).
inline uint32_t table_bucket(uint64_t hash, uint8_t bits) { return static_cast<uint32_t>(hash >> 40) & ((1u << bits) - 1); }

// The slot of a hash among 2^bits, under its bucket's displacement.
inline uint32_t table_slot(uint64_t hash, uint32_t displacement, uint8_t bits) {
  return (static_cast<uint32_t>(hash) ^ displacement) & ((1u << bits) - 1);
}

}  // namespace banyan::plan
