// The shift schedule: weights at the step edges of the grammar reference's example,
// moves_at against a minute-by-minute scan of weight_at, saturation, and RFC 3339
// timestamps (expected instants computed with Python's calendar.timegm).
#include "migrations/schedule.h"

#include <catch2/catch.hpp>

#include <limits>
#include <random>
#include <vector>

namespace banyan::migrations {
namespace {

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// `shift 1% for 10m, 10% for 1h, 50% for 1h, 100%`
const std::vector<Step> kExample{
    {100, 10 * kMinute, false}, {1000, kHour, false}, {5000, kHour, false}, {10000, 0, false}};
// `shift 5% for 1h, 25% hold, 100%`: the hold stops the schedule.
const std::vector<Step> kHold{{500, kHour, false}, {2500, 0, true}, {10000, 0, false}};

// 2025-03-01T09:00:00Z plus the example's one-day shadow period.
constexpr int64_t kBegin = 1740819600000 + 24 * kHour;

TEST_CASE("the weight is 0 before the shift and each step's share from its first millisecond", "[schedule]") {
  CHECK(weight_at(kExample, kBegin, kMin) == 0);
  CHECK(weight_at(kExample, kBegin, kBegin - 1) == 0);
  CHECK(weight_at(kExample, kBegin, kBegin) == 100);
  CHECK(weight_at(kExample, kBegin, kBegin + 10 * kMinute - 1) == 100);
  CHECK(weight_at(kExample, kBegin, kBegin + 10 * kMinute) == 1000);
  CHECK(weight_at(kExample, kBegin, kBegin + 70 * kMinute - 1) == 1000);
  CHECK(weight_at(kExample, kBegin, kBegin + 70 * kMinute) == 5000);
  CHECK(weight_at(kExample, kBegin, kBegin + 130 * kMinute - 1) == 5000);
  CHECK(weight_at(kExample, kBegin, kBegin + 130 * kMinute) == 10000);
  CHECK(weight_at(kExample, kBegin, kMax) == 10000);
}

TEST_CASE("the step in force is -1 before the shift and then each step's index from its first millisecond", "[schedule]") {
  CHECK(step_at(kExample, kBegin, kBegin - 1) == -1);
  CHECK(step_at(kExample, kBegin, kBegin) == 0);
  CHECK(step_at(kExample, kBegin, kBegin + 10 * kMinute - 1) == 0);
  CHECK(step_at(kExample, kBegin, kBegin + 10 * kMinute) == 1);
  CHECK(step_at(kExample, kBegin, kBegin + 70 * kMinute) == 2);
  CHECK(step_at(kExample, kBegin, kBegin + 130 * kMinute) == 3);
  CHECK(step_at(kExample, kBegin, kMax) == 3);
  CHECK(step_at(kHold, kBegin, kMax) == 1);  // the hold step, never the one after it
  // A zero-length step is never in force: `shift 10% for 0s, 100%` is at 100% at once.
  const std::vector<Step> instant{{1000, 0, false}, {10000, 0, false}};
  CHECK(step_at(instant, kBegin, kBegin) == 1);
  CHECK(step_at({}, kBegin, kMax) == -1);
}

TEST_CASE("a hold step holds for ever and the steps after it are never reached", "[schedule]") {
  CHECK(weight_at(kHold, kBegin, kBegin + kHour - 1) == 500);
  CHECK(weight_at(kHold, kBegin, kBegin + kHour) == 2500);
  CHECK(weight_at(kHold, kBegin, kBegin + 100 * 365 * 24 * kHour) == 2500);
  CHECK(weight_at(kHold, kBegin, kMax) == 2500);
  CHECK(moves_at(kHold, kBegin, kBegin, 2499) == kBegin + kHour);
  CHECK(moves_at(kHold, kBegin, kBegin, 2500) == std::nullopt);
}

TEST_CASE("no steps mean no shift, and an empty step is skipped", "[schedule]") {
  CHECK(weight_at({}, kBegin, kBegin + kHour) == 0);
  CHECK(moves_at({}, kBegin, kBegin, 0) == std::nullopt);
  const std::vector<Step> steps{{100, 0, false}, {200, kMinute, false}, {300, 0, false}};
  CHECK(weight_at(steps, kBegin, kBegin) == 200);
  CHECK(weight_at(steps, kBegin, kBegin + kMinute) == 300);
  CHECK(moves_at(steps, kBegin, kBegin - 5, 150) == kBegin);
}

TEST_CASE("moves_at agrees with a minute-by-minute scan of weight_at", "[schedule]") {
  // Every step edge is on a whole minute, so scanning minutes finds the exact answer.
  const int64_t horizon = kBegin + 300 * kMinute;
  for (const auto* steps : {&kExample, &kHold}) {
    for (uint32_t bucket : {0u, 99u, 100u, 500u, 999u, 1000u, 2499u, 2500u, 4999u, 5000u, 9999u, 10000u}) {
      for (int64_t m = -30; m <= 200; ++m) {
        for (int64_t jitter : {int64_t{0}, int64_t{1}, 30 * int64_t{1000}}) {
          const int64_t now = kBegin + m * kMinute + jitter;
          std::optional<int64_t> want;
          if (weight_at(*steps, kBegin, now) > bucket) {
            want = now;
          } else {
            for (int64_t t = kBegin + (m + 1) * kMinute; t <= horizon; t += kMinute) {
              if (weight_at(*steps, kBegin, t) > bucket) {
                want = t;
                break;
              }
            }
          }
          INFO("bucket " << bucket << ", minute " << m << ", jitter " << jitter);
          CHECK(moves_at(*steps, kBegin, now, bucket) == want);
        }
      }
    }
  }
}

TEST_CASE("step ends that overflow saturate: the step then lasts for ever", "[schedule]") {
  const std::vector<Step> huge{{100, kMax, false}, {200, kMax, false}, {300, 0, false}};
  CHECK(weight_at(huge, kBegin, kMax) == 100);
  CHECK(moves_at(huge, kBegin, kBegin, 150) == std::nullopt);

  const std::vector<Step> late{{100, 5, false}, {200, 100, false}, {300, 0, false}};
  CHECK(weight_at(late, kMax - 10, kMax - 6) == 100);
  CHECK(weight_at(late, kMax - 10, kMax - 5) == 200);
  CHECK(weight_at(late, kMax - 10, kMax) == 200);
  CHECK(moves_at(late, kMax - 10, kMin, 150) == kMax - 5);
  CHECK(moves_at(late, kMax - 10, kMin, 250) == std::nullopt);
  CHECK(weight_at(kExample, kMax, kMax) == 100);
  CHECK(weight_at(kExample, kMin, kMin) == 100);
  CHECK(weight_at(kExample, kMin, kMax) == 10000);
}

TEST_CASE("RFC 3339 timestamps parse to Unix milliseconds, with offsets and fractions", "[schedule]") {
  CHECK(parse_timestamp("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_timestamp("2025-03-01T09:00:00Z") == 1740819600000);
  CHECK(parse_timestamp("2025-03-01t09:00:00z") == 1740819600000);
  CHECK(parse_timestamp("2025-03-01T11:00:00+02:00") == 1740819600000);
  CHECK(parse_timestamp("2025-03-01T04:30:00-04:30") == 1740819600000);
  CHECK(parse_timestamp("2025-03-01T09:00:00-00:00") == 1740819600000);
  CHECK(parse_timestamp("2025-03-01T23:30:00-09:30") == 1740906000000);  // the next UTC day
  CHECK(parse_timestamp("2025-03-01T09:00:00.5Z") == 1740819600500);
  CHECK(parse_timestamp("2025-03-01T09:00:00.123456789Z") == 1740819600123);
  CHECK(parse_timestamp("2038-01-19T03:14:08Z") == 2147483648000);
  CHECK(parse_timestamp("9999-12-31T23:59:59.999Z") == 253402300799999);
}

TEST_CASE("leap years follow the Gregorian rule, 2000-02-29 included", "[schedule]") {
  CHECK(parse_timestamp("2000-02-29T00:00:00Z") == 951782400000);
  CHECK(parse_timestamp("2000-03-01T00:00:00Z") == 951868800000);
  CHECK(parse_timestamp("2024-02-29T12:00:00Z") == 1709208000000);
  CHECK(parse_timestamp("2100-03-01T00:00:00Z") == 4107542400000);
  CHECK(parse_timestamp("2100-02-29T00:00:00Z") == std::nullopt);
  CHECK(parse_timestamp("2023-02-29T00:00:00Z") == std::nullopt);
}

TEST_CASE("malformed and out-of-range timestamps are refused", "[schedule]") {
  for (const char* bad : {"",
                          "2025-03-01",
                          "2025-03-01T09:00:00",
                          "2025-03-01 09:00:00Z",
                          "2025-3-01T09:00:00Z",
                          "25-03-01T09:00:00Z",
                          "2025-13-01T09:00:00Z",
                          "2025-00-01T09:00:00Z",
                          "2025-04-31T09:00:00Z",
                          "2025-03-00T09:00:00Z",
                          "2025-03-01T24:00:00Z",
                          "2025-03-01T09:60:00Z",
                          "2025-03-01T09:00:60Z",
                          "2025-03-01T09:00:00.Z",
                          "2025-03-01T09:00:00+2:00",
                          "2025-03-01T09:00:00+02",
                          "2025-03-01T09:00:00+0200",
                          "2025-03-01T09:00:00+24:00",
                          "2025-03-01T09:00:00+02:60",
                          "2025-03-01T09:00:00Zx",
                          "2025-03-01T09:00:00Z ",
                          " 2025-03-01T09:00:00Z",
                          "2025-03-01T09:0a:00Z",
                          "1969-12-31T23:59:59Z",
                          "1970-01-01T00:30:00+01:00",
                          "9999-12-31T23:00:00-02:00",
                          "10000-01-01T00:00:00Z"}) {
    INFO(bad);
    CHECK(parse_timestamp(bad) == std::nullopt);
  }
}

TEST_CASE("timestamps format in UTC to the second and parse back", "[schedule]") {
  CHECK(format_timestamp(0) == "1970-01-01T00:00:00Z");
  CHECK(format_timestamp(1740819600999) == "2025-03-01T09:00:00Z");
  CHECK(format_timestamp(951782400000) == "2000-02-29T00:00:00Z");
  CHECK(format_timestamp(253402300799999) == "9999-12-31T23:59:59Z");
  CHECK(format_timestamp(-1) == "1969-12-31T23:59:59Z");
  CHECK_FALSE(format_timestamp(kMax).empty());
  CHECK_FALSE(format_timestamp(kMin).empty());
  std::mt19937_64 rng(20250301);
  for (int i = 0; i < 10000; ++i) {
    const int64_t secs = std::uniform_int_distribution<int64_t>(0, 253402300799)(rng);
    INFO(secs);
    CHECK(parse_timestamp(format_timestamp(secs * 1000 + 999)) == secs * 1000);
  }
}

}  // namespace
}  // namespace banyan::migrations
