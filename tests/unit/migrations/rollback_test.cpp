// The rollback rule against its definition (migrations/rollback.h): rates counted by
// hand, latency quantiles against a sorted list of the same durations, the minimum
// sample, and the old side's value standing in from the migration's start.
#include "migrations/rollback.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

namespace banyan::migrations {
namespace {

SideCounts side(uint64_t requests, uint64_t errors, uint64_t status_5xx = 0, uint64_t micros = 1000) {
  SideCounts c;
  c.requests = requests;
  c.errors = errors;
  c.status_5xx = status_5xx;
  c.latency[latency_bucket(micros)] = requests;
  return c;
}

TEST_CASE("a latency quantile is the bound of the bucket holding that rank, at most 19% above the true value",
          "[migrations]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<uint64_t> us;
    SideCounts c;
    int n = std::uniform_int_distribution<int>(1, 500)(rng);
    for (int i = 0; i < n; ++i) {
      uint64_t v = static_cast<uint64_t>(std::exp(std::uniform_real_distribution<double>(4, 16)(rng)));
      us.push_back(v);
      ++c.latency[latency_bucket(v)];
    }
    std::sort(us.begin(), us.end());
    for (double q : {0.5, 0.99}) {
      uint64_t truth = us[static_cast<size_t>(std::ceil(q * n)) - 1];  // nearest rank
      uint64_t got = c.latency_quantile_us(q);
      INFO("round " << round << " q " << q << " truth " << truth << " got " << got);
      CHECK(got >= std::min<uint64_t>(truth, 100));
      if (truth > 100) CHECK(got <= truth * 1.19 + 1);
    }
  }
}

TEST_CASE("no rollback is decided below the minimum sample, whatever the error rate", "[migrations]") {
  Rule r{Metric::ErrorRate, Comparator::Greater, false, 100, 60000};
  CHECK_FALSE(evaluate(r, side(kMinSamples - 1, kMinSamples - 1), {}, {}).decided);
  Verdict v = evaluate(r, side(kMinSamples, 1), {}, {});
  CHECK(v.decided);
  CHECK(v.new_value == Approx(1.0 / kMinSamples));
  CHECK(v.rollback);  // 5% > 1%
}

TEST_CASE("error rate and 5xx rate count what their definitions say", "[migrations]") {
  Rule err{Metric::ErrorRate, Comparator::GreaterEqual, false, 2500, 60000};
  Rule five{Metric::Status5xxRate, Comparator::GreaterEqual, false, 2500, 60000};
  SideCounts s = side(40, 10, 4);  // 10 of 40 failed, 4 of them a 5xx from the upstream
  CHECK(evaluate(err, s, {}, {}).rollback);          // 25% >= 25%
  CHECK_FALSE(evaluate(five, s, {}, {}).rollback);   // 10% < 25%
  CHECK(evaluate(five, s, {}, {}).new_value == Approx(0.10));
}

TEST_CASE("a relative threshold adds the old side's value, from the window or else since the start", "[migrations]") {
  Rule r{Metric::ErrorRate, Comparator::Greater, true, 100, 60000};  // > old + 1%
  SideCounts nw = side(100, 5);                                    // 5%
  CHECK(evaluate(r, nw, side(100, 3), {}).rollback == true);       // 5% > 3% + 1%
  CHECK(evaluate(r, nw, side(100, 4), {}).rollback == false);      // 5% > 5%? no
  // The old side had too few requests in the window: its total stands in.
  Verdict v = evaluate(r, nw, side(3, 0), side(1000, 45));          // 5% > 4.5% + 1%? no
  CHECK(v.decided);
  CHECK_FALSE(v.rollback);
  CHECK(v.why.find("since the start") != std::string::npos);
  CHECK_FALSE(evaluate(r, nw, side(3, 0), side(10, 0)).decided);  // nothing to compare with
  Rule lower{Metric::ErrorRate, Comparator::Greater, true, -50, 60000};  // > old - 0.5%
  CHECK(evaluate(lower, nw, side(100, 5), {}).rollback);  // 5% > 4.5%
}

TEST_CASE("latency rules compare microseconds", "[migrations]") {
  Rule r{Metric::LatencyP99, Comparator::Greater, true, 50000, 60000};  // > old + 50 ms
  CHECK(evaluate(r, side(100, 0, 0, 200000), side(100, 0, 0, 100000), {}).rollback);   // ~200 ms > ~100 ms + 50 ms
  CHECK_FALSE(evaluate(r, side(100, 0, 0, 120000), side(100, 0, 0, 100000), {}).rollback);
}

}  // namespace
}  // namespace banyan::migrations
