// What an exchange sees of the client's connection: the request, its body decoded
// from the connection's framing, and a way to answer. The HTTP/1.1 connection
// (http1_session.cpp) implements it; an HTTP/2 stream will too, so the exchange's
// phases never see framing: chunked encoding, Content-Length, Connection and
// keep-alive are the connection's business.
//
// Cost: one virtual call per step of the exchange; a call that waits is one coroutine
// frame (Asio recycles one per thread; see tests/unit/proxy/exchange_allocations_test.cpp).
#pragma once

#include <cstdint>
#include <string_view>

#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "runtime/http/parse.h"
#include "runtime/proxy/io.h"

namespace banyan::proxy {

class Watchdog;

// Who is asking, and through which listener (docs/gateway-config.md, "The client's
// address"). `peer` is who connected: the socket's peer, or on a listener with
// `proxy_protocol` the source of the PROXY header. `ip` is the client: `peer`, or when
// `peer` is a trusted proxy, what X-Forwarded-For says (client_address.h); it is what
// $remote_addr, the access log, bucketing and hashing without a key see. The
// X-Forwarded-For sent upstream appends `peer`, the hop this gateway itself saw.
struct ClientFacts {
  std::string_view ip, port;  // the client's address ("::1", "127.0.0.1"); the peer's port
  std::string_view server_port;
  bool https = false;
  uint32_t binding = 0;             // the listener's index in the configuration's `listen`
  bool show_error_details = false;  // `[errors] show_details` names this listener
  std::string_view peer;            // the immediate peer's address (see above)
};

// A piece of the request body, decoded. `data` stays valid until the next read.
struct BodyPiece {
  enum class End : uint8_t { More, Done, ClientGone, Malformed, TooLarge };
  std::string_view data;
  End end = End::More;
};

// The start of a response. The connection adds the framing (Content-Length, or
// chunked, or close-delimited for an HTTP/1.0 client) and Connection.
struct ResponseStart {
  enum class Body : uint8_t { None, Length, Stream };  // Stream: the length is not known
  int status = 200;
  std::string_view reason;  // empty: the standard phrase
  std::string_view fields;  // end-to-end fields, each "Name: value\r\n"
  Body body = Body::None;
  uint64_t length = 0;  // Body::Length
  bool close = false;   // the connection closes after this response
};

class Downstream {
 public:
  virtual ~Downstream() = default;

  virtual const ClientFacts& client() const = 0;
  virtual const http::RequestHead& request() const = 0;

  // The whole request body when all of it has arrived with the head (it can then be
  // sent again to another endpoint); `whole` is false otherwise.
  virtual std::string_view buffered_body(bool& whole) const = 0;
  virtual void consume_buffered_body() = 0;
  // The next piece of the body, at most `limit` bytes of it in all (TooLarge past it).
  // A client that sent `Expect: 100-continue` is told to go on at the first read.
  virtual Task<BodyPiece> read_body(uint64_t limit) = 0;
  // Body bytes the client has not sent or we have not read: after an answer the
  // connection cannot be reused.
  virtual bool body_unread() const = 0;

  // The head and the first bytes of the body in one write; `last`: nothing follows.
  // False when the client is gone.
  virtual Task<bool> send_head(const ResponseStart& r, std::string_view body, bool last) = 0;
  virtual Task<bool> send_body(std::string_view data, bool last) = 0;
  // Trailer fields ("name: value\r\n" each, names lower-case) to follow the body the
  // next send with `last` ends; called before it. HTTP/2 sends them (gRPC's status is
  // there); HTTP/1.1 leaves them out (its chunked trailers are rarely read).
  virtual void set_trailers(std::string_view fields) { (void)fields; }
  // After a 101 (sent with send_head) the connection is a tunnel to `upstream` until
  // either side closes or it idles for `limits.idle_timeout`.
  virtual Task<void> tunnel(Socket& upstream) = 0;

  virtual uint64_t bytes_in() const = 0;
  virtual uint64_t bytes_out() const = 0;
};

}  // namespace banyan::proxy
