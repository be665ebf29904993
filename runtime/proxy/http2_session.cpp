// The HTTP/2 connection layer (http2_session.h): nghttp2 as the framer, an H2Stream
// per request as its exchange's Downstream, one writer coroutine per connection.
//
// Everything runs on the worker's thread. nghttp2 is called from three places: the
// connection's read loop (mem_recv, whose callbacks build streams and wake them), the
// writer (mem_send, which pulls response bodies from the streams' data providers),
// and the streams (submitting a response, consuming body bytes, resetting). Waits are
// on timers used as events: a waiter checks its condition, then sleeps until a
// cancel() wakes it; nothing runs between the check and the sleep.
#include "runtime/proxy/http2_session.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "runtime/http/fields.h"
#include "runtime/proxy/client_address.h"
#include "runtime/proxy/exchange/exchange.h"
#include "runtime/proxy/gateway.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/tls_stream.h"
#include "runtime/proxy/watchdog.h"
#include "runtime/proxy/worker.h"

namespace banyan::proxy {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Budgets. A stream's receive window is what one request may have buffered here and
// not yet taken by its exchange (nginx's http2_body_preread_size is 64k); the
// connection's bounds them all together.
inline constexpr int32_t kStreamWindow = 64 << 10;
inline constexpr int32_t kConnectionWindow = 1 << 20;
// Control frames a client may send (PING, SETTINGS, PRIORITY, empty DATA, invalid
// frames) as a token bucket: a burst, then so many a second. A browser sends a handful
// a connection; a flood is told ENHANCE_YOUR_CALM.
inline constexpr double kControlBurst = 1000, kControlPerSecond = 100;
// Resets by the client (the rapid-reset attack, CVE-2023-44487), nghttp2's bucket:
// this burst, then so many a second, then GOAWAY.
inline constexpr uint64_t kResetBurst = 1000, kResetPerSecond = 33;
// A body nobody wants after a complete answer is read and dropped this long, this much.
inline constexpr int64_t kLingerMs = 2000;
inline constexpr uint64_t kLingerBytes = 4u << 20;
// CONTINUATION frames after one HEADERS (the 2024 CONTINUATION flood): nghttp2's default.
inline constexpr size_t kMaxContinuations = 8;

// Connection-specific fields have no place in HTTP/2 (RFC 9113 8.2.2).
bool connection_specific(std::string_view lower) {
  return lower == "connection" || lower == "keep-alive" || lower == "proxy-connection" ||
         lower == "transfer-encoding" || lower == "upgrade";
}

class H2Connection;

// One request stream: the request head nghttp2 decoded, its body as it arrives, and
// the response on its way out through a data provider.
class H2Stream final : public Downstream {
 public:
  H2Stream(H2Connection& c, int32_t id);

  // --- Downstream ----------------------------------------------------------------
  const ClientFacts& client() const override { return facts_; }
  const http::RequestHead& request() const override { return head_; }
  std::string_view buffered_body(bool& whole) const override {
    whole = body_ended_ && !reset_ && handed_out_ == 0 && !buffered_taken_;
    return whole ? std::string_view(incoming_) : std::string_view();
  }
  void consume_buffered_body() override;
  Task<BodyPiece> read_body(uint64_t limit) override;
  bool body_unread() const override { return !body_ended_ && !closed_; }
  Task<bool> send_head(const ResponseStart& r, std::string_view body, bool last) override;
  Task<bool> send_body(std::string_view data, bool last) override;
  void set_trailers(std::string_view fields) override { trailers_.assign(fields); }
  Task<void> tunnel(Socket&) override { co_return; }  // no Upgrade in HTTP/2
  uint64_t bytes_in() const override { return bytes_in_; }
  uint64_t bytes_out() const override { return bytes_out_; }

  // --- from the connection's callbacks -----------------------------------------------
  void add_field(std::string_view name, std::string_view value);
  void head_complete(bool end_stream);  // the request's HEADERS (and CONTINUATIONs) arrived
  void data(std::string_view bytes) {
    incoming_.append(bytes);
    bytes_in_ += bytes.size();
    wake();
  }
  void body_end() {
    body_ended_ = true;
    wake();
  }
  void closed(uint32_t error_code);  // nghttp2 closed the stream (done, or reset)
  void connection_gone() {
    gone_ = true;
    clock_.cancel_all();  // an exchange waiting on its upstream ends too: nobody is listening
  }
  // The data provider: the next bytes of the response body.
  ssize_t provide(uint8_t* buf, size_t length, uint32_t* flags);
  bool submit_trailers();  // from the provider, at the body's end (nghttp2's rule)

