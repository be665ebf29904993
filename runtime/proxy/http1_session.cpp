// The HTTP/1.1 connection layer (http1_session.h): the read loop, the request body's
// framing (Content-Length, chunked), the response's framing and keep-alive, lingering
// close, and the Upgrade tunnel, and who the client is (a PROXY protocol header first on
// a listener that wants one; X-Forwarded-For from a trusted proxy). The exchange
// (exchange/) does the rest.
//
// A connection is two objects. Http1Connection is what lasts: the stream, the
// watchdog, who connected. Http1Session is the working part: the exchange, the
// request head, the buffers and a coroutine, taken from the worker's spares when a
// connection begins and given back when it ends, or when it parks: a connection
// still waiting for a request at two ticks of kParkTick in a row (20 to 40 ms) stops
// its read and waits for readiness with its session back in the spares, as nginx's
// idle keep-alive connections hold their socket and little else. The next request
// takes a session again (and a coroutine: a few allocations). A busy connection keeps
// its session (no allocation per request); an idle one costs its stream and watchdog.
#include "runtime/proxy/http1_session.h"

#include <array>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "runtime/http/chunked.h"
#include "runtime/http/proxy_protocol.h"
#include "runtime/proxy/buffer.h"
#include "runtime/proxy/client_address.h"
#include "runtime/proxy/clock.h"
#include "runtime/proxy/downstream.h"
#include "runtime/proxy/exchange/exchange.h"
#include "runtime/proxy/gateway.h"
#include "runtime/proxy/http1_framing.h"
#include "runtime/proxy/http2_session.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/send_ready.h"
#include "runtime/proxy/tls.h"
#include "runtime/proxy/tls_stream.h"
#include "runtime/proxy/watchdog.h"

namespace banyan::proxy {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Lingering close: after an answer to a request whose body is left unread, read (and
// drop) what the client still sends for this long or this much, so that the answer
// is not lost to a reset when the unread body arrives (nginx's lingering_close).
inline constexpr int64_t kLingerMs = 2000;
inline constexpr size_t kLingerBytes = 4u << 20;

// Room for a typical response head at once, not three doublings on every new
// connection's first response.
inline constexpr size_t kTypicalResponseHead = 384;
// A PROXY protocol header fits a fresh buffer whole: no growth while reading one.
static_assert(BufferPool::kSize >= http::kProxyV2MaxBytes);

// The data plane does not throw; if something below does anyway (a bug, or
// std::bad_alloc), the connection ends and the reason is logged, never the process.
auto on_exit(Worker& worker) {
  return [&worker](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      worker.gateway().note(std::string("a connection ended on an exception: ") + x.what());
    } catch (...) {
      worker.gateway().note("a connection ended on an unknown exception");
    }
  };
}

template <class Stream>
class Http1Session;

// What a connection keeps for its life (see the top of this file).
template <class Stream>
class Http1Connection final : public SessionBase {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // `stream` is what the Stream is made of (a socket; a socket and a TLS context).
  template <class... StreamArgs>
  Http1Connection(Worker& w, const ListenerInfo& l, const tcp::endpoint& peer, StreamArgs&&... args)
      : worker(w),
        listener(l),
        stream(std::forward<StreamArgs>(args)...),
        peer_addr(ip_of(peer.address())),
        peer_port(peer.port()) {}
  // A session still attached here was left by a coroutine that ended on an exception:
  // its watchdog must not outlive the socket it watches.
  ~Http1Connection();

  // Takes a session from the worker's spares and runs it.
  void serve(std::shared_ptr<Http1Connection> self);
  // Gives the session back and waits for the next request's bytes, on the worker's
  // list of parked connections until its idle deadline.
  void park(std::shared_ptr<Http1Connection> self, Clock::time_point idle_deadline);
  // Closes the connection and takes it off the counts, once.
  void finish();
  void give_back_session();
  void drain() override;
  void expire() override;

