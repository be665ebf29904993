// Phases 4 and 6 for an upstream with `protocol h2c`: HTTP/2 with prior knowledge to
// its servers, as gRPC servers take it. Each worker keeps one multiplexed connection
// per server (WorkerUpstream::h2), a libnghttp2 client session with a reader and a
// writer coroutine; an exchange is one stream of it (H2Call). Unlike HTTP/1.1 the two
// directions run at once: the client's body is pumped up by a coroutine of its own
// while the response comes down, so a bidirectional gRPC stream works; the response's
// trailers go to the client (Downstream::set_trailers). The request head is the one
// request_head.cpp writes for HTTP/1.1 (the same header rules), read back into HTTP/2
// fields. Not here (yet): compression of the response body, retries after the request
// was sent, shadow copies to an h2c upstream.
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <utility>  // before Asio (Boost 1.74 misses it under GCC 12)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "runtime/http/fields.h"
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/gateway.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/watchdog.h"

namespace banyan::proxy {

namespace asio = boost::asio;
using boost::system::error_code;
using K = ExchangeError::Kind;

// A stream's receive window here: what one response may have buffered in the gateway
// before its client reads it (the connection's bounds all streams together).
inline constexpr int32_t kCallWindow = 256 << 10;
inline constexpr int32_t kUpstreamConnectionWindow = 4 << 20;
// A connection with no call for this long is closed (the HTTP/1.1 pool's kMaxIdleAge).
inline constexpr auto kIdleClose = std::chrono::seconds(30);

struct H2Call {
  explicit H2Call(asio::io_context& io) : signal(io, std::chrono::steady_clock::time_point::max()) {}
  std::shared_ptr<H2UpstreamConnection> conn;  // (the connection holds the call until its stream closes)
  int32_t id = -1;
  Timer signal;  // wakes the exchange (and its body pump)
  void wake() { signal.cancel(); }

  // The request body: what the pump passed and the data provider has not taken.
  std::string_view pending;
  bool sends_body = false, pending_last = false, eof_taken = false, pump_running = false;

  // The response head, then its trailers: names and values in one arena each.
  struct Span {
    uint32_t name_at, name_len, value_at, value_len;
  };
  int status = 0;
  std::string arena;
  std::vector<Span> spans;
  std::vector<plan::HeaderField> fields;
  bool head_done = false, too_large = false;
  std::string trailers;  // "name: value\r\n" each, for the client

  std::string incoming, handed;  // the response body as DATA arrives, and as handed to the client
  bool ended = false, closed = false;
  uint32_t error = 0;  // the stream's RST_STREAM code
};

class H2UpstreamConnection : public std::enable_shared_from_this<H2UpstreamConnection> {
 public:
  H2UpstreamConnection(Worker& w, Socket s)
      : worker(w), socket(std::move(s)), write_wake(w.io(), std::chrono::steady_clock::time_point::max()) {}
  ~H2UpstreamConnection() {
    if (ng) nghttp2_session_del(ng);
  }
  bool open();
  void start() {
    asio::co_spawn(worker.io(), read_loop(shared_from_this()), asio::detached);
    asio::co_spawn(worker.io(), write_loop(shared_from_this()), asio::detached);
  }
  bool usable() const { return ng && !gone && !closing && nghttp2_session_check_request_allowed(ng); }
  void notify() {
    write_wanted = true;
    write_wake.cancel();
  }
  // The end: every call open on it sees its stream closed.
  void fail() {
    if (gone) return;
    gone = true;
    error_code ec;
    socket.close(ec);
    for (auto& c : calls) {
      c->closed = true;
      if (!c->error) c->error = NGHTTP2_CONNECT_ERROR;
      c->wake();
    }
    calls.clear();
    notify();
  }

  Worker& worker;
  Socket socket;
  nghttp2_session* ng = nullptr;
  Timer write_wake;
  bool write_wanted = false, gone = false, closing = false;
  size_t owed = 0;  // body bytes of streams that closed unread, for the connection's window
  // The calls whose streams nghttp2 has open: their data providers and stream user
  // data point at them, so they live until the stream closes.
  std::vector<std::shared_ptr<H2Call>> calls;