  Task<void> run(std::shared_ptr<H2Stream> self);
  int32_t id() const { return id_; }

 private:
  void wake() { signal_.cancel(); }
  bool dead() const { return gone_ || closed_; }
  Task<bool> wait_sent();
  Task<void> discard_body();
  void refuse(int status, std::string_view why) {
    if (!refusal_status_) refusal_status_ = status, refusal_ = why;
  }

  H2Connection& conn_;
  const int32_t id_;
  Timer signal_;  // wakes the exchange's waits: body bytes, window, the stream's end
  Watchdog clock_;
  Exchange exchange_;
  ClientFacts facts_;
  std::array<char, config::kIpTextMax> client_text_{};

  // The request head: names and values in one arena, views made when it is complete.
  std::string arena_;
  struct Span {
    uint32_t name_at, name_len, value_at, value_len;
  };
  std::vector<Span> spans_;
  Span method_{}, path_{}, scheme_{}, authority_{};
  std::vector<plan::HeaderField> fields_;
  http::RequestHead head_;
  size_t head_bytes_ = 0;
  int refusal_status_ = 0;
  std::string_view refusal_;
  char request_id_[32];

  // The body: `incoming_` fills as DATA arrives; read_body hands it out by swapping it
  // with `handed_`, whose bytes stay put until the next read.
  std::string incoming_, handed_;
  uint64_t handed_out_ = 0;
  bool body_ended_ = false, buffered_taken_ = false;

  // The response: `pending_` is what the provider has still to take of the body the
  // exchange passed; the exchange waits until it is taken.
  std::string_view pending_;
  bool pending_last_ = false, eof_taken_ = false, response_started_ = false;
  std::string trailers_;  // sent after the last DATA (set_trailers)

  bool closed_ = false, reset_ = false, gone_ = false;
  uint64_t bytes_in_ = 0, bytes_out_ = 0;
};

// The connection's side: the nghttp2 session and the streams it has open.
class H2Connection final : public Http2Control {
 public:
  H2Connection(Worker& w, Watchdog& clock, const Http2Start& s)
      : worker(w),
        gw(w.gateway()),
        limits(gw.config().limits),
        clock(clock),
        facts(s.facts),
        peer(s.peer),
        write_wake(w.io(), Clock::time_point::max()),
        all_done(w.io(), Clock::time_point::max()),
        tokens(kControlBurst),
        refilled(Clock::now()) {}
  ~H2Connection() {
    if (ng) nghttp2_session_del(ng);
  }

  bool open();  // the session with our SETTINGS queued; false on a library failure
  void response_fields(const ResponseStart& r);  // into `nv`
  void notify() {
    write_wanted = true;
    write_wake.cancel();
  }
  void drain() override;
  // A control frame: one token, or the connection ends (ENHANCE_YOUR_CALM).
  void spend_control(const char* what);
  // The connection's deadline: a write's, else idle when no stream is open.
  void rearm();
  void stream_started() { ++running; }
  void stream_finished() {
    if (--running == 0) all_done.cancel();
    rearm();
  }

  Worker& worker;
  Gateway& gw;
  const config::Limits& limits;
  Watchdog& clock;
  ClientFacts facts;
  config::IpAddress peer;
  nghttp2_session* ng = nullptr;
  std::vector<std::shared_ptr<H2Stream>> streams;  // open in nghttp2 (a few: a vector)
  Timer write_wake, all_done;
  bool write_wanted = false, writing = false, gone = false, draining = false, closing = false, writer_done = false;
  size_t owed = 0;  // body bytes of closed streams, not yet given back to the connection's window
  uint32_t running = 0;  // stream coroutines not yet finished
  // A response head being submitted (response_fields), reused by every stream.
  struct Line {
    size_t name_at, name_len;
    std::string_view value;
  };
  std::vector<Line> lines;
  std::vector<nghttp2_nv> nv;
  std::string names;
  char status[4] = {}, length[24] = {};
  double tokens;
  Clock::time_point refilled;

