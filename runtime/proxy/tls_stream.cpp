#include "runtime/proxy/tls_stream.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace banyan::proxy {

namespace tls_detail {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// What an OpenSSL call's result means for the stream. `errno` is read before anything
// else can change it; the thread's error queue is left empty for the next connection.
Step outcome(SSL* ssl, int ret, size_t n) {
  if (ret > 0) return {Want::Nothing, {}, n};
  const int saved_errno = errno;
  switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ: return {Want::Read, {}, 0};
    case SSL_ERROR_WANT_WRITE: return {Want::Write, {}, 0};
    case SSL_ERROR_ZERO_RETURN: return {Want::Nothing, asio::error::eof, 0};  // close_notify
    case SSL_ERROR_SYSCALL: {
      ERR_clear_error();
      if (saved_errno != 0) return {Want::Nothing, error_code(saved_errno, boost::system::system_category()), 0};
      return {Want::Nothing, asio::ssl::error::stream_truncated, 0};
    }
    default: {
      unsigned long e = ERR_peek_last_error();
      ERR_clear_error();
      if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return {Want::Nothing, asio::ssl::error::stream_truncated, 0};  // closed without close_notify
      }
      if (e == 0) return {Want::Nothing, asio::error::connection_aborted, 0};
      return {Want::Nothing, error_code(static_cast<int>(e), asio::error::get_ssl_category()), 0};
    }
  }
}

}  // namespace

// One OpenSSL call on a clean error queue and errno, and what its result means.
template <class Call>
Step step(SSL* ssl, Call call) {
  if (ssl == nullptr) return {Want::Nothing, asio::error::no_memory, 0};
  ERR_clear_error();
  errno = 0;
  size_t n = 0;
  int ret = call(n);
  return outcome(ssl, ret, n);
}

Step handshake(SSL* ssl) {
  return step(ssl, [&](size_t&) { return SSL_do_handshake(ssl); });
}

Step read(SSL* ssl, void* data, size_t size) {
  return step(ssl, [&](size_t& n) { return SSL_read_ex(ssl, data, size, &n); });
}

Step write(SSL* ssl, const void* data, size_t size) {
  return step(ssl, [&](size_t& n) { return SSL_write_ex(ssl, data, size, &n); });
}

char* gather_buffer() {
  thread_local char buffer[kRecord];
  return buffer;
}

}  // namespace tls_detail

// OpenSSL's side of the socket: it reads the ciphertext the stream received, and
// sends on the socket itself (MSG_NOSIGNAL: a reset peer is an error, not SIGPIPE).
struct TlsBio {
  static TlsStream& stream(BIO* b) { return *static_cast<TlsStream*>(BIO_get_data(b)); }
  static int read(BIO* b, char* out, int len) {
    TlsStream& s = stream(b);
    BIO_clear_retry_flags(b);
    size_t have = s.end_ - s.begin_;
    if (have == 0) {
      if (s.eof_) return 0;
      BIO_set_retry_read(b);  // the stream receives more, and OpenSSL is asked again
      return -1;
    }
    size_t n = std::min(have, static_cast<size_t>(std::max(len, 0)));
    std::memcpy(out, s.at_ + s.begin_, n);
    s.begin_ += n;
    return static_cast<int>(n);
  }
  static int write(BIO* b, const char* in, int len) {
    BIO_clear_retry_flags(b);
    ssize_t n = ::send(stream(b).socket_.native_handle(), in, static_cast<size_t>(len), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(b);
    return -1;  // errno says why, for SSL_ERROR_SYSCALL
  }
  static long ctrl(BIO* b, int cmd, long /*num*/, void* /*ptr*/) {
    switch (cmd) {
      case BIO_CTRL_FLUSH: return 1;  // nothing is held back
      case BIO_CTRL_EOF: return stream(b).eof_ ? 1 : 0;
      case BIO_CTRL_PENDING: return static_cast<long>(stream(b).end_ - stream(b).begin_);
      default: return 0;
    }
  }
  static const BIO_METHOD* method() {
    static BIO_METHOD* m = [] {
      BIO_METHOD* x = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "banyan tls stream");
      BIO_meth_set_read(x, read);
      BIO_meth_set_write(x, write);
      BIO_meth_set_ctrl(x, ctrl);
      BIO_meth_set_create(x, [](BIO* b) { BIO_set_init(b, 1); return 1; });
      return x;
    }();
    return m;
  }
};

boost::asio::mutable_buffer TlsStream::receive_buffer() {
  begin_ = end_ = 0;  // OpenSSL asks for more only when it has taken all
  if (last_filled_ || !small_) {  // (unlent: a stream is never read parked; be safe anyway)
    if (!large_) large_.reset(new char[kLarge]);
    at_ = large_.get();
    capacity_ = kLarge;
  } else {
    large_.reset();
    at_ = small_;
    capacity_ = kSmall;
  }
  return {at_, capacity_};
}

TlsStream::TlsStream(Socket socket, SSL_CTX* ctx) : socket_(std::move(socket)) {
  ssl_ = SSL_new(ctx);  // null on failure: every operation then fails with no_memory
  if (ssl_ == nullptr) return;
  BIO* bio = BIO_new(TlsBio::method());
  if (bio == nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    return;
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one reference, for both directions
  SSL_set_accept_state(ssl_);
}

TlsStream::~TlsStream() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

}  // namespace banyan::proxy