  Worker& worker;
  const ListenerInfo& listener;
  Stream stream;
  std::shared_ptr<const TlsContexts> tls;  // for the handshake's SNI callback
  // Who connected: the socket's peer, or the PROXY header's source.
  config::IpAddress peer_addr;
  uint16_t peer_port = 0;
  bool started = false;  // the PROXY header and the handshake are behind it
  bool closing = false;  // drained: no request after the one in flight
  // While one serves it (destroyed first). Shared with the session's watchdog: a wait
  // it cancelled when the connection parked may still be queued, and a spare list
  // trimmed meanwhile must not free what that wait looks at.
  std::shared_ptr<Http1Session<Stream>> session;
};

template <class Stream>
class Http1Session final : public SpareSession, public Downstream {
 public:
  using Connection = Http1Connection<Stream>;

  explicit Http1Session(Connection& c)
      : worker_(c.worker),
        gw_(worker_.gateway()),
        limits_(gw_.config().limits),
        clock_(worker_.io(), c.stream.lowest_layer()),
        exchange_(worker_, *this, clock_) {
    out_.reserve(kTypicalResponseHead);
  }
  // Binds the session to `c`, for as long as it serves it.
  void attach(Connection& c) {
    c_ = &c;
    clock_.rebind(c.stream.lowest_layer());
    server_port_ = std::to_string(c.listener.bind.port);
    facts_ = {{}, {}, server_port_, c.listener.https, c.listener.binding, c.listener.show_error_details, {}};
    set_peer(c.peer_addr, c.peer_port);
    hl_ = {limits_.request_line, limits_.header_bytes, limits_.header_count};
    closing_ = c.closing;
    client_gone_ = false;
    h2_ = nullptr;
    if constexpr (Connection::kTls) c.stream.lend(cipher_.data());
  }

  // `conn` keeps the connection alive for as long as the coroutine runs.
  Task<void> run(std::shared_ptr<Connection> conn);
  void stop_clock() { clock_.stop(); }
  void drain() {
    closing_ = true;
    if (h2_) h2_->drain();
    else if (clock_.phase() == Phase::Idle) clock_.cancel_all();
  }
  // A housekeeping tick, while the session waits for a request: one seen waiting at
  // the tick before stops and parks its connection.
  void sweep() override {
    if (!idle_seen_) {
      idle_seen_ = true;
      return;
    }
    park_ = true;
    error_code ec;
    c_->stream.lowest_layer().cancel(ec);
  }

  // --- Downstream --------------------------------------------------------------
  const ClientFacts& client() const override { return facts_; }
  const http::RequestHead& request() const override { return head_; }
  std::string_view buffered_body(bool& whole) const override {
    whole = head_.framing == http::Framing::Length && body_left_ == head_.content_length && in_.size() >= body_left_;
    return whole ? in_.view().substr(0, body_left_) : std::string_view();
  }
  void consume_buffered_body() override {
    in_.consume(body_left_);
    body_left_ = 0;
  }
  Task<BodyPiece> read_body(uint64_t limit) override;
  bool body_unread() const override {
    return head_.framing == http::Framing::Chunked ? !chunked_done_ : body_left_ > 0;
  }
  Task<bool> send_head(const ResponseStart& r, std::string_view body, bool last) override;
  Task<bool> send_body(std::string_view data, bool last) override;
  Task<void> tunnel(Socket& upstream) override;
  uint64_t bytes_in() const override { return bytes_in_; }
  uint64_t bytes_out() const override { return bytes_out_; }

