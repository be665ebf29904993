// A TLS server connection with OpenSSL driving the socket itself, as nginx's
// ngx_event_openssl does: each operation calls OpenSSL at once, and goes to the socket
// only when OpenSSL says it must. Against Asio's ssl::stream, which runs OpenSSL over a
// memory BIO pair and its own buffers: no 2 x 17 KiB of Asio buffers per connection on
// top of OpenSSL's (and OpenSSL's record buffers go back while a connection idles,
// SSL_MODE_RELEASE_BUFFERS), one copy of the bytes fewer each way, and a write of
// several buffers gathered into one record (a response head and its body: one record,
// one sendto).
//
// OpenSSL writes to the socket itself (send, through a BIO of ours). It reads what the
// stream received: when OpenSSL wants input, the stream reads the socket with Asio's
// async_read_some, which tries the read at once and otherwise waits on the reactor's
// standing registration (an async_wait would cost an epoll_ctl per wait in Asio 1.74).
// Reads land in a small array the stream's user lends (`lend`: the connection's
// session has one, a parked connection none); a read that fills it goes on with a
// record-sized buffer, freed when drained.
//
// It is an Asio AsyncReadStream and AsyncWriteStream (asio::async_write works on it).
// A step that completes without waiting is posted, never run inside the initiating
// call, as Asio's sockets do with a speculative read. Errors are values: peer close is
// asio::error::eof, a close without close_notify asio::ssl::error::stream_truncated,
// a protocol failure OpenSSL's code in Asio's SSL category. Cancel by closing or
// cancelling the socket (lowest_layer()): the waiting step sees operation_aborted.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "runtime/proxy/io.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace banyan::proxy {

namespace tls_detail {

enum class Want : unsigned char { Nothing, Read, Write };
struct Step {
  Want want = Want::Nothing;
  boost::system::error_code ec;
  size_t n = 0;
};
Step handshake(SSL* ssl);
Step read(SSL* ssl, void* data, size_t size);
Step write(SSL* ssl, const void* data, size_t size);

// The largest TLS record's payload (RFC 8446 5.1): what a gathered write fills.
inline constexpr size_t kRecord = 16 << 10;
// A per-thread buffer a write of several buffers is gathered into. OpenSSL accepts the
// same bytes at another address on a retry (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), so
// the gather is simply redone then.
char* gather_buffer();

}  // namespace tls_detail

class TlsStream {
 public:
  using executor_type = Socket::executor_type;
  using lowest_layer_type = Socket::lowest_layer_type;

  // `ctx` is the context the handshake starts on (the SNI callback may switch it).
  TlsStream(Socket socket, SSL_CTX* ctx);
  TlsStream(TlsStream&& o) = delete;  // OpenSSL's BIO points at it
  TlsStream& operator=(TlsStream&&) = delete;
  TlsStream(const TlsStream&) = delete;
  ~TlsStream();

  executor_type get_executor() { return socket_.get_executor(); }
  Socket& next_layer() { return socket_; }
  lowest_layer_type& lowest_layer() { return socket_; }
  SSL* native_handle() { return ssl_; }
  // Where reads land (kSmall bytes), or null: the stream is parked, and must then
  // hold no ciphertext OpenSSL has not taken (`holds_input`).
  void lend(char* small) {
    small_ = small;
    if (!small) large_.reset();
  }
  bool holds_input() const { return end_ > begin_; }
  static constexpr size_t kSmall = 1024;

