#include "runtime/proxy/metrics.h"

#include "runtime/cache/disk_tier.h"
#include "runtime/cache/zone.h"

#include <chrono>
#include <cstdio>

#include "runtime/proxy/clock.h"
#include "runtime/proxy/generation.h"
#include "runtime/proxy/migration_control.h"

namespace banyan::proxy {

void Histogram::observe(uint64_t micros) {
  size_t i = 0;
  while (i < kLatencyBounds.size() && static_cast<double>(micros) > kLatencyBounds[i] * 1e6) ++i;
  bump(buckets[i]);
  bump(sum_us, micros);
  bump(count);
}

namespace {

// A label value as Prometheus' text format escapes it.
std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void histogram(std::string& out, const char* name, const std::string& labels, const Histogram& h) {
  uint64_t cumulative = 0;
  char buf[64];
  for (size_t i = 0; i <= kLatencyBounds.size(); ++i) {
    cumulative += h.buckets[i].load(std::memory_order_relaxed);
    if (i < kLatencyBounds.size())
      snprintf(buf, sizeof buf, "%g", kLatencyBounds[i]);
    else
      snprintf(buf, sizeof buf, "+Inf");
    out += std::string(name) + "_bucket{" + labels + ",le=\"" + buf + "\"} " + std::to_string(cumulative) + "\n";
  }
  snprintf(buf, sizeof buf, "%.6f", static_cast<double>(h.sum_us.load()) / 1e6);
  out += std::string(name) + "_sum{" + labels + "} " + buf + "\n";
  out += std::string(name) + "_count{" + labels + "} " + std::to_string(h.count.load()) + "\n";
}

}  // namespace

RouteCounters* Metrics::route(std::string_view label) {
  std::lock_guard lock(mutex_);
  std::string escaped = escape_label(label);
  if (auto it = route_index_.find(escaped); it != route_index_.end()) return it->second;
  RouteCounters& r = routes_.emplace_back();
  r.label = std::move(escaped);
  route_index_.emplace(r.label, &r);
  return &r;
}

UpstreamCounters* Metrics::upstream(std::string_view name) {
  std::lock_guard lock(mutex_);
  std::string escaped = escape_label(name);
  if (auto it = upstream_index_.find(escaped); it != upstream_index_.end()) return it->second;
  UpstreamCounters& u = upstreams_.emplace_back();
  u.name = std::move(escaped);
  upstream_index_.emplace(u.name, &u);
  return &u;
}

namespace {

// Each migration of the serving plan: its share now, its mode, per side what its moved
// paths' exchanges did (the counts and latencies its rollback rule reads), and its
// shadow's copies and comparisons.
void migration_metrics(const Generation& g, std::string& o) {
  if (g.migrations.empty()) return;
  const plan::Plan& p = *g.plan;
  const int64_t now = unix_ms_now();
  std::string share, mode, requests, errors, five, latency, rollbacks, shadow;
  for (size_t i = 0; i < g.migrations.size(); ++i) {
    const MigrationRuntime& rt = *g.migrations[i].runtime;
    const std::string m = "migration=\"" + escape_label(p.str(p.migrations()[i].name)) + "\"";
    share += "banyan_migration_share_basis_points{" + m + "} " + std::to_string(rt.weight(g.migrations[i], now)) + "\n";
    for (MigrationMode each : {MigrationMode::Running, MigrationMode::Paused, MigrationMode::RolledBack,
                               MigrationMode::Promoted})
      mode += "banyan_migration_mode{" + m + ",mode=\"" + std::string(mode_name(each)) + "\"} " +
              (rt.mode.load(std::memory_order_relaxed) == each ? "1\n" : "0\n");
    for (int side = 0; side < 2; ++side) {
      const std::string l = "{" + m + ",side=\"" + (side ? "new" : "old") + "\"} ";
      migrations::SideCounts c = rt.sides[side].snapshot();
      requests += "banyan_migration_requests_total" + l + std::to_string(c.requests) + "\n";
      errors += "banyan_migration_errors_total" + l + std::to_string(c.errors) + "\n";
      five += "banyan_migration_upstream_5xx_total" + l + std::to_string(c.status_5xx) + "\n";
      // The rule's log-scale buckets, every fourth one (each bound twice the one before).
      const std::string hl = m + ",side=\"" + (side ? "new" : "old") + "\"";
      uint64_t below = 0;
      for (int b = 0; b < migrations::kLatencyBuckets; ++b) {
        below += c.latency[b];
        if (b % 4) continue;
        char le[32];
        std::snprintf(le, sizeof le, "%g", static_cast<double>(migrations::latency_bucket_bound_us(b)) / 1e6);
        latency += "banyan_migration_latency_seconds_bucket{" + hl + ",le=\"" + le + "\"} " + std::to_string(below) + "\n";
      }
      latency += "banyan_migration_latency_seconds_bucket{" + hl + ",le=\"+Inf\"} " + std::to_string(below) + "\n";
      char sum[32];
      std::snprintf(sum, sizeof sum, "%.6f", static_cast<double>(rt.sides[side].latency_us_sum.load()) / 1e6);
      latency += "banyan_migration_latency_seconds_sum{" + hl + "} " + sum + "\n";
      latency += "banyan_migration_latency_seconds_count{" + hl + "} " + std::to_string(below) + "\n";
    }
    rollbacks += "banyan_migration_rollbacks_total{" + m + "} " + std::to_string(rt.rollbacks.load()) + "\n";
    if (p.migrations()[i].shadow_basis_points) {
      const ShadowCounters& sc = rt.shadow;
      for (auto [result, n] : {std::pair{"sent", &sc.sent}, {"matched", &sc.matched},
                               {"status_mismatch", &sc.status_mismatches}, {"header_mismatch", &sc.header_mismatches},
                               {"body_mismatch", &sc.body_mismatches}, {"failed", &sc.failed}, {"dropped", &sc.dropped},
                               {"skipped_body", &sc.skipped_body}, {"not_json", &sc.not_json}, {"noise", &sc.noise},
                               {"noise_failed", &sc.noise_failed}, {"diff_write_error", &sc.diff_write_errors}})
        shadow += "banyan_migration_shadow_total{" + m + ",result=\"" + result + "\"} " + std::to_string(n->load()) + "\n";
    }
  }
  auto family = [&](const char* name, const char* help, const char* type, const std::string& lines) {
    o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + lines;
  };
  family("banyan_migration_share_basis_points", "The new side's share now, in basis points (10000 = all).", "gauge",
         share);
  family("banyan_migration_mode", "1 for the migration's mode now.", "gauge", mode);
  family("banyan_migration_requests_total", "Exchanges of the moved paths, by side.", "counter", requests);
  family("banyan_migration_errors_total", "Of those, failed ones as error_rate counts them.", "counter", errors);
  family("banyan_migration_upstream_5xx_total", "Of those, 5xx answers from the upstream.", "counter", five);
  family("banyan_migration_latency_seconds", "Durations of those exchanges, by side.", "histogram", latency);
  family("banyan_migration_rollbacks_total", "Rollbacks its rule decided.", "counter", rollbacks);
  if (!shadow.empty())
    family("banyan_migration_shadow_total",
           "Shadow copies by result: sent, then each compared one matched or mismatched by part (a copy can mismatch in "
           "several), failed, dropped over the in-flight cap, skipped_body over the copy budget, not_json (compared by "
           "bytes), noise (fields left out), noise_failed (the old side's second answer failed), diff_write_error (a "
           "sample [log] shadow_diffs could not take).",
           "counter", shadow);
}

}  // namespace

std::string Metrics::render_caches(const cache::Zones& zones) {
  std::string o;
  auto family = [&](const char* name, const char* help, const char* type, auto&& value) {
    o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const std::shared_ptr<cache::Zone>& z : zones.all()) value(*z, "{zone=\"" + z->name() + "\"");
  };
  auto one = [&](const char* name, auto get) {
    return [&o, name, get](cache::Zone& z, const std::string& labels) {
      o += std::string(name) + labels + "} " + std::to_string(get(z)) + "\n";
    };
  };
  family("banyan_cache_requests_total", "Requests of caching routes, by cache status ($upstream_cache_status).",
         "counter", [&](cache::Zone& z, const std::string& labels) {
           for (size_t i = 0; i < z.counters().requests.size(); ++i) {
             std::string status(cache::status_name(static_cast<cache::Status>(i)));
             for (char& c : status) c = static_cast<char>(c - 'A' + 'a');
             o += "banyan_cache_requests_total" + labels + ",status=\"" + status + "\"} " +
                  std::to_string(z.counters().requests[i].load()) + "\n";
           }
         });
  family("banyan_cache_entries", "Stored responses in the zone's memory.", "gauge",
         one("banyan_cache_entries", [](cache::Zone& z) { return z.entries(); }));
  family("banyan_cache_bytes", "Bytes the zone's memory holds, metadata included (bounded by `memory`).", "gauge",
         one("banyan_cache_bytes", [](cache::Zone& z) { return z.bytes(); }));
  family("banyan_cache_stored_total", "Responses stored.", "counter",
         one("banyan_cache_stored_total", [](cache::Zone& z) { return z.counters().stored.load(); }));
  family("banyan_cache_evictions_total", "Entries evicted: the bound on bytes, `inactive`, or too many variants.",
         "counter", one("banyan_cache_evictions_total", [](cache::Zone& z) { return z.counters().evictions.load(); }));
  family("banyan_cache_collapsed_total", "Misses answered by another request's fill (request collapsing).", "counter",
         one("banyan_cache_collapsed_total", [](cache::Zone& z) { return z.counters().collapsed.load(); }));
  family("banyan_cache_invalidated_total", "Entries removed by unsafe requests (RFC 9111 4.4).", "counter",
         one("banyan_cache_invalidated_total", [](cache::Zone& z) { return z.counters().invalidated.load(); }));
  family("banyan_cache_purged_total", "Entries removed by POST /cache/purge.", "counter",
         one("banyan_cache_purged_total", [](cache::Zone& z) { return z.counters().purged.load(); }));
  family("banyan_cache_too_large_total", "Responses not stored: larger than the zone's max_entry.", "counter",
         one("banyan_cache_too_large_total", [](cache::Zone& z) { return z.counters().too_large.load(); }));
  // The disk tiers: only zones with `disk` have these series.
  auto disk = [&](const char* name, const char* help, const char* type, auto get) {
    o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const std::shared_ptr<cache::Zone>& z : zones.all())
      if (const std::shared_ptr<cache::DiskTier> d = z->disk())
        o += std::string(name) + "{zone=\"" + z->name() + "\"} " + std::to_string(get(*d)) + "\n";
  };
  disk("banyan_cache_disk_entries", "Stored responses in the zone's disk directory.", "gauge",
       [](cache::DiskTier& d) { return d.entries(); });
  disk("banyan_cache_disk_bytes", "Bytes of the zone's files on disk (bounded by `disk`).", "gauge",
       [](cache::DiskTier& d) { return d.bytes(); });
  disk("banyan_cache_disk_hits_total", "Memory misses answered from disk (then promoted to memory).", "counter",
       [](cache::DiskTier& d) { return d.counters().hits.load(); });
  disk("banyan_cache_disk_corrupt_total",
       "Files found corrupt or truncated (magic, lengths, checksum), deleted and never served.", "counter",
       [](cache::DiskTier& d) { return d.counters().corrupt.load(); });
  disk("banyan_cache_disk_write_drops_total", "Responses not written to disk: the writer's queue was full.",
       "counter", [](cache::DiskTier& d) { return d.counters().write_drops.load(); });
  disk("banyan_cache_disk_writes_total", "Responses written to disk (renamed into place).", "counter",
       [](cache::DiskTier& d) { return d.counters().written.load(); });
  disk("banyan_cache_disk_evictions_total", "Files removed to keep the bound on bytes, or unused for `inactive`.",
       "counter", [](cache::DiskTier& d) { return d.counters().evictions.load(); });
  disk("banyan_cache_disk_errors_total", "File system errors of the disk tier (the first is logged).", "counter",
       [](cache::DiskTier& d) { return d.counters().errors.load(); });
  return o;
}