 private:
  // Writes to the client under the write deadline. Not a coroutine: the caller's
  // co_await is the write itself (one frame fewer per response).
  template <class Buffers>
  Task<size_t> write_client(const Buffers& b, error_code& ec) {
    clock_.set(Phase::ClientWrite, limits_.body_timeout_ms);
    return asio::async_write(c_->stream, b, asio::redirect_error(use_task, ec));
  }
  // As much of `b` as the client's socket takes at once, without waiting: the caller
  // writes the rest, if any, with write_client. A response that fits the socket's
  // buffer (nearly all) then costs one send and no trip through the event loop, and a
  // `Connection: close` answer is closed right after it is sent, as nginx does.
  template <size_t N>
  size_t send_now(const std::array<asio::const_buffer, N>& b, error_code& ec) {
    if constexpr (Connection::kTls) {
      return c_->stream.write_now(b, ec);
    } else {
      return send_ready(c_->stream, b, ec);
    }
  }
  bool wrote(size_t n, const error_code& ec) {
    bytes_out_ += n;
    if (ec) client_gone_ = true;
    return !ec;
  }
  Task<size_t> read_client(Phase phase, int64_t timeout_ms, error_code& ec) {
    in_.make_room(4096, in_.cap);
    clock_.set(phase, timeout_ms);
    size_t n = co_await c_->stream.async_read_some(in_.tail(), asio::redirect_error(use_task, ec));
    in_.end += n;
    bytes_in_ += n;
    co_return n;
  }
  // An idle session keeps no request's buffers (nor does a spare one).
  void release_request_memory() {
    in_.release(worker_.buffers());
    worker_.fields().put(std::move(fields_));
    exchange_.release();
  }
  void set_peer(const config::IpAddress& a, uint16_t port) {
    c_->peer_addr = a;
    c_->peer_port = port;
    facts_.peer = facts_.ip = {peer_text_.data(), config::format_ip(a, peer_text_)};
    peer_port_ = std::to_string(port);
    facts_.port = peer_port_;
  }
  Task<bool> read_proxy_header();
  bool speaks_h2c();
  // Whether the connection may park: a TLS stream holds no ciphertext OpenSSL has not
  // taken (it never does while its read waits; checked anyway).
  bool may_park() const {
    if constexpr (Connection::kTls) return !c_->stream.holds_input();
    return true;
  }
  // HTTP/2 until it ends; then a lingering close, so that a GOAWAY we sent is read
  // before unread bytes of the client's turn our close into a reset.
  Task<void> serve_h2(std::string_view first) {
    co_await serve_http2(worker_, c_->stream, clock_, {facts_, c_->peer_addr, first, &h2_, first_bytes_});
    if (!in_.data) in_.acquire(worker_.buffers());
    co_await linger();
  }
  void find_client();
  void begin_request();
  void took_first_bytes(size_t n);
  http::Parse parse_head();
  Task<http::Parse> read_rest_of_head();
  Task<void> refuse();
  void begin_exchange();
  Task<void> linger();
  Task<void> pump_to_upstream(std::shared_ptr<Connection> conn, Socket& upstream);

  Connection* c_ = nullptr;
  std::weak_ptr<Connection> conn_;  // for the tunnel's second coroutine
  Worker& worker_;
  Gateway& gw_;
  const config::Limits& limits_;
  Watchdog clock_;
  Exchange exchange_;
  std::string peer_port_, server_port_;
  Http2Control* h2_ = nullptr;  // while the connection speaks HTTP/2
  // The peer's address, and the client X-Forwarded-For names when that peer is
  // trusted; `facts_` views these texts.
  std::array<char, config::kIpTextMax> peer_text_{}, client_text_{};
  ClientFacts facts_;
  http::Limits hl_;
  Buffer in_;
  std::unique_ptr<plan::HeaderField[]> fields_;
  http::RequestHead head_;
  std::array<char, 1024> first_bytes_;  // an idle connection's next bytes (a typical request head fits)
  // A TLS stream's reads land here (TlsStream::lend); a plain session has none.
  [[no_unique_address]] std::conditional_t<Connection::kTls, std::array<char, TlsStream::kSmall>, std::tuple<>> cipher_;
  char request_id_[32];
  std::string out_;  // a response head
  bool closing_ = false, client_gone_ = false;
  bool idle_seen_ = false, park_ = false;  // seen waiting for a request by a tick; told to park

