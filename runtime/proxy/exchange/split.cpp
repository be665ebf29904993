// Phase 2: which upstream a proxied request goes to. The route's, unless a migration
// moves the request: its bucket (a hash of the migration's name and the request's
// bucketing key, migrations/bucket.h) below the share now moves it to the migration's
// new upstream, so a user stays on one side as the share grows. The share is the
// schedule's, unless the migration is paused, rolled back or promoted
// (migration_control.h). A request that carries the migration's `testers` header or
// cookie goes to the new upstream whatever the share; it is not copied, and it does not
// count in the rollback rule's windows (testers are not users).
// Then the shadow decision (shadow.h): whether a request the old side serves is copied
// to the new one.
#include "migrations/bucket.h"
#include "runtime/proxy/migration_control.h"
#include "runtime/proxy/clock.h"
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/exchange/retry_policy.h"
#include "runtime/proxy/exchange/shadow.h"
#include "runtime/proxy/exchange/shadow_compare.h"
#include "runtime/proxy/gateway.h"

namespace banyan::proxy {

void choose_shadow(Exchange& x) {
  x.shadow.reset();
  if (x.side.migration == plan::kNone || x.side.moved) return;  // a copy only of what the old side serves
  const plan::Migration& m = x.gen->plan->migrations()[x.side.migration];
  const PreparedMigration& pm = x.gen->migrations[x.side.migration];
  if (m.shadow_basis_points == 0) return;
  const int64_t now = unix_ms_now();
  if (now < pm.begin_ms || (m.shadow_duration_ms >= 0 && now >= pm.begin_ms + m.shadow_duration_ms)) return;
  if (!m.allow_unsafe_methods && !is_idempotent(x.head->method)) return;
  if (x.worker.rng().next() % migrations::kBuckets >= m.shadow_basis_points) return;
  ShadowCounters& c = pm.runtime->shadow;
  bool whole = false;
  std::string_view body = x.down.buffered_body(whole);
  const bool has_body = x.head->framing == http::Framing::Chunked ||
                        (x.head->framing == http::Framing::Length && x.head->content_length > 0);
  if (has_body && (!whole || body.size() > kShadowBodyBudget)) {
    c.skipped_body.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const bool noise = m.compare & plan::kCompareNoise;
  if (x.worker.shadows_in_flight() + (noise ? 2 : 1) > kShadowsInFlight) {
    c.dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  x.shadow = std::make_shared<ShadowPair>();
  x.shadow->rt = pm.runtime;
  x.shadow->compare = m.compare;
  x.shadow->plan = x.gen->plan.get();
  x.shadow->ignore = m.compare_ignore;
  x.shadow->request_line = std::string(x.head->method) + " " + std::string(x.head->host) + std::string(x.head->target);
}

Step choose_side(Exchange& x) {
  const Generation& g = *x.gen;
  const plan::Plan& p = *g.plan;
  x.up.index = x.route->upstream;
  if (x.match.migration != plan::kNone) {
    const plan::Migration& m = p.migrations()[x.match.migration];
    const PreparedMigration& pm = g.migrations[x.match.migration];
    const http::RequestHead& h = *x.head;
    x.side.migration = x.match.migration;
    if (m.testers != plan::TestersSource::None && plan::is_tester(p, m, h.fields)) {
      x.side.moved = x.side.tester = true;
      x.side.bucket = kNoBucket;
      x.up.index = m.to;
      x.up.pu = &g.upstreams[x.up.index];
      return Step::Next;
    }
    uint32_t weight = pm.runtime->weight(pm, unix_ms_now());  // the schedule, unless paused, rolled back or promoted
    std::string_view key;
    bool have = false;
    std::string_view name = p.str(m.bucket_key);
    switch (m.bucket) {
      case plan::BucketSource::Cookie:
        have = plan::find_cookie(h.fields, name, key);
        break;
      case plan::BucketSource::Header:
        have = plan::find_header(h.fields, name, key);
        break;
      case plan::BucketSource::Query:
        have = plan::find_query(h.query, name, key);
        break;
      case plan::BucketSource::RequestId:
        key = x.request_id;
        have = true;
        break;
      case plan::BucketSource::ClientIp:
        break;
    }
    if (!have) key = x.down.client().ip;
    x.side.bucket = migrations::bucket_of(p.str(m.name), key);
    x.side.moved = migrations::lands_on_new(x.side.bucket, weight);
    if (m.bucket == plan::BucketSource::RequestId) x.side.bucket = kNoBucket;  // drawn, not a user's
    if (x.side.moved) x.up.index = m.to;
  }
  x.up.pu = &g.upstreams[x.up.index];
  choose_shadow(x);  // a copy of a request the old side serves, while the migration shadows
  return Step::Next;
}

}  // namespace banyan::proxy
