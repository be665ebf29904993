// Phase 6: the upstream's body to the client through a bounded buffer. The source is
// the upstream connection, decoded as runtime/http says (Content-Length, chunked, or
// until close); the one filter is the encoder of `compress`; the sink is Downstream,
// which frames it for the client. A head waits for the first bytes it can carry in the
// same write: the rest of a small Content-Length body already in the socket, or the
// first kMinEncodedChunk of encoded output. After a 101 the connection becomes a tunnel.
// The bytes relayed also go to the cache's fill (cache_answer.cpp), before encoding; a
// stored response is its own source (pipe_stored).
#include <sys/socket.h>

#include <utility>  // before Asio (Boost 1.74 misses it under GCC 12)
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "runtime/http/chunked.h"
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/exchange/shadow.h"
#include "runtime/proxy/gateway.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/watchdog.h"

namespace banyan::proxy {
namespace {

namespace asio = boost::asio;
using K = ExchangeError::Kind;

// Encoded output leaves in chunks of at least this much (the last may be smaller): a
// small response is one write, not a head, a 10-byte gzip header and a tail.
inline constexpr size_t kMinEncodedChunk = 8 * 1024;

// More of the body from the upstream; false at its end or on an error (`ec`).
Task<bool> read_more(Exchange& x, boost::system::error_code& ec) {
  Buffer& b = x.up.buf;
  if (b.full()) b.grow(b.cap * 2);
  b.compact();
  x.clock.set(Phase::UpstreamRead, x.up.read_ms);
  size_t n = co_await x.up.socket->async_read_some(b.tail(), asio::redirect_error(use_task, ec));
  b.end += n;
  co_return !ec && n > 0;
}

// To the client: the head with these first bytes, or the bytes after it.
// To the client: the head with these first bytes, or the bytes after it. False when
// the client is gone: the exchange ends there, and so does the connection. Not a
// coroutine (Asio 1.74 recycles one frame per thread: each level of calls costs one).
Task<bool> send(Exchange& x, std::string_view data, bool last) {
  if (x.responded) return x.down.send_body(data, last);
  x.responded = true;
  return x.down.send_head(x.start, data, last);
}

Step client_gone(Exchange& x) {
  x.keep = false;
  return Step::Answered;
}

void compression_failed(Exchange& x) {
  x.error = {K::Compression, ExchangeError::Source::Gateway, false, balance::kNoEndpoint, "compression failed"};
}

void broken_off(Exchange& x, bool expired, std::string detail) {
  x.error.kind = expired ? K::BodyTimeout : K::BodyBrokenOff;
  x.error.source = ExchangeError::Source::Upstream;
  x.error.endpoint = x.up.endpoint;
  x.error.detail = std::move(detail);
}

// A Content-Length body, not encoded: the rest of a small one is often already in the
// socket; taken without waiting, it leaves with the head in one write.
Task<Step> pipe_length(Exchange& x) {
  Buffer& b = x.up.buf;
  uint64_t left = x.up.head.content_length;
  if (b.size() < left) {
    b.compact();
    if (size_t room = b.cap - b.end; room > 0) {
      ssize_t n = ::recv(x.up.socket->native_handle(), b.data.get() + b.end,
                         static_cast<size_t>(std::min<uint64_t>(room, left - b.size())), MSG_DONTWAIT);
      if (n > 0) b.end += static_cast<size_t>(n);
    }
  }
  boost::system::error_code ec;
  for (;;) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(left, b.size()));
    if (x.shadow) shadow_primary_body(*x.shadow, b.view().substr(0, take));
    if (x.cache.fill) cache_body(x, b.view().substr(0, take));
    if (!co_await send(x, b.view().substr(0, take), take == left)) co_return client_gone(x);
    b.consume(take);
    left -= take;
    if (left == 0) break;
    if (!co_await read_more(x, ec)) {
      broken_off(x, x.clock.expired(),
                 x.clock.expired() ? "upstream timed out in the body" : "upstream closed in the body");
      co_return Step::Failed;
    }
  }
  x.up.clean = b.size() == 0;
  x.up.body_whole = true;
  co_return Step::Answered;
}

