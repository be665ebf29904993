// The gateway's counters, rendered by the admin listener's /metrics in the Prometheus
// text format. Counters are relaxed atomics shared by the workers (as Envoy's stats
// are); a series is created when a plan naming it is prepared, never on the request
// path, and lives as long as the process, so a reload never resets a counter.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace banyan::cache {
class Zones;
}

namespace banyan::proxy {

class Generation;

inline constexpr size_t kGrpcCodes = 17;

// Latency buckets, in seconds (Prometheus' defaults).
inline constexpr std::array<double, 11> kLatencyBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                          0.5,   1,    2.5,   5,    10};

struct Histogram {
  std::array<std::atomic<uint64_t>, kLatencyBounds.size() + 1> buckets{};  // the last one: +Inf
  std::atomic<uint64_t> sum_us{0};
  std::atomic<uint64_t> count{0};
  void observe(uint64_t micros);
};

inline void bump(std::atomic<uint64_t>& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

struct RouteCounters {
  std::string label;                              // `route="site /path"` as Prometheus escapes it
  std::array<std::atomic<uint64_t>, 6> by_class{};  // [1..5]: 1xx..5xx
  Histogram latency;
};

struct UpstreamCounters {
  std::string name;
  std::array<std::atomic<uint64_t>, 6> by_class{};
  std::atomic<uint64_t> connect_failures{0}, timeouts{0}, bad_responses{0}, retries{0};
  std::atomic<uint64_t> connections_opened{0}, connections_reused{0};
  Histogram latency;
};

class Metrics {
 public:
  RouteCounters* route(std::string_view label);
  UpstreamCounters* upstream(std::string_view name);

  std::atomic<uint64_t> connections_open{0}, connections_accepted{0}, connections_refused{0};
  // HTTP/1.1 connections idle without a session now, and parks so far (http1_session.cpp)
  std::atomic<uint64_t> connections_parked{0}, parks{0};
  std::atomic<uint64_t> requests{0}, bad_requests{0}, no_route{0};
  std::atomic<uint64_t> bad_proxy_headers{0};  // connections closed on a malformed PROXY protocol header
  // HTTP/2: connections, streams (each also a request), connections ended for a flood
  std::atomic<uint64_t> http2_connections{0}, http2_streams{0}, http2_floods{0};
  std::array<std::atomic<uint64_t>, 17> grpc_status{};  // gRPC calls by status (0 OK .. 16 UNAUTHENTICATED)
  std::atomic<uint64_t> reloads_ok{0}, reloads_failed{0};
  // The admin listener's refusals: a change from a peer outside `[admin] write_from`, a
  // read of the plan or the migrations from one outside `[admin] read_from`, and a
  // connection over kMaxAdminConnections (closed at once).
  std::atomic<uint64_t> admin_refused_writes{0}, admin_refused_reads{0}, admin_refused_busy{0};
  // `compress`: responses encoded ([0] gzip, [1] br), and the body bytes before and after.
  std::array<std::atomic<uint64_t>, 2> compressed{};
  std::atomic<uint64_t> compress_bytes_in{0}, compress_bytes_out{0};
  std::atomic<int64_t> plan_loaded_unix{0};

  // The whole exposition; `current` adds the endpoints of its upstreams and their health.
  std::string render(const Generation& current) const;
  // The cache zones' series (every zone a plan has named since the start).
  static std::string render_caches(const cache::Zones& zones);

 private:
  void route_and_upstream_metrics(const Generation& current, std::string& o) const;
  mutable std::mutex mutex_;
  std::deque<RouteCounters> routes_;  // a deque: addresses stay put as it grows
  std::deque<UpstreamCounters> upstreams_;
  // By escaped name, viewing the names above: a plan of 100,000 routes was prepared in
  // 19 s when each lookup scanned the series made before it.
  std::unordered_map<std::string_view, RouteCounters*> route_index_;
  std::unordered_map<std::string_view, UpstreamCounters*> upstream_index_;
};

}  // namespace banyan::proxy
