// Writing without waiting: one sendmsg of what a socket takes now, before (and usually
// instead of) an asynchronous write. Asio's async_write sends speculatively too, but
// its completion is queued behind every handler already waiting, so the coroutine
// resumes a turn of the event loop later; a write that completed at once needs no turn.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <cstddef>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "runtime/proxy/io.h"

namespace banyan::proxy {

// Sends what `s` takes of `b` now (MSG_DONTWAIT: never blocks, whatever Asio thinks of
// the socket's mode); returns the bytes sent. A full socket buffer is not an error
// (0 bytes, `ec` clear); a broken connection sets `ec`.
template <size_t N>
size_t send_ready(Socket& s, const std::array<boost::asio::const_buffer, N>& b,
                  boost::system::error_code& ec) {
  std::array<iovec, N> iov;
  size_t count = 0;
  for (const auto& piece : b)
    if (piece.size() > 0) iov[count++] = {const_cast<void*>(piece.data()), piece.size()};
  if (count == 0) return 0;
  msghdr m{};
  m.msg_iov = iov.data();
  m.msg_iovlen = count;
  for (;;) {
    ssize_t n = ::sendmsg(s.native_handle(), &m, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) ec.assign(errno, boost::asio::error::get_system_category());
    return 0;
  }
}

// `b` without its first `n` bytes.
template <size_t N>
std::array<boost::asio::const_buffer, N> skip(std::array<boost::asio::const_buffer, N> b, size_t n) {
  for (auto& piece : b) {
    size_t k = n < piece.size() ? n : piece.size();
    piece += k;
    n -= k;
  }
  return b;
}

}  // namespace banyan::proxy
