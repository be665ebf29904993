// An upstream's HTTP/2 connection with prior knowledge (`protocol h2c`), one per server
// per worker (WorkerUpstream::h2): a libnghttp2 client session with a reader and a
// writer coroutine, closed after kIdleClose without a call. An exchange's request is
// one stream of it, an H2Call (h2_upstream.cpp makes and reads them).
#pragma once

#include <nghttp2/nghttp2.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <utility>  // before Asio (Boost 1.74 misses it under GCC 12)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "runtime/plan/matcher.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/worker.h"

namespace banyan::proxy {

// A stream's receive window here: what one response may have buffered in the gateway
// before its client reads it (the connection's bounds all streams together).
inline constexpr int32_t kCallWindow = 256 << 10;
inline constexpr int32_t kUpstreamConnectionWindow = 4 << 20;
// A connection with no call for this long is closed (the HTTP/1.1 pool's kMaxIdleAge).
inline constexpr auto kIdleClose = std::chrono::seconds(30);

struct H2Call {
  explicit H2Call(boost::asio::io_context& io) : signal(io, std::chrono::steady_clock::time_point::max()) {}
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
    boost::asio::co_spawn(worker.io(), read_loop(shared_from_this()), boost::asio::detached);
    boost::asio::co_spawn(worker.io(), write_loop(shared_from_this()), boost::asio::detached);
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
    boost::system::error_code ec;
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

// The data provider of a call's request body (nghttp2_data_source_read_callback):
// what the body pump left in H2Call::pending, and the end of the stream after the last.
ssize_t provide_body(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                     nghttp2_data_source* src, void*);

}  // namespace banyan::proxy