  // per request
  Clock::time_point started_, head_deadline_;
  http::Error refusal_ = http::Error::None;
  int refusal_status_ = 0;  // a head refused (400, 414, 431, 501, 505), or 408 for a slow one
  uint64_t bytes_in_ = 0, bytes_out_ = 0;
  uint64_t body_left_ = 0;  // Content-Length body bytes not yet taken
  http::ChunkedDecoder chunked_;
  uint64_t chunked_total_ = 0;
  bool chunked_done_ = true, continue_sent_ = false;
  bool chunked_out_ = false, close_after_ = false;  // the response's framing, as sent
  bool tunnel_open_ = false, pump_done_ = true;
  Timer* tunnel_done_ = nullptr;
};

template <class Stream>
Task<void> Http1Session<Stream>::run(std::shared_ptr<Connection> conn) {
  conn_ = conn;
  Connection& c = *conn;
  error_code ec;
  // Armed once at a real deadline, later than every other connection's: no timerfd
  // change per connection (a timer armed for "now" would fire at once and re-arm).
  clock_.set(c.started ? Phase::Idle : Phase::Head, c.started ? limits_.idle_timeout_ms : limits_.header_timeout_ms);
  clock_.start(c.session);
  if (!c.started) {
    c.started = true;
    // A PROXY protocol header comes before anything else, TLS included.
    if (c.listener.proxy_protocol && !co_await read_proxy_header()) closing_ = true;
    if constexpr (Connection::kTls) {
      if (!closing_) {
        clock_.set(Phase::Head, limits_.header_timeout_ms);
        co_await c.stream.async_handshake(asio::redirect_error(use_task, ec));
        if (ec) closing_ = true;  // a failed handshake: nothing to answer
        if (!closing_ && negotiated_h2(c.stream.native_handle())) {
          co_await serve_h2({});
          closing_ = true;
        }
      }
    }
  }
  // One request and its response a turn. The common steps are awaited here, not in
  // coroutines of their own: Asio 1.74 recycles one coroutine frame per thread, so
  // each level of calls costs an allocation per request.
  bool park = false;
  while (!closing_) {
    begin_request();
    if (in_.size() == 0) {
      // Idle before a request (the first, or the next on a keep-alive connection):
      // `idle_timeout` closes it silently, as nginx's keepalive_timeout does. It waits
      // with no request buffer: the first bytes land in a small array of the session's
      // (a read, not a readiness wait: that would cost an epoll_ctl). Still waiting at
      // two ticks of kParkTick, it stops, and the connection parks.
      clock_.set(Phase::Idle, limits_.idle_timeout_ms);
      release_request_memory();
      worker_.idle_session(*this);
      idle_seen_ = park_ = false;
      size_t n = co_await c.stream.async_read_some(asio::buffer(first_bytes_), asio::redirect_error(use_task, ec));
      unlink();
      if (park_ && n == 0 && ec == asio::error::operation_aborted && !closing_ && !clock_.expired()) {
        if (!may_park()) continue;
        park = true;
        break;
      }
      if (ec || n == 0 || closing_) break;  // closed, reset or idle too long: nothing to answer
      took_first_bytes(n);
    }
    if (c.listener.h2c && speaks_h2c()) {  // a client with prior knowledge opens with the HTTP/2 preface
      std::string first(in_.view());
      in_.release(worker_.buffers());  // HTTP/2 reads into its own buffers
      co_await serve_h2(first);
      break;
    }
    // The header timeout is one deadline for the whole head, from its first byte.
    head_deadline_ = coarse_now() + std::chrono::milliseconds(limits_.header_timeout_ms);
    http::Parse p = parse_head();
    if (p == http::Parse::Incomplete) p = co_await read_rest_of_head();
    if (p != http::Parse::Complete) {
      if (refusal_status_) co_await refuse();
      break;
    }
    begin_exchange();
    bool keep = co_await exchange_.run(worker_.generation(), request_id_, started_);
    if (body_unread() && !client_gone_ && exchange_.error.kind != ExchangeError::Kind::ClientGone) {
      co_await linger();  // the answer went out; the body it did not read must not be taken for a request
      break;
    }
    if (!keep || close_after_ || client_gone_ || body_unread()) break;
  }
  release_request_memory();
  conn_.reset();
  clock_.stop();
  if (park) {
    c.park(std::move(conn), clock_.deadline());  // gives this session back: nothing of it is touched after
  } else {
    c.finish();
  }
}

template <class Stream>
void Http1Connection<Stream>::serve(std::shared_ptr<Http1Connection> self) {
  std::shared_ptr<SpareSession> spare = worker.spare_sessions(kTls).take();
  session = spare ? std::static_pointer_cast<Http1Session<Stream>>(std::move(spare))
                  : std::make_shared<Http1Session<Stream>>(*this);
  session->attach(*this);
  Worker& w = worker;
  asio::co_spawn(w.io(), session->run(std::move(self)), on_exit(w));
}

template <class Stream>
Http1Connection<Stream>::~Http1Connection() {
  if (session) session->stop_clock();
}

template <class Stream>
void Http1Connection<Stream>::give_back_session() {
  if constexpr (kTls) stream.lend(nullptr);
  if (session) worker.spare_sessions(kTls).give(std::move(session));
}

template <class Stream>
void Http1Connection<Stream>::park(std::shared_ptr<Http1Connection> self, Clock::time_point deadline) {
  give_back_session();
  idle_deadline = deadline;
  worker.parked(*this);
  bump(worker.gateway().metrics().connections_parked);
  bump(worker.gateway().metrics().parks);
  stream.lowest_layer().async_wait(Socket::wait_read, [self = std::move(self)](const error_code& ec) mutable {
    Http1Connection& c = *self;
    c.ParkedHook::unlink();
    c.worker.gateway().metrics().connections_parked.fetch_sub(1, std::memory_order_relaxed);
    if (ec || c.closing) {
      c.finish();  // idle too long (expire), drained, or the socket failed
      return;
    }
    c.serve(std::move(self));
  });
}

// Past the idle deadline: the wait ends (cancelled), and with it the connection.
template <class Stream>
void Http1Connection<Stream>::expire() {
  error_code ec;
  stream.lowest_layer().cancel(ec);
}

template <class Stream>
void Http1Connection<Stream>::finish() {
  give_back_session();
  error_code ec;
  stream.lowest_layer().close(ec);
  worker.remove_session(this);
  Gateway& gw = worker.gateway();
  gw.open_connections().fetch_sub(1, std::memory_order_relaxed);
  gw.metrics().connections_open.fetch_sub(1, std::memory_order_relaxed);
}

template <class Stream>
void Http1Connection<Stream>::drain() {
  closing = true;
  error_code ec;
  if (session) session->drain();
  else stream.lowest_layer().cancel(ec);  // parked: the wait ends, and the connection
}

// Closes our side for writing and reads what the client still sends, bounded.
template <class Stream>
Task<void> Http1Session<Stream>::linger() {
  error_code ec;
  if (!in_.data) co_return;
  if constexpr (std::is_same_v<Stream, Socket>) c_->stream.shutdown(Socket::shutdown_send, ec);
  clock_.set(Phase::Closing, kLingerMs);
  size_t total = 0;
  while (!ec && total < kLingerBytes) {
    in_.begin = in_.end = 0;
    size_t n = co_await c_->stream.async_read_some(in_.tail(), asio::redirect_error(use_task, ec));
    total += n;
  }
}

// The PROXY protocol header (runtime/http/proxy_protocol.h), whole within the header
// timeout from the connection's start. On TLS the handshake follows, so each read
// takes only what the header can still need; on plain TCP the bytes after it are the
// first request's, left in `in_`. A malformed header closes the connection, counted and
// noted with its reason; not one byte of it reaches the HTTP parser.
template <class Stream>
Task<bool> Http1Session<Stream>::read_proxy_header() {
  in_.acquire(worker_.buffers());
  const Clock::time_point deadline = coarse_now() + std::chrono::milliseconds(limits_.header_timeout_ms);
  http::ProxyHeader h;
  std::string_view why;
  for (;;) {
    http::ProxyParse r = http::parse_proxy_header(in_.view(), h, why);
    if (r == http::ProxyParse::Complete) break;
    if (r == http::ProxyParse::Failed) break;
    int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - coarse_now()).count();
    clock_.set(Phase::Head, std::max<int64_t>(left, 1));
    error_code ec;
    size_t n = 0;
    if constexpr (std::is_same_v<Stream, Socket>) {
      n = co_await c_->stream.async_read_some(in_.tail(), asio::redirect_error(use_task, ec));
    } else {
      n = co_await asio::async_read(c_->stream.next_layer(), asio::buffer(in_.tail().data(), h.need),
                                    asio::redirect_error(use_task, ec));
    }
    in_.end += n;
    if (ec || n == 0) {
      if (!clock_.expired() && in_.size() == 0) co_return false;  // connected and left: a port check
      why = clock_.expired() ? "it did not arrive within the header timeout" : "the connection closed inside it";
      break;
    }
  }
  if (why.empty()) {
    in_.consume(h.length);
    if (h.has_address) set_peer(config::IpAddress{h.source}, h.source_port);
    co_return true;
  }
  bump(gw_.metrics().bad_proxy_headers);
  gw_.note("listener " + c_->listener.plan_address + ": a PROXY protocol header from " + std::string(facts_.peer) +
           " refused, connection closed: " + std::string(why));
  co_return false;
}

