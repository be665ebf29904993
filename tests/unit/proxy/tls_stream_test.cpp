// The gateway's TLS stream (runtime/proxy/tls_stream.h: OpenSSL on the socket) against
// an independent peer, Asio's own ssl::stream over a memory BIO pair, on a loopback
// TCP connection: bytes both ways intact, a gathered write as one record, writes that
// fill the socket (WANT_WRITE), thousands of reads answered from OpenSSL's buffer with
// no recursion, the ends of a connection as values, and a waiting step cancelled.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>

#include "runtime/proxy/io.h"
#include "runtime/proxy/tls_stream.h"

namespace banyan::proxy {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

const std::string kCerts = std::string(BANYAN_SOURCE_DIR) + "/tests/fixtures/certs/";

struct Pair {
  asio::io_context io;
  ssl::context server_ctx{ssl::context::tls_server};
  ssl::context client_ctx{ssl::context::tls_client};
  std::unique_ptr<TlsStream> server;
  std::unique_ptr<ssl::stream<Socket>> client;
  int app_records_to_client = 0;  // TLS application-data records the client received
  std::array<char, TlsStream::kSmall> small;  // where the server's reads land (a session's array)

  Pair() {
    server_ctx.use_certificate_chain_file(kCerts + "example.pem");
    server_ctx.use_private_key_file(kCerts + "example.key", ssl::context::pem);
    SSL_CTX_set_mode(server_ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(server_ctx.native_handle(), 1);
    SSL_CTX_set_num_tickets(server_ctx.native_handle(), 0);  // no records but the test's own
    SSL_CTX_set_min_proto_version(client_ctx.native_handle(), TLS1_3_VERSION);
    Acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    Socket c(io);
    c.connect(acceptor.local_endpoint());
    Socket s = acceptor.accept();
    s.non_blocking(true);
    server = std::make_unique<TlsStream>(std::move(s), server_ctx.native_handle());
    server->lend(small.data());
    client = std::make_unique<ssl::stream<Socket>>(std::move(c), client_ctx);
    SSL_set_msg_callback_arg(client->native_handle(), this);
    SSL_set_msg_callback(client->native_handle(), [](int write_p, int, int content_type, const void* buf, size_t len,
                                                      SSL*, void* arg) {
      // Each record's header as it is read: byte 0 is the outer content type.
      if (!write_p && content_type == SSL3_RT_HEADER && len >= 1 &&
          static_cast<const unsigned char*>(buf)[0] == SSL3_RT_APPLICATION_DATA) {
        static_cast<Pair*>(arg)->app_records_to_client++;
      }
    });
    error_code sec, cec;
    int done = 0;
    server->async_handshake([&](error_code e) { sec = e, ++done; });
    client->async_handshake(ssl::stream_base::client, [&](error_code e) { cec = e, ++done; });
    io.run();
    io.restart();
    REQUIRE_FALSE(sec);
    REQUIRE_FALSE(cec);
    REQUIRE(done == 2);
  }
};

TEST_CASE("tls stream: a head and a body written together leave as one record and arrive intact", "[tls]") {
  Pair p;
  const int before = p.app_records_to_client;
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", body(5000, 'b'), tail = "\r\n";
  std::array<asio::const_buffer, 3> parts{asio::buffer(head), asio::buffer(body), asio::buffer(tail)};
  size_t written = 0;
  error_code wec;
  asio::async_write(*p.server, parts, [&](error_code e, size_t n) { wec = e, written = n; });
  std::string got(head.size() + body.size() + tail.size(), '\0');
  error_code rec;
  asio::async_read(*p.client, asio::buffer(got), [&](error_code e, size_t) { rec = e; });
  p.io.run();
  REQUIRE_FALSE(wec);
  REQUIRE_FALSE(rec);
  CHECK(written == got.size());
  CHECK(got == head + body + tail);
  CHECK(p.app_records_to_client - before == 1);
}

TEST_CASE("tls stream: 4 MiB each way through a full socket buffer in pieces of every size", "[tls]") {
  Pair p;
  // Small kernel buffers, so that writes stop half-way (WANT_WRITE) and resume.
  p.server->lowest_layer().set_option(asio::socket_base::send_buffer_size(8192));
  p.client->lowest_layer().set_option(asio::socket_base::receive_buffer_size(8192));
  std::string down(4 << 20, '\0'), up(4 << 20, '\0');
  for (size_t i = 0; i < down.size(); ++i) down[i] = static_cast<char>(i * 7 + i / 4096), up[i] = static_cast<char>(i * 13);
  std::string got_down(down.size(), '\0'), got_up;
  error_code e1, e2, e3, e4;
  asio::co_spawn(p.io, [&]() -> Task<void> {  // the gateway's side writes in pieces of 1 B to 40 KiB, gathered in threes
    size_t off = 0, k = 0;
    while (off < down.size()) {
      size_t a = std::min<size_t>(down.size() - off, 1 + (k * 977) % 20000);
      size_t b = std::min<size_t>(down.size() - off - a, (k * 131) % 20000);
      std::array<asio::const_buffer, 3> bufs{asio::buffer(down.data() + off, a), asio::buffer(down.data() + off + a, b),
                                             asio::const_buffer()};
      off += co_await asio::async_write(*p.server, bufs, asio::redirect_error(use_task, e1));
      if (e1) co_return;
      ++k;
    }
  }, asio::detached);
  asio::co_spawn(p.io, [&]() -> Task<void> {
    co_await asio::async_read(*p.client, asio::buffer(got_down), asio::redirect_error(use_task, e2));
  }, asio::detached);
  asio::co_spawn(p.io, [&]() -> Task<void> {
    co_await asio::async_write(*p.client, asio::buffer(up), asio::redirect_error(use_task, e3));
  }, asio::detached);
  asio::co_spawn(p.io, [&]() -> Task<void> {  // and reads into buffers of changing sizes
    std::vector<char> buf(70000);
    size_t k = 0;
    while (got_up.size() < up.size()) {
      size_t want = 1 + (k++ * 4099) % buf.size();
      size_t n = co_await p.server->async_read_some(asio::buffer(buf.data(), want), asio::redirect_error(use_task, e4));
      if (e4) co_return;
      got_up.append(buf.data(), n);
    }
  }, asio::detached);
  p.io.run();
  REQUIRE_FALSE(e1);
  REQUIRE_FALSE(e2);
  REQUIRE_FALSE(e3);
  REQUIRE_FALSE(e4);
  CHECK(got_down == down);
  CHECK(got_up == up);
}

TEST_CASE("tls stream: a step that needs no wait completes through the queue and never inside its call", "[tls]") {
  Pair p;
  // 2,000 one-byte records, all sent before the server reads: each read is answered at
  // once from what OpenSSL read ahead. Were the completion run inside the initiating
  // call, each would nest a coroutine resumption on the stack of the one before.
  std::string bytes;
  for (int i = 0; i < 2000; ++i) {
    char c = static_cast<char>('a' + i % 26);
    bytes += c;
    asio::write(*p.client, asio::buffer(&c, 1));
  }
  char first = 0;
  bool called = false;
  p.server->async_read_some(asio::buffer(&first, 1), [&](error_code, size_t) { called = true; });
  CHECK_FALSE(called);  // not from inside the call, though the byte is there
  p.io.run();
  p.io.restart();
  REQUIRE(called);
  std::string got(1, first);
  error_code ec;
  asio::co_spawn(p.io, [&]() -> Task<void> {
    char c;
    while (got.size() < bytes.size()) {
      size_t n = co_await p.server->async_read_some(asio::buffer(&c, 1), asio::redirect_error(use_task, ec));
      if (ec || n != 1) co_return;
      got += c;
    }
  }, asio::detached);
  p.io.run();
  REQUIRE_FALSE(ec);
  CHECK(got == bytes);
}

TEST_CASE("tls stream: the ends of a connection are values (close_notify or a bare close or a cancelled wait)", "[tls]") {
  SECTION("close_notify is eof") {
    Pair p;
    // The client sends close_notify and waits for the server's, which never comes: the
    // server closes its socket once it has read the client's.
    p.client->async_shutdown([](error_code) {});
    error_code ec;
    char c;
    p.server->async_read_some(asio::buffer(&c, 1), [&](error_code e, size_t) {
      ec = e;
      p.server->lowest_layer().close();
    });
    p.io.run();
    CHECK(ec == asio::error::eof);
  }
  SECTION("a close without close_notify is a truncated stream") {
    Pair p;
    p.client->lowest_layer().close();
    error_code ec;
    char c;
    p.server->async_read_some(asio::buffer(&c, 1), [&](error_code e, size_t) { ec = e; });
    p.io.run();
    CHECK(ec == ssl::error::stream_truncated);
  }
  SECTION("a read waiting for the client ends when the socket is closed (the watchdog's way)") {
    Pair p;
    error_code ec;
    char c;
    p.server->async_read_some(asio::buffer(&c, 1), [&](error_code e, size_t) { ec = e; });
    Timer t(p.io, std::chrono::milliseconds(20));
    t.async_wait([&](error_code) { p.server->lowest_layer().close(); });
    p.io.run();
    CHECK(ec == asio::error::operation_aborted);
  }
  SECTION("a handshake against garbage fails with OpenSSL's reason, not a hang") {
    asio::io_context io;
    ssl::context ctx{ssl::context::tls_server};
    ctx.use_certificate_chain_file(kCerts + "example.pem");
    ctx.use_private_key_file(kCerts + "example.key", ssl::context::pem);
    Acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    Socket c(io);
    c.connect(acceptor.local_endpoint());
    Socket s = acceptor.accept();
    s.non_blocking(true);
    TlsStream server(std::move(s), ctx.native_handle());
    std::array<char, TlsStream::kSmall> small;
    server.lend(small.data());
    asio::write(c, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
    error_code ec;
    server.async_handshake([&](error_code e) { ec = e; });
    io.run();
    REQUIRE(ec);
    CHECK(ec.category() == asio::error::get_ssl_category());
  }
}

}  // namespace
}  // namespace banyan::proxy
