#include "runtime/proxy/session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstring>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "migrations/bucket.h"
#include "migrations/schedule.h"
#include "runtime/balance/power_of_two.h"
#include "runtime/balance/random_pick.h"
#include "runtime/compress/negotiate.h"
#include "runtime/http/chunked.h"
#include "runtime/http/parse.h"
#include "runtime/plan/matcher.h"
#include "runtime/plan/normalize_path.h"
#include "runtime/plan/rewrite.h"
#include "runtime/proxy/clock.h"
#include "runtime/proxy/gateway.h"

namespace banyan::proxy {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Encoded output is sent in chunks of at least this much (the last may be smaller).
constexpr size_t kMinEncodedChunk = 8 * 1024;

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
  }
}

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_hex(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);
  out.append(buf, end);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

// Header names as `$http_x_user` writes them: '_' stands for '-', any case.
bool header_var_equals(std::string_view field, std::string_view var) {
  if (field.size() != var.size()) return false;
  for (size_t i = 0; i < field.size(); ++i) {
    char a = field[i], b = var[i];
    if (b == '_') b = '-';
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

// "h2c" anywhere in an Upgrade value, any case: HTTP/2 cleartext is never upgraded to.
bool mentions_h2c(std::string_view v) {
  for (size_t i = 0; i + 3 <= v.size(); ++i)
    if ((v[i] | 0x20) == 'h' && v[i + 1] == '2' && (v[i + 2] | 0x20) == 'c') return true;
  return false;
}

bool is_idempotent(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS" || m == "TRACE";
}

// A byte buffer borrowed from the worker's pool; [begin, end) holds unread bytes.
// While a request is served its head stays where it was parsed, in [.., pinned):
// the parsed fields are views of it, so compacting moves unread bytes down to
// `pinned`, never over the head.
struct Buffer {
  std::unique_ptr<char[]> data;
  size_t cap = 0, begin = 0, end = 0, pinned = 0;

  std::string_view view() const { return {data.get() + begin, end - begin}; }
  size_t size() const { return end - begin; }
  void consume(size_t n) {
    begin += n;
    if (begin == end) begin = end = pinned;
  }
  // Keeps the first `n` unread bytes (a request head) in place until unpin().
  void pin(size_t n) {
    begin += n;
    pinned = begin;
    if (begin == end) begin = end = pinned;
  }
  void unpin() {
    pinned = 0;
    if (begin == end) begin = end = 0;
  }
  void compact() {
    if (begin == pinned) return;
    std::memmove(data.get() + pinned, data.get() + begin, end - begin);
    end -= begin - pinned;
    begin = pinned;
  }
  asio::mutable_buffer tail() { return {data.get() + end, cap - end}; }
  void acquire(BufferPool& pool) {
    if (data) return;
    data = pool.get();
    cap = BufferPool::kSize;
    begin = end = pinned = 0;
  }
  void release(BufferPool& pool) {
    if (!data) return;
    if (cap == BufferPool::kSize) pool.put(std::move(data));
    data.reset();
    cap = begin = end = pinned = 0;
  }
  // More room: up to `limit` bytes in all, keeping every offset.
  void grow(size_t limit) {
    size_t want = std::min(std::max(cap * 2, size_t{BufferPool::kSize}), limit);
    if (want <= cap) return;
    auto bigger = std::make_unique_for_overwrite<char[]>(want);
    std::memcpy(bigger.get(), data.get(), end);
    data = std::move(bigger);
    cap = want;
  }
  // Room to read into after compacting: a pinned head may leave too little.
  void make_room(size_t at_least, size_t limit) {
    compact();
    if (cap - end < at_least) grow(std::max(limit, end + at_least));
  }
};

// What the watchdog cuts when a deadline passes, and what the session answers then.
enum class Phase : uint8_t { Idle, Head, Body, Connect, UpstreamWrite, UpstreamRead, ClientWrite, Tunnel, Closing };

// Why an exchange with one endpoint failed.
enum class Failure : uint8_t { None, Connect, Write, ResetBeforeResponse, Timeout, BadResponse, BodyTooLarge, ClientBody };

struct Attempt {
  Failure failure = Failure::None;
  bool reused = false;
  std::string detail;
};

template <class Stream>
class Session final : public SessionBase {
 public:
  Session(Worker& worker, Stream stream, const ListenerInfo& listener, tcp::endpoint peer)
      : worker_(worker),
        gw_(worker.gateway()),
        limits_(gw_.config().limits),
        stream_(std::move(stream)),
        listener_(listener),
        timer_(worker.io()) {
    peer_ip_ = peer.address().to_string();
    peer_port_ = std::to_string(peer.port());
    server_port_ = std::to_string(listener.bind.port);
    hl_.request_line = limits_.request_line;
    hl_.header_bytes = limits_.header_bytes;
    hl_.header_count = limits_.header_count;
    deadline_ = Clock::now() + std::chrono::milliseconds(limits_.header_timeout_ms);
  }

  // `self` keeps the session alive for as long as the coroutine runs.
  awaitable<void> run(std::shared_ptr<Session> self);
  void keep(std::shared_ptr<const TlsContexts> tls) { tls_ = std::move(tls); }  // for the handshake's SNI callback
  void drain() override {
    closing_ = true;
    if (phase_ == Phase::Idle) cancel_all();
  }

 private:
  // --- the connection's clock -------------------------------------------------
  void set_deadline(Phase phase, int64_t ms) {
    phase_ = phase;
    expired_ = false;
    deadline_ = Clock::now() + std::chrono::milliseconds(ms);
    if (deadline_ < armed_) timer_.cancel();  // the watchdog re-arms at the earlier time
  }
  awaitable<void> watchdog(std::shared_ptr<Session> self) {
    (void)self;  // held by the frame: the session outlives its watchdog
    while (!closed_) {
      armed_ = deadline_;
      timer_.expires_at(armed_);
      error_code ec;
      co_await timer_.async_wait(asio::redirect_error(use_awaitable, ec));
      if (closed_) break;
      if (deadline_ <= Clock::now()) {
        expired_ = true;
        cancel_all();
        deadline_ = Clock::now() + std::chrono::hours(24);  // until the session sets a new one
      }
    }
  }
  void cancel_all() {
    error_code ec;
    stream_.lowest_layer().cancel(ec);
    if (upstream_) upstream_->cancel(ec);
  }

  // --- reading and writing the client ----------------------------------------
  template <class Buffers>
  awaitable<bool> write_client(const Buffers& b) {
    Phase was = phase_;
    set_deadline(Phase::ClientWrite, limits_.body_timeout_ms);
    error_code ec;
    size_t n = co_await asio::async_write(stream_, b, asio::redirect_error(use_awaitable, ec));
    bytes_out_ += n;
    phase_ = was;
    co_return !ec;
  }
  awaitable<size_t> read_client(Phase phase, int64_t timeout_ms, error_code& ec) {
    in_.make_room(4096, in_.cap);
    set_deadline(phase, timeout_ms);
    size_t n = co_await stream_.async_read_some(in_.tail(), asio::redirect_error(use_awaitable, ec));
    in_.end += n;
    bytes_in_ += n;
    co_return n;
  }

  // An idle connection keeps its socket and this object, not a request's buffers.
  void release_request_memory() {
    in_.release(worker_.buffers());
    up_.release(worker_.buffers());
    worker_.fields().put(std::move(fields_));
    worker_.fields().put(std::move(up_fields_));
  }
  awaitable<bool> serve_one();
  awaitable<bool> read_head();
  awaitable<void> respond(int status, std::string_view body, std::string_view extra_fields = {});
  awaitable<bool> proxy(const Generation& g, const plan::Route& route, const PreparedRoute& pr, uint32_t upstream_index);
  // Answers 502 or 504 for an exchange with the current endpoint that failed before
  // anything of the response reached the client: the upstream, its address, the cause
  // and the route.
  awaitable<void> answer_upstream_failure(int status, const PreparedUpstream& pu, const PreparedRoute& pr,
                                          std::string_view cause);
  awaitable<void> linger();
  awaitable<bool> tunnel(const PreparedUpstream& pu, const PreparedRoute& pr);
  awaitable<void> pump_to_upstream(std::shared_ptr<Session> self);
  void log_request(const PreparedRoute* pr);
  std::string_view variable(const plan::TemplatePart& p);
  void expand(const std::vector<plan::TemplatePart>& parts, std::string& out) {
    plan::expand_template(parts, out, [this](const plan::TemplatePart& p) { return variable(p); });
  }

  // --- upstream --------------------------------------------------------------
  uint32_t pick(const Generation& g, const PreparedUpstream& pu, WorkerUpstream& wu);
  void record_failure(const PreparedUpstream& pu, const EndpointSet& set, uint32_t i, std::string_view why);
  awaitable<bool> connect(const PreparedUpstream& pu, WorkerUpstream& wu, uint32_t i, Attempt& a);
  awaitable<bool> read_upstream(size_t& n, error_code& ec, int64_t timeout_ms);
  void return_upstream(const PreparedUpstream& pu, WorkerUpstream& wu, uint32_t i);
  void drop_upstream() {
    if (!upstream_) return;
    error_code ec;
    upstream_->close(ec);
    upstream_.reset();
  }

  std::weak_ptr<Session> weak_self_;  // for the tunnel's second coroutine
  std::shared_ptr<const TlsContexts> tls_;
  Worker& worker_;
  Gateway& gw_;
  const config::Limits& limits_;
  Stream stream_;
  const ListenerInfo& listener_;
  asio::steady_timer timer_;
  Clock::time_point deadline_, armed_ = Clock::time_point::max();
  Phase phase_ = Phase::Head;
  bool expired_ = false, closed_ = false, closing_ = false;

  http::Limits hl_;
  Buffer in_, up_;
  std::unique_ptr<plan::HeaderField[]> fields_, up_fields_;
  http::RequestHead head_;
  http::ResponseHead rhead_;
  std::string path_, out_, scratch_, host_lower_;
  std::string peer_ip_, peer_port_, server_port_;
  std::array<char, 1024> first_bytes_;  // an idle connection's next bytes (a typical request head fits)
  char request_id_[32];
  plan::MatchResult match_;
  const PreparedRoute* route_ = nullptr;
  std::optional<tcp::socket> upstream_;
  std::string_view upstream_addr_;
  std::shared_ptr<const EndpointSet> upstream_set_;  // keeps upstream_addr_ alive
  char upstream_status_[4] = {0, 0, 0, 0};
  std::array<uint32_t, 16> tried_{};  // endpoints this request tried (retries go elsewhere)
  uint32_t tried_count_ = 0;
  bool sticky_matched_ = false;
  int64_t connect_ms_ = 0, read_ms_ = 0;  // this request's, the route's or its upstream's
  bool tunnel_open_ = false, pump_done_ = true;
  asio::steady_timer* tunnel_done_ = nullptr;

  // per request, for the log
  Clock::time_point started_;
  int status_ = 0;
  uint64_t bytes_in_ = 0, bytes_out_ = 0;
  uint32_t retries_ = 0;
  std::string_view error_;
  bool keep_alive_ = true;
};

// --- the connection ----------------------------------------------------------

template <class Stream>
awaitable<void> Session<Stream>::run(std::shared_ptr<Session> self) {
  weak_self_ = self;
  worker_.add_session(this);
  asio::co_spawn(worker_.io(), watchdog(self), asio::detached);

  if constexpr (!std::is_same_v<Stream, tcp::socket>) {
    set_deadline(Phase::Head, limits_.header_timeout_ms);
    error_code ec;
    co_await stream_.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
    if (ec) closing_ = true;  // a failed handshake: nothing to answer
  }
  while (!closing_) {
    if (!co_await serve_one()) break;
  }
  closed_ = true;
  timer_.cancel();
  drop_upstream();
  {
    error_code ec;
    stream_.lowest_layer().close(ec);
  }
  release_request_memory();
  worker_.remove_session(this);
  gw_.open_connections().fetch_sub(1, std::memory_order_relaxed);
  gw_.metrics().connections_open.fetch_sub(1, std::memory_order_relaxed);
}

// Closes our side for writing and reads what the client still sends (for a while),
// so the error response is not lost to a reset when the client's unread body arrives.
template <class Stream>
awaitable<void> Session<Stream>::linger() {
  error_code ec;
  if (!in_.data) co_return;
  if constexpr (std::is_same_v<Stream, tcp::socket>) stream_.shutdown(tcp::socket::shutdown_send, ec);
  set_deadline(Phase::Closing, 2000);
  size_t total = 0;
  while (!ec && total < (4u << 20)) {
    in_.begin = in_.end = 0;
    size_t n = co_await stream_.async_read_some(in_.tail(), asio::redirect_error(use_awaitable, ec));
    total += n;
  }
}

template <class Stream>
awaitable<bool> Session<Stream>::read_head() {
  if (!fields_) fields_ = worker_.fields().get();
  bool first_byte_seen = in_.size() > 0;
  Clock::time_point head_deadline = Clock::now() + std::chrono::milliseconds(limits_.header_timeout_ms);
  for (;;) {
    if (in_.size() > 0) {
      http::Error err = http::Error::None;
      http::Parse r = http::parse_request(in_.view(), hl_, {fields_.get(), hl_.header_count}, head_, err);
      if (r == http::Parse::Complete) co_return true;
      if (r == http::Parse::Failed) {
        started_ = Clock::now();
        bump(gw_.metrics().bad_requests);
        error_ = http::describe(err);
        keep_alive_ = false;
        scratch_ = "bad request: ";
        scratch_ += http::describe(err);
        scratch_ += '\n';
        co_await respond(http::status_for(err), scratch_);
        log_request(nullptr);
        co_await linger();
        co_return false;
      }
      if (in_.end == in_.cap && in_.begin == 0) in_.grow(limits_.header_bytes + 1);
    }
    error_code ec;
    if (!first_byte_seen) {
      // Idle between requests: hold no request buffer while nothing arrives (plain
      // TCP). The first bytes land in a small array of the session's (a read, not a
      // readiness wait: Asio re-arms epoll for every wait, not for a read).
      if constexpr (std::is_same_v<Stream, tcp::socket>) {
        release_request_memory();
        set_deadline(Phase::Idle, limits_.idle_timeout_ms);
        size_t n = co_await stream_.async_read_some(asio::buffer(first_bytes_), asio::redirect_error(use_awaitable, ec));
        if (ec || n == 0 || closing_) co_return false;
        fields_ = worker_.fields().get();
        in_.acquire(worker_.buffers());
        std::memcpy(in_.data.get(), first_bytes_.data(), n);
        in_.end = n;
        bytes_in_ += n;
        head_deadline = Clock::now() + std::chrono::milliseconds(limits_.header_timeout_ms);
      } else {
        in_.acquire(worker_.buffers());
        head_deadline = Clock::now() + std::chrono::milliseconds(limits_.header_timeout_ms);
        size_t n = co_await read_client(Phase::Idle, limits_.idle_timeout_ms, ec);
        if (ec || n == 0) co_return false;  // closed, reset or idle too long: nothing to answer
      }
      first_byte_seen = true;
      continue;
    }
    int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(head_deadline - Clock::now()).count();
    size_t n = co_await read_client(Phase::Head, std::max<int64_t>(left, 1), ec);
    if (ec || n == 0) {
      if (expired_) {  // a slow client: answer 408 and close (nginx closes silently; a status is kinder to logs)
        started_ = Clock::now();
        keep_alive_ = false;
        error_ = "request head not complete within the header timeout";
        co_await respond(408, "request timeout: the request head did not arrive in time\n");
        log_request(nullptr);
      }
      co_return false;
    }
  }
}

template <class Stream>
awaitable<void> Session<Stream>::respond(int status, std::string_view body, std::string_view extra_fields) {
  status_ = status;
  out_.clear();
  out_ += "HTTP/1.1 ";
  append_number(out_, static_cast<uint64_t>(status));
  out_ += ' ';
  out_ += reason_phrase(status);
  out_ += "\r\n";
  out_ += extra_fields;
  if (!body.empty()) out_ += "Content-Type: text/plain; charset=utf-8\r\n";
  out_ += "Content-Length: ";
  append_number(out_, body.size());
  out_ += "\r\n";
  if (!keep_alive_ || closing_) out_ += "Connection: close\r\n";
  out_ += "\r\n";
  bool head = head_.method == "HEAD";
  std::array<asio::const_buffer, 2> b{asio::buffer(out_), asio::buffer(body.data(), head ? 0 : body.size())};
  co_await write_client(b);
}

template <class Stream>
std::string_view Session<Stream>::variable(const plan::TemplatePart& p) {
  using plan::Var;
  switch (p.var) {
    case Var::Literal: return p.text;
    case Var::Host: {
      std::string_view h = head_.host;
      if (!h.empty() && h.front() == '[') {
        h = h.substr(0, h.find(']') + 1);
      } else if (auto colon = h.rfind(':'); colon != std::string_view::npos) {
        h = h.substr(0, colon);
      }
      host_lower_.assign(h);
      for (char& c : host_lower_)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      return host_lower_;
    }
    case Var::Hostname: return gw_.hostname();
    case Var::RemoteAddr: return peer_ip_;
    case Var::RemotePort: return peer_port_;
    case Var::Scheme: return listener_.https ? "https" : "http";
    case Var::Method: return head_.method;
    case Var::RequestUri: return head_.target;
    case Var::Path: return path_;
    case Var::Query: return head_.query;
    case Var::RequestId: return {request_id_, sizeof request_id_};
    case Var::ServerPort: return server_port_;
    case Var::UpstreamAddr: return upstream_addr_;
    case Var::UpstreamStatus: return upstream_status_[0] ? std::string_view(upstream_status_, 3) : std::string_view();
    case Var::UpstreamCacheStatus: return {};  // no cache yet: the header is left out
    case Var::Route: return route_ ? std::string_view(route_->label) : std::string_view();
    case Var::Header:
      for (const plan::HeaderField& f : head_.fields)
        if (header_var_equals(f.name, p.text)) return f.value;
      return {};
    case Var::Cookie: {
      std::string_view v;
      return plan::find_cookie(head_.fields, p.text, v) ? v : std::string_view();
    }
    case Var::Arg: {
      std::string_view v;
      return plan::find_query(head_.query, p.text, v) ? v : std::string_view();
    }
    case Var::Capture:
      for (uint32_t i = 0; i < match_.capture_count; ++i)
        if (match_.captures[i].name == p.text) return match_.captures[i].value;
      return {};
  }
  return {};
}

template <class Stream>
void Session<Stream>::log_request(const PreparedRoute* pr) {
  uint64_t us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_).count());
  if (pr && status_ >= 100 && status_ < 600) {
    bump(pr->counters->by_class[status_ / 100]);
    pr->counters->latency.observe(us);
  }
  AccessRecord r;
  r.unix_ms = unix_ms_now();
  r.request_id = {request_id_, sizeof request_id_};
  r.client = peer_ip_;
  r.method = head_.method;
  r.host = head_.host;
  r.path = head_.target;
  r.route = pr ? std::string_view(pr->label) : std::string_view();
  r.upstream_addr = upstream_addr_;
  r.status = status_;
  r.bytes_in = bytes_in_;
  r.bytes_out = bytes_out_;
  r.duration_us = us;
  r.retries = retries_;
  r.error = error_;
  worker_.log().add(r);
}

