#include "runtime/proxy/health_check.h"

#include <chrono>
#include <map>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "runtime/proxy/gateway.h"
#include "runtime/proxy/io.h"

namespace banyan::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

struct Probe {
  std::shared_ptr<const EndpointSet> set;  // keeps the endpoint's health record alive
  size_t endpoint = 0;
  std::string request;
  std::vector<uint32_t> expect;  // empty: any 2xx or 3xx
  int64_t timeout_ms = 2000;
  uint32_t fails = 3, passes = 2;
  std::string upstream;
};

// The status of "HTTP/1.x NNN ..." at the start of `head`, or 0.
int status_of(std::string_view head) {
  if (head.size() < 12 || head.substr(0, 7) != "HTTP/1." || head[8] != ' ') return 0;
  int s = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (head[i] < '0' || head[i] > '9') return 0;
    s = s * 10 + (head[i] - '0');
  }
  return s;
}

Task<void> probe(Gateway& gw, asio::io_context& io, Probe p) {
  // The socket and the timer outlive this frame in the timer's handler, if need be.
  struct State {
    Socket socket;
    Timer timer;
    explicit State(asio::io_context& io) : socket(io), timer(io) {}
  };
  auto st = std::make_shared<State>(io);
  st->timer.expires_after(std::chrono::milliseconds(p.timeout_ms));
  st->timer.async_wait([st](error_code ec) {
    if (!ec) st->socket.close(ec);  // the probe's time is up: whatever it waits for fails
  });
  error_code ec;
  int status = 0;
  co_await st->socket.async_connect(p.set->addresses[p.endpoint], asio::redirect_error(use_task, ec));
  if (!ec) co_await asio::async_write(st->socket, asio::buffer(p.request), asio::redirect_error(use_task, ec));
  std::array<char, 256> head{};
  size_t have = 0;
  while (!ec && have < 12) {
    size_t n = co_await st->socket.async_read_some(asio::buffer(head.data() + have, head.size() - have),
                                                   asio::redirect_error(use_task, ec));
    have += n;
  }
  st->timer.cancel();
  status = status_of({head.data(), have});
  bool ok = status != 0 &&
            (p.expect.empty() ? (status >= 200 && status < 400)
                              : std::find(p.expect.begin(), p.expect.end(), static_cast<uint32_t>(status)) != p.expect.end());
  EndpointHealth& h = p.set->health[p.endpoint];
  if (ok) {
    h.probe_fails.store(0, std::memory_order_relaxed);
    uint32_t passes = h.probe_passes.fetch_add(1, std::memory_order_relaxed) + 1;
    if (h.down.load() && passes >= p.passes) {
      h.down.store(false, std::memory_order_relaxed);
      gw.note("upstream " + p.upstream + ": endpoint " + p.set->identities[p.endpoint] + " passes its health check again");
    }
  } else {
    h.probe_passes.store(0, std::memory_order_relaxed);
    uint32_t fails = h.probe_fails.fetch_add(1, std::memory_order_relaxed) + 1;
    if (!h.down.load() && fails >= p.fails) {
      h.down.store(true, std::memory_order_relaxed);
      gw.note("upstream " + p.upstream + ": endpoint " + p.set->identities[p.endpoint] + " is down: " +
              std::to_string(fails) + " health check(s) failed (last: " +
              (status ? "status " + std::to_string(status) : ec ? ec.message() : std::string("no status line")) + ")");
    }
  }
}

}  // namespace

bool has_health_checks(const Generation& g) {
  for (const PreparedUpstream& pu : g.upstreams)
    if (pu.record->has_health) return true;
  return false;
}

Task<void> run_health_checks(Gateway& gw, asio::io_context& io, Timer& tick, const bool& stopping) {
  std::map<const EndpointSource*, std::chrono::steady_clock::time_point> due;
  while (!stopping) {
    if (has_health_checks(*gw.generation()))
      tick.expires_after(std::chrono::milliseconds(250));
    else
      tick.expires_at(std::chrono::steady_clock::time_point::max());
    error_code ec;
    co_await tick.async_wait(asio::redirect_error(use_task, ec));
    if (stopping) break;
    auto g = gw.generation();
    const plan::Plan& p = *g->plan;
    auto now = std::chrono::steady_clock::now();
    std::map<const EndpointSource*, std::chrono::steady_clock::time_point> next;
    for (const PreparedUpstream& pu : g->upstreams) {
      const plan::Upstream& u = *pu.record;
      if (!u.has_health) continue;
      const EndpointSource* key = pu.endpoints.get();
      auto it = due.find(key);
      auto when = it == due.end() ? now : it->second;
      if (now < when) {
        next[key] = when;
        continue;
      }
      next[key] = now + std::chrono::milliseconds(u.health_interval_ms);
      auto set = pu.endpoints->current();
      for (size_t i = 0; i < set->size(); ++i) {
        Probe pr;
        pr.set = set;
        pr.endpoint = i;
        pr.upstream = std::string(pu.name);
        pr.request = std::string(p.str(u.health_method)) + " " + std::string(p.str(u.health_path)) +
                     " HTTP/1.1\r\nHost: " + set->identities[i] +
                     "\r\nUser-Agent: banyan-health-check\r\nConnection: close\r\n\r\n";
        for (uint32_t s : p.u32_list(u.health_expect)) pr.expect.push_back(s);
        pr.timeout_ms = u.health_timeout_ms;
        pr.fails = static_cast<uint32_t>(std::max(1, u.health_fails));
        pr.passes = static_cast<uint32_t>(std::max(1, u.health_passes));
        asio::co_spawn(io, probe(gw, io, std::move(pr)), asio::detached);
      }
    }
    due = std::move(next);  // upstreams of an older generation drop out
  }
}

}  // namespace banyan::proxy