  template <class Token>
  auto async_handshake(Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(Op<Kind::Handshake, int>{this, 0},
                                                                             token, socket_);
  }
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& b, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, size_t)>(
        Op<Kind::Read, MutableBuffers>{this, b}, token, socket_);
  }
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& b, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, size_t)>(
        Op<Kind::Write, ConstBuffers>{this, b}, token, socket_);
  }
  // A write tried at once, never waiting: the bytes OpenSSL took (encrypted and sent),
  // or 0 when it must wait for the socket; then the caller writes the same bytes again
  // with async_write, which OpenSSL's retry rules allow (the gather is redone).
  template <class ConstBuffers>
  size_t write_now(const ConstBuffers& b, boost::system::error_code& ec) {
    tls_detail::Step r = Op<Kind::Write, ConstBuffers>{this, b}.step();
    if (r.want != tls_detail::Want::Nothing) return 0;
    ec = r.ec;
    return r.n;
  }

 private:
  enum class Kind : unsigned char { Handshake, Read, Write };

  template <Kind K, class Buffers>
  struct Op {
    TlsStream* s;
    Buffers buffers;
    tls_detail::Step result{};
    bool done = false, waited = false, receiving = false;

    // Called to start, after the socket gave ciphertext (receiving), and after a wait.
    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}, size_t n = 0) {
      if (!done) {
        if (receiving) {  // the socket's answer: ciphertext, the peer's close, or a failure
          receiving = s->receiving_ = false;
          if (!ec) {
            s->end_ += n;
            s->last_filled_ = s->end_ == s->capacity_;
          } else if (ec == boost::asio::error::eof) {
            s->eof_ = true;  // OpenSSL tells a close_notify from a bare close
            ec = {};
          }
        }
        if (ec) {  // a read or a wait failed: reset, or cancelled (the watchdog), or closed
          result = {tls_detail::Want::Nothing, ec, 0};
        } else {
          result = step();
          if (result.want == tls_detail::Want::Read && !s->eof_ && !s->receiving_) {
            waited = receiving = s->receiving_ = true;
            s->socket_.async_read_some(s->receive_buffer(), std::move(self));
            return;
          }
          if (result.want == tls_detail::Want::Read && !s->eof_) {
            // A write that needs input while a read waits for it (a TLS 1.3 key update
            // in a tunnel): the read receives; this one tries again when it may have.
            waited = true;
            s->socket_.async_wait(Socket::wait_read, std::move(self));
            return;
          }
          if (result.want == tls_detail::Want::Write) {
            waited = true;
            s->socket_.async_wait(Socket::wait_write, std::move(self));
            return;
          }
          if (result.want == tls_detail::Want::Read) result = {tls_detail::Want::Nothing, boost::asio::error::eof, 0};
        }
        done = true;
        if (!waited) {  // still inside the initiating call: complete from the queue
          boost::asio::post(s->socket_.get_executor(), std::move(self));
          return;
        }
      }
      if constexpr (K == Kind::Handshake) {
        self.complete(result.ec);
      } else {
        self.complete(result.ec, result.n);
      }
    }

    tls_detail::Step step() {
      if constexpr (K == Kind::Handshake) {
        return tls_detail::handshake(s->ssl_);
      } else if constexpr (K == Kind::Read) {
        for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
             ++it) {
          boost::asio::mutable_buffer b = *it;
          if (b.size() > 0) return tls_detail::read(s->ssl_, b.data(), b.size());
        }
        return {};
      } else {
        // One buffer as it is; several gathered, up to a record's worth.
        auto it = boost::asio::buffer_sequence_begin(buffers);
        auto end = boost::asio::buffer_sequence_end(buffers);
        while (it != end && boost::asio::const_buffer(*it).size() == 0) ++it;
        if (it == end) return {};
        boost::asio::const_buffer first = *it;
        if (first.size() >= tls_detail::kRecord || std::next(it) == end ||
            boost::asio::buffer_size(buffers) == first.size()) {
          return tls_detail::write(s->ssl_, first.data(), first.size());
        }
        char* g = tls_detail::gather_buffer();
        size_t n = boost::asio::buffer_copy(boost::asio::buffer(g, tls_detail::kRecord), buffers);
        return tls_detail::write(s->ssl_, g, n);
      }
    }
  };

  // Where the next ciphertext lands, once OpenSSL has taken all before it: the small
  // array, or after a read that filled its buffer (a large request, an upload) a
  // record-sized one, freed when a read no longer fills it.
  boost::asio::mutable_buffer receive_buffer();
  friend struct TlsBio;

  static constexpr size_t kLarge = 17 << 10;
  Socket socket_;
  SSL* ssl_ = nullptr;
  char* small_ = nullptr;  // lent
  // Ciphertext received and not yet taken by OpenSSL: [begin_, end_) of `at_`.
  char* at_ = nullptr;
  size_t begin_ = 0, end_ = 0, capacity_ = kSmall;
  bool last_filled_ = false;  // the last read filled its buffer: more is likely waiting
  bool eof_ = false;          // the peer closed: OpenSSL's reads see the end
  bool receiving_ = false;    // an operation's socket read is pending
  std::unique_ptr<char[]> large_;
};

}  // namespace banyan::proxy