  std::shared_ptr<H2Stream> find(int32_t id) {
    for (auto& s : streams)
      if (s->id() == id) return s;
    return nullptr;
  }
  void forget(int32_t id) {
    auto it = std::find_if(streams.begin(), streams.end(), [&](const auto& s) { return s->id() == id; });
    if (it == streams.end()) return;
    std::swap(*it, streams.back());
    streams.pop_back();
  }
};

// --- nghttp2's callbacks (user_data: the H2Connection) -------------------------------

H2Connection& conn_of(void* user_data) { return *static_cast<H2Connection*>(user_data); }
H2Stream* stream_of(nghttp2_session* ng, int32_t id) {
  return static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(ng, id));
}

int on_begin_headers(nghttp2_session* ng, const nghttp2_frame* f, void* ud) {
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  H2Connection& c = conn_of(ud);
  if (c.draining) return 0;  // after our GOAWAY: nghttp2 refuses the stream itself
  auto s = std::make_shared<H2Stream>(c, f->hd.stream_id);
  nghttp2_session_set_stream_user_data(ng, f->hd.stream_id, s.get());
  c.streams.push_back(std::move(s));
  c.rearm();
  return 0;
}

int on_header(nghttp2_session* ng, const nghttp2_frame* f, const uint8_t* name, size_t namelen, const uint8_t* value,
              size_t valuelen, uint8_t /*flags*/, void* /*ud*/) {
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;  // trailers: dropped
  if (H2Stream* s = stream_of(ng, f->hd.stream_id))
    s->add_field({reinterpret_cast<const char*>(name), namelen}, {reinterpret_cast<const char*>(value), valuelen});
  return 0;
}

int on_frame_recv(nghttp2_session* ng, const nghttp2_frame* f, void* ud) {
  H2Connection& c = conn_of(ud);
  const bool end_stream = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (f->hd.type) {
    case NGHTTP2_HEADERS:
      if (H2Stream* s = stream_of(ng, f->hd.stream_id)) {
        if (f->headers.cat == NGHTTP2_HCAT_REQUEST)
          s->head_complete(end_stream);
        else if (end_stream)
          s->body_end();  // trailers end the body
      }
      break;
    case NGHTTP2_DATA:
      if (H2Stream* s = stream_of(ng, f->hd.stream_id); s && end_stream) s->body_end();
      if (f->hd.length == 0 && !end_stream) c.spend_control("empty DATA frames");
      break;
    case NGHTTP2_PING:
      if (!(f->hd.flags & NGHTTP2_FLAG_ACK)) c.spend_control("PING frames");
      break;
    case NGHTTP2_SETTINGS:
      if (!(f->hd.flags & NGHTTP2_FLAG_ACK)) c.spend_control("SETTINGS frames");
      break;
    case NGHTTP2_PRIORITY: c.spend_control("PRIORITY frames"); break;
    default: break;
  }
  return 0;
}

int on_invalid_frame(nghttp2_session*, const nghttp2_frame*, int, void* ud) {
  conn_of(ud).spend_control("invalid frames");
  return 0;
}

int on_data_chunk(nghttp2_session* ng, uint8_t, int32_t id, const uint8_t* data, size_t len, void*) {
  if (H2Stream* s = stream_of(ng, id))
    s->data({reinterpret_cast<const char*>(data), len});
  else
    nghttp2_session_consume(ng, id, len);  // nobody reads it: the window opens at once
  return 0;
}

int on_stream_close(nghttp2_session* ng, int32_t id, uint32_t error_code, void* ud) {
  H2Connection& c = conn_of(ud);
  if (H2Stream* s = stream_of(ng, id)) s->closed(error_code);
  c.forget(id);  // the exchange's coroutine may still hold it
  c.rearm();
  return 0;
}

ssize_t provide(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags, nghttp2_data_source* src,
                void*) {
  return static_cast<H2Stream*>(src->ptr)->provide(buf, length, flags);
}

// --- the stream -----------------------------------------------------------------------

H2Stream::H2Stream(H2Connection& c, int32_t id)
    : conn_(c),
      id_(id),
      signal_(c.worker.io(), Clock::time_point::max()),
      clock_(c.worker.io(), signal_),
      exchange_(c.worker, *this, clock_),
      facts_(c.facts) {}

void H2Stream::add_field(std::string_view name, std::string_view value) {
  head_bytes_ += name.size() + value.size();
  bytes_in_ += name.size() + value.size() + 2;
  if (head_bytes_ > conn_.limits.header_bytes || spans_.size() >= conn_.limits.header_count) {
    refuse(431, "request header fields too large");
    return;  // counted, not kept: HPACK goes on decoding, the memory does not grow
  }
  Span sp{static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(name.size()), 0,
          static_cast<uint32_t>(value.size())};
  arena_ += name;
  sp.value_at = static_cast<uint32_t>(arena_.size());
  arena_ += value;
  if (!name.empty() && name[0] == ':') {
    // nghttp2 lets each pseudo-header through once, before the regular ones.
    if (name == ":method") method_ = sp;
    else if (name == ":path") path_ = sp;
    else if (name == ":scheme") scheme_ = sp;
    else if (name == ":authority") authority_ = sp;
    return;
  }
  spans_.push_back(sp);
}

