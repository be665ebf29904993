// The gateway's series are made once per name and found again by it: a reload that
// names a route or an upstream again gets the counters it had (metrics.h), however
// many series were made since.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/proxy/metrics.h"

namespace banyan::proxy {

TEST_CASE("a route's or an upstream's series is found again by its name among thousands", "[metrics]") {
  Metrics m;
  std::vector<RouteCounters*> routes;
  std::vector<UpstreamCounters*> upstreams;
  for (int i = 0; i < 3000; ++i) {
    routes.push_back(m.route("api.example.com /r" + std::to_string(i)));
    upstreams.push_back(m.upstream("u" + std::to_string(i)));
  }
  bump(routes[1234]->by_class[2]);
  for (int i = 2999; i >= 0; --i) {  // asked again, in another order, as a reload does
    REQUIRE(m.route("api.example.com /r" + std::to_string(i)) == routes[i]);
    REQUIRE(m.upstream("u" + std::to_string(i)) == upstreams[i]);
  }
  CHECK(routes[0] != routes[1]);
  CHECK(routes[1234]->by_class[2].load() == 1);  // a reload does not reset it
  CHECK(routes[1234]->label == "api.example.com /r1234");
  // The name is kept as Prometheus escapes it; the same name asked again is the same series.
  RouteCounters* quoted = m.route("a \"quoted\" \\ name");
  CHECK(quoted->label == "a \\\"quoted\\\" \\\\ name");
  CHECK(m.route("a \"quoted\" \\ name") == quoted);
  CHECK(m.route("a \"quoted\" \\ name ") != quoted);
}

}  // namespace banyan::proxy
