// Which route a request goes to, on a loaded plan: the host table picks the site, and
// the site's decision tree (format.h, Node) is walked segment by segment, depth first:
// at each node the literal child named by the next segment, then the node's entries
// in order (routes to test, Param and Rest children to descend into). The emitter
// orders the tree so that the walk meets routes in rank order (route_model.h), so the
// first whose path and predicates match is the one of greatest rank. Each node is
// entered at most once per lookup (MatchResult::steps counts them). A lookup
// allocates nothing; captures are views into the request.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "runtime/plan/plan.h"

namespace banyan::plan {

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// What routing reads of a request. `path` is normalised (normalize_path.h) and
// without the query; `query` is the raw text after '?'; `host` is as received
// (any case, optional port), and the matcher lower-cases it.
struct RequestView {
  std::string_view method;
  std::string_view host;
  std::string_view path;
  std::string_view query;
  std::span<const HeaderField> headers;
};

// What a route captured of the path: each `:param` and `*` segment, and "**", the rest
// of the path after a glob's `**` or after a prefix route's prefix (without its '/').
struct Capture {
  std::string_view name;   // the parameter's name; "*" for `*`, "**" for the rest
  std::string_view value;  // a view into the request path
};

struct MatchResult {
  uint32_t site = kNone;
  uint32_t route = kNone;
  uint32_t migration = kNone;  // a migration moves this request (its split applies)
  uint32_t capture_count = 0;
  // Tree nodes the lookup entered. The walk enters a node only from its parent and at
  // most once per entry of the parent, so this is at most the site's node count; in
  // practice the nodes whose edges agree with the path (matcher.cpp has the bound).
  uint32_t steps = 0;
  std::array<Capture, kMaxCaptures + 1> captures;
};

// The site of a host, or kNone when no site answers it (and there is no default).
uint32_t select_site(const Plan& plan, std::string_view host);

// Fills `out` and returns true when a route matches.
bool match(const Plan& plan, const RequestView& req, MatchResult& out);

// Does route `route` match the request, ignoring rank? (banyanc route lists every
// route that matched and lost; the tests compare single routes.)
bool route_matches(const Plan& plan, uint32_t route, const RequestView& req);

// Cookie and query lookups as routing does them, for the runtime's variables too.
// Each returns the first value of `name`, or false.
bool find_header(std::span<const HeaderField> headers, std::string_view name, std::string_view& value);  // any case
bool find_cookie(std::span<const HeaderField> headers, std::string_view name, std::string_view& value);
bool find_query(std::string_view query, std::string_view name, std::string_view& value);
// The migration's `testers` header or cookie, with its value, is on the request: it
// goes to the new upstream, whatever the share.
bool is_tester(const Plan& p, const Migration& m, std::span<const HeaderField> headers);

}  // namespace banyan::plan
