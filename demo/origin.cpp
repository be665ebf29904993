// banyan-origin: the tutorial's demo services (monolith replicas, iotd) and the origin
// server the gateway's integration tests start on 127.0.0.1. One single-threaded
// Asio/Beast HTTP/1.1 server with keep-alive; every --listen is one replica with its
// own identity NAME@HOST:PORT. A test tool: it trusts its clients, has no timeouts.
//
//   banyan-origin --listen HOST:PORT [--listen ...] --name NAME [--log FILE] [--port-file FILE]
//
// Endpoints (any method; a request body is always read, so keep-alive survives):
//   /healthz         200 "ok"
//   /echo...         the head as parsed, then body-bytes and body-sha256 of the body
//   /upload          body-bytes and body-sha256 of the body
//   /status/NNN      status NNN (200..599), body "status NNN" (none for 204/304)
//   /delay/MS        the default answer after MS ms (clamped to 60000)
//   /bytes/N         N pattern bytes (N <= 2^40) in 64 KiB pieces; ?chunked=1 chunks them,
//                    &type=T sets the Content-Type, each &h=Name:Value adds a field,
//                    &cut=K closes after K body bytes
//   /close /reset    close without answering; /reset sends RST (SO_LINGER 0)
//   /half            Content-Length: 100 with 10 bytes, then close
//   /bad/CASE        a raw malformed response, then close (cases in answer_bad)
//   /die             "bye", then this replica stops accepting and drops its connections
//   /upgrade         with an Upgrade header: 101, then every byte echoed; without: 426
//   /c/ANYTHING      the cache tests' resource: ?status=NNN (default 200), each &h=Name:Value
//                    adds a field (%HH-decoded), &body=TEXT (default "cached thing"),
//                    &delay=MS waits first (clamped to 5000); body "TEXT #N" where N counts
//                    the /c answers of this process, also sent as X-Count: N. If-None-Match
//                    listing the h= ETag (weak comparison, or *), or else If-Modified-Since
//                    equal to the h= Last-Modified, gets 304 with the h fields and X-Count
//                    (counted too), where each &h304=Name:Value replaces that field; HEAD
//                    gets the head alone; &hold=1 sends the head and the first half of the
//                    body, then waits for a /c-release (at most 5 s) before the rest
//   /c-fail?n=K      the next K /c answers are 503 "failing #N" (counted, no h fields)
//   /c-release       lets every held /c answer finish; says "released N", N held until now
//   anything else    200 "NAME (IDENTITY) answered METHOD TARGET"
// Every normal answer carries X-Served-By: IDENTITY. --log appends each request head
// exactly as received (the bytes the parser consumed) followed by "\n---\n".
#include <utility>  // before Asio's coroutine headers (see DESIGN notes)

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;

