// The watchdog (watchdog.h) as an HTTP/1.1 session uses it: one connection after
// another. Stopped when its connection parks or ends, pointed at the next connection's
// socket and started again, it must cancel only that socket, once its deadline passes,
// and a wait of the earlier start that was still queued must do nothing at all.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "runtime/proxy/clock.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/watchdog.h"

namespace banyan::proxy {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct Pair {
  Socket client, server;
  explicit Pair(asio::io_context& io, Acceptor& acceptor) : client(io), server(io) {
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
};

}  // namespace

TEST_CASE("a watchdog restarted on another connection cancels only that one and queues no stale wake-ups",
          "[watchdog]") {
  asio::io_context io;
  Acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Pair first(io, acceptor), second(io, acceptor);
  char a[1], b[1];
  error_code first_ec, second_ec;
  bool first_done = false, second_done = false;
  first.server.async_read_some(asio::buffer(a), [&](error_code ec, size_t) { first_ec = ec, first_done = true; });
  second.server.async_read_some(asio::buffer(b), [&](error_code ec, size_t) { second_ec = ec, second_done = true; });

  auto keep = std::make_shared<int>(0);
  Watchdog clock(io, first.server);
  clock.set(Phase::Idle, 60'000);
  clock.start(keep);
  io.poll();
  CHECK(keep.use_count() == 2);  // the armed wait holds its owner

  // The first connection parks: the wait is cancelled, and queued, not yet run.
  clock.stop();
  clock.rebind(second.server);
  clock.set(Phase::Idle, 50);
  clock.start(keep);

  // Until the deadline and a little after: the stale wait runs and does nothing; the new
  // one fires once, at the deadline, and cancels the second connection's read.
  size_t handlers = io.run_for(std::chrono::milliseconds(400));
  CHECK(clock.expired());
  REQUIRE(second_done);
  CHECK(second_ec == asio::error::operation_aborted);
  CHECK_FALSE(first_done);  // the first connection is not the watchdog's any more
  // A stale wait that re-armed would cancel the live one, whose handler would re-arm and
  // cancel the other: thousands of wake-ups in 50 ms. Here: the stale one, the expiry,
  // the re-arm's first wait, the cancelled read.
  CHECK(handlers < 10);

  clock.stop();
  io.poll();
  CHECK(keep.use_count() == 1);  // stopped: no wait holds its owner
  first.server.cancel();
  io.poll();
  CHECK(first_done);
}

// Deadlines are set from coarse_now() and compared with steady_clock::now() (the
// watchdog's timer and its expiry check): both must be one timeline, the coarse one at
// most a tick behind (CLOCK_MONOTONIC_COARSE; a tick is 1 to 10 ms, allowed 50 here).
TEST_CASE("the coarse clock is the steady clock's timeline, at most a tick behind it", "[watchdog]") {
  using std::chrono::steady_clock;
  for (int i = 0; i < 1000; ++i) {
    const steady_clock::time_point before = steady_clock::now();
    const steady_clock::time_point coarse = coarse_now();
    const steady_clock::time_point after = steady_clock::now();
    REQUIRE(coarse <= after);
    REQUIRE(coarse >= before - std::chrono::milliseconds(50));
  }
}

}  // namespace banyan::proxy