// Whether the client opens with the HTTP/2 preface: what has arrived is the start of
// it, "PRI " at least (PRI is no HTTP/1.1 method: RFC 9113 3.4 reserves it).
template <class Stream>
bool Http1Session<Stream>::speaks_h2c() {
  if (in_.size() < 4 || in_.view()[0] != 'P') return false;
  std::string_view got = in_.view().substr(0, kHttp2Preface.size());
  return kHttp2Preface.substr(0, got.size()) == got;
}

// The client, when the peer is a trusted proxy: what its X-Forwarded-For says
// (client_address.h). Otherwise the peer, as begin_request left it.
template <class Stream>
void Http1Session<Stream>::find_client() {
  const std::vector<config::Cidr>& trusted = gw_.config().trusted_proxies;
  if (trusted.empty()) return;
  config::IpAddress c = client_address(c_->peer_addr, head_.fields, trusted);
  if (c == c_->peer_addr) return;
  facts_.ip = {client_text_.data(), config::format_ip(c, client_text_)};
}

template <class Stream>
void Http1Session<Stream>::begin_request() {
  facts_.ip = facts_.peer;
  bytes_in_ = bytes_out_ = 0;
  head_ = {};
  body_left_ = 0;
  chunked_done_ = true;
  continue_sent_ = chunked_out_ = close_after_ = false;
  refusal_status_ = 0;
  in_.unpin();
}

