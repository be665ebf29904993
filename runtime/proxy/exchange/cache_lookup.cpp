// Phase 3: the response cache's lookup, for a route with `cache`. The key is the
// route's `key` template, or SCHEME://HOST PATH?QUERY (normalised path, lower-case host
// without its port); the entry is the variant whose Vary matches. Then RFC 9111
// decides (runtime/cache/freshness.h): a fresh entry answers (HIT), a stale one the
// request accepts answers (STALE), one being refreshed by another request answers when
// `updating` or stale-while-revalidate allows (UPDATING); otherwise the upstream is
// asked, conditionally when the entry has a validator (phase 4, then cache_answer.cpp).
// Concurrent misses of one key make one upstream request: the first takes the zone's
// fill, the others poll for it, at most kCollapseWaitMs (nginx's proxy_cache_lock), and
// answer from it as soon as its head is known (its body as it arrives, body_pipe.cpp).
// Requests with Authorization bypass a route without `allow authorized`.
#include <utility>  // before Asio (Boost 1.74 misses it under GCC 12)
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "runtime/proxy/clock.h"
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/gateway.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/watchdog.h"

namespace banyan::proxy {
namespace {

namespace asio = boost::asio;
using cache::Status;

inline constexpr int64_t kCollapseWaitMs = 5000;  // nginx's proxy_cache_lock_timeout
inline constexpr int64_t kCollapsePollMs = 10;

void set_status(CacheLeg& c, Status s) {
  c.status = s;
  c.has_status = true;
}

// The URI (what invalidation names) and the key.
void make_key(Exchange& x) {
  CacheLeg& c = x.cache;
  const PreparedRoute& pr = *x.prepared;
  c.key.clear();
  if (pr.cache_key.empty()) {
    c.key += x.down.client().https ? "https://" : "http://";
    c.key += c.uri;
    return;
  }
  for (const std::vector<plan::TemplatePart>& part : pr.cache_key) expand(x, part, c.key);
}

// RFC 9111 5.2.1.7: nothing stored answers an only-if-cached request: 504.
Step gateway_timeout(Exchange& x) {
  x.local = {504, "gateway timeout: the response is not in the cache (only-if-cached)\n", {}, "only-if-cached miss",
             x.down.body_unread()};
  return Step::Local;
}

}  // namespace

void cache_uri(Exchange& x) {
  CacheLeg& c = x.cache;
  c.uri.clear();
  c.uri += variable(x, plan::TemplatePart{plan::Var::Host, {}});
  c.uri += x.path;
  if (!x.head->query.empty()) {
    c.uri += '?';
    c.uri += x.head->query;
  }
}

Task<Step> look_up_cache(Exchange& x) {
  CacheLeg& c = x.cache;
  const PreparedRoute& pr = *x.prepared;
  const http::RequestHead& h = *x.head;
  c.zone = pr.cache_zone.get();
  c.policy = pr.cache_policy;
  cache_uri(x);
  if (h.method != "GET" && h.method != "HEAD") co_return Step::Next;  // unsafe ones invalidate (cache_answer.cpp)
  std::string_view credentials;
  if (!c.policy->allow_authorized && plan::find_header(h.fields, "authorization", credentials)) {
    set_status(c, Status::Bypass);  // neither looked up nor stored
    co_return Step::Next;
  }
  c.request = cache::request_directives(h.fields);
  make_key(x);
  set_status(c, Status::Miss);
  const UpstreamLeg& up = x.up;
  const int64_t lease_ms = (x.route->connect_timeout_ms >= 0 ? x.route->connect_timeout_ms : up.pu->connect_timeout_ms) +
                           (x.route->read_timeout_ms >= 0 ? x.route->read_timeout_ms : up.pu->read_timeout_ms);
  int64_t now = unix_ms_now();
  std::optional<Timer> poll;
  for (int64_t waited = 0;; waited += kCollapsePollMs) {
    c.entry = c.zone->find(c.key, h.fields, now);
    if (c.entry) {
      if (waited > 0) bump(c.zone->counters().collapsed);
      break;
    }
    if (c.request.only_if_cached) co_return gateway_timeout(x);
    if (h.method == "HEAD") co_return Step::Next;  // a HEAD fills nothing: it goes on its own
    std::shared_ptr<cache::Filling> shared;
    const cache::Zone::Fill f = c.zone->begin_fill(c.key, now, lease_ms, shared);
    if (f == cache::Zone::Fill::Mine) {
      c.filling = true;
      c.shared = std::move(shared);
    }
    if (f == cache::Zone::Fill::Wait && shared) {  // its head is here: answer from it as its body arrives
      std::shared_ptr<const cache::Entry> head;
      {
        std::lock_guard lock(shared->mu);
        if (shared->state == cache::Filling::State::Streaming) head = shared->head;
      }
      if (head) {
        bump(c.zone->counters().collapsed);
        c.shared = std::move(shared);
        c.streaming = true;
        co_return serve_stored(x, head, Status::Hit);
      }
    }
    if (f != cache::Zone::Fill::Wait || waited >= kCollapseWaitMs) co_return Step::Next;
    if (!poll) poll.emplace(x.worker.io());
    x.clock.set(Phase::UpstreamRead, kCollapseWaitMs + 1000);
    poll->expires_after(std::chrono::milliseconds(kCollapsePollMs));
    boost::system::error_code ec;
    co_await poll->async_wait(asio::redirect_error(use_task, ec));
    if (ec) co_return Step::Next;
    now = unix_ms_now();
  }

  const cache::Stored s = c.entry->stored(now);
  switch (cache::reuse(s, c.request)) {
    case cache::Reuse::Fresh: co_return serve_stored(x, c.entry, Status::Hit);
    case cache::Reuse::Stale: co_return serve_stored(x, c.entry, Status::Stale);
    case cache::Reuse::Validate: break;
  }
  if (c.request.only_if_cached) co_return gateway_timeout(x);
  // Another request is refreshing it: a stale entry may answer meanwhile, when neither
  // the route nor the response forbids it and the request asks for nothing fresher.
  int64_t until = c.entry->updating_until_ms.load(std::memory_order_acquire);
  const bool asks_fresh = c.request.no_cache || c.request.max_age != cache::kAbsent || c.request.min_fresh != cache::kAbsent;
  if (until > now && !s.fresh() && !asks_fresh &&
      cache::stale_while_updating(s, (c.policy->stale & plan::kStaleUpdating) != 0))
    co_return serve_stored(x, c.entry, Status::Updating);
  c.updating = until <= now && c.entry->updating_until_ms.compare_exchange_strong(until, now + lease_ms);
  c.validating = !c.entry->etag.empty() || !c.entry->last_modified.empty();
  set_status(c, Status::Expired);
  co_return Step::Next;
}

}  // namespace banyan::proxy
