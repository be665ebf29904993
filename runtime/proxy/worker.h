// A worker: one thread, one io_context, its own SO_REUSEPORT listening sockets (the
// kernel spreads connections over the workers), and everything a request touches
// that is not shared: each upstream's balancer state and in-flight counts, the idle
// upstream connections (keep-alive pools), spare buffers, the access-log buffer.
// Nothing here is locked: only the worker's thread touches it. What workers share
// (the serving generation, endpoint sets, passive health, counters) is immutable or
// atomic.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>

#include "runtime/balance/least_conn.h"
#include "runtime/balance/rng.h"
#include "runtime/balance/smooth_weighted.h"
#include "runtime/compress/encoder.h"
#include "runtime/proxy/access_log.h"
#include "runtime/plan/matcher.h"
#include "runtime/proxy/generation.h"
#include "runtime/proxy/io.h"

namespace banyan::proxy {

class Gateway;
class H2UpstreamConnection;

// An idle upstream connection, kept for the next request to the same endpoint.
struct IdleConnection {
  Socket socket;
  std::chrono::steady_clock::time_point since;
};

// One upstream as this worker sees it; rebuilt when the generation or the upstream's
// endpoint set changes (idle connections and counts of endpoints that stay are kept).
struct WorkerUpstream {
  std::shared_ptr<const EndpointSet> set;
  uint64_t version = 0;
  std::vector<balance::Endpoint> endpoints;
  std::vector<std::vector<IdleConnection>> idle;  // per endpoint
  std::vector<std::shared_ptr<H2UpstreamConnection>> h2;  // per endpoint: `protocol h2c` (exchange/h2_upstream_connection.h)
  std::optional<balance::SmoothWeighted> round_robin;
  std::optional<balance::LeastConn> least_conn;
};

// Spare objects a worker keeps for the next request, with no fixed cap: what a
// housekeeping tick saw unused all along (the fewest spare at any moment since the
// last trim) goes back to the heap. Steady load keeps what it uses, with no malloc
// per request whatever the concurrency; after a burst the spares are freed within
// two ticks, so an idle worker holds none.
template <class T>
class SpareList {
 public:
  T take() {
    if (items_.empty()) return T();
    T t = std::move(items_.back());
    items_.pop_back();
    low_ = std::min(low_, items_.size());
    return t;
  }
  void give(T t) { items_.push_back(std::move(t)); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void trim() {
    items_.resize(items_.size() - std::min(low_, items_.size()));
    low_ = items_.size();
  }

 private:
  std::vector<T> items_;
  size_t low_ = 0;
};

// Spare fixed-size buffers: an idle keep-alive connection gives its buffer back, so
// it costs its socket and its session, not a request's buffers.
class BufferPool {
 public:
  static constexpr size_t kSize = 16 << 10;
  std::unique_ptr<char[]> get();
  void put(std::unique_ptr<char[]> b);
  void trim() { spare_.trim(); }
  bool empty() const { return spare_.empty(); }

 private:
  SpareList<std::unique_ptr<char[]>> spare_;
};

// Spare field arrays for parsed heads (limits.header_count entries each), kept like
// the buffers: a request borrows two, an idle connection holds none.
class FieldPool {
 public:
  explicit FieldPool(size_t count) : count_(count) {}
  std::unique_ptr<plan::HeaderField[]> get();
  void put(std::unique_ptr<plan::HeaderField[]> f);
  size_t count() const { return count_; }
  void trim() { spare_.trim(); }
  bool empty() const { return spare_.empty(); }

 private:
  size_t count_;
  SpareList<std::unique_ptr<plan::HeaderField[]>> spare_;
};

struct ListenerInfo {
  std::string plan_address;  // ":80"
  config::HostPort bind;
  bool https = false;
  uint32_t binding = 0;  // its index in the configuration's `listen` (Generation::listeners)
  bool show_error_details = false;  // `[errors] show_details` names it: clients see why (development)
  bool proxy_protocol = false;      // `[clients] proxy_protocol`: a PROXY protocol header comes first
  bool h2c = false;                 // `[http2] prior_knowledge`: a plain listener that takes HTTP/2 too
};

// A client connection, on its worker's list (intrusive: no allocation per connection),
// and while it is parked (http1_session.cpp) on the list of parked ones too, in the
// order they parked: about the order of their idle deadlines.
struct ParkedTag;
using AutoUnlink = boost::intrusive::link_mode<boost::intrusive::auto_unlink>;
class SessionBase : public boost::intrusive::list_base_hook<AutoUnlink>,
                    public boost::intrusive::list_base_hook<boost::intrusive::tag<ParkedTag>, AutoUnlink> {
 public:
  using ListHook = boost::intrusive::list_base_hook<AutoUnlink>;
  using ParkedHook = boost::intrusive::list_base_hook<boost::intrusive::tag<ParkedTag>, AutoUnlink>;
  virtual ~SessionBase() = default;
  virtual void drain() = 0;  // close when idle; after the current response otherwise
  virtual void expire() {}   // parked past its idle deadline: close

  std::chrono::steady_clock::time_point idle_deadline;  // while parked
};

// The working part of an HTTP/1.1 connection (its exchange, request head, buffers),
// taken from the worker's spares for a connection and given back when the connection
// parks or ends (http1_session.cpp). While it waits for a request it is on the
// worker's idle list: a housekeeping tick parks one seen there at the tick before.
class SpareSession : public boost::intrusive::list_base_hook<AutoUnlink> {
 public:
  virtual ~SpareSession() = default;
  virtual void sweep() = 0;
};

// How often idle HTTP/1.1 sessions are looked at: a connection idle for two ticks in
// a row (20 to 40 ms) parks. Back-to-back requests (a page's assets, a load test) keep
// their session; a connection idle longer costs its stream alone, and a parked one
// past its idle deadline is closed at the next tick.
inline constexpr std::chrono::milliseconds kParkTick{20};
// An upstream connection idle this long in a worker's pool is closed (at the next
// tenth tick).
inline constexpr std::chrono::seconds kUpstreamIdleClose{30};
// A client's connection is handed to the gateway when its first bytes arrive
// (TCP_DEFER_ACCEPT, nginx's `listen ... deferred`, with nginx's one second): HTTP
// clients speak first, so the accept finds the request (or the ClientHello) waiting,
// with no wait for it to come and no read that finds nothing. One that sends nothing
// is handed over after about this long, and its idle timeout starts then.
inline constexpr std::chrono::seconds kDeferAccept{1};

// Refuses (throws, naming the address) to start on a listener address where another
// process already listens. The workers' sockets use SO_REUSEPORT, so without this check
// a second gateway on the same port (a copy started twice, a leftover from a test)
// would silently take a share of the first one's connections. Each address is bound
// once without SO_REUSEPORT, which no port another socket listens on allows, then
// released for the workers. Start-up only.
void check_listeners_free(const std::vector<ListenerInfo>& listeners);

class Worker {
 public:
  Worker(Gateway& gateway, unsigned index);
  ~Worker();