 private:
  Task<void> read_loop(std::shared_ptr<H2UpstreamConnection> self);
  Task<void> write_loop(std::shared_ptr<H2UpstreamConnection> self);
};

namespace {

H2Call* call_of(nghttp2_session* ng, int32_t id) {
  return static_cast<H2Call*>(nghttp2_session_get_stream_user_data(ng, id));
}

int on_header(nghttp2_session* ng, const nghttp2_frame* f, const uint8_t* name, size_t namelen, const uint8_t* value,
              size_t valuelen, uint8_t, void* ud) {
  H2Call* c = call_of(ng, f->hd.stream_id);
  if (!c || f->hd.type != NGHTTP2_HEADERS) return 0;
  std::string_view n(reinterpret_cast<const char*>(name), namelen), v(reinterpret_cast<const char*>(value), valuelen);
  if (c->head_done) {  // trailers: for the client as they are
    if (!n.empty() && n[0] != ':') c->trailers.append(n).append(": ").append(v).append("\r\n");
    return 0;
  }
  if (n == ":status") {
    std::from_chars(v.data(), v.data() + v.size(), c->status);
    return 0;
  }
  const config::Limits& limits = static_cast<H2UpstreamConnection*>(ud)->worker.gateway().config().limits;
  if (c->arena.size() + namelen + valuelen > limits.header_bytes || c->spans.size() >= limits.header_count) {
    c->too_large = true;
    return 0;
  }
  H2Call::Span s{static_cast<uint32_t>(c->arena.size()), static_cast<uint32_t>(namelen), 0,
                 static_cast<uint32_t>(valuelen)};
  c->arena.append(n);
  s.value_at = static_cast<uint32_t>(c->arena.size());
  c->arena.append(v);
  c->spans.push_back(s);
  return 0;
}

int on_frame_recv(nghttp2_session* ng, const nghttp2_frame* f, void*) {
  H2Call* c = f->hd.stream_id ? call_of(ng, f->hd.stream_id) : nullptr;
  if (!c) return 0;
  const bool end = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (f->hd.type == NGHTTP2_HEADERS && !c->head_done) {
    if (c->status >= 100 && c->status < 200 && !end) {  // an interim answer: the real head follows
      c->arena.clear();
      c->spans.clear();
      c->status = 0;
      return 0;
    }
    c->head_done = true;
    c->fields.clear();
    for (const H2Call::Span& s : c->spans)
      c->fields.push_back({std::string_view(c->arena).substr(s.name_at, s.name_len),
                           std::string_view(c->arena).substr(s.value_at, s.value_len)});
  }
  if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) && end) c->ended = true;
  c->wake();
  return 0;
}

int on_data_chunk(nghttp2_session* ng, uint8_t, int32_t id, const uint8_t* data, size_t len, void*) {
  if (H2Call* c = call_of(ng, id)) {
    c->incoming.append(reinterpret_cast<const char*>(data), len);
    c->wake();
  } else {
    nghttp2_session_consume(ng, id, len);
  }
  return 0;
}

int on_stream_close(nghttp2_session* ng, int32_t id, uint32_t error_code, void* ud) {
  auto& conn = *static_cast<H2UpstreamConnection*>(ud);
  if (H2Call* c = call_of(ng, id)) {
    c->closed = true;
    c->error = error_code;
    c->wake();
  }
  std::erase_if(conn.calls, [&](const std::shared_ptr<H2Call>& c) { return c->id == id; });
  return 0;
}

ssize_t provide(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags, nghttp2_data_source* src,
                void*) {
  H2Call* c = static_cast<H2Call*>(src->ptr);
  if (c->pending.empty() && !c->pending_last) return NGHTTP2_ERR_DEFERRED;
  size_t n = std::min(length, c->pending.size());
  if (n > 0) std::memcpy(buf, c->pending.data(), n);  // (an empty last piece may have no address)
  c->pending.remove_prefix(n);
  if (c->pending.empty()) {
    if (c->pending_last) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      c->eof_taken = true;
    }
    c->wake();
  }
  return static_cast<ssize_t>(n);
}

}  // namespace

bool H2UpstreamConnection::open() {
  nghttp2_session_callbacks* cb = nullptr;
  if (nghttp2_session_callbacks_new(&cb) != 0) return false;
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_no_closed_streams(opt, 1);
  int rv = nghttp2_session_client_new2(&ng, cb, this, opt);
  nghttp2_session_callbacks_del(cb);
  nghttp2_option_del(opt);
  if (rv != 0) return false;
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                       {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kCallWindow)}};
  if (nghttp2_submit_settings(ng, NGHTTP2_FLAG_NONE, settings, 2) != 0) return false;
  return nghttp2_session_set_local_window_size(ng, NGHTTP2_FLAG_NONE, 0, kUpstreamConnectionWindow) == 0;
}