// Per route and per upstream: responses, latency, errors, retries, connections, and the
// serving plan's endpoints' health. Under mutex_ (render holds it).
void Metrics::route_and_upstream_metrics(const Generation& current, std::string& o) const {
  static constexpr const char* kClass[] = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};
  o += "# HELP banyan_route_responses_total Responses by route and status class.\n"
       "# TYPE banyan_route_responses_total counter\n";
  for (const auto& r : routes_)
    for (int c = 1; c <= 5; ++c)
      if (uint64_t v = r.by_class[c].load())
        o += "banyan_route_responses_total{route=\"" + r.label + "\",class=\"" + kClass[c] + "\"} " +
             std::to_string(v) + "\n";
  o += "# HELP banyan_route_duration_seconds Time from the request's head to the response's last byte.\n"
       "# TYPE banyan_route_duration_seconds histogram\n";
  for (const auto& r : routes_)
    if (r.latency.count.load()) histogram(o, "banyan_route_duration_seconds", "route=\"" + r.label + "\"", r.latency);

  o += "# HELP banyan_upstream_responses_total Upstream responses by status class.\n"
       "# TYPE banyan_upstream_responses_total counter\n";
  for (const auto& u : upstreams_)
    for (int c = 1; c <= 5; ++c)
      if (uint64_t v = u.by_class[c].load())
        o += "banyan_upstream_responses_total{upstream=\"" + u.name + "\",class=\"" + kClass[c] + "\"} " +
             std::to_string(v) + "\n";
  o += "# HELP banyan_upstream_errors_total Upstream failures by kind.\n# TYPE banyan_upstream_errors_total counter\n";
  for (const auto& u : upstreams_) {
    o += "banyan_upstream_errors_total{upstream=\"" + u.name + "\",kind=\"connect\"} " +
         std::to_string(u.connect_failures.load()) + "\n";
    o += "banyan_upstream_errors_total{upstream=\"" + u.name + "\",kind=\"timeout\"} " +
         std::to_string(u.timeouts.load()) + "\n";
    o += "banyan_upstream_errors_total{upstream=\"" + u.name + "\",kind=\"bad_response\"} " +
         std::to_string(u.bad_responses.load()) + "\n";
  }
  o += "# HELP banyan_upstream_retries_total Requests tried again on another endpoint.\n"
       "# TYPE banyan_upstream_retries_total counter\n";
  for (const auto& u : upstreams_)
    o += "banyan_upstream_retries_total{upstream=\"" + u.name + "\"} " + std::to_string(u.retries.load()) + "\n";
  o += "# HELP banyan_upstream_connections_total Upstream connections opened, and requests that reused one.\n"
       "# TYPE banyan_upstream_connections_total counter\n";
  for (const auto& u : upstreams_) {
    o += "banyan_upstream_connections_total{upstream=\"" + u.name + "\",kind=\"opened\"} " +
         std::to_string(u.connections_opened.load()) + "\n";
    o += "banyan_upstream_connections_total{upstream=\"" + u.name + "\",kind=\"reused\"} " +
         std::to_string(u.connections_reused.load()) + "\n";
  }
  o += "# HELP banyan_upstream_duration_seconds Time from connecting to the upstream's last response byte.\n"
       "# TYPE banyan_upstream_duration_seconds histogram\n";
  for (const auto& u : upstreams_)
    if (u.latency.count.load()) histogram(o, "banyan_upstream_duration_seconds", "upstream=\"" + u.name + "\"", u.latency);

  // Endpoint health of the serving plan's upstreams.
  o += "# HELP banyan_upstream_endpoint_healthy 1 when the endpoint takes requests; 0 while it cools down or fails its health checks.\n"
       "# TYPE banyan_upstream_endpoint_healthy gauge\n";
  int64_t now_ms = steady_ms();
  for (const auto& pu : current.upstreams) {
    auto set = pu.endpoints->current();
    for (size_t i = 0; i < set->size(); ++i) {
      bool healthy = set->health[i].healthy(now_ms);
      o += "banyan_upstream_endpoint_healthy{upstream=\"" + escape_label(pu.name) + "\",endpoint=\"" +
           set->identities[i] + "\"} " + (healthy ? "1" : "0") + "\n";
    }
  }
  o += "# HELP banyan_upstream_resolve_ok 0 when a server name of the upstream failed to resolve last time.\n"
       "# TYPE banyan_upstream_resolve_ok gauge\n";
  for (const auto& pu : current.upstreams)
    o += "banyan_upstream_resolve_ok{upstream=\"" + escape_label(pu.name) + "\"} " +
         (pu.endpoints->current()->problem.empty() ? "1" : "0") + "\n";
}