// The request head as the exchange reads it (parse.h's RequestHead), from what HPACK
// decoded: the pseudo-headers checked, Host and :authority reconciled (RFC 9113 8.3.1),
// the cookie crumbs joined again (8.2.3).
void H2Stream::head_complete(bool end_stream) {
  body_ended_ = end_stream;
  auto text = [&](const Span& s, bool value) {
    return std::string_view(arena_).substr(value ? s.value_at : s.name_at, value ? s.value_len : s.name_len);
  };
  // Cookie crumbs, joined into one field at the end of the arena (before any view is made).
  uint32_t cookies = 0;
  for (const Span& s : spans_) cookies += text(s, false) == "cookie";
  if (cookies > 1) {
    size_t need = 6 + 2 * (cookies - 1);
    for (const Span& s : spans_)
      if (text(s, false) == "cookie") need += s.value_len;
    arena_.reserve(arena_.size() + need);  // the crumbs are copied from the arena itself: no reallocation
    Span joined{static_cast<uint32_t>(arena_.size()), 6, 0, 0};
    arena_ += "cookie";
    joined.value_at = static_cast<uint32_t>(arena_.size());
    bool first = true;
    for (const Span& s : spans_) {
      if (text(s, false) != "cookie") continue;
      if (!first) arena_ += "; ";
      arena_.append(arena_.data() + s.value_at, s.value_len);
      first = false;
    }
    joined.value_len = static_cast<uint32_t>(arena_.size() - joined.value_at);
    std::erase_if(spans_, [&](const Span& s) { return text(s, false) == "cookie"; });
    spans_.push_back(joined);
  }
  const std::string_view host_field = [&] {
    for (const Span& s : spans_)
      if (text(s, false) == "host") return text(s, true);
    return std::string_view();
  }();
  fields_.clear();
  fields_.reserve(spans_.size());
  for (const Span& s : spans_)
    if (text(s, false) != "host") fields_.push_back({text(s, false), text(s, true)});

  http::RequestHead& h = head_;
  h.method = text(method_, true);
  h.target = text(path_, true);
  h.version_major = 2;
  h.version_minor = 0;
  h.fields = fields_;
  h.keep_alive = true;
  std::string_view authority = text(authority_, true);
  if (h.method == "CONNECT") refuse(501, "CONNECT is not supported over HTTP/2");
  if (!authority.empty() && !host_field.empty() && !http::iequals(authority, host_field))
    refuse(400, ":authority and Host name different hosts");
  h.host = authority.empty() ? host_field : authority;
  if (h.host.empty() || !http::valid_host(h.host)) refuse(400, "no valid :authority or Host");
  if (text(scheme_, true) == "https" && !facts_.https) refuse(400, "an https request on a plain listener");
  if (h.target.empty() || (h.target[0] != '/' && !(h.target == "*" && h.method == "OPTIONS")))
    refuse(400, ":path is not a path");
  size_t q = h.target.find('?');
  h.path = h.target.substr(0, q);
  h.query = q == std::string_view::npos ? std::string_view() : h.target.substr(q + 1);
  if (h.path.empty()) h.path = "/";
  h.head_bytes = head_bytes_;
  // The body's framing: its length when the client said it (nghttp2 holds DATA to it).
  h.framing = http::Framing::None;
  std::string_view cl;
  if (plan::find_header(fields_, "content-length", cl)) {
    uint64_t n = 0;
    for (char ch : cl) n = n * 10 + static_cast<uint64_t>(ch - '0');  // digits: nghttp2 checked
    h.framing = http::Framing::Length;
    h.content_length = n;
  } else if (!end_stream) {
    h.framing = http::Framing::Chunked;  // decided again at the start, when the body may be whole
  }
  const std::vector<config::Cidr>& trusted = conn_.gw.config().trusted_proxies;
  if (!trusted.empty()) {
    config::IpAddress c = client_address(conn_.peer, fields_, trusted);
    if (!(c == conn_.peer)) facts_.ip = {client_text_.data(), config::format_ip(c, client_text_)};
  }
  conn_.stream_started();
  conn_.rearm();
  for (auto& s : conn_.streams) {
    if (s.get() != this) continue;
    asio::co_spawn(conn_.worker.io(), run(s), asio::detached);
    break;
  }
}