// A head was read: the request's id, its body's framing.
template <class Stream>
void Http1Session<Stream>::begin_exchange() {
  find_client();
  in_.pin(head_.head_bytes);
  started_ = Clock::now();
  bytes_in_ = head_.head_bytes;
  worker_.next_request_id(request_id_);
  bump(gw_.metrics().requests);
  if (head_.framing == http::Framing::Length) body_left_ = head_.content_length;
  if (head_.framing == http::Framing::Chunked) {
    chunked_ = http::ChunkedDecoder();
    chunked_total_ = 0;
    chunked_done_ = false;
  }
}

template <class Stream>
void Http1Session<Stream>::took_first_bytes(size_t n) {
  in_.acquire(worker_.buffers());
  std::memcpy(in_.data.get(), first_bytes_.data(), n);
  in_.end += n;
  bytes_in_ += n;
}

// Parses what has arrived of the head; a refusal is noted for refuse().
template <class Stream>
http::Parse Http1Session<Stream>::parse_head() {
  if (!fields_) fields_ = worker_.fields().get();
  http::Error err = http::Error::None;
  http::Parse r = http::parse_request(in_.view(), hl_, {fields_.get(), hl_.header_count}, head_, err);
  if (r == http::Parse::Failed) {
    bump(gw_.metrics().bad_requests);
    refusal_ = err;
    refusal_status_ = http::status_for(err);
  }
  return r;
}

// The rest of a head that did not arrive in one read, within the header deadline.
template <class Stream>
Task<http::Parse> Http1Session<Stream>::read_rest_of_head() {
  for (;;) {
    if (in_.full()) in_.grow(limits_.header_bytes + 1);
    error_code ec;
    int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(head_deadline_ - coarse_now()).count();
    size_t n = co_await read_client(Phase::Head, std::max<int64_t>(left, 1), ec);
    if (ec || n == 0) {
      if (clock_.expired()) refusal_status_ = 408;  // a slow client (nginx closes silently; a status is kinder to logs)
      co_return http::Parse::Failed;
    }
    http::Parse r = parse_head();
    if (r != http::Parse::Incomplete) co_return r;
  }
}

// Answers a head the gateway will not serve, and closes (lingering, so the answer is
// not lost to a reset).
template <class Stream>
Task<void> Http1Session<Stream>::refuse() {
  head_.framing = http::Framing::None;  // nothing of it is trusted, a body least of all
  worker_.next_request_id(request_id_);
  if (refusal_status_ == 408) {
    head_ = {};
    co_await exchange_.refuse(408, "request timeout: the request head did not arrive in time\n",
                              "request head not complete within the header timeout", request_id_, Clock::now());
    co_return;
  }
  out_ = "bad request: ";
  out_ += http::describe(refusal_);
  out_ += '\n';
  co_await exchange_.refuse(refusal_status_, out_, http::describe(refusal_), request_id_, Clock::now());
  co_await linger();
}