// Chunked, until close, or encoded (from any framing).
Task<Step> pipe_stream(Exchange& x) {
  Buffer& b = x.up.buf;
  const http::Framing framing = x.up.head.framing;
  const bool chunked = framing == http::Framing::Chunked, length = framing == http::Framing::Length;
  compress::Encoder* enc = x.encoder.get();
  const std::string_view nothing;  // not `{}`: GCC 12 miscompiles braced temporaries in co_await
  if (!enc && !co_await send(x, nothing, false)) co_return client_gone(x);  // not encoded: the head at once
  http::ChunkedDecoder dec;
  uint64_t left = x.up.head.content_length, in = 0, out = 0;
  boost::system::error_code ec;
  for (bool done = false; !done;) {
    std::string_view data;
    size_t consumed = 0;
    if (length) {
      consumed = static_cast<size_t>(std::min<uint64_t>(left, b.size()));
      data = b.view().substr(0, consumed);
      left -= consumed;
      done = left == 0;
    } else if (chunked) {
      http::ChunkedDecoder::Step s = dec.next(b.view());
      if (s.failed) {
        bump(x.up.pu->counters->bad_responses);
        broken_off(x, false, "upstream sent a malformed chunked body");
        x.error.kind = K::BadResponse;
        co_return Step::Failed;
      }
      data = s.data, consumed = s.consumed, done = s.done;
    } else {
      data = b.view(), consumed = data.size();
    }
    if (x.shadow) shadow_primary_body(*x.shadow, data);
    if (x.cache.fill) cache_body(x, data);
    if (enc) {
      if (!enc->update(data, false)) {
        compression_failed(x);
        co_return Step::Failed;
      }
      in += data.size();
      data = enc->output().size() >= kMinEncodedChunk ? enc->output() : std::string_view();
      out += data.size();
    }
    if (!data.empty() && !co_await send(x, data, false)) co_return client_gone(x);
    if (enc && !data.empty()) enc->clear_output();
    b.consume(consumed);
    if (done || (consumed > 0 && b.size() > 0)) continue;
    if (!co_await read_more(x, ec)) {
      if (!chunked && !length && !x.clock.expired() && (ec == asio::error::eof || !ec))
        break;  // the end of a close-delimited body
      broken_off(x, x.clock.expired(),
                 x.clock.expired() ? "upstream timed out in the body" : "upstream closed in the body");
      co_return Step::Failed;
    }
  }
  std::string_view tail;
  if (enc) {  // the end of the encoded stream
    if (!enc->update({}, true)) {
      compression_failed(x);
      co_return Step::Failed;
    }
    tail = enc->output();
    out += tail.size();
    Metrics& m = x.gw.metrics();
    bump(m.compressed[x.coding == compress::Coding::Gzip ? 0 : 1]);
    bump(m.compress_bytes_in, in);
    bump(m.compress_bytes_out, out);
  }
  if (!co_await send(x, tail, true)) co_return client_gone(x);
  x.up.clean = (chunked || length) && b.size() == 0;
  x.up.body_whole = true;
  co_return Step::Answered;
}

// After a 101: the head with the bytes already read past the upstream's, then a tunnel.
Task<Step> pipe_tunnel(Exchange& x) {
  x.responded = true;
  bool sent = co_await x.down.send_head(x.start, x.up.buf.view(), false);
  x.up.buf.consume(x.up.buf.size());
  if (sent) co_await x.down.tunnel(*x.up.socket);
  x.keep = false;
  co_return Step::Answered;
}

