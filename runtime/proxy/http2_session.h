// HTTP/2 to clients (RFC 9113), framed by libnghttp2: on an https listener when ALPN
// chose "h2", on a plain listener named by `[http2] prior_knowledge` when the client
// opens with the connection preface. Each stream is one Exchange behind the same
// Downstream interface as an HTTP/1.1 request, so routing, migrations, header
// operations, compression and the cache do not know which protocol asked.
//
// What a client sends is untrusted: nghttp2 checks the framing, HPACK, pseudo-headers,
// connection-specific fields, CR/LF/NUL in values and Content-Length against DATA
// (its HTTP messaging checks stay on); this layer adds the gateway's head limits
// (count and bytes, 431), :authority against Host, and budgets against floods: resets
// (CVE-2023-44487), CONTINUATION frames, control frames (PING, SETTINGS, PRIORITY,
// empty DATA) and unread acknowledgements each end the connection with a GOAWAY. A
// stream waits for its body or for flow-control window at most `limits.body_timeout`,
// then is reset. Flow control is manual: a stream's window opens again only as its
// exchange takes the body, so a slow upstream slows the client, not the gateway's
// memory.
//
// The connection (http1_session.cpp, which read the PROXY header and ran the TLS
// handshake) hands its stream here and waits: serve_http2 returns when the client
// has gone or the connection was drained and every stream's exchange has finished.
#pragma once

#include <span>
#include <string_view>

#include <utility>
#include <boost/asio/awaitable.hpp>

#include "runtime/config/cidr.h"
#include "runtime/proxy/downstream.h"
#include "runtime/proxy/io.h"

namespace banyan::proxy {

class Watchdog;
class Worker;

// What the connection can ask of its HTTP/2 layer: a graceful end (GOAWAY, streams in
// flight finish).
class Http2Control {
 public:
  virtual void drain() = 0;

 protected:
  ~Http2Control() = default;
};

struct Http2Start {
  ClientFacts facts;             // the connection's; a stream's own client is found per request
  config::IpAddress peer;        // the peer's address, for trusted_proxies
  std::string_view first;        // bytes already read (a prior-knowledge preface, at least)
  Http2Control** control = nullptr;  // set while serving, cleared before returning
  std::span<char> idle_buffer;       // the connection's own small buffer, for reads while no stream is open
};

// `clock` is the connection's watchdog (idle, and the deadline of a write to the client).
template <class Stream>
Task<void> serve_http2(Worker& worker, Stream& stream, Watchdog& clock, Http2Start start);

// The client connection preface (RFC 9113 3.4).
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

}  // namespace banyan::proxy
