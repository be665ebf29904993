// A migration's rollback rule, evaluated on what each side did with the moved paths'
// requests over the rule's window (`rollback when METRIC CMP [old +|-] VALUE over D`).
// Pure: the gateway feeds it counts and acts on the verdict.
//
// The metrics, per side:
//   error_rate       (exchanges answered 5xx, by the upstream or by the gateway because
//                    the upstream failed, plus responses broken off) / requests
//   status_5xx_rate  answers with a 5xx status from the upstream itself / requests
//   latency_p50/p99  the exchange's duration, at that quantile (a log-scale histogram:
//                    the value is its bucket's upper bound, within 19% of the truth)
// A relative threshold (`old + 1%`) adds the value to the old side's own value over
// the same window; when the old side had too few requests in it (at 100% it gets
// none), its value since the migration began stands in.
//
// No decision below kMinSamples requests on the new side in the window (one error in
// two requests is not a 50% error rate worth acting on), nor for a relative rule when
// the old side has not reached it either.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace banyan::migrations {

inline constexpr uint64_t kMinSamples = 20;

// Latency buckets: bucket i holds durations up to kLatencyBase_us * 2^(i/4): 100 µs to
// about 110 s in 81 buckets, each at most 19% wider than the one before.
inline constexpr int kLatencyBuckets = 81;
inline constexpr double kLatencyBaseUs = 100;
int latency_bucket(uint64_t micros);
uint64_t latency_bucket_bound_us(int bucket);

struct SideCounts {
  uint64_t requests = 0, errors = 0, status_5xx = 0;
  std::array<uint64_t, kLatencyBuckets> latency{};

  SideCounts minus(const SideCounts& earlier) const;
  // The duration at quantile q (0..1) in microseconds; 0 without requests.
  uint64_t latency_quantile_us(double q) const;
};

enum class Metric : uint8_t { ErrorRate, LatencyP50, LatencyP99, Status5xxRate };
enum class Comparator : uint8_t { Greater, Less, GreaterEqual, LessEqual };

struct Rule {
  Metric metric = Metric::ErrorRate;
  Comparator comparator = Comparator::Greater;
  bool relative = false;   // the threshold is added to the old side's value
  int64_t threshold = 0;   // basis points for the rates, microseconds for latencies
  int64_t window_ms = 0;
};

struct Verdict {
  bool decided = false;    // enough requests to judge
  bool rollback = false;   // the rule holds
  double new_value = 0;    // the metric on the new side: a fraction (rates) or microseconds
  double limit = 0;        // what it was compared with
  std::string why;         // "error_rate 12.50% > 1.00% (old 0.00% + 1.00%) over 300 s, 40 requests"
};

Verdict evaluate(const Rule& rule, const SideCounts& new_window, const SideCounts& old_window,
                 const SideCounts& old_total);

// The metric's value on one side: a fraction for the rates, microseconds for latencies.
double metric_value(Metric m, const SideCounts& c);

}  // namespace banyan::migrations