template <class Stream>
Task<BodyPiece> Http1Session<Stream>::read_body(uint64_t limit) {
  // `Expect: 100-continue`: the client waits for a word before sending its body.
  if (head_.expect_continue && !continue_sent_ && in_.size() == 0 && body_unread()) {
    continue_sent_ = true;
    static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
    error_code ec;
    size_t n = co_await write_client(asio::buffer(k100.data(), k100.size()), ec);
    if (!wrote(n, ec)) co_return BodyPiece{{}, BodyPiece::End::ClientGone};
  }
  error_code ec;
  if (head_.framing != http::Framing::Chunked) {
    if (body_left_ == 0) co_return BodyPiece{{}, BodyPiece::End::Done};
    if (in_.size() == 0) {
      size_t n = co_await read_client(Phase::Body, limits_.body_timeout_ms, ec);
      if (ec || n == 0) co_return BodyPiece{{}, BodyPiece::End::ClientGone};
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(body_left_, in_.size()));
    std::string_view data = in_.view().substr(0, take);
    in_.consume(take);  // the bytes stay put until the next read: `data` is valid until then
    body_left_ -= take;
    co_return BodyPiece{data, body_left_ == 0 ? BodyPiece::End::Done : BodyPiece::End::More};
  }
  for (;;) {  // chunked: decoded and checked (runtime/http/chunked.h)
    if (chunked_done_) co_return BodyPiece{{}, BodyPiece::End::Done};
    http::ChunkedDecoder::Step s = chunked_.next(in_.view());
    if (s.failed) co_return BodyPiece{{}, BodyPiece::End::Malformed};
    in_.consume(s.consumed);
    chunked_total_ += s.data.size();
    if (chunked_total_ > limit) co_return BodyPiece{{}, BodyPiece::End::TooLarge};
    if (s.done) chunked_done_ = true;
    if (!s.data.empty() || s.done) co_return BodyPiece{s.data, s.done ? BodyPiece::End::Done : BodyPiece::End::More};
    if (s.consumed > 0 && in_.size() > 0) continue;
    if (in_.full()) in_.grow(in_.cap * 2);
    size_t n = co_await read_client(Phase::Body, limits_.body_timeout_ms, ec);
    if (ec || n == 0) co_return BodyPiece{{}, BodyPiece::End::ClientGone};
  }
}

template <class Stream>
Task<bool> Http1Session<Stream>::send_head(const ResponseStart& r, std::string_view body, bool last) {
  Http1Framing f =
      write_response_head(out_, r, head_.version_minor == 1, head_.keep_alive && !closing_ && !worker_.draining());
  chunked_out_ = f.chunked;
  close_after_ = f.close;
  char size_line[24];
  std::string_view sl = chunked_out_ && !body.empty() ? chunk_size_line(size_line, body.size()) : std::string_view();
  std::string_view tail = !chunked_out_  ? ""
                          : body.empty() ? (last ? "0\r\n\r\n" : "")
                                         : (last ? "\r\n0\r\n\r\n" : "\r\n");
  std::array<asio::const_buffer, 4> b{asio::buffer(out_), asio::buffer(sl.data(), sl.size()),
                                      asio::buffer(body.data(), body.size()), asio::buffer(tail.data(), tail.size())};
  error_code ec;
  size_t n = send_now(b, ec);
  if (!ec && n < asio::buffer_size(b)) n += co_await write_client(skip(b, n), ec);
  co_return wrote(n, ec);
}