  // Opens this worker's listening sockets (SO_REUSEPORT); throws on a bind failure
  // (before any thread runs: start-up, not the data plane).
  void listen(const std::vector<ListenerInfo>& listeners);
  void start();             // runs the io_context on the worker's thread
  void begin_drain();       // posted: stop accepting, drain sessions
  void stop();              // stops the io_context
  void join();

  boost::asio::io_context& io() { return io_; }
  Gateway& gateway() { return gateway_; }
  unsigned index() const { return index_; }

  // The generation this worker serves now (refreshed when the gateway swapped it).
  const std::shared_ptr<const Generation>& generation();
  // This worker's state of upstream `u` of generation `g` (renewed when its endpoint
  // set changed). A request holds it until it ends, whatever reloads and DNS do.
  std::shared_ptr<WorkerUpstream> upstream(const Generation& g, uint32_t u);

  BufferPool& buffers() { return buffers_; }
  FieldPool& fields() { return fields_; }
  SpareList<std::shared_ptr<SpareSession>>& spare_sessions(bool tls) { return spare_sessions_[tls ? 1 : 0]; }
  void idle_session(SpareSession& s) { idle_sessions_.push_back(s); }  // off the list: s.unlink()
  void parked(SessionBase& s) { parked_.push_back(s); }                // off the list: s.ParkedHook::unlink()
  compress::EncoderPool& encoders() { return encoders_; }
  AccessLog& log() { return log_; }
  balance::Rng& rng() { return rng_; }
  void next_request_id(char out[32]);

  void add_session(SessionBase* s) {
    sessions_.push_back(*s);
    if (housekeeping_asleep_) wake_housekeeping();
  }
  void remove_session(SessionBase* s) { s->ListHook::unlink(); }
  bool draining() const { return draining_; }
  // Shadow copies this worker has in flight (exchange/shadow.h caps them).
  uint32_t& shadows_in_flight() { return shadows_in_flight_; }

 private:
  Task<void> accept_loop(Acceptor& acceptor, const ListenerInfo& info);
  Task<void> housekeeping();
  bool quiet() const;
  std::chrono::steady_clock::time_point next_upstream_close() const;
  void wake_housekeeping();

  Gateway& gateway_;
  unsigned index_;
  // Only this worker's thread starts, completes or cancels operations on its sockets
  // and timers (other threads post, or stop the context): no lock per descriptor.
  boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::thread thread_;
  std::list<Acceptor> acceptors_;
  std::vector<ListenerInfo> listeners_;
  std::shared_ptr<const Generation> generation_;
  uint64_t generation_seq_ = 0;
  std::vector<std::shared_ptr<WorkerUpstream>> upstreams_;
  BufferPool buffers_;
  FieldPool fields_;
  SpareList<std::shared_ptr<SpareSession>> spare_sessions_[2];  // plain, TLS
  boost::intrusive::list<SpareSession, boost::intrusive::constant_time_size<false>> idle_sessions_;
  boost::intrusive::list<SessionBase, boost::intrusive::base_hook<SessionBase::ParkedHook>,
                         boost::intrusive::constant_time_size<false>>
      parked_;
  compress::EncoderPool encoders_;
  AccessLog log_;
  balance::Rng rng_;
  uint64_t request_prefix_ = 0, request_counter_ = 0;
  boost::intrusive::list<SessionBase, boost::intrusive::base_hook<SessionBase::ListHook>,
                         boost::intrusive::constant_time_size<false>>
      sessions_;
  bool draining_ = false;
  uint32_t shadows_in_flight_ = 0;
  // The housekeeping tick's timer. A quiet worker (quiet()) stops ticking: it sleeps
  // until a connection comes (add_session), the drain begins, or an idle upstream
  // connection is due to close, so an idle gateway does not wake 50 times a second.
  Timer housekeeping_timer_{io_};
  bool housekeeping_asleep_ = false;
};

}  // namespace banyan::proxy
