// Shadow traffic (shadow.h): the detached copy to the new upstream (split.cpp decides
// which requests get one; shadow_compare.cpp compares the answers). Everything here
// runs on the worker's thread; a copy holds its generation and its upstream's worker
// state until it ends.
#include "runtime/proxy/exchange/shadow.h"

#include <algorithm>

#include <utility>  // before Asio (Boost 1.74 misses it under GCC 12)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "runtime/http/chunked.h"
#include "runtime/http/fields.h"
#include "runtime/proxy/clock.h"
#include "runtime/proxy/exchange/shadow_compare.h"
#include "runtime/proxy/gateway.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/migration_control.h"

namespace banyan::proxy {

namespace asio = boost::asio;

namespace {

// The endpoint a copy goes to: the new side's next by its own round robin, or with
// `after` (the primary's endpoint, for the old side's second answer) the next usable
// endpoint after that one, itself when it is the only one; kNoEndpoint when none is usable.
uint32_t copy_endpoint(WorkerUpstream& wu, uint32_t after) {
  const EndpointSet& set = *wu.set;
  const int64_t now_ms = steady_ms();
  for (size_t i = 0; i < set.size(); ++i)
    wu.endpoints[i].usable = set.health[i].healthy(now_ms) &&
                             !(set.max_conns[i] >= 0 && wu.endpoints[i].active >= static_cast<uint32_t>(set.max_conns[i]));
  if (after == balance::kNoEndpoint) return wu.round_robin->pick(wu.endpoints);
  for (size_t k = 1; k <= set.size(); ++k) {
    const uint32_t i = static_cast<uint32_t>((after + k) % set.size());
    if (wu.endpoints[i].usable) return i;
  }
  return balance::kNoEndpoint;
}

// A copy's body after its head (already consumed from `buf`), read to its end and
// digested into `s`; true when it arrived whole.
Task<bool> digest_body(Socket& sock, Buffer& buf, const http::ResponseHead& head, ShadowSide& s,
                            bool json, boost::system::error_code& ec) {
  uint64_t left = head.content_length;
  http::ChunkedDecoder dec;
  bool done = head.framing == http::Framing::None;
  while (!done) {
    std::string_view data;
    size_t used = 0;
    if (head.framing == http::Framing::Chunked) {
      http::ChunkedDecoder::Step st = dec.next(buf.view());
      if (st.failed) co_return false;
      data = st.data, used = st.consumed, done = st.done;
    } else {
      used = head.framing == http::Framing::Length ? static_cast<size_t>(std::min<uint64_t>(left, buf.size())) : buf.size();
      data = buf.view().substr(0, used);
      left -= head.framing == http::Framing::Length ? used : 0;
      done = head.framing == http::Framing::Length && left == 0;
    }
    s.body(data, json);
    buf.consume(used);
    if (done || (used > 0 && buf.size() > 0)) continue;
    if (buf.full()) buf.grow(buf.cap * 2);
    buf.compact();
    size_t n = co_await sock.async_read_some(buf.tail(), asio::redirect_error(use_task, ec));
    buf.end += n;
    if (ec || n == 0) co_return head.framing == http::Framing::UntilClose;  // its end; else broken off
  }
  co_return true;
}

// A copy sent to copy_endpoint()'s endpoint (a copy must not disturb the primary's
// balancing state elsewhere), on an idle connection or a new one. With `after` (the
// primary's endpoint), the old side's second answer for `noise`, on a connection of its
// own, closed after: the old side's balancer and pools are not touched.
Task<void> send_copy(Worker& w, std::shared_ptr<const Generation> g, uint32_t upstream, std::string request,
                          bool head_request, std::shared_ptr<ShadowPair> pair, uint32_t after = balance::kNoEndpoint) {
  const bool second = after != balance::kNoEndpoint;
  ShadowSide& s = second ? pair->second : pair->copy;
  const PreparedUpstream& pu = g->upstreams[upstream];
  std::shared_ptr<WorkerUpstream> wu = w.upstream(*g, upstream);
  const EndpointSet& set = *wu->set;
  const uint32_t ep = copy_endpoint(*wu, after);
  boost::system::error_code ec;
  // Shared with the deadline's handler, which may run after this coroutine has ended.
  auto sock_holder = std::make_shared<std::optional<Socket>>();
  std::optional<Socket>& sock = *sock_holder;
  if (ep != balance::kNoEndpoint) {
    wu->endpoints[ep].active++;
    auto& pool = wu->idle[ep];
    while (!second && !pool.empty() && !sock) {
      IdleConnection c = std::move(pool.back());
      pool.pop_back();
      char probe;
      if (::recv(c.socket.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN)
        sock.emplace(std::move(c.socket));
    }
    // The copy's own deadlines: the upstream's connect timeout, then its read timeout.
    Timer deadline(w.io());
    auto arm = [&](int64_t ms) {
      deadline.expires_after(std::chrono::milliseconds(ms));  // a pending wait ends as aborted
      deadline.async_wait([sock_holder](boost::system::error_code e) {
        if (!e && *sock_holder) (*sock_holder)->cancel(e);
      });
    };
    const bool fresh = !sock;
    if (fresh) {
      sock.emplace(w.io());
      arm(pu.connect_timeout_ms);
      co_await sock->async_connect(set.addresses[ep], asio::redirect_error(use_task, ec));
    }
    arm(pu.read_timeout_ms);
    if (!ec) co_await asio::async_write(*sock, asio::buffer(request), asio::redirect_error(use_task, ec));
    Buffer buf;
    buf.acquire(w.buffers());
    std::unique_ptr<plan::HeaderField[]> fields = w.fields().get();
    const config::Limits& limits = w.gateway().config().limits;
    const http::Limits hl{limits.request_line, limits.header_bytes, limits.header_count};
    http::ResponseHead head;
    http::Parse r = http::Parse::Incomplete;
    while (!ec && r == http::Parse::Incomplete) {  // the head (1xx skipped)
      if (buf.full()) buf.grow(limits.header_bytes + 1);
      buf.compact();
      size_t n = co_await sock->async_read_some(buf.tail(), asio::redirect_error(use_task, ec));
      buf.end += n;
      if (n == 0) break;
      http::Error err = http::Error::None;
      r = http::parse_response(buf.view(), head_request, hl, {fields.get(), hl.header_count}, head, err);
      if (r == http::Parse::Complete && head.status < 200) {
        buf.consume(head.head_bytes);
        r = http::Parse::Incomplete;
      }
    }
    bool clean = false;
    if (r == http::Parse::Complete) {
      keep_head(s, head, *pair);
      buf.consume(head.head_bytes);
      s.whole = co_await digest_body(*sock, buf, head, s, pair->compare & plan::kCompareJson, ec);
      clean = s.whole && head.keep_alive && head.framing != http::Framing::UntilClose && buf.size() == 0;
    }
    if (!s.whole) s.error = ec ? ec.message() : "no whole response";
    deadline.cancel();
    if (clean && !second && wu->idle[ep].size() < static_cast<size_t>(pu.keepalive) && !w.draining())
      wu->idle[ep].push_back({std::move(*sock), coarse_now()});
    buf.release(w.buffers());
    w.fields().put(std::move(fields));
    wu->endpoints[ep].active--;
  } else {
    s.error = "no usable endpoint";
  }
  s.done = true;
  side_done(pair);
  w.shadows_in_flight()--;
}

}  // namespace

void start_shadow(Exchange& x) {
  if (!x.shadow) return;
  const plan::Migration& m = x.gen->plan->migrations()[x.side.migration];
  bool whole = false;
  std::string_view body = x.down.buffered_body(whole);
  std::string request = x.out;
  if (whole) request.append(body);
  x.shadow->rt->shadow.sent.fetch_add(1, std::memory_order_relaxed);
  const bool head = x.head->method == "HEAD";
  if (x.shadow->compare & plan::kCompareNoise) {  // the old side again, on another endpoint when it has one
    x.worker.shadows_in_flight()++;
    const uint32_t after = x.up.endpoint == balance::kNoEndpoint ? 0 : x.up.endpoint;
    asio::co_spawn(x.worker.io(), send_copy(x.worker, x.gen, m.from, request, head, x.shadow, after), asio::detached);
  }
  x.worker.shadows_in_flight()++;
  asio::co_spawn(x.worker.io(), send_copy(x.worker, x.gen, m.to, std::move(request), head, x.shadow), asio::detached);
}

void shadow_primary_body(ShadowPair& pair, std::string_view data) {
  pair.primary.body(data, pair.compare & plan::kCompareJson);
}

void shadow_primary_head(Exchange& x) {
  if (x.shadow) keep_head(x.shadow->primary, x.up.head, *x.shadow);
}

void shadow_primary_done(Exchange& x, bool complete) {
  if (!x.shadow) return;
  x.shadow->primary.whole = complete;
  x.shadow->primary.done = true;
  side_done(x.shadow);
  x.shadow.reset();
}

}  // namespace banyan::proxy
