// RFC 9111's decisions (runtime/cache/freshness.h), one rule per case, named by its
// section: the freshness lifetime (4.2.1), the current age (4.2.3, its formula worked
// by hand), storing (3, 3.5), reuse (4.2, 5.2.1) and serving stale (4.2.4, RFC 5861).
#include "runtime/cache/freshness.h"

#include <catch2/catch.hpp>

namespace banyan::cache {
namespace {

// --- 4.2.1: the freshness lifetime ---------------------------------------------------

// Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110 5.6.7's example).
constexpr int64_t kDate = 784111777;

ResponseDirectives with(int64_t max_age, int64_t s_maxage) {
  ResponseDirectives d;
  d.max_age = max_age;
  d.s_maxage = s_maxage;
  return d;
}

TEST_CASE("4.2.1: s-maxage wins over max-age, which wins over Expires", "[cache]") {
  const char* in_an_hour = "Sun, 06 Nov 1994 09:49:37 GMT";
  CHECK(explicit_lifetime_s(with(60, 10), in_an_hour, true, kDate) == 10);
  CHECK(explicit_lifetime_s(with(10, 60), in_an_hour, true, kDate) == 60);
  CHECK(explicit_lifetime_s(with(60, kAbsent), in_an_hour, true, kDate) == 60);
  CHECK(explicit_lifetime_s(with(kAbsent, 0), in_an_hour, true, kDate) == 0);
  CHECK(explicit_lifetime_s(with(0, kAbsent), in_an_hour, true, kDate) == 0);
  // 5.3: "If a response includes a Cache-Control header field with the max-age
  // directive, a recipient MUST ignore the Expires header field" (even an invalid one)
  CHECK(explicit_lifetime_s(with(60, kAbsent), "0", true, kDate) == 60);
}

TEST_CASE("4.2.1: Expires minus Date", "[cache]") {
  const ResponseDirectives none;
  CHECK(explicit_lifetime_s(none, "Sun, 06 Nov 1994 09:49:37 GMT", true, kDate) == 3600);
  CHECK(explicit_lifetime_s(none, "Sun, 06 Nov 1994 08:50:37 GMT", true, kDate) == 60);
  CHECK(explicit_lifetime_s(none, "Sun, 06 Nov 1994 08:49:37 GMT", true, kDate) == 0);
  // an Expires before Date: already stale, not a negative lifetime
  CHECK(explicit_lifetime_s(none, "Sat, 05 Nov 1994 08:49:37 GMT", true, kDate) == 0);
  // the other formats count too (a day later in asctime)
  CHECK(explicit_lifetime_s(none, "Mon Nov  7 08:49:37 1994", true, kDate) == 86400);
}

TEST_CASE("5.3: an invalid Expires, especially \"0\", is in the past", "[cache]") {
  const ResponseDirectives none;
  CHECK(explicit_lifetime_s(none, "0", true, kDate) == 0);
  CHECK(explicit_lifetime_s(none, "-1", true, kDate) == 0);
  CHECK(explicit_lifetime_s(none, "tomorrow", true, kDate) == 0);
  CHECK(explicit_lifetime_s(none, "", true, kDate) == 0);
}

TEST_CASE("4.2.1: no s-maxage, max-age or Expires: no explicit lifetime", "[cache]") {
  CHECK(explicit_lifetime_s(ResponseDirectives{}, "", false, kDate) == kAbsent);
}

// --- 4.2.3: the current age ----------------------------------------------------------

// apparent_age = max(0, response_time - date_value);
// response_delay = response_time - request_time;
// corrected_age_value = age_value + response_delay;
// corrected_initial_age = max(apparent_age, corrected_age_value);
// resident_time = now - response_time;
// current_age = corrected_initial_age + resident_time;
TEST_CASE("4.2.3: current_age when the apparent age (Date) dominates", "[cache]") {
  // request at 1000 s, response at 1002.5 s (delay 2 s in whole seconds), Date 995,
  // Age 3, now 1010 s: apparent 1002 - 995 = 7, corrected age value 3 + 2 = 5,
  // initial max(7, 5) = 7 s, resident 7.5 s: 14.5 s.
  const Timing t{1'000'000, 1'002'500, 995, 3};
  CHECK(current_age_ms(t, 1'010'000) == 14'500);
  CHECK(current_age_ms(t, 1'002'500) == 7'000);  // the moment it arrived: its initial age
}

TEST_CASE("4.2.3: current_age when the Age header dominates", "[cache]") {
  // Date 1002 (apparent 0), Age 30: corrected 30 + 2 = 32; resident 7.5 s: 39.5 s
  const Timing t{1'000'000, 1'002'500, 1002, 30};
  CHECK(current_age_ms(t, 1'010'000) == 39'500);
}

TEST_CASE("4.2.3: a Date in the future gives an apparent age of 0, not less", "[cache]") {
  // Date 1100 (98 s ahead): apparent max(0, -98) = 0, Age 0, delay 2: 2 s; resident 7.5 s
  const Timing t{1'000'000, 1'002'500, 1100, 0};
  CHECK(current_age_ms(t, 1'010'000) == 9'500);
}

TEST_CASE("4.2.3: the response delay counts in whole seconds, added to Age", "[cache]") {
  // request 1000 s, response 1005 s (delay 5), Date 1005 (apparent 0), Age 10: 15 s
  const Timing t{1'000'000, 1'005'000, 1005, 10};
  CHECK(current_age_ms(t, 1'005'000) == 15'000);
  CHECK(current_age_ms(t, 1'065'000) == 75'000);  // a minute resident
}

TEST_CASE("1.2.2: an Age of 2^31 does not overflow the current age", "[cache]") {
  const Timing t{1'000'000, 1'002'000, 1002, kMaxDelta};
  // corrected age value min(2^31 + 2, 2^31) = 2^31
  CHECK(current_age_ms(t, 1'002'000) == kMaxDelta * 1000);
}

// --- 3, 3.5: storing -----------------------------------------------------------------

struct Ask {
  ResponseDirectives res;
  RequestDirectives req;
  StoreQuestion q;
  Ask() {
    res.max_age = 60;
    q.get = true;
    q.status = 200;
    q.response = &res;
    q.request = &req;
    q.explicit_lifetime_s = 60;
  }
  StoreAnswer operator()() {
    q.response = &res;
    q.request = &req;
    return may_store(q);
  }
};

TEST_CASE("3: a fresh 200 to a GET is stored, with its lifetime", "[cache]") {
  Ask a;
  const StoreAnswer r = a();
  CHECK(r.store);
  CHECK(r.lifetime_s == 60);
}

TEST_CASE("3: only a GET's response is stored (the method is understood)", "[cache]") {
  Ask a;
  a.q.get = false;
  CHECK_FALSE(a().store);
}

TEST_CASE("3: 1xx (not final), 206 and 304 are not stored", "[cache]") {
  for (int st : {100, 101, 103, 199, 206, 304}) {
    INFO(st);
    Ask a;
    a.q.status = st;
    CHECK_FALSE(a().store);
  }
  for (int st : {200, 203, 204, 300, 301, 404, 410, 501}) {
    INFO(st);
    Ask a;
    a.q.status = st;
    CHECK(a().store);
  }
}

TEST_CASE("5.2.1.5: a request's no-store forbids storing the response", "[cache]") {
  Ask a;
  a.req.no_store = true;
  CHECK_FALSE(a().store);
}

TEST_CASE("5.2.2.5: a response's no-store forbids storing it", "[cache]") {
  Ask a;
  a.res.no_store = true;
  const StoreAnswer r = a();
  CHECK_FALSE(r.store);
  CHECK(r.why_not == "no-store");
}

TEST_CASE("5.2.2.3: must-understand overrides no-store for a status the cache understands", "[cache]") {
  Ask a;
  a.res.no_store = true;
  a.res.must_understand = true;
  CHECK(a().store);
}

// 3: "if the response status code is 206 or 304, or the must-understand cache
// directive (see Section 5.2.2.3) is present: the cache understands the response
// status code". 599 is no status RFC 9110 defines.
TEST_CASE("3, 5.2.2.3: with must-understand, a status code the cache does not understand is not stored",
          "[cache]") {
  Ask a;
  a.res.no_store = true;
  a.res.must_understand = true;
  a.q.status = 599;
  CHECK_FALSE(a().store);
  Ask b;
  b.res.must_understand = true;
  b.q.status = 299;
  CHECK_FALSE(b().store);
}

TEST_CASE("5.2.2.7: a shared cache does not store a private response", "[cache]") {
  Ask a;
  a.res.private_ = true;
  CHECK_FALSE(a().store);
  a.res.public_ = true;  // even beside public
  CHECK_FALSE(a().store);
}

TEST_CASE("4.1: a response with Vary: * is not stored (it can never match)", "[cache]") {
  Ask a;
  a.q.vary_star = true;
  CHECK_FALSE(a().store);
}

TEST_CASE("3 (house rule, nginx's default): a response with Set-Cookie is not stored", "[cache]") {
  Ask a;
  a.q.set_cookie = true;
  CHECK_FALSE(a().store);
}

TEST_CASE("3.5: an answer to a request with Authorization needs the route's leave and a directive", "[cache]") {
  SECTION("without `allow authorized` never, even public") {
    Ask a;
    a.q.authorization = true;
    a.res.public_ = true;
    CHECK_FALSE(a().store);
  }
  SECTION("allowed, but without public, must-revalidate or s-maxage") {
    Ask a;
    a.q.authorization = true;
    a.q.allow_authorized = true;
    CHECK_FALSE(a().store);
    a.res.proxy_revalidate = true;  // not one of the three
    CHECK_FALSE(a().store);
  }
  SECTION("allowed, with public") {
    Ask a;
    a.q.authorization = true;
    a.q.allow_authorized = true;
    a.res.public_ = true;
    CHECK(a().store);
  }
  SECTION("allowed, with must-revalidate") {
    Ask a;
    a.q.authorization = true;
    a.q.allow_authorized = true;
    a.res.must_revalidate = true;
    CHECK(a().store);
  }
  SECTION("allowed, with s-maxage") {
    Ask a;
    a.q.authorization = true;
    a.q.allow_authorized = true;
    a.res.s_maxage = 30;
    a.q.explicit_lifetime_s = 30;
    const StoreAnswer r = a();
    CHECK(r.store);
    CHECK(r.lifetime_s == 30);
  }
  SECTION("without Authorization, allow_authorized changes nothing") {
    Ask a;
    a.q.allow_authorized = true;
    CHECK(a().store);
  }
}

TEST_CASE("3 (no heuristics): without explicit freshness or a route TTL, nothing is stored", "[cache]") {
  Ask a;
  a.res.max_age = kAbsent;
  a.q.explicit_lifetime_s = kAbsent;
  CHECK_FALSE(a().store);
  a.res.public_ = true;  // public alone states no freshness
  CHECK_FALSE(a().store);
}

TEST_CASE("3: the route's TTL is used only without explicit freshness", "[cache]") {
  Ask a;
  a.res.max_age = kAbsent;
  a.q.explicit_lifetime_s = kAbsent;
  a.q.valid_ttl_s = 600;
  StoreAnswer r = a();
  CHECK(r.store);
  CHECK(r.lifetime_s == 600);
  a.q.explicit_lifetime_s = 5;
  r = a();
  CHECK(r.store);
  CHECK(r.lifetime_s == 5);
  a.q.explicit_lifetime_s = 0;  // max-age=0 is explicit: stored, stale at once
  r = a();
  CHECK(r.store);
  CHECK(r.lifetime_s == 0);
}

TEST_CASE("3: a refusal wins over the route's TTL", "[cache]") {
  Ask a;
  a.q.valid_ttl_s = 600;
  a.res.no_store = true;
  CHECK_FALSE(a().store);
}

// --- 4.2, 5.2.1: reuse ---------------------------------------------------------------

Stored stored(int64_t age_s, int64_t lifetime_s) {
  Stored s;
  s.age_ms = age_s * 1000;
  s.lifetime_ms = lifetime_s * 1000;
  return s;
}

TEST_CASE("4.2: fresh while the lifetime is greater than the current age", "[cache]") {
  const RequestDirectives r;
  CHECK(reuse(stored(59, 60), r) == Reuse::Fresh);
  CHECK(reuse(stored(60, 60), r) == Reuse::Validate);  // "freshness_lifetime > current_age"
  CHECK(reuse(stored(61, 60), r) == Reuse::Validate);
  CHECK(reuse(stored(0, 0), r) == Reuse::Validate);
  Stored s = stored(0, 60);
  s.age_ms = 59'999;
  CHECK(reuse(s, r) == Reuse::Fresh);
  s.age_ms = 60'000;
  CHECK(reuse(s, r) == Reuse::Validate);
}

TEST_CASE("5.2.1.1: a request's max-age wants an age no greater than it", "[cache]") {
  RequestDirectives r;
  r.max_age = 30;
  CHECK(reuse(stored(30, 60), r) == Reuse::Fresh);
  CHECK(reuse(stored(31, 60), r) == Reuse::Validate);
  r.max_age = 0;
  CHECK(reuse(stored(1, 60), r) == Reuse::Validate);
  // with max-stale too, a stale response within both bounds is acceptable
  r.max_age = 100;
  r.max_stale = 50;
  CHECK(reuse(stored(90, 60), r) == Reuse::Stale);
  CHECK(reuse(stored(101, 60), r) == Reuse::Validate);
}

TEST_CASE("5.2.1.3: min-fresh wants a lifetime no less than age plus it", "[cache]") {
  RequestDirectives r;
  r.min_fresh = 10;
  CHECK(reuse(stored(50, 60), r) == Reuse::Fresh);     // 60 >= 50 + 10
  CHECK(reuse(stored(51, 60), r) == Reuse::Validate);  // 60 < 51 + 10
  CHECK(reuse(stored(0, 5), r) == Reuse::Validate);
}

TEST_CASE("5.2.1.2: max-stale bounds the staleness accepted", "[cache]") {
  RequestDirectives r;
  r.max_stale = 30;
  CHECK(reuse(stored(50, 60), r) == Reuse::Fresh);
  CHECK(reuse(stored(60, 60), r) == Reuse::Stale);
  CHECK(reuse(stored(90, 60), r) == Reuse::Stale);     // stale by 30
  CHECK(reuse(stored(91, 60), r) == Reuse::Validate);  // stale by 31
  r.max_stale = 0;
  CHECK(reuse(stored(60, 60), r) == Reuse::Stale);
  CHECK(reuse(stored(61, 60), r) == Reuse::Validate);
}

TEST_CASE("5.2.1.2: reuse with an unbounded max-stale serves any stale response", "[cache]") {
  RequestDirectives r;
  r.max_stale = kMaxDelta;
  CHECK(reuse(stored(60 + 365 * 86400, 60), r) == Reuse::Stale);
  CHECK(reuse(stored(kMaxDelta, 0), r) == Reuse::Stale);
}

TEST_CASE("4.2.4: without max-stale a stale response is validated", "[cache]") {
  CHECK(reuse(stored(61, 60), RequestDirectives{}) == Reuse::Validate);
}

TEST_CASE("5.2.2.4: a response's no-cache validates every use, even fresh", "[cache]") {
  Stored s = stored(1, 60);
  s.no_cache = true;
  CHECK(reuse(s, RequestDirectives{}) == Reuse::Validate);
  RequestDirectives r;
  r.max_stale = kMaxDelta;
  CHECK(reuse(s, r) == Reuse::Validate);
}

TEST_CASE("5.2.1.4: a request's no-cache validates, even a fresh response", "[cache]") {
  RequestDirectives r;
  r.no_cache = true;
  CHECK(reuse(stored(1, 60), r) == Reuse::Validate);
  r.max_stale = kMaxDelta;
  CHECK(reuse(stored(61, 60), r) == Reuse::Validate);
}

TEST_CASE("4.2.4, 5.2.2.2: must-revalidate (and the like) forbids serving stale for max-stale", "[cache]") {
  RequestDirectives r;
  r.max_stale = kMaxDelta;
  Stored s = stored(61, 60);
  s.revalidate = true;
  CHECK(reuse(s, r) == Reuse::Validate);
  // while fresh it changes nothing
  Stored f = stored(10, 60);
  f.revalidate = true;
  CHECK(reuse(f, r) == Reuse::Fresh);
}

// --- 4.2.4, RFC 5861: serving stale ---------------------------------------------------

TEST_CASE("RFC 5861 4: stale-if-error serves a stale response within its window", "[cache]") {
  Stored s = stored(60 + 30, 60);  // stale by 30
  s.if_error_s = 30;
  CHECK(stale_on_error(s, false));
  s.age_ms += 1;  // stale by 30.001
  CHECK_FALSE(stale_on_error(s, false));
  s.if_error_s = kAbsent;
  CHECK_FALSE(stale_on_error(stored(61, 60), false));
}

TEST_CASE("stale_on_error: the route's `stale` allows any staleness", "[cache]") {
  CHECK(stale_on_error(stored(100'000, 60), true));
}

TEST_CASE("4.2.4: no-cache and must-revalidate forbid stale-if-error and the route's `stale`", "[cache]") {
  Stored s = stored(61, 60);
  s.if_error_s = 3600;
  s.no_cache = true;
  CHECK_FALSE(stale_on_error(s, false));
  CHECK_FALSE(stale_on_error(s, true));
  s.no_cache = false;
  s.revalidate = true;
  CHECK_FALSE(stale_on_error(s, false));
  CHECK_FALSE(stale_on_error(s, true));
}

TEST_CASE("RFC 5861 3: stale-while-revalidate serves stale within its window while updating", "[cache]") {
  Stored s = stored(60 + 10, 60);
  s.while_revalidate_s = 10;
  CHECK(stale_while_updating(s, false));
  s.age_ms += 1;
  CHECK_FALSE(stale_while_updating(s, false));
  CHECK(stale_while_updating(s, true));  // the route's `updating`: any staleness
  CHECK_FALSE(stale_while_updating(stored(61, 60), false));
}

TEST_CASE("4.2.4: no-cache and must-revalidate forbid stale-while-revalidate and `updating`", "[cache]") {
  Stored s = stored(61, 60);
  s.while_revalidate_s = 3600;
  s.no_cache = true;
  CHECK_FALSE(stale_while_updating(s, false));
  CHECK_FALSE(stale_while_updating(s, true));
  s.no_cache = false;
  s.revalidate = true;
  CHECK_FALSE(stale_while_updating(s, false));
  CHECK_FALSE(stale_while_updating(s, true));
}

}  // namespace
}  // namespace banyan::cache
