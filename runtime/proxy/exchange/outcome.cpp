// Phase 7: what an exchange leaves behind. A body the upstream broke off counts
// against its endpoint (failures before the response head were counted where they
// were retried, call_upstream.cpp); the connection goes back to its idle pool only
// when the response ended cleanly; the route's and the upstream's counters and
// latencies; a migration's per-side counts (its rollback rule reads them); the cache's
// fill stored and its marks released; one access-log line.
#include "runtime/proxy/clock.h"
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/exchange/shadow.h"
#include "runtime/proxy/gateway.h"
#include "runtime/proxy/migration_control.h"

namespace banyan::proxy {

namespace {

// The access log's line for this exchange (made only when there is a log: a clock read
// and some forty fields a request).
void log_exchange(Exchange& x, uint64_t us) {
  const UpstreamLeg& up = x.up;
  AccessRecord r;
  r.unix_ms = unix_ms_now();
  r.request_id = x.request_id;
  r.client = x.down.client().ip;
  if (x.head) {
    r.method = x.head->method;
    r.host = x.head->host;
    r.path = x.head->target;
    if (!x.head->method.empty())
      r.protocol = x.head->version_major == 2 ? "HTTP/2.0" : x.head->version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
  }
  r.route = x.prepared ? std::string_view(x.prepared->label) : std::string_view();
  r.upstream = up.pu ? up.pu->name : std::string_view();
  r.upstream_addr = up.addr;
  if (x.side.migration != plan::kNone) {
    r.migration = x.gen->plan->str(x.gen->plan->migrations()[x.side.migration].name);
    r.side = x.side.tester ? "tester" : x.side.moved ? "new" : "old";
    r.bucket = x.side.bucket == kNoBucket ? -1 : static_cast<int64_t>(x.side.bucket);
  }
  r.status = x.status;
  r.bytes_in = x.down.bytes_in();
  r.bytes_out = x.down.bytes_out();
  r.duration_us = us;
  r.retries = x.retries;
  r.grpc_status = x.grpc_status;
  r.grpc_message = x.grpc_message;
  r.error = x.error_text;
  if (x.cache.has_status) r.cache = cache::status_name(x.cache.status);
  x.worker.log().add(r);
}

}  // namespace

void record_outcome(Exchange& x) {
  using Clock = std::chrono::steady_clock;
  const auto now = Clock::now();
  const uint64_t us =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - x.started).count());
  UpstreamLeg& up = x.up;
  const bool head_received = x.upstream_status[0] != 0;

  if (up.pu) {
    if (head_received && x.error.source == ExchangeError::Source::Upstream && x.error.kind != ExchangeError::Kind::None)
      record_failure(x, up.endpoint, x.error.detail);
    else if (head_received && grpc_server_failure(x.grpc_status))
      record_failure(x, up.endpoint, "grpc-status " + std::to_string(x.grpc_status));
    if (head_received && x.error.kind == ExchangeError::Kind::None) {
      up.pu->counters->latency.observe(
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - up.started).count()));
    }
    finish_connection(x, up.clean && up.head.keep_alive && x.error.kind == ExchangeError::Kind::None);
    up.hold(nullptr);
  }
  if (x.cache.zone) finish_cache(x);
  // A migration's sides, for its rollback rule: every exchange that asked an upstream
  // (an answer from the cache alone did not). A stale answer that stood in for a failed
  // upstream is that upstream's failure: the client was spared, the rule must not be.
  const CacheLeg& c = x.cache;
  const bool asked = !c.serve || c.stood_in || c.status == cache::Status::Revalidated;
  if (x.side.migration != plan::kNone && !x.side.tester && up.pu && asked) {
    const bool failed = x.status >= 500 || c.stood_in || grpc_server_failure(x.grpc_status) ||
                        (x.error.source == ExchangeError::Source::Upstream && x.error.kind != ExchangeError::Kind::None);
    x.gen->migrations[x.side.migration].runtime->sides[x.side.moved ? 1 : 0].record(failed, x.upstream_status[0] == '5',
                                                                                     us);
  }
  if (x.prepared && x.status >= 100 && x.status < 600) {
    bump(x.prepared->counters->by_class[x.status / 100]);
    x.prepared->counters->latency.observe(us);
  }

  shadow_primary_done(x, up.body_whole && x.error.kind == ExchangeError::Kind::None);

  if (x.grpc_status >= 0 && x.grpc_status < static_cast<int>(kGrpcCodes)) bump(x.gw.metrics().grpc_status[x.grpc_status]);
  if (x.worker.log().on()) log_exchange(x, us);
}


}  // namespace banyan::proxy
