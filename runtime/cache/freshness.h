// RFC 9111's decisions as pure functions of plain values, so each rule is tested on
// its own (tests/unit/cache/freshness_test.cpp) and the gateway's phases only call
// them: whether a response may be stored (section 3, 3.5), its freshness lifetime
// (4.2.1), its current age (4.2.3), and when a stored response may be reused without
// asking the upstream (4.2, 5.2.1), or served stale (4.2.4, RFC 5861).
//
// Choices where the RFC leaves room, after nginx's proxy_cache:
// - no heuristic freshness: a response is stored when it states its freshness
//   (s-maxage, max-age, Expires) or when the route's `valid` names its status;
// - a response's explicit freshness wins over the route's `valid`;
// - a response with Set-Cookie is not stored (nginx's default);
// - 206 and 304 are never stored (no range requests from the cache yet).
#pragma once

#include <cstdint>
#include <string_view>

#include "runtime/cache/directives.h"

namespace banyan::cache {

// What section 4.2.3 reads, fixed when the response head arrives. Clock: Unix ms.
struct Timing {
  int64_t request_ms = 0;   // when the request went upstream
  int64_t response_ms = 0;  // when the response head came back
  int64_t date_s = 0;       // the response's Date (response_ms / 1000 without a valid one)
  int64_t age_s = 0;        // the response's Age (0 without a valid one)
};

// current_age, in ms: corrected initial age (seconds, as the RFC computes it) plus
// the time the response has been resident.
int64_t current_age_ms(const Timing& t, int64_t now_ms);

// 4.2.1: s-maxage, else max-age, else Expires minus Date (an Expires that does not
// parse is in the past: 0); kAbsent when the response states none.
int64_t explicit_lifetime_s(const ResponseDirectives& d, std::string_view expires, bool has_expires, int64_t date_s);

struct StoreQuestion {
  bool get = false;  // the request was a GET (HEAD responses carry no body to store)
  int status = 0;
  const ResponseDirectives* response = nullptr;
  const RequestDirectives* request = nullptr;
  bool authorization = false;     // the request carried Authorization
  bool allow_authorized = false;  // the route says `allow authorized`
  bool set_cookie = false;
  bool vary_star = false;
  int64_t explicit_lifetime_s = kAbsent;
  int64_t valid_ttl_s = kAbsent;  // the route's first `valid` naming this status
};

struct StoreAnswer {
  bool store = false;
  int64_t lifetime_s = 0;
  std::string_view why_not;  // for operators: "no-store", "private", ...
};

StoreAnswer may_store(const StoreQuestion& q);

// A stored response's facts that reuse reads.
struct Stored {
  int64_t age_ms = 0, lifetime_ms = 0;
  bool no_cache = false;       // the response said no-cache: validate on every use
  bool revalidate = false;     // must-revalidate, proxy-revalidate or s-maxage: never served stale (4.2.4)
  int64_t while_revalidate_s = kAbsent;  // stale-while-revalidate
  int64_t if_error_s = kAbsent;          // stale-if-error
  bool fresh() const { return lifetime_ms > age_ms; }
  int64_t staleness_ms() const { return age_ms - lifetime_ms; }
};

enum class Reuse : uint8_t {
  Fresh,     // serve it: fresh, and the request's directives accept it
  Stale,     // serve it stale: the request's max-stale allows it
  Validate,  // ask the upstream first (conditionally, when it has a validator)
};
Reuse reuse(const Stored& s, const RequestDirectives& r);

// May a stale entry stand in for a failed upstream? `route_allows`: the route's
// `stale` names this failure.
bool stale_on_error(const Stored& s, bool route_allows);
// May a stale entry be served while another request refreshes it? `route_updating`:
// the route's `stale` says `updating`.
bool stale_while_updating(const Stored& s, bool route_updating);

}  // namespace banyan::cache
