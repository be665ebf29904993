// Phase 4: the request to an endpoint and the response head back, tried again on
// another endpoint when retry_policy.h allows. This loop is the one place where a
// failed attempt decides between a retry and an answer (nginx's ngx_http_upstream_next):
// it counts the failure against the endpoint (passive health), closes a dead pooled
// connection's siblings, and keeps the last failure for the answer.
#include <algorithm>
#include <array>
#include <charconv>

#include <utility>  // before Asio (Boost 1.74 misses it under GCC 12)
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "runtime/http/fields.h"
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/exchange/retry_policy.h"
#include "runtime/proxy/exchange/shadow.h"
#include "runtime/proxy/gateway.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/watchdog.h"

namespace banyan::proxy {
namespace {

namespace asio = boost::asio;
using K = ExchangeError::Kind;

// Attempts beyond the retry budget: each dead pooled connection may add one, each
// endpoint at most once (its idle connections are closed then); this bounds them.
inline constexpr uint32_t kMaxAttempts = 16;

void fail(Exchange& x, K kind, std::string detail) {
  x.error.kind = kind;
  x.error.source = ExchangeError::source_of(kind);
  x.error.detail = std::move(detail);
}

// "h2c" anywhere in an Upgrade value, any case: HTTP/2 cleartext is never upgraded to.
bool mentions_h2c(std::string_view v) {
  for (size_t i = 0; i + 3 <= v.size(); ++i)
    if ((v[i] | 0x20) == 'h' && v[i + 1] == '2' && (v[i + 2] | 0x20) == 'c') return true;
  return false;
}

struct AttemptFacts {
  bool nothing_received = true;  // no byte of a response arrived
  bool body_streamed = false;    // the client's body began to flow: it cannot be sent again
};

// The rest of the request body, as the client sends it: decoded by the connection,
// framed again for the upstream (chunked stays chunked, re-encoded).
Task<bool> stream_body(Exchange& x, uint64_t limit) {
  const bool chunked = x.head->framing == http::Framing::Chunked;
  boost::system::error_code ec;
  for (;;) {
    BodyPiece piece = co_await x.down.read_body(limit);
    switch (piece.end) {
      case BodyPiece::End::ClientGone:
        fail(x, K::ClientGone, "client stopped sending the body");
        co_return false;
      case BodyPiece::End::Malformed:
        fail(x, K::MalformedBody, "malformed chunked request body");
        co_return false;
      case BodyPiece::End::TooLarge:
        fail(x, K::BodyTooLarge, "request body larger than the limit");
        co_return false;
      default:
        break;
    }
    x.clock.set(Phase::UpstreamWrite, x.up.read_ms);
    if (chunked) {
      x.scratch.clear();
      if (!piece.data.empty()) {
        char hex[20];
        auto [end, e] = std::to_chars(hex, hex + sizeof hex, piece.data.size(), 16);
        x.scratch.append(hex, end);
        x.scratch += "\r\n";
      }
      bool done = piece.end == BodyPiece::End::Done;
      std::string_view tail = piece.data.empty() ? (done ? "0\r\n\r\n" : "") : (done ? "\r\n0\r\n\r\n" : "\r\n");
      std::array<asio::const_buffer, 3> b{asio::buffer(x.scratch), asio::buffer(piece.data.data(), piece.data.size()),
                                          asio::buffer(tail.data(), tail.size())};
      co_await asio::async_write(*x.up.socket, b, asio::redirect_error(use_task, ec));
    } else if (!piece.data.empty()) {
      co_await asio::async_write(*x.up.socket, asio::buffer(piece.data.data(), piece.data.size()),
                                 asio::redirect_error(use_task, ec));
    }
    if (ec) {
      fail(x, K::WriteRequest, "failed while receiving the request body: " + ec.message());
      co_return false;
    }
    if (piece.end == BodyPiece::End::Done) co_return true;
  }
}

// Why no response head came: a timeout, a head the parser refused, or a close.
void head_failed(Exchange& x, http::Error perr, AttemptFacts& f) {
  UpstreamLeg& up = x.up;
  f.nothing_received = up.buf.size() == 0 && perr == http::Error::None;
  if (x.clock.expired()) {
    bump(up.pu->counters->timeouts);
    fail(x, K::ResponseTimeout, "no response within " + std::to_string(up.read_ms) + " ms");
  } else if (perr != http::Error::None) {
    bump(up.pu->counters->bad_responses);
    fail(x, K::BadResponse, "invalid response: " + std::string(http::describe(perr)));
  } else {
    fail(x, K::ResetBeforeResponse,
         f.nothing_received ? "closed the connection before responding" : "closed the connection in the response head");
  }
}

// The request (the head, and the whole body when it is here, in one write; else the
// body as the client sends it), then the response head. 1xx interim responses are
// skipped (Expect is answered by the connection); a 101 only follows an Upgrade the
// route lets through. One coroutine for both halves: each level of calls costs a
// frame allocation per request (Asio 1.74 recycles one per thread).
Task<bool> round_trip(Exchange& x, std::string_view body, bool replayable, bool upgrading, AttemptFacts& f) {
  UpstreamLeg& up = x.up;
  boost::system::error_code ec;
  x.clock.set(Phase::UpstreamWrite, up.read_ms);
  std::array<asio::const_buffer, 2> hb{asio::buffer(x.out), asio::buffer(body.data(), replayable ? body.size() : 0)};
  co_await asio::async_write(*up.socket, hb, asio::redirect_error(use_task, ec));
  if (ec) {
    fail(x, K::WriteRequest, "writing the request: " + ec.message());
    co_return false;
  }
  if (!replayable) {
    f.body_streamed = true;
    if (!co_await stream_body(x, x.route->max_body_bytes ? x.route->max_body_bytes : x.gw.config().limits.body))
      co_return false;
  }
  const config::Limits& limits = x.gw.config().limits;
  const http::Limits hl{limits.request_line, limits.header_bytes, limits.header_count};
  const bool is_head = x.head->method == "HEAD";
  up.buf.begin = up.buf.end = 0;
  http::Error perr = http::Error::None;
  for (;;) {
    if (up.buf.size() > 0) {
      http::Parse r =
          http::parse_response(up.buf.view(), is_head, hl, {up.fields.get(), hl.header_count}, up.head, perr);
      if (r == http::Parse::Failed) break;
      if (r == http::Parse::Complete) {
        if (up.head.status == 101 && !upgrading) {
          perr = http::Error::BadStatusLine;
          break;
        }
        up.buf.consume(up.head.head_bytes);
        if (up.head.status >= 100 && up.head.status < 200 && up.head.status != 101) continue;
        if (up.head.framing == http::Framing::Length && up.buf.size() > up.head.content_length) {
          f.nothing_received = false;
          bump(up.pu->counters->bad_responses);
          fail(x, K::BadResponse, "invalid response: more bytes than its Content-Length");
          co_return false;
        }
        co_return true;
      }
      if (up.buf.full()) up.buf.grow(limits.header_bytes + 1);
    }
    up.buf.compact();
    x.clock.set(Phase::UpstreamRead, up.read_ms);
    size_t n = co_await up.socket->async_read_some(up.buf.tail(), asio::redirect_error(use_task, ec));
    up.buf.end += n;
    if (ec || n == 0) break;
  }
  head_failed(x, perr, f);
  co_return false;
}

}  // namespace

int32_t begin_upstream_leg(Exchange& x) {
  UpstreamLeg& up = x.up;
  const plan::Route& route = *x.route;
  const PreparedUpstream& pu = *up.pu;
  up.connect_ms = route.connect_timeout_ms >= 0 ? route.connect_timeout_ms : pu.connect_timeout_ms;
  up.read_ms = route.read_timeout_ms >= 0 ? route.read_timeout_ms : pu.read_timeout_ms;
  up.wu = x.worker.upstream(*x.gen, up.index);
  up.started = std::chrono::steady_clock::now();
  return route.retries >= 0 ? route.retries : pu.retries;
}

Task<Step> call_upstream(Exchange& x) {
  UpstreamLeg& up = x.up;
  const plan::Route& route = *x.route;
  const PreparedUpstream& pu = *up.pu;
  const http::RequestHead& h = *x.head;
  const int32_t retries = begin_upstream_leg(x);

  const bool has_body =
      h.framing == http::Framing::Chunked || (h.framing == http::Framing::Length && h.content_length > 0);
  // `allow upgrade` (WebSocket) lets Upgrade through; never h2c: HTTP/1.1 both sides.
  std::string_view upgrade_to;
  const bool upgrading = route.allow_upgrade && h.upgrade && !has_body && http::connection_lists(h.fields, "upgrade") &&
                         plan::find_header(h.fields, "upgrade", upgrade_to) && !upgrade_to.empty() &&
                         !mentions_h2c(upgrade_to);
  if (!write_request_head(x, upgrading ? upgrade_to : std::string_view())) {
    fail(x, K::Rewrite, "the route's rewrite names a capture the route did not make");
    co_return Step::Failed;
  }
  start_shadow(x);  // the copy leaves now, on its own; nothing here waits for it
  bool whole = false;
  std::string_view body = has_body ? x.down.buffered_body(whole) : std::string_view();
  const bool replayable = !has_body || whole;  // a body here whole can be sent again to another endpoint
  up.buf.acquire(x.worker.buffers());
  if (!up.fields) up.fields = x.worker.fields().get();

  const int max_tries = 1 + std::clamp(retries, 0, 14);
  int counted = 0;
  uint32_t stale = balance::kNoEndpoint;  // an endpoint whose pooled connection was dead
  for (uint32_t n = 0; n < kMaxAttempts; ++n) {
    uint32_t ep = counted < max_tries ? pick_endpoint(x) : balance::kNoEndpoint;
    if (ep == balance::kNoEndpoint) ep = stale;  // none untried left: a new connection to it
    stale = balance::kNoEndpoint;
    if (ep == balance::kNoEndpoint) break;
    begin_attempt(x, ep, n > 0);
    x.error = {};
    AttemptFacts f;  // one attempt: a connection, the request, the response head (siblings: one frame deep)
    bool ok = take_pooled(x) || co_await connect_new(x);
    if (!ok) {
      bump(pu.counters->connect_failures);
      if (x.error.kind == K::ConnectTimeout) bump(pu.counters->timeouts);
    }
    ok = ok && co_await round_trip(x, body, replayable, upgrading, f);
    if (ok) {
      if (has_body && replayable) x.down.consume_buffered_body();
      co_return Step::Next;
    }
    finish_connection(x, false);
    RetryDecision d = decide_retry(
        {x.error.kind, up.reused, f.nothing_received, replayable, f.body_streamed, is_idempotent(h.method)});
    x.error.source = ExchangeError::source_of(x.error.kind);
    x.error.endpoint = ep;
    x.error.retryable = d.retry;
    if (d.endpoint_failed) record_failure(x, ep, x.error.detail);
    if (d.stale_connection) {
      drop_idle_connections(x, ep);
      stale = ep;
    } else {
      ++counted;
    }
    if (!d.retry) co_return Step::Failed;
  }
  if (up.tried_count == 0) {  // no endpoint at all; otherwise `error` is the last attempt's
    fail(x, K::NoEndpoint, "upstream " + std::string(pu.name) + " has no usable endpoint");
    if (!up.wu->set->problem.empty()) x.error.detail += " (" + up.wu->set->problem + ")";
  }
  co_return Step::Failed;
}

}  // namespace banyan::proxy