// One request and its response. False: close the connection.
template <class Stream>
awaitable<bool> Session<Stream>::serve_one() {
  status_ = 0;
  bytes_in_ = bytes_out_ = 0;
  retries_ = 0;
  error_ = {};
  route_ = nullptr;
  upstream_addr_ = {};
  upstream_set_.reset();
  upstream_status_[0] = 0;
  head_ = {};
  std::memset(request_id_, '-', sizeof request_id_);
  in_.unpin();
  if (!co_await read_head()) co_return false;
  in_.pin(head_.head_bytes);
  started_ = Clock::now();
  bytes_in_ = head_.head_bytes;
  worker_.next_request_id(request_id_);
  bump(gw_.metrics().requests);
  keep_alive_ = head_.keep_alive && !worker_.draining();

  std::shared_ptr<const Generation> gen = worker_.generation();  // this request's plan, whatever reloads do
  const Generation& g = *gen;
  const plan::Plan& p = *g.plan;

  // Answered by the gateway itself: a request body is left unread, so the connection
  // closes after the answer (lingering, so the answer is not lost to a reset).
  const bool body_pending = head_.framing == http::Framing::Chunked ||
                            (head_.framing == http::Framing::Length && head_.content_length > 0);
  const bool keep_alive_if_local = keep_alive_ && !body_pending;

  // The request target: only what a proxy serves. CONNECT and `*` are not ours.
  if (head_.method == "CONNECT" || head_.path.empty()) {
    keep_alive_ = false;
    error_ = "CONNECT and asterisk-form targets are not proxied";
    co_await respond(head_.method == "CONNECT" ? 405 : 400, "this gateway does not serve CONNECT or '*' requests\n");
    log_request(nullptr);
    co_return false;
  }
  path_.resize(head_.path.size());
  plan::NormalizedPath np = plan::normalize_path(head_.path, path_.data());
  if (np.error != plan::PathError::None) {
    keep_alive_ = false;
    error_ = plan::describe(np.error);
    scratch_ = "bad request: the path has ";
    scratch_ += plan::describe(np.error);
    scratch_ += '\n';
    co_await respond(400, scratch_);
    log_request(nullptr);
    co_return false;
  }
  path_.resize(np.length);

  // `listen http :80 { redirect https }`: every request on it goes to the https listener.
  if (const plan::Listener* l = g.listeners[listener_.binding]; l && l->redirect_https) {
    route_ = nullptr;
    scratch_ = "Location: https://";
    scratch_ += variable({plan::Var::Host, {}});
    if (gw_.https_port() != 443 && gw_.https_port() != 0) {
      scratch_ += ':';
      append_number(scratch_, gw_.https_port());
    }
    scratch_ += head_.target;
    scratch_ += "\r\n";
    keep_alive_ = keep_alive_if_local;
    co_await respond(l->redirect_status, {}, scratch_);
    log_request(nullptr);
    if (body_pending) co_await linger();
    co_return keep_alive_;
  }

  plan::RequestView view{head_.method, head_.host, path_, head_.query, head_.fields};
  if (!plan::match(p, view, match_)) {
    bump(gw_.metrics().no_route);
    keep_alive_ = keep_alive_if_local;
    error_ = "no route";
    scratch_ = "not found: no route for ";
    scratch_ += head_.host;
    scratch_ += path_;
    scratch_ += '\n';
    co_await respond(404, scratch_);
    log_request(nullptr);
    if (body_pending) co_await linger();
    co_return keep_alive_;
  }
  const plan::Route& route = p.routes()[match_.route];
  const PreparedRoute& pr = g.routes[match_.route];
  route_ = &pr;

  uint64_t max_body = route.max_body_bytes ? route.max_body_bytes : limits_.body;
  if (head_.framing == http::Framing::Length && head_.content_length > max_body) {
    keep_alive_ = false;
    error_ = "request body larger than the limit";
    scratch_ = "content too large: the body is " + std::to_string(head_.content_length) + " bytes; this route takes at most " +
               std::to_string(max_body) + "\n";
    co_await respond(413, scratch_);
    log_request(&pr);
    co_await linger();
    co_return false;
  }

  if (route.action == plan::ActionKind::Redirect || route.action == plan::ActionKind::Respond) {
    keep_alive_ = keep_alive_if_local;
    scratch_.clear();
    if (route.action == plan::ActionKind::Redirect) {
      scratch_ = "Location: ";
      expand(pr.target, scratch_);
      scratch_ += "\r\n";
      co_await respond(route.status, {}, scratch_);
    } else {
      expand(pr.target, scratch_);
      co_await respond(route.status, scratch_);
    }
    log_request(&pr);
    if (body_pending) co_await linger();
    co_return keep_alive_;
  }

  // Proxy: a migration may send this request to its new upstream.
  uint32_t upstream_index = route.upstream;
  if (match_.migration != plan::kNone) {
    const plan::Migration& m = p.migrations()[match_.migration];
    const PreparedMigration& pm = g.migrations[match_.migration];
    uint32_t weight = migrations::weight_at(pm.steps, pm.shift_begin_ms, unix_ms_now());
    std::string_view key;
    bool have = false;
    std::string_view bk = p.str(m.bucket_key);
    switch (m.bucket) {
      case plan::BucketSource::Cookie: have = plan::find_cookie(head_.fields, bk, key); break;
      case plan::BucketSource::Header: have = plan::find_header(head_.fields, bk, key); break;
      case plan::BucketSource::Query: have = plan::find_query(head_.query, bk, key); break;
      case plan::BucketSource::RequestId: key = {request_id_, sizeof request_id_}; have = true; break;
      case plan::BucketSource::ClientIp: break;
    }
    if (!have) key = peer_ip_;
    if (migrations::lands_on_new(migrations::bucket_of(p.str(m.name), key), weight)) upstream_index = m.to;
  }
  bool ok = co_await proxy(g, route, pr, upstream_index);
  log_request(&pr);
  co_return ok && keep_alive_;
}