// `self` keeps the connection alive while its loops run.
Task<void> H2UpstreamConnection::read_loop(std::shared_ptr<H2UpstreamConnection> self) {
  (void)self;
  Buffer in;
  in.acquire(worker.buffers());
  error_code ec;
  while (!gone) {
    size_t n = co_await socket.async_read_some(asio::buffer(in.data.get(), in.cap), asio::redirect_error(use_task, ec));
    if (ec || n == 0) break;
    if (nghttp2_session_mem_recv(ng, reinterpret_cast<const uint8_t*>(in.data.get()), n) < 0) break;
    notify();
    if (!nghttp2_session_want_read(ng) && !nghttp2_session_want_write(ng)) break;  // after a GOAWAY, all done
  }
  in.release(worker.buffers());
  fail();
}

Task<void> H2UpstreamConnection::write_loop(std::shared_ptr<H2UpstreamConnection> self) {
  (void)self;
  std::string out;
  error_code ec;
  while (!gone) {
    if (owed) {
      nghttp2_session_consume_connection(ng, owed);
      owed = 0;
    }
    out.clear();
    while (out.size() < (64 << 10)) {
      const uint8_t* p = nullptr;
      ssize_t n = nghttp2_session_mem_send(ng, &p);
      if (n <= 0) break;
      out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    }
    if (out.empty()) {
      // Nothing to write: wait for a call, or close after kIdleClose with none (a
      // reload's new generation, or no traffic, leaves the connection unused).
      if (closing) break;  // our GOAWAY is out: the reader ends with the server's close
      write_wanted = false;
      while (!write_wanted && !gone) {
        write_wake.expires_after(kIdleClose);
        co_await write_wake.async_wait(asio::redirect_error(use_task, ec));
        if (!ec && calls.empty() && !write_wanted) {
          nghttp2_session_terminate_session(ng, NGHTTP2_NO_ERROR);
          write_wanted = true;  // the GOAWAY goes out, then the reader sees the end
          closing = true;
        }
      }
      continue;
    }
    co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(use_task, ec));
    if (ec) break;
  }
  fail();
}

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

// The request head request_head.cpp wrote for HTTP/1.1, as HTTP/2 fields: the request
// line's method and target, Host as :authority, names lower-cased, the framing and
// connection-specific fields left out (HTTP/2 frames the body itself); `te: trailers`
// when the client asked for trailers (gRPC servers require it).
void request_fields(Exchange& x, std::vector<nghttp2_nv>& nv, std::string& names) {
  std::string_view head = x.out;
  auto field = [](std::string_view n, std::string_view v) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE};
  };
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  struct Line {
    size_t at, len;
    std::string_view value;
  };
  std::vector<Line> lines;
  std::string_view authority;
  names.clear();
  for (std::string_view rest = head.substr(eol + 2); !rest.empty();) {
    size_t e = rest.find("\r\n");
    std::string_view l = rest.substr(0, e);
    rest = rest.substr(e + 2);
    size_t colon = l.find(':');
    if (l.empty() || colon == std::string_view::npos) continue;
    std::string_view n = l.substr(0, colon), v = l.substr(colon + 2);
    if (http::iequals(n, "host")) {
      authority = v;
      continue;
    }
    if (http::iequals(n, "content-length") || http::iequals(n, "transfer-encoding") || http::iequals(n, "connection") ||
        http::iequals(n, "upgrade") || http::iequals(n, "keep-alive"))
      continue;
    size_t at = names.size();
    for (char ch : n) names += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    lines.push_back({at, n.size(), v});
  }
  nv.clear();
  nv.push_back(field(":method", method));
  nv.push_back(field(":scheme", "http"));
  nv.push_back(field(":authority", authority));
  nv.push_back(field(":path", target));
  for (const Line& l : lines) nv.push_back(field(std::string_view(names).substr(l.at, l.len), l.value));
  std::string_view te;
  bool trailers = false;
  if (plan::find_header(x.head->fields, "te", te))
    http::for_each_element(te, [&](std::string_view e) { return !(trailers = http::iequals(e, "trailers")); });
  if (trailers) nv.push_back(field("te", "trailers"));
  const http::RequestHead& h = *x.head;
  if (h.framing == http::Framing::Length) {
    x.scratch.clear();
    append_number(x.scratch, h.content_length);
    nv.push_back(field("content-length", x.scratch));
  }
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
  request_fields(x, nv, x.text);
  const bool has_body =
      h.framing == http::Framing::Chunked || (h.framing == http::Framing::Length && h.content_length > 0);
  nghttp2_data_provider provider{};
  provider.source.ptr = c.get();
  provider.read_callback = provide;
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
