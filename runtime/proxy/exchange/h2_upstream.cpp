// Phases 4 and 6 for an upstream with `protocol h2c`: HTTP/2 with prior knowledge to
// its servers, as gRPC servers take it. Each worker keeps one multiplexed connection
// per server (WorkerUpstream::h2, h2_upstream_connection.h), a libnghttp2 client
// session with a reader and a writer coroutine; an exchange is one stream of it
// (H2Call). Unlike HTTP/1.1 the two directions run at once: the client's body is
// pumped up by a coroutine of its own while the response comes down, so a
// bidirectional gRPC stream works; the response's trailers go to the client
// (Downstream::set_trailers). The request head is the one request_head.cpp writes for
// HTTP/1.1 (the same header rules), read back into HTTP/2 fields (h2_request_fields).
// Not here (yet): compression of the response body, retries after the request was
// sent, shadow copies to an h2c upstream.
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>

#include <utility>  // before Asio (Boost 1.74 misses it under GCC 12)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "runtime/http/fields.h"
#include "runtime/proxy/exchange/h2_upstream_connection.h"
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/gateway.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/watchdog.h"

namespace banyan::proxy {

namespace asio = boost::asio;
using boost::system::error_code;
using K = ExchangeError::Kind;

namespace {

// `grpc-timeout` (the gRPC spec: at most 8 digits and a unit H, M, S, m, u or n), in
// ms rounded up; -1 when absent or malformed.
int64_t grpc_timeout_ms(const http::RequestHead& h) {
  std::string_view v;
  if (!plan::find_header(h.fields, "grpc-timeout", v) || v.size() < 2 || v.size() > 9) return -1;
  uint64_t n = 0;
  for (char ch : v.substr(0, v.size() - 1)) {
    if (ch < '0' || ch > '9') return -1;
    n = n * 10 + static_cast<uint64_t>(ch - '0');
  }
  switch (v.back()) {
    case 'H': return static_cast<int64_t>(n * 3'600'000);
    case 'M': return static_cast<int64_t>(n * 60'000);
    case 'S': return static_cast<int64_t>(n * 1000);
    case 'm': return static_cast<int64_t>(n);
    case 'u': return static_cast<int64_t>((n + 999) / 1000);
    case 'n': return static_cast<int64_t>((n + 999'999) / 1'000'000);
    default: return -1;
  }
}

// A gRPC field of the call: its trailers', or its head's (trailers-only).
bool grpc_field(const H2Call& c, std::string_view name, std::string_view& v) {
  if (plan::find_header(c.fields, name, v)) return true;
  for (size_t at = 0; (at = c.trailers.find(name, at)) != std::string::npos; at += name.size()) {
    std::string_view rest = std::string_view(c.trailers).substr(at + name.size());
    if ((at == 0 || c.trailers[at - 1] == '\n') && rest.substr(0, 2) == ": ") {
      v = rest.substr(2, rest.find("\r\n") - 2);
      return true;
    }
  }
  return false;
}

// The call's gRPC status, and its message for the access log: percent-encoded as gRPC
// sends it, and any byte a sloppy server sent raw outside printable ASCII encoded so.
int grpc_status_of(const H2Call& c, std::string& message) {
  std::string_view m;
  if (grpc_field(c, "grpc-message", m)) append_grpc_message(message, m.substr(0, kGrpcMessageLogged), true);
  std::string_view v;
  if (!grpc_field(c, "grpc-status", v)) return -1;
  int code = -1;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), code);
  return ec == std::errc() && end == v.data() + v.size() && code >= 0 && code <= 16 ? code : -1;
}

void fail_call(Exchange& x, K kind, std::string detail) {
  x.error.kind = kind;
  x.error.source = ExchangeError::source_of(kind);
  x.error.endpoint = x.up.endpoint;
  x.error.detail = std::move(detail);
}

// Waits for the call's next event within the read deadline; false when it expired.
Task<bool> wait_call(Exchange& x, H2Call& c) {
  error_code ec;
  co_await c.signal.async_wait(asio::redirect_error(use_task, ec));
  co_return !x.clock.expired();
}

// The client's body, as it comes, to the upstream stream: the pump runs beside the
// response (a bidirectional stream needs both at once) and ends with the body.
Task<void> pump_body(Exchange& x, std::shared_ptr<H2Call> c, uint64_t limit) {
  error_code ec;
  for (;;) {
    BodyPiece piece = co_await x.down.read_body(limit);
    if (piece.end == BodyPiece::End::ClientGone || piece.end == BodyPiece::End::Malformed ||
        piece.end == BodyPiece::End::TooLarge || c->closed) {
      if (!c->closed && c->conn->usable())
        nghttp2_submit_rst_stream(c->conn->ng, NGHTTP2_FLAG_NONE, c->id, NGHTTP2_CANCEL);
      c->conn->notify();
      break;
    }
    c->pending = piece.data;
    c->pending_last = piece.end == BodyPiece::End::Done;
    nghttp2_session_resume_data(c->conn->ng, c->id);
    c->conn->notify();
    while (!c->closed && (!c->pending.empty() || (c->pending_last && !c->eof_taken)))
      co_await c->signal.async_wait(asio::redirect_error(use_task, ec));
    if (c->pending_last || c->closed) break;
  }
  c->pump_running = false;
  c->wake();
}

// An endpoint and its connection: the one this worker has, or a new one. A failed
// connect is tried again on another endpoint, as over HTTP/1.1. Null with `error` set
// when none could be had.
Task<std::shared_ptr<H2UpstreamConnection>> h2_connection(Exchange& x, int32_t retries) {
  UpstreamLeg& up = x.up;
  const PreparedUpstream& pu = *up.pu;
  if (up.wu->h2.size() < up.wu->endpoints.size()) up.wu->h2.resize(up.wu->endpoints.size());
  for (int attempt = 0; attempt <= std::clamp(retries, 0, 14); ++attempt) {
    uint32_t ep = pick_endpoint(x);
    if (ep == balance::kNoEndpoint) break;
    begin_attempt(x, ep, attempt > 0);
    std::shared_ptr<H2UpstreamConnection>& slot = up.wu->h2[ep];
    if (slot && slot->usable()) {
      bump(pu.counters->connections_reused);
      co_return slot;
    }
    x.error = {};
    if (!co_await connect_new(x)) {
      bump(pu.counters->connect_failures);
      if (x.error.kind == K::ConnectTimeout) bump(pu.counters->timeouts);
      x.error.source = ExchangeError::Source::Upstream;
      x.error.endpoint = ep;
      record_failure(x, ep, x.error.detail);
      continue;
    }
    x.clock.watch_upstream(nullptr);
    auto fresh = std::make_shared<H2UpstreamConnection>(x.worker, std::move(*up.socket));
    up.socket.reset();
    if (!fresh->open()) {
      fail_call(x, K::Connect, "the HTTP/2 session could not be set up");
      co_return nullptr;
    }
    fresh->start();
    slot = fresh;
    co_return fresh;
  }
  co_return nullptr;
}

}  // namespace

Task<Step> call_h2_upstream(Exchange& x) {
  UpstreamLeg& up = x.up;
  const PreparedUpstream& pu = *up.pu;
  const http::RequestHead& h = *x.head;
  const int32_t retries = begin_upstream_leg(x);
  // A gRPC deadline bounds every wait of the call (the rest of it is the client's).
  if (int64_t t = grpc_timeout_ms(h); t >= 0) up.read_ms = std::min(up.read_ms, std::max<int64_t>(t, 1));

  std::shared_ptr<H2UpstreamConnection> conn = co_await h2_connection(x, retries);
  if (!conn) {
    if (x.error.kind == K::None) fail_call(x, K::NoEndpoint, "no endpoint is available");
    co_return Step::Failed;
  }

  if (!write_request_head(x, {})) {
    fail_call(x, K::Rewrite, "the route's rewrite names a capture the route did not make");
    co_return Step::Failed;
  }
  auto c = std::make_shared<H2Call>(x.worker.io());
  c->conn = conn;
  up.call = c;
  std::vector<nghttp2_nv> nv;
  h2_request_fields(x, nv, x.text);
  const bool has_body =
      h.framing == http::Framing::Chunked || (h.framing == http::Framing::Length && h.content_length > 0);
  nghttp2_data_provider provider{};
  provider.source.ptr = c.get();
  provider.read_callback = provide_body;
  c->id = nghttp2_submit_request(conn->ng, nullptr, nv.data(), nv.size(), has_body ? &provider : nullptr, c.get());
  if (c->id < 0) {
    fail_call(x, K::WriteRequest, std::string("HTTP/2 request refused: ") + nghttp2_strerror(c->id));
    co_return Step::Failed;
  }
  conn->calls.push_back(c);
  conn->notify();
  x.clock.watch_timer(&c->signal);
  c->sends_body = has_body;
  if (has_body) {
    bool whole = false;
    std::string_view body = x.down.buffered_body(whole);
    if (whole) {  // here already: the provider takes it from the client's buffer
      c->pending = body;
      c->pending_last = true;
    } else {
      c->pump_running = true;
      const uint64_t limit = x.route->max_body_bytes ? x.route->max_body_bytes : x.gw.config().limits.body;
      asio::co_spawn(x.worker.io(), pump_body(x, c, limit), asio::detached);
    }
  }

  // The response head.
  x.clock.set(Phase::UpstreamRead, up.read_ms);
  while (!c->head_done && !c->closed)
    if (!co_await wait_call(x, *c)) {
      fail_call(x, K::ResponseTimeout, "upstream did not answer within " + std::to_string(up.read_ms) + " ms");
      bump(pu.counters->timeouts);
      record_failure(x, up.endpoint, x.error.detail);
      co_return Step::Failed;
    }
  if (!c->head_done || c->too_large || c->status < 200 || c->status > 999) {
    fail_call(x, c->head_done ? K::BadResponse : K::ResetBeforeResponse,
              c->head_done ? "invalid response head" : std::string("stream reset before the response: ") +
                                                          nghttp2_http2_strerror(c->error));
    bump(pu.counters->bad_responses);
    record_failure(x, up.endpoint, x.error.detail);
    co_return Step::Failed;
  }
  http::ResponseHead& r = up.head;
  r = {};
  r.status = static_cast<uint16_t>(c->status);
  r.fields = c->fields;
  std::string_view cl;
  if (h.method == "HEAD" || c->status == 204 || c->status == 304) {
    r.framing = http::Framing::None;
  } else if (plan::find_header(c->fields, "content-length", cl)) {
    r.framing = http::Framing::Length;
    std::from_chars(cl.data(), cl.data() + cl.size(), r.content_length);
  } else {
    r.framing = http::Framing::Chunked;  // a stream: its length is not known
  }
  co_return Step::Next;
}

Task<Step> pipe_h2_body(Exchange& x) {
  H2Call& c = *x.up.call;
  x.clock.set(Phase::UpstreamRead, x.up.read_ms);
  for (;;) {
    while (c.incoming.empty() && !c.ended && !c.closed)
      if (!co_await wait_call(x, c)) {
        fail_call(x, K::BodyTimeout, "upstream timed out in the body");
        co_return Step::Failed;
      }
    if (c.closed && !c.ended && c.incoming.empty()) {
      fail_call(x, K::BodyBrokenOff, std::string("upstream stream reset in the body: ") + nghttp2_http2_strerror(c.error));
      co_return Step::Failed;
    }
    c.handed.clear();
    std::swap(c.handed, c.incoming);
    const bool last = c.ended && c.incoming.empty();
    if (x.cache.fill) cache_body(x, c.handed);
    if (last && !c.trailers.empty()) x.down.set_trailers(c.trailers);
    bool sent;
    if (x.responded) {
      sent = co_await x.down.send_body(c.handed, last);
    } else {
      x.responded = true;
      sent = co_await x.down.send_head(x.start, c.handed, last);
    }
    if (!c.handed.empty() && !c.conn->gone) {
      nghttp2_session_consume(c.conn->ng, c.id, c.handed.size());
      c.conn->notify();
    }
    if (!sent) {
      x.keep = false;
      co_return Step::Answered;
    }
    x.clock.set(Phase::UpstreamRead, x.up.read_ms);
    if (last) break;
  }
  x.up.body_whole = true;
  x.grpc_status = grpc_status_of(c, x.grpc_message);
  co_return Step::Answered;
}

Task<void> finish_h2_call(Exchange& x) {
  std::shared_ptr<H2Call> c = std::move(x.up.call);
  H2UpstreamConnection& conn = *c->conn;
  // A stream not done with is cancelled (the client left, or the answer failed);
  // nothing of it calls back here any more.
  if (!conn.gone && !c->closed && !(c->ended && (!c->sends_body || c->eof_taken))) {
    nghttp2_submit_rst_stream(conn.ng, NGHTTP2_FLAG_NONE, c->id, NGHTTP2_CANCEL);
    conn.notify();
  }
  if (!conn.gone && !c->incoming.empty()) {
    conn.owed += c->incoming.size();
    c->incoming.clear();
    conn.notify();
  }
  // The pump reads the client's body through this exchange's Downstream: it ends
  // (the body done, the client gone, the stream closed) before the exchange does.
  error_code ec;
  while (c->pump_running) co_await c->signal.async_wait(asio::redirect_error(use_task, ec));
  x.clock.watch_timer(nullptr);
}

}  // namespace banyan::proxy
