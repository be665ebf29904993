#include "runtime/proxy/worker.h"

#include <sys/socket.h>

#include <random>

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
  if (spare_.empty()) return std::make_unique_for_overwrite<char[]>(kSize);
  auto b = std::move(spare_.back());
  spare_.pop_back();
  return b;
}

void BufferPool::put(std::unique_ptr<char[]> b) {
  if (spare_.size() < 64) spare_.push_back(std::move(b));  // a burst's buffers beyond that go back to malloc
}

std::unique_ptr<plan::HeaderField[]> FieldPool::get() {
  if (spare_.empty()) return std::make_unique_for_overwrite<plan::HeaderField[]>(count_);
  auto f = std::move(spare_.back());
  spare_.pop_back();
  return f;
}

void FieldPool::put(std::unique_ptr<plan::HeaderField[]> f) {
  if (f && spare_.size() < 64) spare_.push_back(std::move(f));
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

void Worker::listen(const std::vector<ListenerInfo>& listeners) {
  listeners_ = listeners;  // the sessions keep references: no reallocation after this
  for (const ListenerInfo& l : listeners_) {
    asio::ip::address addr = l.bind.host.empty() ? asio::ip::address(asio::ip::address_v6::any())
                                                 : asio::ip::make_address(l.bind.host);
    tcp::endpoint ep(addr, l.bind.port);
    tcp::acceptor& a = acceptors_.emplace_back(io_);
    a.open(ep.protocol());
    a.set_option(tcp::acceptor::reuse_address(true));
    int one = 1;
    if (::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      throw std::runtime_error("SO_REUSEPORT: " + std::string(strerror(errno)));
    if (addr.is_v6() && l.bind.host.empty()) a.set_option(asio::ip::v6_only(false));
    a.bind(ep);
    a.listen(asio::socket_base::max_listen_connections);
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
}

void Worker::begin_drain() {
  asio::post(io_, [this] {
    draining_ = true;
    for (auto& a : acceptors_) {
      boost::system::error_code ec;
      a.close(ec);
    }
    // Copy: drain() may end a session, which removes itself from the set.
    std::vector<SessionBase*> all(sessions_.begin(), sessions_.end());
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

asio::awaitable<void> Worker::accept_loop(tcp::acceptor& acceptor, const ListenerInfo& info) {
  const uint32_t cap = gateway_.config().limits.connections;
  for (;;) {
    boost::system::error_code ec;
    tcp::endpoint peer;  // from accept(2) itself: no getpeername per connection
    tcp::socket s = co_await acceptor.async_accept(peer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // EMFILE and friends: wait a little rather than spin.
      asio::steady_timer t(io_, std::chrono::milliseconds(50));
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    bump(gateway_.metrics().connections_accepted);
    if (gateway_.open_connections().fetch_add(1, std::memory_order_relaxed) >= cap) {
      gateway_.open_connections().fetch_sub(1, std::memory_order_relaxed);
      bump(gateway_.metrics().connections_refused);
      continue;  // closed by the socket's destructor
    }
    bump(gateway_.metrics().connections_open);
    start_session(*this, std::move(s), peer, info);
  }
}

// Flushes the access log now and then, and closes upstream connections idle too long.
asio::awaitable<void> Worker::housekeeping() {
  asio::steady_timer t(io_);
  for (;;) {
    t.expires_after(std::chrono::milliseconds(200));
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    log_.flush();
    auto now = std::chrono::steady_clock::now();
    for (auto& u : upstreams_)
      if (u)
        for (auto& pool : u->idle)
          std::erase_if(pool, [&](const IdleConnection& c) { return now - c.since > std::chrono::seconds(30); });
    if (draining_ && sessions_.empty()) co_return;
  }
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