Task<void> H2Stream::run(std::shared_ptr<H2Stream> self) {
  // A body whole before the exchange starts goes upstream with its length (nginx does
  // the same), and can be sent again on a retry.
  if (head_.framing == http::Framing::Chunked && body_ended_) {
    head_.framing = incoming_.empty() ? http::Framing::None : http::Framing::Length;
    head_.content_length = incoming_.size();
  }
  clock_.set(Phase::Body, conn_.limits.body_timeout_ms);
  clock_.start(self);
  conn_.worker.next_request_id(request_id_);
  bump(conn_.gw.metrics().requests);
  bump(conn_.gw.metrics().http2_streams);
  const auto started = Clock::now();
  if (refusal_status_) {
    if (refusal_status_ != 431) bump(conn_.gw.metrics().bad_requests);
    std::string body = std::string(refusal_status_ == 431 ? "request header fields too large" : "bad request: ") +
                       (refusal_status_ == 431 ? "" : std::string(refusal_)) + "\n";
    co_await exchange_.refuse(refusal_status_, body, refusal_, request_id_, started);
  } else {
    co_await exchange_.run(conn_.worker.generation(), request_id_, started);
  }
  if (!dead() && eof_taken_ && !body_ended_) co_await discard_body();
  if (!dead()) {
    // No response, or one cut short, is reset; a complete one while the client still
    // sends its body tells it to stop (RFC 9113 8.1).
    if (!eof_taken_)
      nghttp2_submit_rst_stream(conn_.ng, NGHTTP2_FLAG_NONE, id_, NGHTTP2_INTERNAL_ERROR);
    else if (!body_ended_)
      nghttp2_submit_rst_stream(conn_.ng, NGHTTP2_FLAG_NONE, id_, NGHTTP2_NO_ERROR);
    conn_.notify();
  }
  clock_.stop();
  exchange_.release();
  conn_.stream_finished();
}

void H2Stream::closed(uint32_t error_code) {
  closed_ = true;
  reset_ = error_code != NGHTTP2_NO_ERROR || !body_ended_;
  // Body bytes nobody took still count against the connection's window: given back
  // by the writer (not from inside nghttp2's callback).
  conn_.owed += incoming_.size();
  incoming_.clear();
  wake();
}

void H2Stream::consume_buffered_body() {
  if (buffered_taken_) return;
  buffered_taken_ = true;
  if (!dead() && !incoming_.empty()) {
    nghttp2_session_consume(conn_.ng, id_, incoming_.size());
    conn_.notify();
  }
  incoming_.clear();  // the bytes stay where they were: a view taken before still reads them
}

Task<BodyPiece> H2Stream::read_body(uint64_t limit) {
  handed_.clear();
  error_code ec;
  clock_.set(Phase::Body, conn_.limits.body_timeout_ms);
  while (incoming_.empty() && !body_ended_) {
    if (dead() || clock_.expired()) co_return BodyPiece{{}, BodyPiece::End::ClientGone};
    co_await signal_.async_wait(asio::redirect_error(use_task, ec));
  }
  if (dead() && (reset_ || gone_)) co_return BodyPiece{{}, BodyPiece::End::ClientGone};
  if (incoming_.empty()) co_return BodyPiece{{}, BodyPiece::End::Done};
  std::swap(handed_, incoming_);
  handed_out_ += handed_.size();
  if (handed_out_ > limit) co_return BodyPiece{{}, BodyPiece::End::TooLarge};
  nghttp2_session_consume(conn_.ng, id_, handed_.size());  // the client may send as much again
  conn_.notify();
  co_return BodyPiece{handed_, body_ended_ && incoming_.empty() ? BodyPiece::End::Done : BodyPiece::End::More};
}