// --- upstream endpoints --------------------------------------------------------

template <class Stream>
uint32_t Session<Stream>::pick(const Generation& g, const PreparedUpstream& pu, WorkerUpstream& wu) {
  const EndpointSet& set = *wu.set;
  const plan::Plan& p = *g.plan;
  const plan::Upstream& u = *pu.record;
  int64_t now = steady_ms();
  for (size_t i = 0; i < set.size(); ++i) {
    balance::Endpoint& e = wu.endpoints[i];
    bool cooling = !set.health[i].healthy(now);
    bool full = set.max_conns[i] >= 0 && e.active >= static_cast<uint32_t>(set.max_conns[i]);
    e.usable = !cooling && !full && std::find(tried_.begin(), tried_.begin() + tried_count_, i) == tried_.begin() + tried_count_;
  }
  if (set.sticky && tried_count_ == 0) {
    std::string_view v;
    if (plan::find_cookie(head_.fields, p.str(u.sticky_cookie), v)) {
      uint32_t i = set.sticky->find(v, wu.endpoints);
      if (i != balance::kNoEndpoint) {
        sticky_matched_ = true;
        return i;
      }
    }
  }
  switch (u.balance) {
    case plan::Balance::RoundRobin: return wu.round_robin->pick(wu.endpoints);
    case plan::Balance::LeastConn: return wu.least_conn->pick(wu.endpoints);
    case plan::Balance::PowerOfTwo: return balance::pick_power_of_two(wu.endpoints, worker_.rng());
    case plan::Balance::Random: return balance::pick_random(wu.endpoints, worker_.rng());
    case plan::Balance::Hash: {
      std::string_view key;
      bool have = false;
      switch (u.hash_source) {
        case plan::HashSource::Header: have = plan::find_header(head_.fields, p.str(u.hash_key), key); break;
        case plan::HashSource::Cookie: have = plan::find_cookie(head_.fields, p.str(u.hash_key), key); break;
        case plan::HashSource::ClientIp:
        case plan::HashSource::None: key = peer_ip_; have = true; break;
      }
      if (!have) key = peer_ip_;  // no key: the client's address keeps the client on one endpoint
      return set.ring->pick(key, wu.endpoints);
    }
  }
  return balance::kNoEndpoint;
}

