#include "runtime/proxy/endpoints.h"

#include <netdb.h>
#include <sys/socket.h>

#include <fstream>
#include <sstream>

namespace banyan::proxy {

namespace ip = boost::asio::ip;

std::string identity_of(const ip::tcp::endpoint& e) {
  std::string a = e.address().to_string();
  if (e.address().is_v6()) a = "[" + a + "]";
  return a + ":" + std::to_string(e.port());
}

std::vector<ip::address> lookup_hosts_file(const std::string& file, const std::string& name) {
  std::vector<ip::address> out;
  if (file.empty()) return out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string addr, word;
    if (!(words >> addr)) continue;
    boost::system::error_code ec;
    ip::address a = ip::make_address(addr, ec);
    if (ec) continue;
    while (words >> word) {
      if (word == name) {
        out.push_back(a);
        break;
      }
    }
  }
  return out;
}

namespace {

// getaddrinfo, every address, in the resolver's order without repeats.
std::vector<ip::address> resolve_name(const std::string& name, std::string& problem) {
  std::vector<ip::address> out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    problem = "'" + name + "' does not resolve: " + gai_strerror(rc);
    return out;
  }
  for (addrinfo* p = res; p; p = p->ai_next) {
    ip::address a;
    if (p->ai_family == AF_INET) {
      auto* sin = reinterpret_cast<const sockaddr_in*>(p->ai_addr);
      a = ip::address_v4(ntohl(sin->sin_addr.s_addr));
    } else if (p->ai_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<const sockaddr_in6*>(p->ai_addr);
      ip::address_v6::bytes_type b;
      std::copy(std::begin(sin6->sin6_addr.s6_addr), std::end(sin6->sin6_addr.s6_addr), b.begin());
      a = ip::address_v6(b, sin6->sin6_scope_id);
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  freeaddrinfo(res);
  return out;
}

}  // namespace

EndpointSource::EndpointSource(std::string upstream, std::vector<ServerSpec> servers, int64_t resolve_every_ms,
                               std::string hosts_file, bool want_ring, bool want_sticky)
    : upstream_(std::move(upstream)),
      servers_(std::move(servers)),
      resolve_every_ms_(resolve_every_ms),
      hosts_file_(std::move(hosts_file)),
      want_ring_(want_ring),
      want_sticky_(want_sticky),
      last_good_(servers_.size()) {
  current_.store(std::make_shared<const EndpointSet>());
}

void EndpointSource::inherit(const EndpointSource& previous) {
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < servers_.size(); ++i) {
    for (size_t j = 0; j < previous.servers_.size(); ++j) {
      if (servers_[i].host == previous.servers_[j].host && servers_[i].port == previous.servers_[j].port &&
          !previous.last_good_[j].empty())
        last_good_[i] = previous.last_good_[j];
    }
  }
}

std::string EndpointSource::resolve() {
  std::lock_guard lock(mutex_);
  std::string problems;
  for (size_t i = 0; i < servers_.size(); ++i) {
    const ServerSpec& s = servers_[i];
    std::vector<ip::address> addrs;
    boost::system::error_code ec;
    ip::address literal = ip::make_address(s.host, ec);
    std::string problem;
    if (!ec) {
      addrs.push_back(literal);
    } else {
      addrs = lookup_hosts_file(hosts_file_, s.host);
      if (addrs.empty()) addrs = resolve_name(s.host, problem);
    }
    if (addrs.empty()) {
      if (problem.empty()) problem = "'" + s.host + "' resolves to no address";
      if (!last_good_[i].empty()) problem += "; keeping its last " + std::to_string(last_good_[i].size()) + " address(es)";
      if (!problems.empty()) problems += "; ";
      problems += problem;
      continue;
    }
    last_good_[i].clear();
    for (const auto& a : addrs) last_good_[i].emplace_back(a, s.port);
  }

  auto set = std::make_shared<EndpointSet>();
  for (size_t i = 0; i < servers_.size(); ++i) {
    for (const auto& e : last_good_[i]) {
      if (std::find(set->addresses.begin(), set->addresses.end(), e) != set->addresses.end()) continue;
      set->addresses.push_back(e);
      set->identities.push_back(identity_of(e));
      set->initial.push_back({servers_[i].weight, 0, servers_[i].backup, true});
      set->max_conns.push_back(servers_[i].max_conns);
    }
  }
  set->problem = problems;

  std::shared_ptr<const EndpointSet> old = current_.load();
  if (old->identities == set->identities && old->problem == set->problem && version_.load() != 0) return problems;

  set->health = std::make_unique<EndpointHealth[]>(set->size());
  for (size_t i = 0; i < set->size(); ++i) {  // health follows the endpoint into the new set
    for (size_t j = 0; j < old->size(); ++j) {
      if (old->identities[j] != set->identities[i]) continue;
      set->health[i].failures.store(old->health[j].failures.load());
      set->health[i].window_start_ms.store(old->health[j].window_start_ms.load());
      set->health[i].cooldown_until_ms.store(old->health[j].cooldown_until_ms.load());
      set->health[i].ejections.store(old->health[j].ejections.load());
      set->health[i].down.store(old->health[j].down.load());
      set->health[i].probe_fails.store(old->health[j].probe_fails.load());
      set->health[i].probe_passes.store(old->health[j].probe_passes.load());
    }
  }
  std::vector<std::string_view> ids(set->identities.begin(), set->identities.end());
  if (want_ring_) set->ring = std::make_unique<balance::HashRing>(ids, set->initial);
  if (want_sticky_) set->sticky = std::make_unique<balance::StickyTable>(ids);
  current_.store(std::shared_ptr<const EndpointSet>(std::move(set)));
  version_.fetch_add(1, std::memory_order_release);
  return problems;
}

}  // namespace banyan::proxy