// The response head as nghttp2 takes it, into the connection's scratch (nghttp2 copies
// it at submit): ":status", the fields with their names lower-cased (RFC 9113 8.2.1)
// less the connection-specific ones, content-length when known. Not in the coroutine:
// its frame stays small.
void H2Connection::response_fields(const ResponseStart& r) {
  names.clear();
  lines.clear();
  for (std::string_view rest = r.fields; !rest.empty();) {
    size_t eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    size_t at = names.size();
    for (char ch : line.substr(0, colon)) names += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    if (connection_specific(std::string_view(names).substr(at))) {
      names.resize(at);
      continue;
    }
    lines.push_back({at, colon, value});
  }
  status[0] = static_cast<char>('0' + r.status / 100 % 10);
  status[1] = static_cast<char>('0' + r.status / 10 % 10);
  status[2] = static_cast<char>('0' + r.status % 10);
  size_t length_size = 0;
  if (r.body == ResponseStart::Body::Length && r.status != 204 && r.status != 304)
    length_size = static_cast<size_t>(std::to_chars(length, length + sizeof length, r.length).ptr - length);
  auto field = [](std::string_view name, std::string_view value) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                      NGHTTP2_NV_FLAG_NONE};
  };
  nv.clear();
  nv.push_back(field(":status", {status, 3}));
  for (const Line& l : lines) nv.push_back(field(std::string_view(names).substr(l.name_at, l.name_len), l.value));
  if (length_size) nv.push_back(field("content-length", {length, length_size}));
}

Task<bool> H2Stream::send_head(const ResponseStart& r, std::string_view body, bool last) {
  if (dead()) co_return false;
  if (r.status < 200) co_return true;  // no interim answers here (101 has no meaning in HTTP/2)
  conn_.response_fields(r);
  response_started_ = true;
  pending_ = body;
  pending_last_ = last;
  const bool has_data = !(last && body.empty() && trailers_.empty());
  nghttp2_data_provider provider{};
  provider.source.ptr = this;
  provider.read_callback = proxy::provide;
  const std::vector<nghttp2_nv>& nv = conn_.nv;
  int rv = nghttp2_submit_response(conn_.ng, id_, nv.data(), nv.size(), has_data ? &provider : nullptr);
  if (rv != 0) co_return false;
  if (!has_data) eof_taken_ = true;  // HEADERS carries END_STREAM
  for (const nghttp2_nv& f : nv) bytes_out_ += f.namelen + f.valuelen + 2;
  conn_.notify();
  if (!has_data) co_return true;
  co_return co_await wait_sent();
}

Task<bool> H2Stream::send_body(std::string_view data, bool last) {
  if (dead()) co_return false;
  if (data.empty() && !last) co_return true;
  pending_ = data;
  pending_last_ = last;
  nghttp2_session_resume_data(conn_.ng, id_);
  conn_.notify();
  co_return co_await wait_sent();
}

// After a complete answer, the body the exchange did not want is read and dropped, as
// HTTP/1.1's lingering close does, for a while and up to a size: some clients (curl
// 7.88) take RST_STREAM(NO_ERROR) in the middle of an upload badly. Past the bounds the
// stream is reset, as RFC 9113 8.1 allows.
Task<void> H2Stream::discard_body() {
  error_code ec;
  uint64_t dropped = 0;
  clock_.set(Phase::Closing, kLingerMs);
  while (!dead() && !clock_.expired() && dropped < kLingerBytes) {
    if (!incoming_.empty()) {
      dropped += incoming_.size();
      nghttp2_session_consume(conn_.ng, id_, incoming_.size());
      incoming_.clear();
      conn_.notify();
    }
    if (body_ended_) break;
    co_await signal_.async_wait(asio::redirect_error(use_task, ec));
  }
}

// Until the provider has taken what the exchange passed (the window may hold it back
// for as long as the client does not read: the body timeout, then the stream is reset).
Task<bool> H2Stream::wait_sent() {
  error_code ec;
  clock_.set(Phase::ClientWrite, conn_.limits.body_timeout_ms);
  // Taken means sent as far as this stream goes: the stream may already be closed by
  // then (its last DATA frame out), which is no failure.
  while (!pending_.empty() || (pending_last_ && !eof_taken_)) {
    if (dead() || clock_.expired()) co_return false;
    co_await signal_.async_wait(asio::redirect_error(use_task, ec));
  }
  co_return true;
}

ssize_t H2Stream::provide(uint8_t* buf, size_t length, uint32_t* flags) {
  if (pending_.empty() && !pending_last_) return NGHTTP2_ERR_DEFERRED;
  size_t n = std::min(length, pending_.size());
  if (n > 0) std::memcpy(buf, pending_.data(), n);  // (an empty last piece may have no address)
  pending_.remove_prefix(n);
  bytes_out_ += n;
  if (pending_.empty()) {
    if (pending_last_) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      eof_taken_ = true;
      if (!trailers_.empty() && submit_trailers()) *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    }
    wake();
  }
  return static_cast<ssize_t>(n);
}