template <class Stream>
void Session<Stream>::record_failure(const PreparedUpstream& pu, const EndpointSet& set, uint32_t i,
                                     std::string_view why) {
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
    gw_.note("upstream " + std::string(pu.name) + ": endpoint " + set.identities[i] + " skipped for " +
             std::to_string(pu.passive_cooldown_ms) + " ms after " + std::to_string(f) + " failure(s); last: " +
             std::string(why));
  }
}

template <class Stream>
awaitable<bool> Session<Stream>::connect(const PreparedUpstream& pu, WorkerUpstream& wu, uint32_t i, Attempt& a) {
  auto& pool = wu.idle[i];
  auto now = Clock::now();
  while (!pool.empty()) {
    IdleConnection c = std::move(pool.back());
    pool.pop_back();
    // A pooled connection the upstream closed (or wrote to) while idle is not reused.
    char probe;
    ssize_t r = ::recv(c.socket.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    bool alive = r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && now - c.since < std::chrono::seconds(30);
    if (!alive) continue;
    upstream_.emplace(std::move(c.socket));
    a.reused = true;
    bump(pu.counters->connections_reused);
    co_return true;
  }
  upstream_.emplace(worker_.io());
  set_deadline(Phase::Connect, connect_ms_);
  error_code ec;
  co_await upstream_->async_connect(wu.set->addresses[i], asio::redirect_error(use_awaitable, ec));
  if (ec) {
    a.failure = expired_ ? Failure::Timeout : Failure::Connect;
    a.detail = expired_ ? "connect timed out after " + std::to_string(connect_ms_) + " ms" : "connect: " + ec.message();
    drop_upstream();
    co_return false;
  }
  upstream_->set_option(tcp::no_delay(true), ec);
  bump(pu.counters->connections_opened);
  co_return true;
}

template <class Stream>
awaitable<bool> Session<Stream>::read_upstream(size_t& n, error_code& ec, int64_t timeout_ms) {
  up_.compact();
  set_deadline(Phase::UpstreamRead, timeout_ms);
  n = co_await upstream_->async_read_some(up_.tail(), asio::redirect_error(use_awaitable, ec));
  up_.end += n;
  co_return !ec && n > 0;
}

template <class Stream>
void Session<Stream>::return_upstream(const PreparedUpstream& pu, WorkerUpstream& wu, uint32_t i) {
  if (!upstream_) return;
  if (wu.idle[i].size() < static_cast<size_t>(pu.keepalive) && !closing_ &&
      !worker_.draining()) {
    wu.idle[i].push_back({std::move(*upstream_), Clock::now()});
  }
  drop_upstream();
}

// --- the proxied exchange ------------------------------------------------------

template <class Stream>
awaitable<bool> Session<Stream>::proxy(const Generation& g, const plan::Route& route, const PreparedRoute& pr,
                                       uint32_t upstream_index) {
  const plan::Plan& p = *g.plan;
  // The route's timeouts and retries win over its upstream's.
  const PreparedUpstream& pu = g.upstreams[upstream_index];
  connect_ms_ = route.connect_timeout_ms >= 0 ? route.connect_timeout_ms : pu.connect_timeout_ms;
  read_ms_ = route.read_timeout_ms >= 0 ? route.read_timeout_ms : pu.read_timeout_ms;
  const int32_t retries = route.retries >= 0 ? route.retries : pu.retries;
  std::shared_ptr<WorkerUpstream> wu_holder = worker_.upstream(g, upstream_index);
  WorkerUpstream& wu = *wu_holder;
  upstream_set_ = wu.set;
  const bool is_head = head_.method == "HEAD";
  const bool has_body = head_.framing == http::Framing::Chunked ||
                        (head_.framing == http::Framing::Length && head_.content_length > 0);
  const uint64_t max_body = route.max_body_bytes ? route.max_body_bytes : limits_.body;

  // The upstream request head, re-serialised from the parsed request.
  out_.clear();
  out_ += head_.method;
  out_ += ' ';
  if (route.has_rewrite) {
    if (!plan::rewrite_path(p.str(route.rewrite), {match_.captures.data(), match_.capture_count}, out_)) {
      keep_alive_ = false;
      error_ = "rewrite names a capture the route did not make";
      co_await respond(500, "internal error: the route's rewrite cannot be applied\n");
      co_return false;
    }
  } else {
    out_ += path_;
  }
  if (!head_.query.empty()) {
    out_ += '?';
    out_ += head_.query;
  }
  out_ += " HTTP/1.1\r\n";
  bool host_set = false;
  for (const PreparedHeaderOp& op : pr.request_headers) {
    if (op.kind == plan::HeaderOpKind::Set && http::iequals(op.name, "host")) {
      scratch_.clear();
      expand(op.value, scratch_);
      if (!scratch_.empty()) {
        append_field(out_, "Host", scratch_);
        host_set = true;
      }
    }
  }
  if (!host_set && !head_.host.empty()) append_field(out_, "Host", head_.host);
  bool connection_field = false;
  for (const plan::HeaderField& f : head_.fields)
    if (http::iequals(f.name, "connection")) connection_field = true;
  std::string_view xff_prior, via_prior;
  scratch_.clear();  // the prior X-Forwarded-For values, joined
  for (const plan::HeaderField& f : head_.fields) {
    std::string_view n = f.name;
    if (http::is_hop_by_hop(n) || http::iequals(n, "host") || http::iequals(n, "content-length") ||
        http::iequals(n, "expect") || http::iequals(n, "x-forwarded-proto") || http::iequals(n, "x-forwarded-host"))
      continue;
    if (connection_field && http::connection_lists(head_.fields, n)) continue;
    if (http::iequals(n, "x-forwarded-for")) {
      if (!scratch_.empty()) scratch_ += ", ";
      scratch_ += f.value;
      continue;
    }
    if (http::iequals(n, "via")) {
      via_prior = f.value;
      continue;
    }
    bool replaced = false;
    for (const PreparedHeaderOp& op : pr.request_headers)
      if (http::iequals(op.name, n)) replaced = true;
    if (replaced) continue;
    append_field(out_, n, f.value);
  }
  if (!scratch_.empty()) scratch_ += ", ";
  scratch_ += peer_ip_;
  append_field(out_, "X-Forwarded-For", scratch_);
  append_field(out_, "X-Forwarded-Proto", listener_.https ? "https" : "http");
  if (!head_.host.empty()) append_field(out_, "X-Forwarded-Host", head_.host);
  scratch_.assign(via_prior);
  if (!scratch_.empty()) scratch_ += ", ";
  scratch_ += head_.version_minor == 0 ? "1.0 banyan" : "1.1 banyan";
  append_field(out_, "Via", scratch_);
  for (const PreparedHeaderOp& op : pr.request_headers) {
    if (op.kind != plan::HeaderOpKind::Set || http::iequals(op.name, "host")) continue;
    scratch_.clear();
    expand(op.value, scratch_);
    if (!scratch_.empty()) append_field(out_, op.name, scratch_);
  }
  if (head_.framing == http::Framing::Length) {
    out_ += "Content-Length: ";
    append_number(out_, head_.content_length);
    out_ += "\r\n";
  } else if (head_.framing == http::Framing::Chunked) {
    out_ += "Transfer-Encoding: chunked\r\n";
  }
  // `allow upgrade` (WebSocket): the one hop-by-hop pair a route may let through.
  // Never h2c: this gateway speaks HTTP/1.1 to both sides.
  std::string_view upgrade_to;
  const bool upgrading = route.allow_upgrade && head_.upgrade && !has_body &&
                         http::connection_lists(head_.fields, "upgrade") &&
                         plan::find_header(head_.fields, "upgrade", upgrade_to) && !upgrade_to.empty() &&
                         !mentions_h2c(upgrade_to);
  if (upgrading) {
    append_field(out_, "Connection", "upgrade");
    append_field(out_, "Upgrade", upgrade_to);
  }
  out_ += "\r\n";

  // A body that is already here whole can be sent again to another endpoint.
  const bool replayable_body = !has_body || (head_.framing == http::Framing::Length && head_.content_length <= in_.size());

  up_.acquire(worker_.buffers());
  if (!up_fields_) up_fields_ = worker_.fields().get();
  tried_count_ = 0;
  sticky_matched_ = false;
  Attempt last;
  const int max_tries = 1 + std::clamp(retries, 0, 14);
  Clock::time_point upstream_started = Clock::now();
  uint32_t ep = balance::kNoEndpoint;
  // The endpoint's in-flight count covers the whole exchange, response body included
  // (least_conn reads it); `wu_holder` keeps the array alive until then.
  struct ActiveCount {
    balance::Endpoint* e = nullptr;
    void hold(balance::Endpoint* next) {
      if (e) e->active--;
      e = next;
      e->active++;
    }
    ~ActiveCount() {
      if (e) e->active--;
    }
  } active;

  for (int attempt = 0;; ++attempt) {
    ep = attempt < max_tries ? pick(g, pu, wu) : balance::kNoEndpoint;
    if (attempt > 0 && ep != balance::kNoEndpoint) {  // a retry is counted when it is made, not when none is left
      ++retries_;
      bump(pu.counters->retries);
    }
    if (ep == balance::kNoEndpoint) {
      keep_alive_ = keep_alive_ && !has_body;
      if (attempt == 0) {
        error_ = "no usable endpoint";
        scratch_ = "service unavailable: upstream " + std::string(pu.name) + " has no usable endpoint";
        if (!wu.set->problem.empty()) scratch_ += " (" + wu.set->problem + ")";
        scratch_ += "\nroute: " + pr.label + " (" + pr.where + ")\n";
        co_await respond(503, scratch_);
      } else {
        int status = last.failure == Failure::Timeout ? 504 : 502;
        error_ = status == 504 ? "upstream timed out" : "upstream failed";
        co_await answer_upstream_failure(status, pu, pr, last.detail);
      }
      co_return false;
    }
    tried_[tried_count_++] = ep;
    upstream_addr_ = wu.set->identities[ep];
    Attempt a;
    active.hold(&wu.endpoints[ep]);

    if (!co_await connect(pu, wu, ep, a)) {
      bump(pu.counters->connect_failures);
      if (a.failure == Failure::Timeout) bump(pu.counters->timeouts);
      record_failure(pu, *wu.set, ep, a.detail);
      last = std::move(a);
      continue;
    }

    // Send the head, and the body when it is already here.
    error_code ec;
    set_deadline(Phase::UpstreamWrite, read_ms_);
    size_t body_now = has_body && head_.framing == http::Framing::Length
                          ? static_cast<size_t>(std::min<uint64_t>(head_.content_length, in_.size()))
                          : 0;
    std::array<asio::const_buffer, 2> hb{asio::buffer(out_), asio::buffer(in_.view().data(), body_now)};
    co_await asio::async_write(*upstream_, hb, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      a.failure = expired_ ? Failure::Timeout : Failure::Write;
      a.detail = "writing the request: " + ec.message();
      drop_upstream();
      if (!a.reused) record_failure(pu, *wu.set, ep, a.detail);
      last = std::move(a);
      continue;  // nothing of a streamed body was read from the client yet: another endpoint can take it
    }

    if (has_body && !replayable_body) {
      // Stream the rest of the body from the client.
      if (head_.expect_continue && in_.size() == 0) {
        static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
        if (!co_await write_client(asio::buffer(k100.data(), k100.size()))) co_return false;
      }
      bool failed = false;
      if (head_.framing == http::Framing::Length) {
        uint64_t left = head_.content_length - body_now;
        in_.consume(body_now);
        while (left > 0) {
          size_t n = co_await read_client(Phase::Body, limits_.body_timeout_ms, ec);
          if (ec || n == 0) {
            failed = true;
            a.failure = Failure::ClientBody;
            break;
          }
          size_t take = static_cast<size_t>(std::min<uint64_t>(left, in_.size()));
          set_deadline(Phase::UpstreamWrite, read_ms_);
          co_await asio::async_write(*upstream_, asio::buffer(in_.view().data(), take),
                                     asio::redirect_error(use_awaitable, ec));
          if (ec) {
            failed = true;
            a.failure = Failure::Write;
            break;
          }
          in_.consume(take);
          left -= take;
        }
      } else {  // chunked: decoded, checked, and re-chunked
        http::ChunkedDecoder dec;
        uint64_t total = 0;
        for (;;) {
          http::ChunkedDecoder::Step s = dec.next(in_.view());
          if (s.failed) {
            failed = true;
            a.failure = Failure::ClientBody;
            error_ = "malformed chunked request body";
            break;
          }
          if (!s.data.empty()) {
            total += s.data.size();
            if (total > max_body) {
              failed = true;
              a.failure = Failure::BodyTooLarge;
              break;
            }
            scratch_.clear();
            append_hex(scratch_, s.data.size());
            scratch_ += "\r\n";
            std::array<asio::const_buffer, 3> cb{asio::buffer(scratch_), asio::buffer(s.data.data(), s.data.size()),
                                                 asio::buffer("\r\n", 2)};
            set_deadline(Phase::UpstreamWrite, read_ms_);
            co_await asio::async_write(*upstream_, cb, asio::redirect_error(use_awaitable, ec));
            if (ec) {
              failed = true;
              a.failure = Failure::Write;
              break;
            }
          }
          in_.consume(s.consumed);
          if (s.done) {
            co_await asio::async_write(*upstream_, asio::buffer("0\r\n\r\n", 5), asio::redirect_error(use_awaitable, ec));
            if (ec) {
              failed = true;
              a.failure = Failure::Write;
            }
            break;
          }
          if (s.consumed == 0 || in_.size() == 0) {
            if (in_.end == in_.cap && in_.begin == 0) in_.grow(in_.cap * 2);
            size_t n = co_await read_client(Phase::Body, limits_.body_timeout_ms, ec);
            if (ec || n == 0) {
              failed = true;
              a.failure = Failure::ClientBody;
              break;
            }
          }
        }
      }
      if (failed) {
        drop_upstream();
        keep_alive_ = false;
        if (a.failure == Failure::BodyTooLarge) {
          error_ = "request body larger than the limit";
          co_await respond(413, "content too large: the chunked body exceeds this route's limit\n");
          co_await linger();
        } else if (a.failure == Failure::ClientBody) {
          if (error_.empty()) error_ = "client stopped sending the body";
          if (error_ == std::string_view("malformed chunked request body"))
            co_await respond(400, "bad request: malformed chunked body\n");
        } else {
          error_ = "upstream failed while receiving the body";
          record_failure(pu, *wu.set, ep, "writing the request body");
          co_await answer_upstream_failure(502, pu, pr, "failed while receiving the request body");
        }
        co_return false;
      }
    }

    // The response head. 1xx interim responses are skipped (Expect is answered by us).
    up_.begin = up_.end = 0;
    http::Error perr = http::Error::None;
    bool got_head = false;
    for (;;) {
      if (up_.size() > 0) {
        http::Parse r = http::parse_response(up_.view(), is_head, hl_, {up_fields_.get(), hl_.header_count}, rhead_, perr);
        if (r == http::Parse::Failed) break;
        if (r == http::Parse::Complete) {
          if (rhead_.status >= 100 && rhead_.status < 200) {
            if (rhead_.status == 101) {  // only after an Upgrade the route lets through
              if (!upgrading) perr = http::Error::BadStatusLine;
              got_head = upgrading;
              break;
            }
            up_.consume(rhead_.head_bytes);
            continue;
          }
          got_head = true;
          break;
        }
        if (up_.end == up_.cap && up_.begin == 0) up_.grow(limits_.header_bytes + 1);
      }
      size_t n = 0;
      if (!co_await read_upstream(n, ec, read_ms_)) break;
    }
    if (!got_head) {
      bool nothing = up_.size() == 0 && perr == http::Error::None;
      if (expired_) {
        a.failure = Failure::Timeout;
        a.detail = "no response within " + std::to_string(read_ms_) + " ms";
        bump(pu.counters->timeouts);
      } else if (perr != http::Error::None) {
        a.failure = Failure::BadResponse;
        a.detail = "invalid response: " + std::string(http::describe(perr));
        bump(pu.counters->bad_responses);
      } else {
        a.failure = Failure::ResetBeforeResponse;
        a.detail = nothing ? "closed the connection before responding" : "closed the connection in the response head";
      }
      drop_upstream();
      bool stale_pool = a.reused && nothing && a.failure == Failure::ResetBeforeResponse;
      if (!stale_pool) record_failure(pu, *wu.set, ep, a.detail);
      last = std::move(a);
      bool retry = nothing && a.failure != Failure::Timeout && replayable_body && is_idempotent(head_.method);
      if (stale_pool && replayable_body) retry = true;
      if (retry && attempt + 1 < max_tries + (stale_pool ? 1 : 0)) {
        if (stale_pool) tried_count_--;  // the endpoint is fine; its idle connection was not
        continue;
      }
      keep_alive_ = keep_alive_ && replayable_body;
      int status = last.failure == Failure::Timeout ? 504 : 502;
      error_ = status == 504 ? "upstream timed out" : "upstream failed";
      co_await answer_upstream_failure(status, pu, pr, last.detail);
      co_return false;
    }
    up_.consume(rhead_.head_bytes);
    if (rhead_.framing == http::Framing::Length && up_.size() > rhead_.content_length) {
      a.detail = "invalid response: more bytes than its Content-Length";
      bump(pu.counters->bad_responses);
      drop_upstream();
      record_failure(pu, *wu.set, ep, a.detail);
      keep_alive_ = false;
      error_ = "upstream failed";
      co_await answer_upstream_failure(502, pu, pr, a.detail);
      co_return false;
    }
    // The request body was sent whole: what is left of it in `in_` was consumed above.
    if (has_body && replayable_body) in_.consume(static_cast<size_t>(head_.content_length));
    break;
  }
  if (!upstream_) {  // not reached today (every failure above answers or retries); a guard, not a silent close
    keep_alive_ = false;
    error_ = "upstream failed";
    co_await respond(502, "bad gateway: the upstream exchange failed\n");
    co_return false;
  }

  if (rhead_.status == 101) co_return co_await tunnel(pu, pr);

  // The response head to the client, re-serialised.
  status_ = rhead_.status;
  upstream_status_[0] = static_cast<char>('0' + rhead_.status / 100);
  upstream_status_[1] = static_cast<char>('0' + rhead_.status / 10 % 10);
  upstream_status_[2] = static_cast<char>('0' + rhead_.status % 10);
  bump(pu.counters->by_class[rhead_.status / 100]);
  const bool client_11 = head_.version_minor == 1;
  const bool no_body = rhead_.framing == http::Framing::None;
  const bool until_close_to_client = !no_body && rhead_.framing != http::Framing::Length && !client_11;
  if (until_close_to_client) keep_alive_ = false;
  // `compress`: an eligible response says it varies by Accept-Encoding, and is encoded
  // (chunked, whatever the upstream's framing) when this client accepts a coding.
  const bool may_compress = route.compress != 0 && !no_body && client_11 &&
                            compress::eligible_response(rhead_.status, rhead_.fields,
                                                        rhead_.framing == http::Framing::Length, rhead_.content_length);
  compress::EncoderPool::Lease encoder(nullptr, {&worker_.encoders()});
  compress::Coding coding = compress::Coding::None;
  if (may_compress) {
    coding = compress::choose_coding(route.compress, head_.fields);
    if (coding != compress::Coding::None) encoder = worker_.encoders().take(coding);
    if (!encoder) coding = compress::Coding::None;
  }
  bool vary_listed = false;
  out_.clear();
  out_ += "HTTP/1.1 ";
  append_number(out_, rhead_.status);
  out_ += ' ';
  out_ += rhead_.reason.empty() ? reason_phrase(rhead_.status) : rhead_.reason;
  out_ += "\r\n";
  bool up_connection_field = false;
  for (const plan::HeaderField& f : rhead_.fields)
    if (http::iequals(f.name, "connection")) up_connection_field = true;
  for (const plan::HeaderField& f : rhead_.fields) {
    std::string_view n = f.name;
    if (http::is_hop_by_hop(n)) continue;
    if (http::iequals(n, "content-length") && !(no_body && (is_head || rhead_.status == 304))) continue;
    if (up_connection_field && http::connection_lists(rhead_.fields, n)) continue;
    if (may_compress && http::iequals(n, "vary")) {
      http::for_each_element(f.value, [&](std::string_view e) {
        return !(vary_listed = e == "*" || http::iequals(e, "accept-encoding"));
      });
    }
    bool replaced = false;
    for (const PreparedHeaderOp& op : pr.response_headers)
      if (http::iequals(op.name, n)) replaced = true;
    if (replaced) continue;
    if (encoder) {
      if (http::iequals(n, "accept-ranges")) continue;  // ranges of the encoded body are not offered
      if (http::iequals(n, "etag") && !f.value.starts_with("W/")) {  // other bytes now: a weak validator
        out_ += "ETag: W/";
        out_ += f.value;
        out_ += "\r\n";
        continue;
      }
    }
    append_field(out_, n, f.value);
  }
  for (const PreparedHeaderOp& op : pr.response_headers) {
    if (op.kind != plan::HeaderOpKind::Set) continue;
    scratch_.clear();
    expand(op.value, scratch_);
    if (!scratch_.empty()) append_field(out_, op.name, scratch_);  // like nginx add_header: empty values are left out
  }
  const plan::Upstream& u = *pu.record;
  if (!p.str(u.sticky_cookie).empty() && !sticky_matched_) {
    out_ += "Set-Cookie: ";
    out_ += p.str(u.sticky_cookie);
    out_ += '=';
    out_ += balance::sticky_value(wu.set->identities[ep]).view();
    out_ += "; Path=/; HttpOnly";
    if (u.sticky_ttl_ms >= 0) {
      out_ += "; Max-Age=";
      append_number(out_, static_cast<uint64_t>(u.sticky_ttl_ms / 1000));
    }
    out_ += "\r\n";
  }
  if (listener_.https) {
    const plan::Site& site = p.sites()[match_.site];
    if (site.tls != plan::kNone && p.tls()[site.tls].hsts_max_age_ms >= 0) {
      const plan::Tls& t = p.tls()[site.tls];
      out_ += "Strict-Transport-Security: max-age=";
      append_number(out_, static_cast<uint64_t>(t.hsts_max_age_ms / 1000));
      if (t.hsts_include_subdomains) out_ += "; includeSubDomains";
      if (t.hsts_preload) out_ += "; preload";
      out_ += "\r\n";
    }
  }
  if (may_compress && !vary_listed) out_ += "Vary: Accept-Encoding\r\n";
  if (encoder) {
    out_ += "Content-Encoding: ";
    out_ += compress::coding_name(coding);
    out_ += "\r\nTransfer-Encoding: chunked\r\n";
  } else if (rhead_.framing == http::Framing::Length) {
    out_ += "Content-Length: ";
    append_number(out_, rhead_.content_length);
    out_ += "\r\n";
  } else if (!no_body && client_11) {
    out_ += "Transfer-Encoding: chunked\r\n";
  }
  if (!keep_alive_ || closing_ || worker_.draining())
    out_ += "Connection: close\r\n";
  else if (!client_11)
    out_ += "Connection: keep-alive\r\n";
  out_ += "\r\n";

  // The body, streamed through `up_`.
  error_code ec;
  bool upstream_clean = false;
  if (no_body) {
    if (!co_await write_client(asio::buffer(out_))) {
      drop_upstream();
      co_return false;
    }
    upstream_clean = up_.size() == 0;
  } else if (rhead_.framing == http::Framing::Length && !encoder) {
    uint64_t left = rhead_.content_length;
    if (up_.size() < left) {
      // The rest of a small body is often already in the socket: take it without
      // waiting, so head and body leave in one write (one segment, one syscall).
      up_.compact();
      size_t room = up_.cap - up_.end;
      if (room > 0) {
        ssize_t n = ::recv(upstream_->native_handle(), up_.data.get() + up_.end,
                           static_cast<size_t>(std::min<uint64_t>(room, left - up_.size())), MSG_DONTWAIT);
        if (n > 0) up_.end += static_cast<size_t>(n);
      }
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(left, up_.size()));
    std::array<asio::const_buffer, 2> b{asio::buffer(out_), asio::buffer(up_.view().data(), take)};
    if (!co_await write_client(b)) {
      drop_upstream();
      co_return false;
    }
    up_.consume(take);
    left -= take;
    while (left > 0) {
      size_t n = 0;
      if (!co_await read_upstream(n, ec, read_ms_)) break;
      take = static_cast<size_t>(std::min<uint64_t>(left, up_.size()));
      if (!co_await write_client(asio::buffer(up_.view().data(), take))) {
        drop_upstream();
        co_return false;
      }
      up_.consume(take);
      left -= take;
    }
    if (left > 0) {  // the upstream stopped short: the client sees a truncated body and a closed connection
      error_ = expired_ ? "upstream timed out in the body" : "upstream closed in the body";
      record_failure(pu, *wu.set, ep, error_);
      drop_upstream();
      co_return false;
    }
    upstream_clean = up_.size() == 0;
  } else {
    // Chunked, until close, or encoded (from any framing): re-chunked for HTTP/1.1
    // clients, raw until close for 1.0 ones. An encoded body's head waits for its first
    // chunk, and its chunks for kMinEncodedChunk bytes of output (or the end): a small
    // response leaves in one write, not as a head, a 10-byte gzip header and a tail.
    bool head_pending = static_cast<bool>(encoder);
    if (!head_pending && !co_await write_client(asio::buffer(out_))) {
      drop_upstream();
      co_return false;
    }
    http::ChunkedDecoder dec;
    const bool chunked = rhead_.framing == http::Framing::Chunked;
    const bool length = rhead_.framing == http::Framing::Length;  // only when encoding
    uint64_t left = rhead_.content_length;
    uint64_t encoded_in = 0, encoded_out = 0;
    for (;;) {
      std::string_view data;
      size_t consumed = 0;
      bool done = false;
      if (length) {
        consumed = static_cast<size_t>(std::min<uint64_t>(left, up_.size()));
        data = up_.view().substr(0, consumed);
        left -= consumed;
        done = left == 0;
      } else if (chunked) {
        http::ChunkedDecoder::Step s = dec.next(up_.view());
        if (s.failed) {
          error_ = "upstream sent a malformed chunked body";
          bump(pu.counters->bad_responses);
          record_failure(pu, *wu.set, ep, error_);
          drop_upstream();
          if (head_pending) {
            keep_alive_ = false;
            co_await answer_upstream_failure(502, pu, pr, error_);
          }
          co_return false;
        }
        data = s.data;
        consumed = s.consumed;
        done = s.done;
      } else {
        data = up_.view();
        consumed = data.size();
      }
      if (encoder) {
        if (!encoder->update(data, false)) {
          error_ = "compression failed";
          drop_upstream();
          co_return false;
        }
        encoded_in += data.size();
        data = encoder->output().size() >= kMinEncodedChunk ? encoder->output() : std::string_view();
        encoded_out += data.size();
      }
      if (!data.empty()) {
        bool wrote;
        if (client_11) {
          scratch_.clear();
          append_hex(scratch_, data.size());
          scratch_ += "\r\n";
          std::array<asio::const_buffer, 4> cb{asio::buffer(out_.data(), head_pending ? out_.size() : 0),
                                               asio::buffer(scratch_), asio::buffer(data.data(), data.size()),
                                               asio::buffer("\r\n", 2)};
          head_pending = false;
          wrote = co_await write_client(cb);
        } else {
          wrote = co_await write_client(asio::buffer(data.data(), data.size()));
        }
        if (!wrote) {
          drop_upstream();
          co_return false;
        }
      }
      if (encoder && !data.empty()) encoder->clear_output();
      up_.consume(consumed);
      if (done) break;
      if (consumed == 0 || up_.size() == 0) {
        if (up_.end == up_.cap && up_.begin == 0) up_.grow(up_.cap * 2);
        size_t n = 0;
        if (!co_await read_upstream(n, ec, read_ms_)) {
          if (!chunked && !length && !expired_ && (ec == asio::error::eof || n == 0)) {
            done = true;  // the end of a close-delimited body
            break;
          }
          error_ = expired_ ? "upstream timed out in the body" : "upstream closed in the body";
          record_failure(pu, *wu.set, ep, error_);
          drop_upstream();
          if (head_pending) {
            keep_alive_ = false;
            co_await answer_upstream_failure(expired_ ? 504 : 502, pu, pr, error_);
          }
          co_return false;
        }
      }
    }
    if (encoder) {  // the end of the encoded stream, as the last chunk before the empty one
      if (!encoder->update({}, true)) {
        error_ = "compression failed";
        drop_upstream();
        co_return false;
      }
      std::string_view tail = encoder->output();
      encoded_out += tail.size();
      bump(gw_.metrics().compressed[coding == compress::Coding::Gzip ? 0 : 1]);
      bump(gw_.metrics().compress_bytes_in, encoded_in);
      bump(gw_.metrics().compress_bytes_out, encoded_out);
      scratch_.clear();
      if (!tail.empty()) {
        append_hex(scratch_, tail.size());
        scratch_ += "\r\n";
      }
      std::array<asio::const_buffer, 4> cb{asio::buffer(out_.data(), head_pending ? out_.size() : 0),
                                           asio::buffer(scratch_), asio::buffer(tail.data(), tail.size()),
                                           tail.empty() ? asio::buffer("0\r\n\r\n", 5) : asio::buffer("\r\n0\r\n\r\n", 7)};
      if (!co_await write_client(cb)) {
        drop_upstream();
        co_return false;
      }
    } else if (client_11 && !co_await write_client(asio::buffer("0\r\n\r\n", 5))) {
      drop_upstream();
      co_return false;
    }
    upstream_clean = (chunked || length) && up_.size() == 0;
  }
  uint64_t us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - upstream_started).count());
  pu.counters->latency.observe(us);
  if (upstream_clean && rhead_.keep_alive)
    return_upstream(pu, wu, ep);
  else
    drop_upstream();
  co_return true;
}

