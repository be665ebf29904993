// The session of an upstream's HTTP/2 connection (h2_upstream_connection.h): nghttp2's
// callbacks filling each stream's H2Call, and the reader and writer coroutines.
#include "runtime/proxy/exchange/h2_upstream_connection.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "runtime/proxy/buffer.h"
#include "runtime/proxy/gateway.h"

namespace banyan::proxy {

namespace asio = boost::asio;
using boost::system::error_code;

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
}  // namespace

ssize_t provide_body(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                     nghttp2_data_source* src, void*) {
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

}  // namespace banyan::proxy
