// The endpoint side of an exchange: which endpoint (sticky cookie, else the upstream's
// balancer, runtime/balance/), its connection (an idle pooled one that is still open,
// else a new one), passive health, and the connection's return to its pool.
#include <sys/socket.h>

#include <algorithm>

#include <utility>  // before Asio (Boost 1.74 misses it under GCC 12)
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "runtime/balance/power_of_two.h"
#include "runtime/balance/random_pick.h"
#include "runtime/proxy/clock.h"
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/gateway.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/watchdog.h"

namespace banyan::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// An idle connection older than this is closed rather than reused (the worker's
// housekeeping closes them too): upstreams commonly time keep-alive out at 60 s or less.
inline constexpr auto kMaxIdleAge = std::chrono::seconds(30);
// A connection that came back to the pool this recently is taken without a probe (a
// recv syscall per request under load, which nginx does not make either): an upstream
// closes idle connections after seconds, not milliseconds, and the rare one closed in
// that window fails as a stale reused connection, which the retry rules send again
// (retry_policy.h). An older one is probed: that is where an upstream's keep-alive
// timeout and ours race.
inline constexpr auto kProbeAfterIdle = std::chrono::milliseconds(100);

uint32_t pick_endpoint(Exchange& x) {
  UpstreamLeg& up = x.up;
  WorkerUpstream& wu = *up.wu;
  const EndpointSet& set = *wu.set;
  const plan::Plan& p = *x.gen->plan;
  const plan::Upstream& u = *up.pu->record;
  const http::RequestHead& h = *x.head;
  int64_t now = steady_ms();
  for (size_t i = 0; i < set.size(); ++i) {
    balance::Endpoint& e = wu.endpoints[i];
    bool cooling = !set.health[i].healthy(now);
    bool full = set.max_conns[i] >= 0 && e.active >= static_cast<uint32_t>(set.max_conns[i]);
    bool tried = std::find(up.tried.begin(), up.tried.begin() + up.tried_count, i) != up.tried.begin() + up.tried_count;
    e.usable = !cooling && !full && !tried;
  }
  if (set.sticky && up.tried_count == 0) {
    std::string_view v;
    if (plan::find_cookie(h.fields, p.str(u.sticky_cookie), v)) {
      uint32_t i = set.sticky->find(v, wu.endpoints);
      if (i != balance::kNoEndpoint) {
        up.sticky_matched = true;
        return i;
      }
    }
  }
  switch (u.balance) {
    case plan::Balance::RoundRobin: return wu.round_robin->pick(wu.endpoints);
    case plan::Balance::LeastConn: return wu.least_conn->pick(wu.endpoints);
    case plan::Balance::PowerOfTwo: return balance::pick_power_of_two(wu.endpoints, x.worker.rng());
    case plan::Balance::Random: return balance::pick_random(wu.endpoints, x.worker.rng());
    case plan::Balance::Hash: {
      std::string_view key;
      bool have = false;
      switch (u.hash_source) {
        case plan::HashSource::Header:
          have = plan::find_header(h.fields, p.str(u.hash_key), key);
          break;
        case plan::HashSource::Cookie:
          have = plan::find_cookie(h.fields, p.str(u.hash_key), key);
          break;
        case plan::HashSource::ClientIp:
        case plan::HashSource::None:
          break;
      }
      if (!have) key = x.down.client().ip;  // no key: the client's address keeps the client on one endpoint
      return set.ring->pick(key, wu.endpoints);
    }
  }
  return balance::kNoEndpoint;
}

void begin_attempt(Exchange& x, uint32_t ep, bool retry) {
  UpstreamLeg& up = x.up;
  if (retry) {
    ++x.retries;
    bump(up.pu->counters->retries);
  }
  if (up.tried_count < up.tried.size()) up.tried[up.tried_count++] = ep;
  up.endpoint = ep;
  up.addr = up.wu->set->identities[ep];
  up.hold(&up.wu->endpoints[ep]);
}