// A stored response (the cache's): its body is here whole, so the head and all of it
// (encoded when `compress` chose a coding) leave in one write.
Task<Step> pipe_stored(Exchange& x) {
  x.responded = true;
  if (x.down.body_unread()) {  // a request body the answer did not need (stored_head)
    x.start.close = true;
    x.keep = false;
  }
  std::string_view body = x.start.body == ResponseStart::Body::None ? std::string_view() : *x.cache.serve->body;
  if (x.cache.range == http::RangeAnswer::Partial) body = body.substr(x.cache.bytes.first, x.cache.bytes.length);
  if (x.cache.range == http::RangeAnswer::Unsatisfiable) body = {};
  if (compress::Encoder* enc = x.encoder.get(); enc && !body.empty()) {
    if (!enc->update(body, true)) {
      compression_failed(x);
      co_return Step::Failed;
    }
    Metrics& m = x.gw.metrics();
    bump(m.compressed[x.coding == compress::Coding::Gzip ? 0 : 1]);
    bump(m.compress_bytes_in, body.size());
    bump(m.compress_bytes_out, enc->output().size());
    body = enc->output();
  }
  if (!co_await x.down.send_head(x.start, body, true)) co_return client_gone(x);
  co_return Step::Answered;
}

// Another request's fill, as it arrives (request collapsing): the bytes the fill has
// that this client has not, every kFillPollMs, until the fill is whole; a fill that
// breaks off (its upstream failed) cuts this response short too.
inline constexpr int64_t kFillPollMs = 5;

Task<Step> pipe_filling(Exchange& x) {
  cache::Filling& f = *x.cache.shared;
  compress::Encoder* enc = x.encoder.get();
  std::optional<Timer> timer;
  uint64_t sent = 0, in = 0, out = 0;
  x.clock.set(Phase::UpstreamRead, kDefaultReadTimeoutMs);
  for (;;) {
    cache::Filling::State state;
    {
      std::lock_guard lock(f.mu);
      state = f.state;
      x.scratch.assign(f.body, std::min<size_t>(sent, f.body.size()));
    }
    if (state == cache::Filling::State::Abandoned) {
      x.error = {K::BodyBrokenOff, ExchangeError::Source::Upstream, false, balance::kNoEndpoint,
                 "the response this one waited for broke off"};
      co_return Step::Failed;
    }
    sent += x.scratch.size();
    const bool no_body = x.start.body == ResponseStart::Body::None;  // a 304 to the client's conditional
    const bool last = no_body || sent >= f.length;
    std::string_view data = no_body ? std::string_view() : x.scratch;
    if (enc) {
      if (!enc->update(data, last)) {
        compression_failed(x);
        co_return Step::Failed;
      }
      in += data.size();
      data = enc->output();
      out += data.size();
    }
    if (!data.empty() || last || !x.responded) {
      if (!co_await send(x, data, last)) co_return client_gone(x);
      if (enc) enc->clear_output();
    }
    if (last) break;
    if (!timer) timer.emplace(x.worker.io());
    timer->expires_after(std::chrono::milliseconds(kFillPollMs));
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(use_task, ec));
  }
  if (enc) {
    Metrics& m = x.gw.metrics();
    bump(m.compressed[x.coding == compress::Coding::Gzip ? 0 : 1]);
    bump(m.compress_bytes_in, in);
    bump(m.compress_bytes_out, out);
  }
  co_return Step::Answered;
}

Task<Step> pipe_nothing(Exchange& x) {
  x.responded = true;
  const std::string_view nothing;  // not `{}`: GCC 12 miscompiles braced temporaries in co_await
  if (!co_await x.down.send_head(x.start, nothing, true)) co_return client_gone(x);
  x.up.clean = x.up.buf.size() == 0;
  x.up.body_whole = true;
  co_return Step::Answered;
}

}  // namespace

// Not a coroutine: it returns the one that pipes this response's framing.
Task<Step> pipe_body(Exchange& x) {
  if (x.cache.streaming) return pipe_filling(x);
  if (x.cache.serve) return pipe_stored(x);
  if (x.up.call) return pipe_h2_body(x);
  shadow_primary_head(x);  // while the head's views still point at it
  if (x.up.head.status == 101) return pipe_tunnel(x);
  if (x.up.head.framing == http::Framing::None) return pipe_nothing(x);
  if (x.up.head.framing == http::Framing::Length && !x.encoder) return pipe_length(x);
  return pipe_stream(x);
}

}  // namespace banyan::proxy