// The trailers as HEADERS with END_STREAM after the last DATA; false if nghttp2 refused
// them (the body then ends the stream itself).
bool H2Stream::submit_trailers() {
  std::vector<nghttp2_nv> nv;
  for (std::string_view rest = trailers_; !rest.empty();) {
    size_t eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
    size_t colon = line.find(": ");
    if (colon == std::string_view::npos) continue;
    std::string_view n = line.substr(0, colon), v = line.substr(colon + 2);
    nv.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                  reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return nghttp2_submit_trailer(conn_.ng, id_, nv.data(), nv.size()) == 0;
}

// --- the connection -----------------------------------------------------------------

bool H2Connection::open() {
  nghttp2_session_callbacks* cb = nullptr;
  if (nghttp2_session_callbacks_new(&cb) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb, on_invalid_frame);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_option* opt = nullptr;
  if (nghttp2_option_new(&opt) != 0) {
    nghttp2_session_callbacks_del(cb);
    return false;
  }
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_no_closed_streams(opt, 1);
  nghttp2_option_set_max_continuations(opt, kMaxContinuations);
  nghttp2_option_set_stream_reset_rate_limit(opt, kResetBurst, kResetPerSecond);
  nghttp2_option_set_max_outbound_ack(opt, 1000);
  nghttp2_option_set_max_settings(opt, 32);
  // Response heads are encoded with the static table and literals, no dynamic table
  // (nginx does the same): none of its 4 KiB per connection.
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, 0);
  int rv = nghttp2_session_server_new2(&ng, cb, this, opt);
  nghttp2_session_callbacks_del(cb);
  nghttp2_option_del(opt);
  if (rv != 0) return false;
  const uint32_t max_streams = gw.config().http2_max_streams;
  std::array<nghttp2_settings_entry, 3> settings{{
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(std::min<uint64_t>(limits.header_bytes, 1u << 30))},
  }};
  if (nghttp2_submit_settings(ng, NGHTTP2_FLAG_NONE, settings.data(), settings.size()) != 0) return false;
  return nghttp2_session_set_local_window_size(ng, NGHTTP2_FLAG_NONE, 0, kConnectionWindow) == 0;
}

void H2Connection::drain() {
  if (draining || gone) return;
  draining = true;
  // The last stream we have begun is the last we serve; newer ones are refused.
  nghttp2_submit_goaway(ng, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(ng), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  notify();
}

void H2Connection::spend_control(const char* what) {
  const auto now = Clock::now();
  tokens = std::min(kControlBurst,
                    tokens + std::chrono::duration<double>(now - refilled).count() * kControlPerSecond);
  refilled = now;
  tokens -= 1;
  if (tokens >= 0 || draining) return;
  draining = true;
  bump(gw.metrics().http2_floods);
  gw.note(std::string("an HTTP/2 client at ") + std::string(facts.peer) + " sent too many " + what +
          ": connection ended (ENHANCE_YOUR_CALM)");
  nghttp2_session_terminate_session(ng, NGHTTP2_ENHANCE_YOUR_CALM);
  notify();
}

void H2Connection::rearm() {
  if (gone || writing) return;  // a write's deadline stands
  if (running > 0)
    clock.set(Phase::Tunnel, 24 * 3600 * 1000);  // each stream keeps its own deadlines
  else if (!streams.empty())
    clock.set(Phase::Head, limits.header_timeout_ms);  // a head begun and not finished (slowloris)
  else
    clock.set(Phase::Idle, draining ? 1000 : limits.idle_timeout_ms);
}

// The writer: frames nghttp2 has ready, gathered, written under the write deadline.
template <class Stream>
Task<void> write_loop(H2Connection& c, Stream& stream) {
  // Frames are gathered into one of the worker's buffers, held only while there is
  // something to write: an idle connection holds none. A frame larger than what is
  // left is written after the gathered ones; one larger than a buffer (a HEADERS of
  // many fields) is written from nghttp2's own memory, which stays put until the next
  // mem_send.
  Buffer out;
  std::string_view held;  // a frame nghttp2 gave that did not fit yet
  error_code ec;
  while (!c.gone) {
    if (c.owed) {
      nghttp2_session_consume_connection(c.ng, c.owed);
      c.owed = 0;
    }
    out.acquire(c.worker.buffers());
    out.begin = out.end = 0;
    std::string_view direct;
    for (;;) {
      if (held.empty()) {
        const uint8_t* p = nullptr;
        ssize_t n = nghttp2_session_mem_send(c.ng, &p);
        if (n <= 0) break;  // nothing more now, or a fatal error (the read loop sees the session end)
        held = {reinterpret_cast<const char*>(p), static_cast<size_t>(n)};
      }
      if (held.size() > out.cap - out.end) {
        if (out.end == 0) direct = std::exchange(held, {});
        break;
      }
      std::memcpy(out.data.get() + out.end, held.data(), held.size());
      out.end += held.size();
      held = {};
    }
    std::string_view bytes = out.end ? out.view() : direct;
    if (bytes.empty()) {
      out.release(c.worker.buffers());
      if (c.closing) break;  // the read side ended: what was queued is written
      if (!nghttp2_session_want_read(c.ng) && !nghttp2_session_want_write(c.ng)) break;  // GOAWAY done
      c.write_wanted = false;
      while (!c.write_wanted && !c.gone) co_await c.write_wake.async_wait(asio::redirect_error(use_task, ec));
      continue;
    }
    c.writing = true;
    c.clock.set(Phase::ClientWrite, c.limits.body_timeout_ms);
    co_await asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(use_task, ec));
    c.writing = false;
    if (ec) break;
    c.rearm();
  }
  out.release(c.worker.buffers());
  c.writer_done = true;
  c.gone = true;
  c.clock.cancel_all();  // the read loop stops too
  c.all_done.cancel();
}

}  // namespace

