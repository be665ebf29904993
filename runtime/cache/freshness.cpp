#include "runtime/cache/freshness.h"

#include <algorithm>

namespace banyan::cache {
namespace {

// The final status codes RFC 9110 defines (section 15): those whose caching rules the
// cache implements, for must-understand (RFC 9111 3, 5.2.2.3).
bool understood(int s) {
  return (s >= 200 && s <= 206) || (s >= 300 && s <= 308 && s != 306) || (s >= 400 && s <= 417) || s == 421 ||
         s == 422 || s == 426 || (s >= 500 && s <= 505);
}

}  // namespace

int64_t current_age_ms(const Timing& t, int64_t now_ms) {
  const int64_t response_s = t.response_ms / 1000;
  const int64_t apparent_age = std::max<int64_t>(0, response_s - t.date_s);
  const int64_t response_delay = std::max<int64_t>(0, t.response_ms - t.request_ms) / 1000;
  const int64_t corrected_age_value = std::min(t.age_s + response_delay, kMaxDelta);
  const int64_t corrected_initial_age = std::max(apparent_age, corrected_age_value);
  const int64_t resident_ms = std::max<int64_t>(0, now_ms - t.response_ms);
  return corrected_initial_age * 1000 + resident_ms;
}

int64_t explicit_lifetime_s(const ResponseDirectives& d, std::string_view expires, bool has_expires, int64_t date_s) {
  if (d.s_maxage != kAbsent) return d.s_maxage;
  if (d.max_age != kAbsent) return d.max_age;
  if (!has_expires) return kAbsent;
  std::optional<int64_t> e = parse_http_date(expires);
  if (!e) return 0;  // 5.3: an invalid Expires ("0") means already expired
  return std::clamp<int64_t>(*e - date_s, 0, kMaxDelta);
}

StoreAnswer may_store(const StoreQuestion& q) {
  const ResponseDirectives& res = *q.response;
  auto no = [](std::string_view why) { return StoreAnswer{false, 0, why}; };
  if (!q.get) return no("not a GET");
  if (q.status < 200 || q.status == 206 || q.status == 304) return no("status not stored");
  if (q.request->no_store) return no("request no-store");
  if (res.must_understand && !understood(q.status)) return no("must-understand, status not understood");
  if (res.no_store && !res.must_understand) return no("no-store");
  if (res.private_) return no("private");
  if (q.vary_star) return no("Vary: *");
  if (q.set_cookie) return no("Set-Cookie");
  if (q.authorization) {
    // 3.5: a shared cache stores an answer to a request with credentials only when the
    // response says it may be shared.
    if (!q.allow_authorized) return no("Authorization");
    if (!res.public_ && !res.must_revalidate && res.s_maxage == kAbsent) return no("Authorization without public");
  }
  if (q.explicit_lifetime_s != kAbsent) return {true, q.explicit_lifetime_s, {}};
  if (q.valid_ttl_s != kAbsent) return {true, q.valid_ttl_s, {}};
  return no("no freshness (no max-age, Expires or matching `valid`)");
}

Reuse reuse(const Stored& s, const RequestDirectives& r) {
  if (s.no_cache || r.no_cache) return Reuse::Validate;
  if (r.max_age != kAbsent && s.age_ms > r.max_age * 1000) return Reuse::Validate;
  if (s.fresh()) {
    if (r.min_fresh != kAbsent && s.lifetime_ms - s.age_ms < r.min_fresh * 1000) return Reuse::Validate;
    return Reuse::Fresh;
  }
  // 4.2.4: stale only when the request allows it and the response does not forbid it.
  if (r.max_stale != kAbsent && !s.revalidate && s.staleness_ms() <= r.max_stale * 1000) return Reuse::Stale;
  return Reuse::Validate;
}

bool stale_on_error(const Stored& s, bool route_allows) {
  if (s.no_cache || s.revalidate) return false;
  if (route_allows) return true;
  return s.if_error_s != kAbsent && s.staleness_ms() <= s.if_error_s * 1000;
}

bool stale_while_updating(const Stored& s, bool route_updating) {
  if (s.no_cache || s.revalidate) return false;
  if (route_updating) return true;
  return s.while_revalidate_s != kAbsent && s.staleness_ms() <= s.while_revalidate_s * 1000;
}

}  // namespace banyan::cache
