// One deadline per connection, and one timer. Each step of the connection and of its
// exchange (idle, head, body, connect, upstream write and read, client write, tunnel,
// closing) sets the time it may take; when it passes, the timer cancels the client's
// socket and the exchange's upstream socket, and the step that was waiting sees
// `expired()` and answers (408, 504) or closes. One timer arm per change of deadline
// that moves it earlier; a later deadline waits for the armed one to fire.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "runtime/proxy/clock.h"
#include "runtime/proxy/io.h"

namespace banyan::proxy {

enum class Phase : uint8_t { Idle, Head, Body, Connect, UpstreamWrite, UpstreamRead, ClientWrite, Tunnel, Closing };

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;

  using ClientSocket = Socket::lowest_layer_type;  // of a plain or a TLS stream

  Watchdog(boost::asio::io_context& io, ClientSocket& client) : timer_(io), client_(&client), deadline_(coarse_now()) {}
  // An HTTP/2 stream's: the client's connection is not the stream's to cancel; an
  // expiry wakes the stream's waits (`wake`, a timer its waits sleep on) instead.
  Watchdog(boost::asio::io_context& io, Timer& wake)
      : timer_(io), wake_(&wake), deadline_(coarse_now()) {}

  // The next step may take `ms`; a passed deadline is forgotten.
  void set(Phase phase, int64_t ms) {
    phase_ = phase;
    expired_ = false;
    deadline_ = coarse_now() + std::chrono::milliseconds(ms);
    if (deadline_ < armed_) timer_.cancel();  // the loop re-arms at the earlier time
  }
  Phase phase() const { return phase_; }
  void restore(Phase phase) { phase_ = phase; }  // after a nested step (a client write) ends
  bool expired() const { return expired_; }

  // The exchange's upstream socket, cancelled with the client's (null: none now).
  void watch_upstream(Socket* s) { upstream_ = s; }
  // A timer an exchange's wait on an HTTP/2 upstream stream sleeps on, woken with the rest.
  void watch_timer(Timer* t) { upstream_wake_ = t; }
  void cancel_all();

  // Arms the timer at the deadline set() gave (call it first: the constructor's
  // deadline is "now", which would fire at once); each expiry re-arms it until stop().
  // A completion handler, not a coroutine: a connection is one coroutine (its
  // session), its watchdog a timer wait. `keep` holds the connection's owner alive
  // while a wait is pending.
  void start(std::shared_ptr<void> keep);
  void stop() {
    stopped_ = true;
    timer_.cancel();
  }
  // An HTTP/1.1 session's watchdog serves one connection after another (a session is
  // reused, http1_session.cpp): stopped, it is pointed at the next one's socket and
  // started again; a wait of the last start that is still queued then does nothing.
  void rebind(ClientSocket& client) {
    client_ = &client;
    upstream_ = nullptr;
    upstream_wake_ = nullptr;
  }
  Clock::time_point deadline() const { return deadline_; }

 private:
  Timer timer_;
  ClientSocket* client_ = nullptr;
  Timer* wake_ = nullptr;
  Timer* upstream_wake_ = nullptr;
  Socket* upstream_ = nullptr;
  Clock::time_point deadline_, armed_ = Clock::time_point::max();
  Phase phase_ = Phase::Head;
  bool expired_ = false, stopped_ = false;
  uint32_t epoch_ = 0;  // of start(): what a queued wait compares

  void arm(std::shared_ptr<void> keep);
};

}  // namespace banyan::proxy
