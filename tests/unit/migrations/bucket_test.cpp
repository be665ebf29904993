// The stable bucket: pinned values (the function must never change: replicas and
// restarts must agree), the spread over 100,000 keys, and independence between
// migrations.
#include "migrations/bucket.h"

#include <catch2/catch.hpp>

#include <array>
#include <string>

namespace banyan::migrations {
namespace {

TEST_CASE("buckets are pinned to the header's hash", "[bucket]") {
  // Computed independently with Python 3 from the header's definition:
  //   h = 0xcbf29ce484222325
  //   for c in name.encode() + b"\0" + key.encode(): h = ((h ^ c) * 0x100000001b3) % 2**64
  //   then murmur3 fmix64 (>>33, *0xff51afd7ed558ccd, >>33, *0xc4ceb9fe1a85ec53, >>33)
  //   % 10000
  CHECK(bucket_of("checkout", "user-42") == 6913);
  CHECK(bucket_of("checkout", "") == 6068);
  CHECK(bucket_of("search", "203.0.113.7") == 6372);
  CHECK(bucket_of("", "") == 2267);
  CHECK(bucket_of("reports", "a") == 556);
  // The 0 byte between name and key keeps these apart.
  CHECK(bucket_of("ab", "c") == 5309);
  CHECK(bucket_of("a", "bc") == 2375);
}

TEST_CASE("a request lands on the new upstream when its bucket is below the weight", "[bucket]") {
  CHECK_FALSE(lands_on_new(0, 0));
  CHECK(lands_on_new(0, 1));
  CHECK(lands_on_new(99, 100));
  CHECK_FALSE(lands_on_new(100, 100));
  CHECK(lands_on_new(kBuckets - 1, 10000));
}

TEST_CASE("100,000 keys spread evenly over the ten deciles", "[bucket]") {
  std::array<int, 10> deciles{};
  for (int i = 0; i < 100000; ++i) {
    const uint32_t b = bucket_of("checkout", "user-" + std::to_string(i));
    REQUIRE(b < kBuckets);
    ++deciles[b / 1000];
  }
  for (int d = 0; d < 10; ++d) {
    INFO("decile " << d << ": " << deciles[d]);
    CHECK(deciles[d] >= 9500);
    CHECK(deciles[d] <= 10500);
  }
}

TEST_CASE("different migrations bucket the same keys independently", "[bucket]") {
  // For independent buckets each cell of the 10x10 decile grid holds about 1% of the
  // keys (1,000 of 100,000, standard deviation about 31).
  std::array<std::array<int, 10>, 10> grid{};
  int same = 0;
  for (int i = 0; i < 100000; ++i) {
    const std::string key = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    const uint32_t a = bucket_of("checkout", key);
    const uint32_t b = bucket_of("search", key);
    ++grid[a / 1000][b / 1000];
    same += a == b;
  }
  for (int x = 0; x < 10; ++x) {
    for (int y = 0; y < 10; ++y) {
      INFO("cell " << x << "," << y << ": " << grid[x][y]);
      CHECK(grid[x][y] >= 800);
      CHECK(grid[x][y] <= 1200);
    }
  }
  CHECK(same < 50);  // about 10 expected
}

}  // namespace
}  // namespace banyan::migrations