template <class Stream>
Task<bool> Http1Session<Stream>::send_body(std::string_view data, bool last) {
  // Chunked: the size line before the data and the CRLF (and the last chunk) after it;
  // otherwise the data alone, framed by the head.
  char size_line[24];
  std::string_view sl, tail;
  if (chunked_out_) {
    if (!data.empty()) sl = chunk_size_line(size_line, data.size());
    tail = data.empty() ? (last ? "0\r\n\r\n" : "") : (last ? "\r\n0\r\n\r\n" : "\r\n");
  }
  if (data.empty() && tail.empty()) co_return true;
  std::array<asio::const_buffer, 3> b{asio::buffer(sl.data(), sl.size()), asio::buffer(data.data(), data.size()),
                                      asio::buffer(tail.data(), tail.size())};
  error_code ec;
  size_t n = send_now(b, ec);
  if (!ec && n < asio::buffer_size(b)) n += co_await write_client(skip(b, n), ec);
  co_return wrote(n, ec);
}

// After a 101: bytes both ways until either side closes or the connection idles for
// limits.idle_timeout. The client-to-upstream direction is a second coroutine; this
// one returns only when both have stopped (the buffers are the connection's).
template <class Stream>
Task<void> Http1Session<Stream>::tunnel(Socket& upstream) {
  close_after_ = true;
  tunnel_open_ = true;
  pump_done_ = false;
  Timer done(worker_.io(), Clock::time_point::max());
  tunnel_done_ = &done;
  asio::co_spawn(worker_.io(), pump_to_upstream(conn_.lock(), upstream), asio::detached);
  Buffer buf;
  buf.acquire(worker_.buffers());
  error_code ec;
  while (tunnel_open_) {  // upstream -> client
    clock_.set(Phase::Tunnel, limits_.idle_timeout_ms);
    size_t n = co_await upstream.async_read_some(asio::buffer(buf.data.get(), buf.cap),
                                                 asio::redirect_error(use_task, ec));
    if (ec || n == 0) break;
    clock_.set(Phase::Tunnel, limits_.idle_timeout_ms);
    size_t w =
        co_await asio::async_write(c_->stream, asio::buffer(buf.data.get(), n), asio::redirect_error(use_task, ec));
    bytes_out_ += w;
    if (ec) break;
  }
  buf.release(worker_.buffers());
  tunnel_open_ = false;
  clock_.cancel_all();
  while (!pump_done_) co_await done.async_wait(asio::redirect_error(use_task, ec));
  tunnel_done_ = nullptr;
}

template <class Stream>
Task<void> Http1Session<Stream>::pump_to_upstream(std::shared_ptr<Connection> conn, Socket& upstream) {
  (void)conn;  // kept alive; the session waits for this coroutine before it ends
  error_code ec;
  if (in_.size() > 0) {  // bytes the client sent after the upgrade request
    co_await asio::async_write(upstream, asio::buffer(in_.view().data(), in_.size()),
                               asio::redirect_error(use_task, ec));
    in_.consume(in_.size());
  }
  while (!ec && tunnel_open_) {
    in_.begin = in_.end = in_.pinned;
    size_t n = co_await c_->stream.async_read_some(in_.tail(), asio::redirect_error(use_task, ec));
    if (ec || n == 0) break;
    bytes_in_ += n;
    clock_.set(Phase::Tunnel, limits_.idle_timeout_ms);
    co_await asio::async_write(upstream, asio::buffer(in_.data.get() + in_.pinned, n),
                               asio::redirect_error(use_task, ec));
  }
  tunnel_open_ = false;
  clock_.cancel_all();
  pump_done_ = true;
  if (tunnel_done_) tunnel_done_->cancel();
}

}  // namespace

void start_session(Worker& worker, Socket socket, const tcp::endpoint& peer, const ListenerInfo& listener) {
  // TCP_NODELAY comes from the listening socket (Linux passes it on at accept).
  if (listener.https) {
    std::shared_ptr<const TlsContexts> tls = worker.gateway().tls();
    if (!tls) return;  // a plan without `tls` cannot be serving an https listener; be safe anyway
    auto c = std::make_shared<Http1Connection<TlsStream>>(worker, listener, peer, std::move(socket),
                                                          tls->first().native_handle());
    c->tls = std::move(tls);
    worker.add_session(c.get());
    auto* raw = c.get();
    raw->serve(std::move(c));
  } else {
    auto c = std::make_shared<Http1Connection<Socket>>(worker, listener, peer, std::move(socket));
    worker.add_session(c.get());
    auto* raw = c.get();
    raw->serve(std::move(c));
  }
}

}  // namespace banyan::proxy
