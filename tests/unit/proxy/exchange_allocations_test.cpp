// "A keep-alive exchange allocates only coroutine frames, and no more of them than its
// budget": this program replaces the global operator new with a counting one (so it
// is its own executable), prepares a real Gateway and Worker on a routes file, and
// drives exchanges through a fake Downstream (the connection layer, which is not under
// test) to a real origin: a blocking server on 127.0.0.1 in a thread of its own, which
// the count leaves out. After a warm-up (buffers, field arrays, strings grown, the
// upstream's keep-alive connection pooled), every proxied GET, and every local answer,
// is counted.
//
// What is left: Boost 1.74's Asio allocates a coroutine frame for each awaitable call
// and for each awaited operation, recycling one block per thread; so the budget is a
// count of frames, named below, and it only goes down. Exit 0 when within budget.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "runtime/config/config.h"
#include "runtime/proxy/downstream.h"
#include "runtime/proxy/exchange/exchange.h"
#include "runtime/proxy/gateway.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/watchdog.h"
#include "tests/support/counting_new.h"

namespace {

using namespace banyan;
using namespace banyan::proxy;
namespace asio = boost::asio;
using banyan::testing::allocations;
using banyan::testing::counting;

// Budgets: heap allocations per exchange in steady state, all of them Asio coroutine
// frames, as measured when the exchange was split into phases: a proxied GET makes 6
// (the exchange, the upstream call, its round trip and their awaited operations, the
// body pipe, the fake's send_head), a local answer 3. They only go down.
constexpr long kProxiedBudget = 6;
constexpr long kLocalBudget = 3;

// The connection layer, faked: a parsed request with no body; answers are counted.
class FakeClient final : public Downstream {
 public:
  explicit FakeClient(std::string raw) : raw_(std::move(raw)) {
    http::Error err = http::Error::None;
    http::Limits limits;
    if (http::parse_request(raw_, limits, fields_, head_, err) != http::Parse::Complete) std::abort();
  }
  const ClientFacts& client() const override { return facts_; }
  const http::RequestHead& request() const override { return head_; }
  std::string_view buffered_body(bool& whole) const override {
    whole = false;
    return {};
  }
  void consume_buffered_body() override {}
  Task<BodyPiece> read_body(uint64_t) override { co_return BodyPiece{{}, BodyPiece::End::Done}; }
  bool body_unread() const override { return false; }
  Task<bool> send_head(const ResponseStart& r, std::string_view body, bool) override {
    status = r.status;
    bytes += body.size();
    co_return true;
  }
  Task<bool> send_body(std::string_view data, bool) override {
    bytes += data.size();
    co_return true;
  }
  Task<void> tunnel(Socket&) override { co_return; }
  uint64_t bytes_in() const override { return raw_.size(); }
  uint64_t bytes_out() const override { return bytes; }

  int status = 0;
  uint64_t bytes = 0;

 private:
  std::string raw_;
  plan::HeaderField fields_[16];
  http::RequestHead head_;
  ClientFacts facts_{"127.0.0.1", "40000", "80", false, 0, false, "127.0.0.1"};
};

// A keep-alive origin: answers every request head with the same small response.
void origin(int listener) {
  banyan::testing::not_counted = true;
  static const char kAnswer[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";
  for (;;) {
    int c = ::accept(listener, nullptr, nullptr);
    if (c < 0) return;
    std::string in;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
      for (size_t end; (end = in.find("\r\n\r\n")) != std::string::npos;) {
        in.erase(0, end + 4);
        if (::write(c, kAnswer, sizeof kAnswer - 1) < 0) break;
      }
    }
    ::close(c);
  }
}

}  // namespace

int main() {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener, 8) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return 2;
  std::thread(origin, listener).detach();

  auto dir = std::filesystem::temp_directory_path() / ("banyan-alloc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.routes") << "listen http :80\nupstream app {\n  server \"127.0.0.1:" << ntohs(addr.sin_port)
                                  << "\"\n}\nsite \"t.test\" {\n  route = /local { respond 200 \"local\\n\" }\n"
                                     "  route / {\n    to app\n    response_header X-Proxy $hostname\n  }\n}\n";
  config::GatewayConfig cfg;
  cfg.plan_path = (dir / "a.routes").string();
  cfg.listen.push_back({":80", {"127.0.0.1", 8080}});
  cfg.log_destination = config::LogDestination::Off;
  Gateway gw(cfg, "");
  std::vector<ListenerInfo> listeners;
  if (gw.start(listeners) != 0) return 2;
  std::filesystem::remove_all(dir);
  Worker worker(gw, 0);
  Socket client_socket(worker.io());
  Watchdog clock(worker.io(), client_socket);

  long proxied = -1, local = -1;
  int failures = 0;
  auto drive = [&]() -> Task<void> {
    char id[32];
    std::memset(id, 'a', sizeof id);
    for (const char* path : {"/proxied", "/local"}) {
      FakeClient client(std::string("GET ") + path + " HTTP/1.1\r\nHost: t.test\r\n\r\n");
      Exchange x(worker, client, clock);
      for (int i = 0; i < 20; ++i)
        co_await x.run(worker.generation(), id, std::chrono::steady_clock::now());  // warm-up
      constexpr int kRuns = 200;
      allocations = 0;
      counting = true;
      for (int i = 0; i < kRuns; ++i) {
        co_await x.run(worker.generation(), id, std::chrono::steady_clock::now());
        failures += client.status != 200;
      }
      counting = false;
      (path[1] == 'p' ? proxied : local) = (allocations + kRuns - 1) / kRuns;  // rounded up
      x.release();
    }
    clock.stop();
  };
  asio::co_spawn(worker.io(), drive(), asio::detached);
  clock.start(nullptr);
  worker.io().run();

  std::printf("allocations per exchange: proxied %ld (budget %ld), local answer %ld (budget %ld); %d failed\n", proxied,
              kProxiedBudget, local, kLocalBudget, failures);
  return failures == 0 && proxied >= 0 && proxied <= kProxiedBudget && local >= 0 && local <= kLocalBudget ? 0 : 1;
}
