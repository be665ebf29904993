// An upstream's servers, resolved to endpoints. A server written as an IP literal is
// one endpoint; a DNS name is every address it resolves to (the tutorial's
// `docker-compose --scale image-gallery=3`), looked up first in the configuration's
// hosts file, then with getaddrinfo. The gateway's main thread re-resolves on the
// upstream's interval and publishes a new EndpointSet when the addresses change;
// workers notice the new version at their next request to the upstream. A name that
// fails to resolve keeps its last good addresses, and the failure is logged and shown
// on /plan and /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "runtime/balance/consistent_hash.h"
#include "runtime/balance/endpoint.h"
#include "runtime/balance/sticky.h"

namespace banyan::proxy {

struct ServerSpec {
  std::string host;  // a DNS name or an IP literal
  uint16_t port = 0;
  uint32_t weight = 1;
  bool backup = false;
  int32_t max_conns = -1;
};

// Passive health of one endpoint, shared by every worker (relaxed atomics: a count
// that is off by one under a race only moves a cool-down by one failure).
struct EndpointHealth {
  std::atomic<uint32_t> failures{0};        // in the current window
  std::atomic<int64_t> window_start_ms{0};  // steady-clock ms
  std::atomic<int64_t> cooldown_until_ms{0};
  std::atomic<uint64_t> ejections{0};
  // Active checks (`health`): down after `fails` failed probes in a row, up again
  // after `passes` good ones. Written by the main thread's prober only.
  std::atomic<bool> down{false};
  std::atomic<uint32_t> probe_fails{0}, probe_passes{0};

  bool healthy(int64_t now_ms) const {
    return !down.load(std::memory_order_relaxed) && cooldown_until_ms.load(std::memory_order_relaxed) <= now_ms;
  }
};

struct EndpointSet {
  std::vector<boost::asio::ip::tcp::endpoint> addresses;
  std::vector<std::string> identities;    // "10.0.0.5:80", "[::1]:80": the balancers' and sticky cookies' names
  std::vector<balance::Endpoint> initial;  // weight and backup of each
  std::vector<int32_t> max_conns;          // -1: no limit
  std::unique_ptr<EndpointHealth[]> health;
  std::unique_ptr<balance::HashRing> ring;       // `balance hash`
  std::unique_ptr<balance::StickyTable> sticky;  // `sticky cookie`
  std::string problem;  // the last resolution failure, empty when every name resolved
  size_t size() const { return addresses.size(); }
};

class EndpointSource {
 public:
  EndpointSource(std::string upstream, std::vector<ServerSpec> servers, int64_t resolve_every_ms, std::string hosts_file,
                 bool want_ring, bool want_sticky);

  // Resolves every server now (blocking: call it off the request path) and publishes
  // a new set when the addresses or the problem changed. Returns the problem, if any.
  std::string resolve();

  std::shared_ptr<const EndpointSet> current() const { return current_.load(std::memory_order_acquire); }
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  int64_t resolve_every_ms() const { return resolve_every_ms_; }
  const std::string& upstream() const { return upstream_; }
  const std::vector<ServerSpec>& servers() const { return servers_; }
  // Takes the previous source's last good addresses (a reload whose resolution fails
  // keeps serving what the old plan reached).
  void inherit(const EndpointSource& previous);

 private:
  std::string upstream_;
  std::vector<ServerSpec> servers_;
  int64_t resolve_every_ms_;
  std::string hosts_file_;
  bool want_ring_, want_sticky_;
  std::mutex mutex_;  // resolve() against inherit(): both on the main thread, but cheap to be sure
  std::vector<std::vector<boost::asio::ip::tcp::endpoint>> last_good_;  // per server
  std::atomic<std::shared_ptr<const EndpointSet>> current_;
  std::atomic<uint64_t> version_{0};
};

// Looks `name` up in a hosts(5) file: every address of a line that lists the name, in
// file order. Empty when the file or the name is absent.
std::vector<boost::asio::ip::address> lookup_hosts_file(const std::string& file, const std::string& name);

std::string identity_of(const boost::asio::ip::tcp::endpoint& e);

}  // namespace banyan::proxy
