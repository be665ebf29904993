#include "runtime/proxy/worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include <boost/version.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "runtime/proxy/gateway.h"
#include "runtime/proxy/http1_session.h"

namespace banyan::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::unique_ptr<char[]> BufferPool::get() {
  auto b = spare_.take();
  return b ? std::move(b) : std::make_unique_for_overwrite<char[]>(kSize);
}

void BufferPool::put(std::unique_ptr<char[]> b) { spare_.give(std::move(b)); }

std::unique_ptr<plan::HeaderField[]> FieldPool::get() {
  auto f = spare_.take();
  return f ? std::move(f) : std::make_unique_for_overwrite<plan::HeaderField[]>(count_);
}

void FieldPool::put(std::unique_ptr<plan::HeaderField[]> f) {
  if (f) spare_.give(std::move(f));
}

namespace {
uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}
}  // namespace

Worker::Worker(Gateway& gateway, unsigned index)
    : gateway_(gateway),
      index_(index),
      fields_(gateway.config().limits.header_count),
      log_(gateway.log_fd(), gateway.log_json()),
      rng_(random_seed()) {
  request_prefix_ = rng_.next();
}

Worker::~Worker() { join(); }

namespace {

// Where a listener binds: its address, or every interface (IPv6 and IPv4) for none.
tcp::endpoint endpoint_of(const ListenerInfo& l) {
  asio::ip::address addr = l.bind.host.empty() ? asio::ip::address(asio::ip::address_v6::any())
                                               : asio::ip::make_address(l.bind.host);
  return {addr, l.bind.port};
}

[[noreturn]] void cannot_bind(const ListenerInfo& l, const boost::system::error_code& ec) {
  throw std::runtime_error(config::to_string(l.bind) + " (" + l.plan_address + "): " +
                           (ec == asio::error::address_in_use ? "address already in use (another process listens there)"
                                                              : ec.message()));
}

}  // namespace

void check_listeners_free(const std::vector<ListenerInfo>& listeners) {
  asio::io_context io;
  for (const ListenerInfo& l : listeners) {
    const tcp::endpoint ep = endpoint_of(l);
    Acceptor probe(io);
    boost::system::error_code ec;
    probe.open(ep.protocol(), ec);
    if (!ec) probe.set_option(Acceptor::reuse_address(true), ec);  // a TIME_WAIT of our own is no one listening
    if (!ec && ep.address().is_v6() && l.bind.host.empty()) probe.set_option(asio::ip::v6_only(false), ec);
    if (!ec) probe.bind(ep, ec);
    if (ec) cannot_bind(l, ec);
  }
}

