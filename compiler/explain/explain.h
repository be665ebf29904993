// Reading a loaded plan back to people: `banyanc explain` (the whole plan, the
// decision tree included, as text or Graphviz) and `banyanc route` (one request:
// which route wins, by which rank, which others matched and lost, what happens next,
// and for a request under migration which side it lands on and when that changes).
// Everything here reads the plan only, so it shows what the runtime will do.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "runtime/plan/plan.h"

namespace banyan::explain {

// Every record of the plan, in a stable layout (the golden tests pin it).
std::string explain_text(const plan::Plan& plan);
std::string explain_dot(const plan::Plan& plan);

struct RouteQuery {
  std::string method;
  std::string url;  // http://host[:port]/path[?query]
  std::vector<std::pair<std::string, std::string>> headers;
  std::string client_ip = "127.0.0.1";
  std::string at;       // a timestamp; empty: now_ms
  int64_t now_ms = 0;
};

// 0: a route matched; 1: no route (or the path is refused); 2: the query is malformed
// (`error` says why). `out` receives the explanation.
int explain_route(const plan::Plan& plan, const RouteQuery& q, std::string& out, std::string& error);

// A route as it was written, roughly: `= /api/image`, `~ "^/v[0-9]"`, plus predicates.
std::string describe_route(const plan::Plan& plan, uint32_t route);

}  // namespace banyan::explain