template <class Stream>
Task<void> serve_http2(Worker& worker, Stream& stream, Watchdog& clock, Http2Start start) {
  H2Connection c(worker, clock, start);
  if (!c.open()) co_return;
  bump(c.gw.metrics().http2_connections);
  if (start.control) *start.control = &c;
  c.rearm();
  asio::co_spawn(worker.io(), write_loop(c, stream), asio::detached);
  error_code ec;
  std::string_view first = start.first;
  // Reads land in the connection's small buffer; after one that filled it (more is on
  // its way: a body, many requests) in one of the worker's buffers, given back after
  // the read. A read that waits (an idle connection) holds no more than the small one.
  Buffer in;
  bool filled = false;
  for (;;) {
    std::string_view got = first;
    if (got.empty()) {
      asio::mutable_buffer into = asio::buffer(start.idle_buffer.data(), start.idle_buffer.size());
      if (filled) {
        in.acquire(worker.buffers());
        into = asio::buffer(in.data.get(), in.cap);
      }
      size_t n = co_await stream.async_read_some(into, asio::redirect_error(use_task, ec));
      if (ec || n == 0 || c.gone) break;
      got = {static_cast<const char*>(into.data()), n};
      filled = n == into.size();
    }
    first = {};
    ssize_t rv = nghttp2_session_mem_recv(c.ng, reinterpret_cast<const uint8_t*>(got.data()), got.size());
    in.release(worker.buffers());
    if (rv < 0) {
      // A connection error nghttp2 could not answer itself (a bad preface, a flood of
      // unread acknowledgements): GOAWAY if it still can, then the end.
      if (rv == NGHTTP2_ERR_FLOODED) bump(c.gw.metrics().http2_floods);
      nghttp2_session_terminate_session(c.ng, NGHTTP2_PROTOCOL_ERROR);
      c.notify();
      break;
    }
    c.notify();
    if (!nghttp2_session_want_read(c.ng)) break;
  }
  in.release(worker.buffers());
  // Idle (or a head too slow): say so with a GOAWAY before closing, as nginx does.
  if (clock.expired() && !c.draining)
    nghttp2_submit_goaway(c.ng, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(c.ng), NGHTTP2_NO_ERROR,
                          nullptr, 0);
  // The writer flushes what is queued (a GOAWAY), within its deadline, and stops.
  c.closing = true;
  c.notify();
  while (!c.writer_done) co_await c.all_done.async_wait(asio::redirect_error(use_task, ec));
  c.gone = true;
  for (auto& s : c.streams) s->connection_gone();
  c.streams.clear();
  while (c.running > 0) co_await c.all_done.async_wait(asio::redirect_error(use_task, ec));
  if (start.control) *start.control = nullptr;
}

template Task<void> serve_http2<Socket>(Worker&, Socket&, Watchdog&, Http2Start);
template Task<void> serve_http2<TlsStream>(Worker&, TlsStream&, Watchdog&, Http2Start);

}  // namespace banyan::proxy
