// A generation: one loaded plan made ready to serve. Everything a request needs that
// can be computed once is computed here, off the request path: each route's header
// templates parsed into parts, its label for logs and metrics, its counters; each
// upstream's endpoints (resolved, with the configuration's per-environment servers)
// and its timeouts with the runtime's defaults filled in; each migration's start.
//
// A generation is immutable once prepared and shared by the workers through a
// shared_ptr: a request holds the generation it started on, so a reload never
// changes the plan under a request in flight.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "migrations/schedule.h"
#include "runtime/cache/zone.h"
#include "runtime/config/config.h"
#include "runtime/plan/plan.h"
#include "runtime/plan/template.h"
#include "runtime/proxy/endpoints.h"
#include "runtime/proxy/metrics.h"

namespace banyan {
class RoutesSource;  // compiler/compile.h: the checked routes a plan came from
}

namespace banyan::proxy {

// The runtime's defaults where a plan leaves a value to it (-1 in the plan), after nginx.
inline constexpr int64_t kDefaultConnectTimeoutMs = 60'000;  // proxy_connect_timeout
inline constexpr int64_t kDefaultReadTimeoutMs = 60'000;     // proxy_read_timeout
inline constexpr int32_t kDefaultRetries = 2;                // tries beyond the first, on other endpoints
// Idle connections kept per endpoint and worker. nginx's documented 32 closes
// connections a burst of more concurrent requests needs again (a connect per request
// for the excess, and sockets left in TIME_WAIT); Traefik keeps 200. Idle ones close
// after kUpstreamIdleClose.
inline constexpr int32_t kDefaultKeepalive = 128;
inline constexpr int32_t kDefaultPassiveFailures = 1;        // nginx max_fails=1
inline constexpr int64_t kDefaultPassiveWindowMs = 10'000;   // nginx fail_timeout=10s
inline constexpr int64_t kDefaultCooldownMs = 10'000;

struct PreparedHeaderOp {
  std::string_view name;
  plan::HeaderOpKind kind;
  std::vector<plan::TemplatePart> value;
};

struct PreparedRoute {
  std::vector<PreparedHeaderOp> request_headers, response_headers;
  std::vector<plan::TemplatePart> target;  // a redirect's location or a fixed response's body
  std::string label;                       // "image-gallery.local /api/image"
  std::string where;                       // "gallery.routes:52"
  RouteCounters* counters = nullptr;
  // `cache`: the zone (kept across reloads by the gateway's cache::Zones), the policy,
  // and the key's templates (empty: the default key).
  std::shared_ptr<cache::Zone> cache_zone;
  const plan::CachePolicy* cache_policy = nullptr;
  std::vector<std::vector<plan::TemplatePart>> cache_key;
};

struct PreparedUpstream {
  std::string_view name;
  const plan::Upstream* record = nullptr;
  std::shared_ptr<EndpointSource> endpoints;
  UpstreamCounters* counters = nullptr;
  int64_t connect_timeout_ms = kDefaultConnectTimeoutMs;
  int64_t read_timeout_ms = kDefaultReadTimeoutMs;
  int32_t retries = kDefaultRetries;
  int32_t keepalive = kDefaultKeepalive;
  bool h2c = false;  // `protocol h2c`: HTTP/2 with prior knowledge (exchange/h2_upstream.cpp)
  int32_t passive_failures = kDefaultPassiveFailures;
  int64_t passive_window_ms = kDefaultPassiveWindowMs;
  int64_t passive_cooldown_ms = kDefaultCooldownMs;
};

class MigrationControl;
struct MigrationRuntime;

struct PreparedMigration {
  MigrationRuntime* runtime = nullptr;  // its counters and mode (migration_control.h), kept across reloads
  std::vector<migrations::Step> steps;  // the shift, as migrations::weight_at reads it
  int64_t begin_ms = 0;        // Unix ms: `start`, or when a plan naming it was first loaded
  int64_t shift_begin_ms = 0;  // after a time-limited shadow, the shift begins when it ends
};

struct Generation {
  std::unique_ptr<plan::Plan> plan;
  std::vector<PreparedRoute> routes;
  std::vector<PreparedUpstream> upstreams;
  std::vector<PreparedMigration> migrations;
  // The plan's listener each `listen` binding of the configuration serves (by index;
  // null when this plan has none by that address), found once instead of per request.
  std::vector<const plan::Listener*> listeners;
  std::string source;                       // the file it came from
  std::string sha256;                       // of the routes sources, hex
  uint64_t number = 0;                      // 1 for the first plan, +1 per successful reload
  int64_t loaded_unix_ms = 0;
  // The routes the plan came from (a reload diffs them with the next ones): checked
  // here, or read back from a compiled plan file; null when they did not read back.
  std::shared_ptr<const RoutesSource> routes_source;
};

// Reads a plan file, or compiles a routes file in memory. Empty `error` on success;
// `diagnostics` carries the compiler's text for a routes file (warnings, or errors).
struct PlanLoad {
  std::unique_ptr<plan::Plan> plan;
  std::string error;
  std::string diagnostics;
  std::shared_ptr<const RoutesSource> source;  // the checked routes, or a plan's read back
  std::string source_error;                    // why a plan's routes did not read back
  // The files this load read, the plan file first: a routes file's `include`s too (a
  // compiled plan's routes files are not: the plan does not change with them).
  std::vector<std::string> files;
};
PlanLoad load_plan_or_routes(const std::string& path);

struct Prepared {
  std::shared_ptr<Generation> generation;  // null on error
  std::string error;
  std::string warnings;  // names that do not resolve yet, statements not carried out (unbuilt.h), one per line
};

// Prepares `plan` against the configuration; `previous` (may be null) lends its
// endpoints' last good addresses; `zones` gives each cache zone (the same one across
// reloads); `migrations` gives each migration its runtime and
// effective start (recorded in the state store for one without `start`).
Prepared prepare_generation(std::unique_ptr<plan::Plan> plan, const config::GatewayConfig& config,
                            const Generation* previous, Metrics& metrics, MigrationControl& migrations,
                            cache::Zones& zones, std::string source, int64_t now_unix_ms);

}  // namespace banyan::proxy