std::string Metrics::render(const Generation& current) const {
  std::lock_guard lock(mutex_);
  std::string o;
  auto gauge = [&](const char* name, const char* help, const char* type, uint64_t v) {
    o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
         std::to_string(v) + "\n";
  };
  gauge("banyan_connections_open", "Client connections open now.", "gauge", connections_open.load());
  gauge("banyan_connections_parked",
        "Client connections idle past 20 to 40 ms: parked, holding their socket and not a session.", "gauge",
        connections_parked.load());
  gauge("banyan_connection_parks_total", "Times an idle client connection parked.", "counter", parks.load());
  gauge("banyan_connections_accepted_total", "Client connections accepted.", "counter", connections_accepted.load());
  gauge("banyan_connections_refused_total", "Client connections closed at once: the connection cap was reached.",
        "counter", connections_refused.load());
  gauge("banyan_requests_total", "Requests read.", "counter", requests.load());
  gauge("banyan_bad_requests_total", "Requests refused by the parser (4xx/5xx before routing).", "counter",
        bad_requests.load());
  gauge("banyan_bad_proxy_headers_total",
        "Connections closed on a PROXY protocol header that was malformed or late (listeners with proxy_protocol).",
        "counter", bad_proxy_headers.load());
  gauge("banyan_http2_connections_total", "Client connections that spoke HTTP/2 (ALPN h2, or prior knowledge).",
        "counter", http2_connections.load());
  gauge("banyan_http2_streams_total", "HTTP/2 request streams (each also counts in banyan_requests_total).",
        "counter", http2_streams.load());
  gauge("banyan_http2_floods_total",
        "HTTP/2 connections ended for a flood: control frames over budget, unread acknowledgements.", "counter",
        http2_floods.load());
  o += "# HELP banyan_grpc_calls_total gRPC calls by grpc-status (the upstream's, or the gateway's own answer).\n"
       "# TYPE banyan_grpc_calls_total counter\n";
  for (size_t i = 0; i < grpc_status.size(); ++i)
    if (uint64_t n = grpc_status[i].load(); n > 0)
      o += "banyan_grpc_calls_total{code=\"" + std::to_string(i) + "\"} " + std::to_string(n) + "\n";
  gauge("banyan_no_route_total", "Requests no route matched (404).", "counter", no_route.load());
  o += "# HELP banyan_reloads_total Plan reloads by outcome.\n# TYPE banyan_reloads_total counter\n";
  o += "banyan_reloads_total{outcome=\"ok\"} " + std::to_string(reloads_ok.load()) + "\n";
  o += "banyan_reloads_total{outcome=\"failed\"} " + std::to_string(reloads_failed.load()) + "\n";
  o += "# HELP banyan_admin_refused_total Admin requests refused: a change from outside [admin] write_from, a read of "
       "the plan or the migrations from outside [admin] read_from, or a connection over the admin's cap.\n"
       "# TYPE banyan_admin_refused_total counter\n";
  o += "banyan_admin_refused_total{reason=\"write_from\"} " + std::to_string(admin_refused_writes.load()) + "\n";
  o += "banyan_admin_refused_total{reason=\"read_from\"} " + std::to_string(admin_refused_reads.load()) + "\n";
  o += "banyan_admin_refused_total{reason=\"busy\"} " + std::to_string(admin_refused_busy.load()) + "\n";
  o += "# HELP banyan_compressed_responses_total Responses encoded by `compress`, by coding.\n"
       "# TYPE banyan_compressed_responses_total counter\n";
  o += "banyan_compressed_responses_total{coding=\"gzip\"} " + std::to_string(compressed[0].load()) + "\n";
  o += "banyan_compressed_responses_total{coding=\"br\"} " + std::to_string(compressed[1].load()) + "\n";
  gauge("banyan_compress_input_bytes_total", "Body bytes given to the encoders.", "counter", compress_bytes_in.load());
  gauge("banyan_compress_output_bytes_total", "Encoded body bytes they produced.", "counter",
        compress_bytes_out.load());
  gauge("banyan_plan_generation", "Plans loaded since start (1 = the first).", "gauge", current.number);
  gauge("banyan_plan_loaded_timestamp_seconds", "When the serving plan was loaded.", "gauge",
        static_cast<uint64_t>(current.loaded_unix_ms / 1000));

  migration_metrics(current, o);

  route_and_upstream_metrics(current, o);
  return o;
}

}  // namespace banyan::proxy
