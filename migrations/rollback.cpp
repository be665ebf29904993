// The rollback rule's arithmetic (rollback.h has the definitions).
#include "migrations/rollback.h"

#include <cmath>
#include <cstdio>

namespace banyan::migrations {

int latency_bucket(uint64_t micros) {
  if (micros <= kLatencyBaseUs) return 0;
  int b = static_cast<int>(std::ceil(4 * std::log2(static_cast<double>(micros) / kLatencyBaseUs)));
  return b >= kLatencyBuckets ? kLatencyBuckets - 1 : b;
}

uint64_t latency_bucket_bound_us(int bucket) {
  return static_cast<uint64_t>(std::llround(kLatencyBaseUs * std::exp2(bucket / 4.0)));
}

SideCounts SideCounts::minus(const SideCounts& e) const {
  SideCounts d;
  d.requests = requests - e.requests;
  d.errors = errors - e.errors;
  d.status_5xx = status_5xx - e.status_5xx;
  for (int i = 0; i < kLatencyBuckets; ++i) d.latency[i] = latency[i] - e.latency[i];
  return d;
}

uint64_t SideCounts::latency_quantile_us(double q) const {
  uint64_t total = 0;
  for (uint64_t n : latency) total += n;
  if (total == 0) return 0;
  // The smallest bucket whose cumulative count reaches q of the total (nearest rank).
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kLatencyBuckets; ++i) {
    seen += latency[i];
    if (seen >= rank) return latency_bucket_bound_us(i);
  }
  return latency_bucket_bound_us(kLatencyBuckets - 1);
}

double metric_value(Metric m, const SideCounts& c) {
  switch (m) {
    case Metric::ErrorRate: return c.requests ? static_cast<double>(c.errors) / c.requests : 0;
    case Metric::Status5xxRate: return c.requests ? static_cast<double>(c.status_5xx) / c.requests : 0;
    case Metric::LatencyP50: return static_cast<double>(c.latency_quantile_us(0.50));
    case Metric::LatencyP99: return static_cast<double>(c.latency_quantile_us(0.99));
  }
  return 0;
}

namespace {

bool rate(Metric m) { return m == Metric::ErrorRate || m == Metric::Status5xxRate; }

const char* metric_name(Metric m) {
  switch (m) {
    case Metric::ErrorRate: return "error_rate";
    case Metric::Status5xxRate: return "status_5xx_rate";
    case Metric::LatencyP50: return "latency_p50";
    case Metric::LatencyP99: return "latency_p99";
  }
  return "?";
}

const char* comparator_text(Comparator c) {
  switch (c) {
    case Comparator::Greater: return ">";
    case Comparator::Less: return "<";
    case Comparator::GreaterEqual: return ">=";
    case Comparator::LessEqual: return "<=";
  }
  return "?";
}

std::string shown(Metric m, double v) {
  char buf[48];
  if (rate(m))
    std::snprintf(buf, sizeof buf, "%.2f%%", v * 100);
  else
    std::snprintf(buf, sizeof buf, "%.1f ms", v / 1000);
  return buf;
}

}  // namespace

Verdict evaluate(const Rule& rule, const SideCounts& nw, const SideCounts& ow, const SideCounts& old_total) {
  Verdict v;
  if (nw.requests < kMinSamples) return v;
  // The threshold in the metric's own unit: basis points become a fraction.
  const double threshold = rate(rule.metric) ? rule.threshold / 10000.0 : static_cast<double>(rule.threshold);
  double base = 0;
  const SideCounts* old = nullptr;
  if (rule.relative) {
    old = ow.requests >= kMinSamples ? &ow : old_total.requests >= kMinSamples ? &old_total : nullptr;
    if (!old) return v;
    base = metric_value(rule.metric, *old);
  }
  v.decided = true;
  v.new_value = metric_value(rule.metric, nw);
  v.limit = base + threshold;
  switch (rule.comparator) {
    case Comparator::Greater: v.rollback = v.new_value > v.limit; break;
    case Comparator::Less: v.rollback = v.new_value < v.limit; break;
    case Comparator::GreaterEqual: v.rollback = v.new_value >= v.limit; break;
    case Comparator::LessEqual: v.rollback = v.new_value <= v.limit; break;
  }
  v.why = std::string(metric_name(rule.metric)) + " " + shown(rule.metric, v.new_value) + " " +
          comparator_text(rule.comparator) + " " + shown(rule.metric, v.limit);
  if (rule.relative)
    v.why += " (old " + shown(rule.metric, base) + (old == &ow ? "" : " since the start") +
             (threshold < 0 ? " - " + shown(rule.metric, -threshold) : " + " + shown(rule.metric, threshold)) + ")";
  v.why += " over " + std::to_string(rule.window_ms / 1000) + " s, " + std::to_string(nw.requests) + " requests";
  return v;
}

}  // namespace banyan::migrations