void Worker::listen(const std::vector<ListenerInfo>& listeners) {
  listeners_ = listeners;  // the sessions keep references: no reallocation after this
  for (const ListenerInfo& l : listeners_) {
    const tcp::endpoint ep = endpoint_of(l);
    const asio::ip::address addr = ep.address();
    Acceptor& a = acceptors_.emplace_back(io_);
    a.open(ep.protocol());
    a.set_option(Acceptor::reuse_address(true));
    int one = 1;
    if (::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      throw std::runtime_error("SO_REUSEPORT: " + std::string(strerror(errno)));
    if (addr.is_v6() && l.bind.host.empty()) a.set_option(asio::ip::v6_only(false));
    a.set_option(tcp::no_delay(true));  // inherited by accepted sockets: no setsockopt per connection
    // kDeferAccept (worker.h). Without it (a kernel that refuses it) connections are
    // accepted at once, as before: slower, not wrong.
    const int defer = static_cast<int>(kDeferAccept.count());
    (void)::setsockopt(a.native_handle(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
    boost::system::error_code ec;
    a.bind(ep, ec);
    if (ec) cannot_bind(l, ec);
    a.listen(asio::socket_base::max_listen_connections);
    a.non_blocking(true);  // accept_loop calls accept4 on it directly
  }
}

void Worker::start() {
  auto it = acceptors_.begin();
  for (const ListenerInfo& l : listeners_) asio::co_spawn(io_, accept_loop(*it++, l), asio::detached);
  asio::co_spawn(io_, housekeeping(), asio::detached);
  thread_ = std::thread([this] {
    io_.run();
    log_.flush();
  });
  // Named for `top -H`, perf and /proc/PID/task/*/comm: "banyan-w0", "banyan-w1", ...
  const std::string name = "banyan-w" + std::to_string(index_);
  ::pthread_setname_np(thread_.native_handle(), name.substr(0, 15).c_str());
}

void Worker::begin_drain() {
  asio::post(io_, [this] {
    draining_ = true;
    if (housekeeping_asleep_) wake_housekeeping();  // so that it ends, and io_.run() with it
    for (auto& a : acceptors_) {
      boost::system::error_code ec;
      a.close(ec);
    }
    // Copy: drain() may end a session, which removes itself from the set.
    std::vector<SessionBase*> all;
    for (SessionBase& s : sessions_) all.push_back(&s);
    for (SessionBase* s : all) s->drain();
    for (auto& u : upstreams_)
      if (u)
        for (auto& pool : u->idle) pool.clear();
  });
}

void Worker::stop() { io_.stop(); }

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

// Accepted sockets come from accept4 with SOCK_NONBLOCK, and Asio is told so: its own
// accept leaves a socket blocking, to be switched by an ioctl at its first operation,
// and marks it "possibly a dup" so that its close first takes it out of epoll; an
// accepted socket is neither. Two syscalls fewer per connection. The state bits are
// Asio's (boost/asio/detail), so this is written for the one Boost Debian 12 ships and
// does nothing with any other.
namespace {
struct AcceptedSocket : Socket {
  static void adopt(Socket& s) {
#if BOOST_VERSION == 107400
    auto& impl = (s.*(&AcceptedSocket::impl_)).get_implementation();
    impl.state_ |= asio::detail::socket_ops::internal_non_blocking;
    impl.state_ &= static_cast<asio::detail::socket_ops::state_type>(~asio::detail::socket_ops::possible_dup);
#else
    (void)s;
#endif
  }
};

// Connections taken per wake-up before the loop lets the sessions it started run.
inline constexpr int kAcceptBatch = 64;
}  // namespace

Task<void> Worker::accept_loop(Acceptor& acceptor, const ListenerInfo& info) {
  const uint32_t cap = gateway_.config().limits.connections;
  const tcp protocol = acceptor.local_endpoint().protocol();
  boost::system::error_code ec;
  for (;;) {
    // Until accept4 says there is no more: the listening socket is edge-triggered, so
    // a wait only ends on a connection that arrives after it began.
    int taken = 0, err = 0;
    for (; taken < kAcceptBatch; ++taken) {
      tcp::endpoint peer;  // from accept4 itself: no getpeername per connection
      socklen_t len = static_cast<socklen_t>(peer.capacity());
      int fd = ::accept4(acceptor.native_handle(), peer.data(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        err = errno;
        if (err == EINTR || err == ECONNABORTED) continue;
        break;
      }
      peer.resize(len);
      Socket s(io_);
      s.assign(protocol, fd, ec);
      if (ec) {
        ::close(fd);
        continue;
      }
      AcceptedSocket::adopt(s);
      bump(gateway_.metrics().connections_accepted);
      if (gateway_.open_connections().fetch_add(1, std::memory_order_relaxed) >= cap) {
        gateway_.open_connections().fetch_sub(1, std::memory_order_relaxed);
        bump(gateway_.metrics().connections_refused);
        continue;  // closed by the socket's destructor
      }
      bump(gateway_.metrics().connections_open);
      start_session(*this, std::move(s), peer, info);
    }
    if (!acceptor.is_open()) co_return;
    if (taken == kAcceptBatch) {
      co_await asio::post(io_, use_task);  // more may be waiting: after the sessions just started
    } else if (err == EAGAIN || err == EWOULDBLOCK) {
      co_await acceptor.async_wait(Acceptor::wait_read, asio::redirect_error(use_task, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    } else {
      // EMFILE and friends: wait a little rather than spin.
      Timer t(io_, std::chrono::milliseconds(50));
      co_await t.async_wait(asio::redirect_error(use_task, ec));
      if (!acceptor.is_open()) co_return;
    }
  }
}

// Each tick parks the HTTP/1.1 connections idle since the last one and closes parked
// ones idle too long; every tenth flushes the access log, trims the spares and closes
// upstream connections idle too long. A tenth tick that leaves the worker quiet stops
// the ticks until there is something to look at again.
Task<void> Worker::housekeeping() {
  Timer& t = housekeeping_timer_;
  for (unsigned tick = 1;; ++tick) {
    t.expires_after(kParkTick);
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(use_task, ec));
    for (SpareSession& s : idle_sessions_) s.sweep();  // cancels a read: nothing completes (or unlinks) inline
    const auto now = std::chrono::steady_clock::now();
    while (!parked_.empty() && parked_.front().idle_deadline <= now) {
      SessionBase& s = parked_.front();
      s.SessionBase::ParkedHook::unlink();
      s.expire();
    }
    if (tick % 10 != 0) continue;
    log_.flush();
    buffers_.trim();
    fields_.trim();
    for (auto& spare : spare_sessions_) spare.trim();
    for (auto& u : upstreams_)
      if (u)
        for (auto& pool : u->idle)
          std::erase_if(pool, [&](const IdleConnection& c) { return now - c.since > kUpstreamIdleClose; });
    if (draining_ && sessions_.empty()) co_return;
    if (!quiet()) continue;
    housekeeping_asleep_ = true;
    t.expires_at(next_upstream_close());
    co_await t.async_wait(asio::redirect_error(use_task, ec));
    housekeeping_asleep_ = false;
    if (draining_ && sessions_.empty()) co_return;
    tick = 9;  // the next tick is a tenth: it closes the upstream connection that came due
  }
}

// Nothing for a tick to do: no connection (so none idle or parked, and no request to
// log), no shadow copy in flight, the access log flushed and the spares given back.
bool Worker::quiet() const {
  return sessions_.empty() && shadows_in_flight_ == 0 && log_.empty() && buffers_.empty() && fields_.empty() &&
         spare_sessions_[0].empty() && spare_sessions_[1].empty();
}

// When the oldest idle upstream connection is due to close (never, when there is none).
std::chrono::steady_clock::time_point Worker::next_upstream_close() const {
  auto at = std::chrono::steady_clock::time_point::max();
  for (const auto& u : upstreams_)
    if (u)
      for (const auto& pool : u->idle)
        for (const IdleConnection& c : pool) at = std::min(at, c.since + kUpstreamIdleClose);
  return at;
}

void Worker::wake_housekeeping() {
  housekeeping_asleep_ = false;
  housekeeping_timer_.cancel();
}

const std::shared_ptr<const Generation>& Worker::generation() {
  uint64_t seq = gateway_.generation_seq();
  if (seq != generation_seq_ || !generation_) {
    generation_ = gateway_.generation();
    generation_seq_ = seq;
    upstreams_.clear();  // rebuilt per upstream on first use; sockets of the old pools close
    upstreams_.resize(generation_->upstreams.size());
  }
  return generation_;
}

namespace {
std::shared_ptr<WorkerUpstream> make_upstream(std::shared_ptr<const EndpointSet> set, uint64_t version) {
  auto wu = std::make_shared<WorkerUpstream>();
  wu->endpoints = set->initial;
  wu->idle.resize(set->size());
  wu->round_robin.emplace(set->size());
  wu->least_conn.emplace(set->size());
  wu->set = std::move(set);
  wu->version = version;
  return wu;
}
}  // namespace

std::shared_ptr<WorkerUpstream> Worker::upstream(const Generation& g, uint32_t u) {
  // A request that started on an older generation than the worker's (a reload in
  // between) gets a state of its own: rare, and only for that request.
  if (&g != generation_.get()) return make_upstream(g.upstreams[u].endpoints->current(), 0);
  std::shared_ptr<WorkerUpstream>& wu = upstreams_[u];
  const EndpointSource& src = *g.upstreams[u].endpoints;
  uint64_t v = src.version();
  if (wu && wu->version == v) return wu;
  // New addresses: a new state (requests in flight keep the old one alive). Idle
  // connections of endpoints that stay move over; in-flight counts start again.
  auto fresh = make_upstream(src.current(), v);
  if (wu) {
    for (size_t i = 0; i < fresh->set->size(); ++i)
      for (size_t j = 0; j < wu->set->size(); ++j)
        if (fresh->set->identities[i] == wu->set->identities[j]) fresh->idle[i] = std::move(wu->idle[j]);
  }
  wu = std::move(fresh);
  return wu;
}

void Worker::next_request_id(char out[32]) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t parts[2] = {request_prefix_, ++request_counter_};
  for (int p = 0; p < 2; ++p)
    for (int i = 0; i < 16; ++i) out[p * 16 + i] = kHex[(parts[p] >> (60 - 4 * i)) & 15];
}

}  // namespace banyan::proxy