namespace {

// Budgets. The head limit matches the gateway's default, so a head the gateway
// accepts is one the origin accepts too.
constexpr std::size_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kPieceSize = 64 * 1024;                // body read/write granularity
constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 40;  // /bytes/N
constexpr std::uint64_t kMaxDelayMs = 60000;                 // /delay/MS, larger values are clamped
constexpr std::uint64_t kMaxCacheDelayMs = 5000;             // /c/...?delay=MS
constexpr std::size_t kHugeHeaderSize = 100 * 1024;          // /bad/huge-header
// /bytes/N sends byte i = kPattern[i % 64]; 64 divides kPieceSize, so every piece
// starts at the pattern's beginning and one precomputed piece serves all.
constexpr std::string_view kPattern = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static_assert(kPieceSize % kPattern.size() == 0);

struct Options {
  std::vector<std::string> listens;
  std::string name;
  std::string log_path;
  std::string port_file;
};

// One replica: its acceptor, its identity and the connections /die must close.
struct Listener {
  explicit Listener(asio::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
  std::string identity;
  std::set<tcp::socket*> connections;
  bool dead = false;
};

struct Server {
  std::string name;
  std::FILE* log = nullptr;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::vector<char> pattern_piece;  // kPieceSize bytes of kPattern
  std::uint64_t cache_answers = 0;  // /c answers so far (X-Count)
  std::uint64_t cache_failures = 0; // the next /c answers that are 503 (/c-fail)
  std::uint64_t cache_releases = 0; // /c-release requests so far (a held answer waits for one more)
  std::uint64_t cache_held = 0;     // /c answers being held now
};

// One client connection; the buffer outlives a request so pipelined bytes survive.
struct Connection {
  Server& server;
  Listener& listener;
  tcp::socket socket;
  beast::flat_buffer buffer;
  std::vector<char> piece = std::vector<char>(kPieceSize);
};

using Parser = http::request_parser<http::buffer_body>;
using Request = http::request<http::buffer_body>;

struct BodyStats {
  std::uint64_t bytes = 0;
  std::string sha256_hex;  // empty unless a digest was asked for
};

// What a handler wants done with the connection afterwards.
enum class After { keep_alive, close };

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::optional<std::uint64_t> parse_number(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

bool has_query_flag(std::string_view query, std::string_view flag) {
  while (!query.empty()) {
    auto amp = query.find('&');
    if (query.substr(0, amp) == flag) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

// Every value of `name=` in the query, %HH-decoded (a test tool: malformed escapes are kept).
std::vector<std::string> query_values(std::string_view query, std::string_view name) {
  std::vector<std::string> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    if (param.size() > name.size() && param.substr(0, name.size()) == name && param[name.size()] == '=') {
      std::string v;
      for (size_t i = name.size() + 1; i < param.size(); ++i) {
        if (param[i] == '%' && i + 2 < param.size() && std::isxdigit(static_cast<unsigned char>(param[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(param[i + 2]))) {
          v += static_cast<char>(std::stoi(std::string(param.substr(i + 1, 2)), nullptr, 16));
          i += 2;
        } else {
          v += param[i] == '+' ? ' ' : param[i];
        }
      }
      out.push_back(std::move(v));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

void close_socket(tcp::socket& socket, bool reset) {
  beast::error_code ec;
  if (reset) {
    socket.set_option(asio::socket_base::linger(true, 0), ec);
  } else {
    socket.shutdown(tcp::socket::shutdown_send, ec);
  }
  socket.close(ec);
}

void log_head(Server& server, std::string_view raw) {
  if (!server.log) return;
  std::fwrite(raw.data(), 1, raw.size(), server.log);
  std::fwrite("\n---\n", 1, 5, server.log);
  std::fflush(server.log);
}

// ---- reading ----

// Reads one request head with the parser, feeding it by hand so the exact bytes it
// consumed can be logged (the head is only consumed once it is complete, so those
// bytes are contiguous at the front of the buffer). False on EOF or a bad head;
// a bad head is logged as received and answered with 400.
awaitable<bool> read_head(Connection& c, Parser& parser) {
  beast::error_code ec;
  for (;;) {
    if (c.buffer.size() > 0) {
      auto data = c.buffer.data();
      std::size_t used = parser.put(data, ec);
      if (parser.is_header_done()) {
        log_head(c.server, {static_cast<const char*>(data.data()), used});
        c.buffer.consume(used);
        co_return true;
      }
      if (ec && ec != http::error::need_more) {
        log_head(c.server, {static_cast<const char*>(data.data()), data.size()});
        constexpr std::string_view k400 = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        co_await asio::async_write(c.socket, asio::buffer(k400), asio::redirect_error(asio::use_awaitable, ec));
        co_return false;
      }
      ec = {};
      c.buffer.consume(used);  // only skipped leading blank lines, if anything
    }
    std::size_t n =
        co_await c.socket.async_read_some(c.buffer.prepare(kPieceSize), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    c.buffer.commit(n);
  }
}

// Streams the body through one kPieceSize buffer, counting it and, if asked,
// hashing it. Sends "100 Continue" first when the client waits for it.
awaitable<std::optional<BodyStats>> read_body(Connection& c, Parser& parser, bool digest) {
  beast::error_code ec;
  BodyStats stats;
  const Request& req = parser.get();
  if (!parser.is_done() && req.version() >= 11 && beast::iequals(req[http::field::expect], "100-continue")) {
    constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
    co_await asio::async_write(c.socket, asio::buffer(k100), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return std::nullopt;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(digest ? EVP_MD_CTX_new() : nullptr, EVP_MD_CTX_free);
  if (md) EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr);
  while (!parser.is_done()) {
    parser.get().body().data = c.piece.data();
    parser.get().body().size = c.piece.size();
    co_await http::async_read(c.socket, c.buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return std::nullopt;
    std::size_t n = c.piece.size() - parser.get().body().size;
    stats.bytes += n;
    if (md) EVP_DigestUpdate(md.get(), c.piece.data(), n);
  }
  if (md) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(md.get(), out, &len);
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned i = 0; i < len; ++i) {
      stats.sha256_hex += kHex[out[i] >> 4];
      stats.sha256_hex += kHex[out[i] & 0xf];
    }
  }
  co_return stats;
}

// ---- writing ----

awaitable<After> write_raw(Connection& c, std::string_view bytes) {
  beast::error_code ec;
  co_await asio::async_write(c.socket, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
  co_return After::close;
}

// A text/plain answer carrying X-Served-By. 1xx, 204 and 304 get no body; HEAD gets
// the Content-Length of the body it would have had.
awaitable<After> send_text(Connection& c, const Request& req, unsigned status, std::string body) {
  http::response<http::string_body> res;
  res.version(req.version());
  res.result(status);
  if (res.result() == http::status::unknown) res.reason("Unknown");  // not "<unknown-status>"
  res.set(http::field::content_type, "text/plain");
  res.set("X-Served-By", c.listener.identity);
  res.keep_alive(req.keep_alive());
  if (status >= 200 && status != 204 && status != 304) {
    res.body() = std::move(body);
    res.prepare_payload();
  }
  http::response_serializer<http::string_body> sr{res};
  beast::error_code ec;
  if (req.method() == http::verb::head) {
    co_await http::async_write_header(c.socket, sr, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await http::async_write(c.socket, sr, asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return (ec || !req.keep_alive()) ? After::close : After::keep_alive;
}

std::string default_body(Connection& c, const Request& req) {
  return c.server.name + " (" + c.listener.identity + ") answered " + std::string(sv(req.method_string())) + " " +
         std::string(sv(req.target())) + "\n";
}

// ---- endpoint families ----

awaitable<After> answer_default(Connection& c, const Request& req) {
  co_return co_await send_text(c, req, 200, default_body(c, req));
}

std::string digest_lines(const BodyStats& body) {
  return "body-bytes: " + std::to_string(body.bytes) + "\nbody-sha256: " + body.sha256_hex + "\n";
}

// /echo...: the head as parsed (request line, then one "name: value" per field in
// the order received), a blank line, then the body's size and digest.
awaitable<After> answer_echo(Connection& c, const Request& req, const BodyStats& body) {
  std::string out = std::string(sv(req.method_string())) + " " + std::string(sv(req.target())) + " HTTP/" +
                    std::to_string(req.version() / 10) + "." + std::to_string(req.version() % 10) + "\n";
  for (const auto& field : req) {
    out += std::string(sv(field.name_string())) + ": " + std::string(sv(field.value())) + "\n";
  }
  out += "\n" + digest_lines(body);
  co_return co_await send_text(c, req, 200, std::move(out));
}

awaitable<After> answer_upload(Connection& c, const Request& req, const BodyStats& body) {
  co_return co_await send_text(c, req, 200, digest_lines(body));
}

// /status/NNN for NNN in 200..599 (1xx would be interim responses, not answers).
awaitable<After> answer_status(Connection& c, const Request& req, std::string_view arg) {
  auto code = parse_number(arg);
  if (!code || *code < 200 || *code > 599) co_return co_await send_text(c, req, 400, "status must be 200..599\n");
  co_return co_await send_text(c, req, static_cast<unsigned>(*code), "status " + std::string(arg) + "\n");
}

awaitable<After> answer_delay(Connection& c, const Request& req, std::string_view arg) {
  auto ms = parse_number(arg);
  if (!ms) co_return co_await send_text(c, req, 400, "delay must be a number of milliseconds\n");
  asio::steady_timer timer(c.socket.get_executor(), std::chrono::milliseconds(std::min(*ms, kMaxDelayMs)));
  beast::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (c.listener.dead) co_return After::close;
  co_return co_await answer_default(c, req);
}

// /bytes/N[?chunked=1][&type=T][&h=Name:Value...][&cut=K]: N pattern bytes in
// kPieceSize pieces, so memory stays at one piece whatever N is; `type` replaces the
// Content-Type, each `h` adds a field (values %HH-decoded); `cut` closes the connection
// after K body bytes (Content-Length framing only: a chunked cut would need its framing).
awaitable<After> answer_bytes(Connection& c, const Request& req, std::string_view arg, std::string_view query) {
  auto total = parse_number(arg);
  if (!total || *total > kMaxBytes) co_return co_await send_text(c, req, 400, "N must be 0..2^40\n");
  const bool chunked = has_query_flag(query, "chunked=1");
  http::response<http::buffer_body> res;
  res.version(req.version());
  res.result(http::status::ok);
  auto types = query_values(query, "type");
  res.set(http::field::content_type, types.empty() ? std::string("application/octet-stream") : types.back());
  for (const std::string& h : query_values(query, "h")) {
    auto colon = h.find(':');
    if (colon != std::string::npos && colon > 0) res.insert(h.substr(0, colon), h.substr(colon + 1));
  }
  res.set("X-Served-By", c.listener.identity);
  res.keep_alive(req.keep_alive());
  if (chunked) {
    res.chunked(true);
  } else {
    res.content_length(*total);
  }
  res.body().data = nullptr;
  res.body().more = true;
  http::response_serializer<http::buffer_body> sr{res};
  beast::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  co_await http::async_write_header(c.socket, sr, token);
  if (ec) co_return After::close;
  if (req.method() == http::verb::head) co_return req.keep_alive() ? After::keep_alive : After::close;
  auto cuts = query_values(query, "cut");
  auto cut = cuts.empty() ? std::nullopt : parse_number(cuts.back());
  for (std::uint64_t left = *total, sent = 0; left > 0;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, kPieceSize));
    if (cut && sent + n > *cut) {  // the body stops short: send up to the cut, then close
      if (*cut > sent) co_await asio::async_write(c.socket, asio::buffer(c.server.pattern_piece.data(), *cut - sent), token);
      co_return After::close;
    }
    sent += n;
    res.body().data = c.server.pattern_piece.data();
    res.body().size = n;
    res.body().more = true;
    co_await http::async_write(c.socket, sr, token);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return After::close;
    left -= n;
  }
  res.body().data = nullptr;
  res.body().size = 0;
  res.body().more = false;
  co_await http::async_write(c.socket, sr, token);
  co_return (ec || !req.keep_alive()) ? After::close : After::keep_alive;
}

// /close, /reset, /half: the connection ends without a complete response.
awaitable<After> answer_broken_connection(Connection& c, std::string_view path) {
  if (path == "/reset") {
    close_socket(c.socket, /*reset=*/true);
  } else if (path == "/half") {
    co_await write_raw(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789");
  }
  co_return After::close;
}

// /bad/<case>: a deliberately malformed response, written raw, then close.
awaitable<After> answer_bad(Connection& c, const Request& req, std::string_view which) {
  using namespace std::string_view_literals;
  constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\n";
  std::string raw;
  if (which == "both-framing") {
    raw = std::string(kOk) + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  } else if (which == "dup-length") {
    raw = std::string(kOk) + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!";
  } else if (which == "bare-lf") {
    raw = "HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 5\n\nhello";
  } else if (which == "nul") {
    raw = std::string(kOk) + std::string("X-Bad: a\0b\r\n"sv) + "Content-Length: 5\r\n\r\nhello";
  } else if (which == "huge-header") {
    raw = std::string(kOk) + "X-Huge: " + std::string(kHugeHeaderSize, 'a') + "\r\nContent-Length: 5\r\n\r\nhello";
  } else if (which == "too-many-bytes") {
    raw = std::string(kOk) + "Content-Length: 5\r\n\r\n" + std::string(50, 'x');
  } else if (which == "bad-chunk") {
    raw = std::string(kOk) + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n";
  } else if (which == "no-status") {
    raw = "THIS IS NOT HTTP\r\n\r\n";
  } else {
    co_return co_await send_text(c, req, 404,
                                 "cases: both-framing dup-length bare-lf nul huge-header too-many-bytes bad-chunk "
                                 "no-status\n");
  }
  co_await write_raw(c, raw);
  if (which == "too-many-bytes") {
    // Keep the connection open so a client that over-reads would see the extra bytes.
    asio::steady_timer timer(c.socket.get_executor(), std::chrono::seconds(1));
    beast::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return After::close;
}

// /die: answer, then this replica stops accepting and drops every connection.
awaitable<After> answer_die(Connection& c, const Request& req) {
  http::response<http::string_body> res{http::status::ok, req.version()};
  res.set(http::field::content_type, "text/plain");
  res.set("X-Served-By", c.listener.identity);
  res.keep_alive(false);
  res.body() = "bye\n";
  res.prepare_payload();
  beast::error_code ec;
  co_await http::async_write(c.socket, res, asio::redirect_error(asio::use_awaitable, ec));
  Listener& l = c.listener;
  l.dead = true;
  l.acceptor.close(ec);
  for (tcp::socket* s : std::vector<tcp::socket*>(l.connections.begin(), l.connections.end())) {
    if (s != &c.socket) close_socket(*s, /*reset=*/false);
  }
  co_return After::close;
}

// /upgrade: with an Upgrade header, 101 Switching Protocols and then an echo of every
// byte until the peer closes (what a WebSocket server looks like to a proxy).
awaitable<After> answer_upgrade(Connection& c, const Request& req) {
  auto it = req.find(http::field::upgrade);
  if (it == req.end()) co_return co_await send_text(c, req, 426, "upgrade required\n");
  std::string head = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " +
                     std::string(sv(it->value())) + "\r\nX-Served-By: " + c.listener.identity + "\r\n\r\n";
  co_await write_raw(c, head);
  beast::error_code ec;
  if (c.buffer.size() > 0) {  // bytes that came with the request
    co_await asio::async_write(c.socket, c.buffer.data(), asio::redirect_error(asio::use_awaitable, ec));
    c.buffer.consume(c.buffer.size());
  }
  while (!ec) {
    std::size_t n = co_await c.socket.async_read_some(asio::buffer(c.piece), asio::redirect_error(asio::use_awaitable, ec));
    if (ec || n == 0) break;
    co_await asio::async_write(c.socket, asio::buffer(c.piece.data(), n), asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return After::close;
}

// ---- the cache tests' resource ----

// "W/\"x\"" and "\"x\"" are the same tag under weak comparison (RFC 9110 8.8.3.2).
std::string_view weak_tag(std::string_view tag) {
  while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
  while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
  if (starts_with(tag, "W/")) tag.remove_prefix(2);
  return tag;
}

// True when the If-None-Match list (or *) names `etag`.
bool none_match_names(std::string_view list, std::string_view etag) {
  if (weak_tag(list) == "*") return true;
  while (!list.empty()) {
    auto comma = list.find(',');
    if (weak_tag(list.substr(0, comma)) == weak_tag(etag)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// /c-fail?n=K: the next K /c answers are 503s.
awaitable<After> answer_cache_fail(Connection& c, const Request& req, std::string_view query) {
  auto ns = query_values(query, "n");
  auto n = ns.empty() ? std::optional<std::uint64_t>(1) : parse_number(ns.back());
  if (!n) co_return co_await send_text(c, req, 400, "n must be a number\n");
  c.server.cache_failures = *n;
  co_return co_await send_text(c, req, 200, "the next " + std::to_string(*n) + " /c answers fail\n");
}

// /c/ANYTHING (see the endpoint list at the top).
awaitable<After> answer_cache(Connection& c, const Request& req, std::string_view query) {
  beast::error_code ec;
  auto delays = query_values(query, "delay");
  if (auto ms = delays.empty() ? std::nullopt : parse_number(delays.back()); ms && *ms > 0) {
    asio::steady_timer timer(c.socket.get_executor(), std::chrono::milliseconds(std::min(*ms, kMaxCacheDelayMs)));
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (c.listener.dead) co_return After::close;
  }
  const std::string count = std::to_string(++c.server.cache_answers);
  http::response<http::string_body> res;
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.set(http::field::content_type, "text/plain");
  res.set("X-Served-By", c.listener.identity);
  res.set("X-Count", count);
  unsigned status = 200;
  std::string body;
  if (c.server.cache_failures > 0) {
    --c.server.cache_failures;
    status = 503;
    body = "failing #" + count + "\n";
  } else {
    auto statuses = query_values(query, "status");
    if (!statuses.empty()) {
      auto code = parse_number(statuses.back());
      if (!code || *code < 200 || *code > 599) co_return co_await send_text(c, req, 400, "status must be 200..599\n");
      status = static_cast<unsigned>(*code);
    }
    auto bodies = query_values(query, "body");
    body = (bodies.empty() ? std::string("cached thing") : bodies.back()) + " #" + count + "\n";
    std::string etag, last_modified;
    for (const std::string& h : query_values(query, "h")) {
      auto colon = h.find(':');
      if (colon == std::string::npos || colon == 0) continue;
      std::string name = h.substr(0, colon), value = h.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (beast::iequals(name, "etag")) etag = value;
      if (beast::iequals(name, "last-modified")) last_modified = value;
      if (beast::iequals(name, "content-type")) {
        res.set(http::field::content_type, value);
      } else {
        res.insert(name, value);
      }
    }
    auto inm = req.find(http::field::if_none_match);
    auto ims = req.find(http::field::if_modified_since);
    // RFC 9110 13.2.2: If-Modified-Since counts only without If-None-Match.
    if (inm != req.end() ? !etag.empty() && none_match_names(sv(inm->value()), etag)
                         : ims != req.end() && !last_modified.empty() && sv(ims->value()) == last_modified) {
      status = 304;
      for (const std::string& h : query_values(query, "h304")) {
        auto colon = h.find(':');
        if (colon == std::string::npos || colon == 0) continue;
        std::string name = h.substr(0, colon), value = h.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        res.erase(name);
        res.insert(name, value);
      }
    }
  }
  res.result(status);
  if (res.result() == http::status::unknown) res.reason("Unknown");
  if (status != 204 && status != 304) {
    res.body() = std::move(body);
    res.prepare_payload();
  }
  http::response_serializer<http::string_body> sr{res};
  const bool hold = has_query_flag(query, "hold=1") && req.method() != http::verb::head && !res.body().empty();
  if (req.method() == http::verb::head) {
    co_await http::async_write_header(c.socket, sr, asio::redirect_error(asio::use_awaitable, ec));
  } else if (hold) {  // the head and half the body; the rest after a /c-release
    const std::uint64_t released = c.server.cache_releases;
    const std::string& b = res.body();
    co_await http::async_write_header(c.socket, sr, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_await asio::async_write(c.socket, asio::buffer(b.data(), b.size() / 2), asio::redirect_error(asio::use_awaitable, ec));
    asio::steady_timer timer(c.socket.get_executor());
    ++c.server.cache_held;
    for (int i = 0; i < 500 && c.server.cache_releases == released && !ec; ++i) {
      timer.expires_after(std::chrono::milliseconds(10));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    --c.server.cache_held;
    if (!ec) co_await asio::async_write(c.socket, asio::buffer(b.data() + b.size() / 2, b.size() - b.size() / 2),
                                        asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await http::async_write(c.socket, sr, asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return (ec || !req.keep_alive()) ? After::close : After::keep_alive;
}

// ---- the connection ----

awaitable<After> dispatch(Connection& c, const Request& req, const BodyStats& body) {
  std::string_view target = sv(req.target());
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view query = path.size() < target.size() ? target.substr(path.size() + 1) : std::string_view();
  if (path == "/healthz") co_return co_await send_text(c, req, 200, "ok\n");
  if (starts_with(path, "/echo")) co_return co_await answer_echo(c, req, body);
  if (path == "/upload") co_return co_await answer_upload(c, req, body);
  if (starts_with(path, "/status/")) co_return co_await answer_status(c, req, path.substr(8));
  if (starts_with(path, "/delay/")) co_return co_await answer_delay(c, req, path.substr(7));
  if (starts_with(path, "/bytes/")) {
    co_return co_await answer_bytes(c, req, path.substr(7), query);
  }
  if (path == "/close" || path == "/reset" || path == "/half") co_return co_await answer_broken_connection(c, path);
  if (starts_with(path, "/bad/")) co_return co_await answer_bad(c, req, path.substr(5));
  if (path == "/die") co_return co_await answer_die(c, req);
  if (path == "/upgrade") co_return co_await answer_upgrade(c, req);
  if (starts_with(path, "/c/")) co_return co_await answer_cache(c, req, query);
  if (path == "/c-fail") co_return co_await answer_cache_fail(c, req, query);
  if (path == "/c-release") {
    ++c.server.cache_releases;
    co_return co_await send_text(c, req, 200, "released " + std::to_string(c.server.cache_held) + "\n");
  }
  co_return co_await answer_default(c, req);
}

bool wants_digest(const Request& req) {
  std::string_view target = sv(req.target());
  std::string_view path = target.substr(0, target.find('?'));
  return starts_with(path, "/echo") || path == "/upload";
}

awaitable<void> serve_connection(Server& server, Listener& listener, tcp::socket socket) {
  Connection c{server, listener, std::move(socket), beast::flat_buffer()};
  listener.connections.insert(&c.socket);
  After after = After::keep_alive;
  while (after == After::keep_alive && !listener.dead) {
    Parser parser;
    parser.header_limit(kHeaderLimit);
    // No body limit. Not boost::none: Beast 1.74 compares `len_ > body_limit_` with
    // the optional, which is always true when it is empty, so every Content-Length
    // body would fail with body_limit.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (!co_await read_head(c, parser)) break;
    auto body = co_await read_body(c, parser, wants_digest(parser.get()));
    if (!body) break;
    after = co_await dispatch(c, parser.get(), *body);
  }
  if (c.socket.is_open()) close_socket(c.socket, /*reset=*/false);
  listener.connections.erase(&c.socket);
}

void report_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    std::fprintf(stderr, "banyan-origin: %s\n", x.what());
  }
}

awaitable<void> accept_loop(Server& server, Listener& listener) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await listener.acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (listener.dead || ec == asio::error::operation_aborted) co_return;
    if (ec) continue;  // e.g. a connection reset before accept
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(listener.acceptor.get_executor(), serve_connection(server, listener, std::move(socket)),
                   report_exception);
  }
}

// ---- start-up ----

constexpr std::string_view kUsage =
    "usage: banyan-origin --listen HOST:PORT [--listen HOST:PORT ...] --name NAME\n"
    "                     [--log FILE] [--port-file FILE]\n";

// Exits with 2 and the usage on any mistake.
Options parse_args(int argc, char** argv) {
  Options o;
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "banyan-origin: %s\n%.*s", msg.c_str(), static_cast<int>(kUsage.size()), kUsage.data());
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      std::exit(0);
    }
    std::string* slot = arg == "--name"        ? &o.name
                        : arg == "--log"       ? &o.log_path
                        : arg == "--port-file" ? &o.port_file
                                               : nullptr;
    if (!slot && arg != "--listen") fail("unknown argument '" + std::string(arg) + "'");
    if (i + 1 >= argc) fail(std::string(arg) + " needs a value");
    std::string value = argv[++i];
    if (slot) {
      *slot = value;
    } else {
      o.listens.push_back(value);
    }
  }
  if (o.listens.empty()) fail("at least one --listen HOST:PORT is required");
  if (o.name.empty()) fail("--name is required");
  return o;
}

// "127.0.0.1:9001" or "[::1]:9001"; nullopt if malformed.
std::optional<tcp::endpoint> parse_endpoint(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto port = parse_number(s.substr(colon + 1));
  if (!port || *port > 65535) return std::nullopt;
  beast::error_code ec;
  auto address = asio::ip::make_address(std::string(host), ec);
  if (ec) return std::nullopt;
  return tcp::endpoint(address, static_cast<unsigned short>(*port));
}

std::string endpoint_text(const tcp::endpoint& ep) {
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

// Written to a temporary name and renamed, so a reader never sees half a file.
bool write_port_file(const std::string& path, const Server& server) {
  std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) return false;
  for (const auto& l : server.listeners) std::fprintf(f, "%u\n", unsigned{l->acceptor.local_endpoint().port()});
  bool ok = std::fclose(f) == 0;
  return ok && std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse_args(argc, argv);
  std::vector<tcp::endpoint> endpoints;
  for (const auto& text : options.listens) {
    auto ep = parse_endpoint(text);
    if (!ep) {
      std::fprintf(stderr, "banyan-origin: --listen '%s' is not HOST:PORT (e.g. 127.0.0.1:9001)\n", text.c_str());
      return 2;
    }
    endpoints.push_back(*ep);
  }

  asio::io_context io(1);
  Server server;
  server.name = options.name;
  server.pattern_piece.resize(kPieceSize);
  for (std::size_t i = 0; i < kPieceSize; ++i) server.pattern_piece[i] = kPattern[i % kPattern.size()];
  if (!options.log_path.empty()) {
    server.log = std::fopen(options.log_path.c_str(), "ab");
    if (!server.log) {
      std::fprintf(stderr, "banyan-origin: cannot open --log file '%s'\n", options.log_path.c_str());
      return 1;
    }
  }

  for (const auto& ep : endpoints) {
    auto l = std::make_unique<Listener>(io);
    beast::error_code ec;
    l->acceptor.open(ep.protocol(), ec);
    if (!ec) l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) l->acceptor.bind(ep, ec);
    if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      std::fprintf(stderr, "banyan-origin: cannot listen on %s: %s\n", endpoint_text(ep).c_str(), ec.message().c_str());
      return 1;
    }
    l->identity = options.name + "@" + endpoint_text(l->acceptor.local_endpoint());
    server.listeners.push_back(std::move(l));
  }
  if (!options.port_file.empty() && !write_port_file(options.port_file, server)) {
    std::fprintf(stderr, "banyan-origin: cannot write --port-file '%s'\n", options.port_file.c_str());
    return 1;
  }
  for (const auto& l : server.listeners) {
    std::printf("banyan-origin %s listening on %s\n", options.name.c_str(),
                endpoint_text(l->acceptor.local_endpoint()).c_str());
    asio::co_spawn(io, accept_loop(server, *l), report_exception);
  }
  std::fflush(stdout);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int) { io.stop(); });
  io.run();
  if (server.log) std::fclose(server.log);
  return 0;
}
