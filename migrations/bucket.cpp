// The stable bucket (bucket.h): FNV-1a 64 over the migration's name, one 0 byte and
// the key, mixed by the murmur3 64-bit finaliser (FNV-1a alone spreads its low bits
// poorly for short keys that differ in one byte), then reduced modulo kBuckets.
#include "migrations/bucket.h"

namespace banyan::migrations {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

uint64_t fnv1a(uint64_t h, std::string_view bytes) {
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}

// MurmurHash3's fmix64.
uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

}  // namespace

uint32_t bucket_of(std::string_view migration_name, std::string_view key) {
  uint64_t h = fnv1a(kFnvOffset, migration_name);
  h = fnv1a(h, std::string_view("\0", 1));  // the separator: ("ab", "c") and ("a", "bc") differ
  h = fnv1a(h, key);
  return static_cast<uint32_t>(fmix64(h) % kBuckets);
}

}  // namespace banyan::migrations