template <class Stream>
awaitable<void> Session<Stream>::answer_upstream_failure(int status, const PreparedUpstream& pu, const PreparedRoute& pr,
                                                         std::string_view cause) {
  scratch_ = status == 504 ? "gateway timeout: upstream " : "bad gateway: upstream ";
  scratch_ += pu.name;
  scratch_ += " (";
  scratch_ += upstream_addr_;
  scratch_ += "): ";
  scratch_ += cause;
  scratch_ += "\nroute: " + pr.label + " (" + pr.where + ")\n";
  co_await respond(status, scratch_);
}

// After a 101 on a route with `allow upgrade`: the response head to the client, then
// bytes both ways until either side closes or the connection idles for
// limits.idle_timeout. The client-to-upstream direction is a second coroutine; this
// one returns only when both have stopped (the buffers are the session's).
template <class Stream>
awaitable<bool> Session<Stream>::tunnel(const PreparedUpstream& pu, const PreparedRoute& pr) {
  status_ = 101;
  bump(pu.counters->by_class[1]);
  out_.assign("HTTP/1.1 101 Switching Protocols\r\n");
  std::string_view upgrade;
  for (const plan::HeaderField& f : rhead_.fields) {
    if (http::is_hop_by_hop(f.name) || http::connection_lists(rhead_.fields, f.name)) continue;
    bool replaced = false;
    for (const PreparedHeaderOp& op : pr.response_headers) replaced = replaced || http::iequals(op.name, f.name);
    if (!replaced) append_field(out_, f.name, f.value);
  }
  for (const PreparedHeaderOp& op : pr.response_headers) {
    if (op.kind != plan::HeaderOpKind::Set) continue;
    scratch_.clear();
    expand(op.value, scratch_);
    if (!scratch_.empty()) append_field(out_, op.name, scratch_);
  }
  if (plan::find_header(rhead_.fields, "upgrade", upgrade)) append_field(out_, "Upgrade", upgrade);
  out_ += "Connection: upgrade\r\n\r\n";
  std::array<asio::const_buffer, 2> b{asio::buffer(out_), asio::buffer(up_.view().data(), up_.size())};
  if (!co_await write_client(b)) co_return false;
  up_.consume(up_.size());

  tunnel_open_ = true;
  pump_done_ = false;
  asio::steady_timer done(worker_.io(), Clock::time_point::max());
  tunnel_done_ = &done;
  asio::co_spawn(worker_.io(), pump_to_upstream(weak_self_.lock()), asio::detached);
  error_code ec;
  while (tunnel_open_) {  // upstream -> client
    set_deadline(Phase::Tunnel, limits_.idle_timeout_ms);
    up_.begin = up_.end = 0;
    size_t n = co_await upstream_->async_read_some(up_.tail(), asio::redirect_error(use_awaitable, ec));
    if (ec || n == 0) break;
    set_deadline(Phase::Tunnel, limits_.idle_timeout_ms);
    size_t w = co_await asio::async_write(stream_, asio::buffer(up_.data.get(), n), asio::redirect_error(use_awaitable, ec));
    bytes_out_ += w;
    if (ec) break;
  }
  tunnel_open_ = false;
  cancel_all();
  while (!pump_done_) co_await done.async_wait(asio::redirect_error(use_awaitable, ec));
  tunnel_done_ = nullptr;
  drop_upstream();
  co_return false;
}