void record_failure(Exchange& x, uint32_t i, std::string_view why) {
  const PreparedUpstream& pu = *x.up.pu;
  const EndpointSet& set = *x.up.wu->set;
  // Like nginx, an upstream with one endpoint never takes it out: there is nowhere
  // else to send the request, and refusing it outright helps nobody.
  if (pu.passive_failures <= 0 || set.size() <= 1) return;
  EndpointHealth& h = set.health[i];
  int64_t now = steady_ms();
  if (now - h.window_start_ms.load(std::memory_order_relaxed) > pu.passive_window_ms) {
    h.window_start_ms.store(now, std::memory_order_relaxed);
    h.failures.store(0, std::memory_order_relaxed);
  }
  uint32_t f = h.failures.fetch_add(1, std::memory_order_relaxed) + 1;
  if (f >= static_cast<uint32_t>(pu.passive_failures)) {
    h.failures.store(0, std::memory_order_relaxed);
    h.cooldown_until_ms.store(now + pu.passive_cooldown_ms, std::memory_order_relaxed);
    h.ejections.fetch_add(1, std::memory_order_relaxed);
    x.gw.note("upstream " + std::string(pu.name) + ": endpoint " + set.identities[i] + " skipped for " +
              std::to_string(pu.passive_cooldown_ms) + " ms after " + std::to_string(f) +
              " failure(s); last: " + std::string(why));
  }
}

bool take_pooled(Exchange& x) {
  UpstreamLeg& up = x.up;
  auto& pool = up.wu->idle[up.endpoint];
  auto now = coarse_now();  // idle ages are seconds
  up.reused = false;
  while (!pool.empty()) {
    IdleConnection c = std::move(pool.back());
    pool.pop_back();
    const auto idle = now - c.since;
    if (idle >= kMaxIdleAge) continue;
    // A pooled connection the upstream closed (or wrote to) while idle is not reused.
    if (idle >= kProbeAfterIdle) {
      char probe;
      ssize_t r = ::recv(c.socket.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
      if (!(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) continue;
    }
    up.socket.emplace(std::move(c.socket));
    x.clock.watch_upstream(&*up.socket);
    up.reused = true;
    bump(up.pu->counters->connections_reused);
    return true;
  }
  return false;
}

Task<bool> connect_new(Exchange& x) {
  UpstreamLeg& up = x.up;
  up.socket.emplace(x.worker.io());
  x.clock.watch_upstream(&*up.socket);
  x.clock.set(Phase::Connect, up.connect_ms);
  boost::system::error_code ec;
  co_await up.socket->async_connect(up.wu->set->addresses[up.endpoint], asio::redirect_error(use_task, ec));
  if (ec) {
    bool timeout = x.clock.expired();
    x.error.kind = timeout ? ExchangeError::Kind::ConnectTimeout : ExchangeError::Kind::Connect;
    x.error.detail =
        timeout ? "connect timed out after " + std::to_string(up.connect_ms) + " ms" : "connect: " + ec.message();
    finish_connection(x, false);
    co_return false;
  }
  up.socket->set_option(tcp::no_delay(true), ec);
  bump(up.pu->counters->connections_opened);
  co_return true;
}

void finish_connection(Exchange& x, bool reuse) {
  UpstreamLeg& up = x.up;
  if (!up.socket) return;
  x.clock.watch_upstream(nullptr);
  auto& pool = up.wu->idle[up.endpoint];
  if (reuse && pool.size() < static_cast<size_t>(up.pu->keepalive) && !x.worker.draining()) {
    pool.push_back({std::move(*up.socket), coarse_now()});
  } else {
    boost::system::error_code ec;
    up.socket->close(ec);
  }
  up.socket.reset();
}

void drop_idle_connections(Exchange& x, uint32_t endpoint) { x.up.wu->idle[endpoint].clear(); }

}  // namespace banyan::proxy