template <class Stream>
awaitable<void> Session<Stream>::pump_to_upstream(std::shared_ptr<Session> self) {
  (void)self;
  error_code ec;
  if (in_.size() > 0) {  // bytes the client sent after the upgrade request
    co_await asio::async_write(*upstream_, asio::buffer(in_.view().data(), in_.size()), asio::redirect_error(use_awaitable, ec));
    in_.consume(in_.size());
  }
  while (!ec && tunnel_open_) {
    in_.begin = in_.end = in_.pinned;
    size_t n = co_await stream_.async_read_some(in_.tail(), asio::redirect_error(use_awaitable, ec));
    if (ec || n == 0) break;
    bytes_in_ += n;
    set_deadline(Phase::Tunnel, limits_.idle_timeout_ms);
    co_await asio::async_write(*upstream_, asio::buffer(in_.data.get() + in_.pinned, n), asio::redirect_error(use_awaitable, ec));
  }
  tunnel_open_ = false;
  cancel_all();
  pump_done_ = true;
  if (tunnel_done_) tunnel_done_->cancel();
}

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

}  // namespace

void start_session(Worker& worker, tcp::socket socket, const tcp::endpoint& peer, const ListenerInfo& listener) {
  error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  if (listener.https) {
    using TlsStream = asio::ssl::stream<tcp::socket>;
    std::shared_ptr<const TlsContexts> tls = worker.gateway().tls();
    if (!tls) return;  // a plan without `tls` cannot be serving an https listener; be safe anyway
    auto s = std::make_shared<Session<TlsStream>>(worker, TlsStream(std::move(socket), tls->first()), listener, peer);
    s->keep(std::move(tls));
    asio::co_spawn(worker.io(), s->run(s), on_exit(worker));
  } else {
    auto s = std::make_shared<Session<tcp::socket>>(worker, std::move(socket), listener, peer);
    asio::co_spawn(worker.io(), s->run(s), on_exit(worker));
  }
}

}  // namespace banyan::proxy
