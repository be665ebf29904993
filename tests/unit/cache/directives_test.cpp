// Cache-Control (RFC 9111 5.2), Pragma (5.4) and HTTP dates (RFC 9110 5.6.7), each
// rule pinned to its section. Expected values come from the RFC's text and examples,
// and dates from arithmetic done by hand (days since 1970 times 86400).
#include "runtime/cache/directives.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace banyan::cache {
namespace {

using Fields = std::vector<plan::HeaderField>;

ResponseDirectives res(std::string_view cc) {
  const Fields f = {{"Cache-Control", cc}};
  return response_directives(f);
}
RequestDirectives req(std::string_view cc) {
  const Fields f = {{"Cache-Control", cc}};
  return request_directives(f);
}

// --- Cache-Control ------------------------------------------------------------------

TEST_CASE("5.2: directive names are case-insensitive", "[cache]") {
  const ResponseDirectives d = res("MAX-AGE=60, S-MaxAge=30, No-Store, PRIVATE, Public, Must-Revalidate");
  CHECK(d.max_age == 60);
  CHECK(d.s_maxage == 30);
  CHECK(d.no_store);
  CHECK(d.private_);
  CHECK(d.public_);
  CHECK(d.must_revalidate);
  const RequestDirectives r = req("No-Cache, MIN-FRESH=5, Only-If-Cached");
  CHECK(r.no_cache);
  CHECK(r.min_fresh == 5);
  CHECK(r.only_if_cached);
}

TEST_CASE("5.2: an argument may be a token or a quoted-string (max-age=\"60\")", "[cache]") {
  CHECK(res("max-age=\"60\"").max_age == 60);
  CHECK(res("s-maxage=\"7\", max-age=8").s_maxage == 7);
  CHECK(res("s-maxage=\"7\", max-age=8").max_age == 8);
  CHECK(req("max-stale=\"30\"").max_stale == 30);
}

TEST_CASE("5.2: a comma inside a quoted-string does not end the directive", "[cache]") {
  const ResponseDirectives d = res("no-cache=\"a, b\", max-age=5");
  CHECK(d.no_cache);
  CHECK(d.max_age == 5);
  CHECK_FALSE(d.no_store);
  // a directive's name inside the quotes is not a directive
  const ResponseDirectives e = res("private=\"max-age=0, no-store\", max-age=9");
  CHECK(e.private_);
  CHECK(e.max_age == 9);
  CHECK_FALSE(e.no_store);
  // a quoted-pair (RFC 9110 5.6.4) escapes the quote: the string goes on past it
  const ResponseDirectives q = res(R"(no-cache="a\", no-store", max-age=3)");
  CHECK(q.no_cache);
  CHECK_FALSE(q.no_store);
  CHECK(q.max_age == 3);
}

TEST_CASE("4.2.1: with a directive given twice the first occurrence is used", "[cache]") {
  CHECK(res("max-age=5, max-age=10").max_age == 5);
  CHECK(res("s-maxage=10, s-maxage=5").s_maxage == 10);
  CHECK(req("min-fresh=1, min-fresh=2").min_fresh == 1);
  CHECK(req("max-stale=4, max-stale").max_stale == 4);
}

TEST_CASE("4.2.1: a delta-seconds that is not one makes the response stale (0)", "[cache]") {
  CHECK(res("max-age=abc").max_age == 0);
  CHECK(res("max-age=-1").max_age == 0);
  CHECK(res("max-age=1.5").max_age == 0);
  CHECK(res("max-age=").max_age == 0);
  CHECK(res("max-age").max_age == 0);
  CHECK(res("s-maxage=\"\"").s_maxage == 0);
  // the first occurrence, even invalid, is the one used
  CHECK(res("max-age=x, max-age=60").max_age == 0);
  CHECK(delta_seconds("") == std::nullopt);
  CHECK(delta_seconds("+5") == std::nullopt);
  CHECK(delta_seconds("0") == 0);
  CHECK(delta_seconds("0060") == 60);
}

TEST_CASE("1.2.2: a delta-seconds too large to represent is taken as 2^31", "[cache]") {
  CHECK(kMaxDelta == 2147483648);
  CHECK(delta_seconds("2147483647") == 2147483647);
  CHECK(delta_seconds("2147483648") == 2147483648);
  CHECK(delta_seconds("2147483649") == 2147483648);
  CHECK(delta_seconds("99999999999999999999999999999999") == 2147483648);
  CHECK(res("max-age=99999999999999999999").max_age == 2147483648);
  CHECK(req("max-stale=100000000000").max_stale == 2147483648);
}

TEST_CASE("5.2: the directives of several Cache-Control lines add up", "[cache]") {
  const Fields f = {{"Cache-Control", "public"}, {"Content-Type", "text/plain"}, {"cache-control", "max-age=60"},
                    {"CACHE-CONTROL", "max-age=5, stale-if-error=30"}};
  const ResponseDirectives d = response_directives(f);
  CHECK(d.public_);
  CHECK(d.max_age == 60);  // the first line's wins
  CHECK(d.stale_if_error == 30);
  const Fields r = {{"Cache-Control", "max-age=10"}, {"Cache-Control", "no-cache"}};
  const RequestDirectives rd = request_directives(r);
  CHECK(rd.max_age == 10);
  CHECK(rd.no_cache);
}

TEST_CASE("5.2.1.2: max-stale without a value accepts any staleness", "[cache]") {
  CHECK(req("max-stale").max_stale == kMaxDelta);
  CHECK(req("max-stale, max-age=5").max_stale == kMaxDelta);
  CHECK(req("max-stale=0").max_stale == 0);
  CHECK(req("max-stale=45").max_stale == 45);
  CHECK(req("").max_stale == kAbsent);
}

TEST_CASE("5.4: Pragma: no-cache counts as no-cache only without Cache-Control", "[cache]") {
  {
    const Fields f = {{"Pragma", "no-cache"}};
    CHECK(request_directives(f).no_cache);
  }
  {
    const Fields f = {{"pragma", "foo=bar, NO-CACHE"}};
    CHECK(request_directives(f).no_cache);
  }
  {
    const Fields f = {{"Pragma", "no-cache"}, {"Cache-Control", "max-age=60"}};
    const RequestDirectives d = request_directives(f);
    CHECK_FALSE(d.no_cache);
    CHECK(d.max_age == 60);
  }
  {
    const Fields f = {{"Cache-Control", "max-stale"}, {"Pragma", "no-cache"}};
    CHECK_FALSE(request_directives(f).no_cache);
  }
  {
    const Fields f = {{"Pragma", "x-no-cache"}};
    CHECK_FALSE(request_directives(f).no_cache);
  }
}

TEST_CASE("5.2.3: unknown directives are ignored", "[cache]") {
  const ResponseDirectives d = res("foo=bar, x-thing, community=\"UCI\", max-age=5, immutable");
  CHECK(d.max_age == 5);
  CHECK(d.s_maxage == kAbsent);
  CHECK_FALSE(d.no_store);
  CHECK_FALSE(d.no_cache);
  CHECK_FALSE(d.private_);
  CHECK_FALSE(d.public_);
  // a name merely starting like a known one is another directive
  const ResponseDirectives p = res("no-store-please, max-age-x=3, privately");
  CHECK_FALSE(p.no_store);
  CHECK(p.max_age == kAbsent);
  CHECK_FALSE(p.private_);
  const RequestDirectives r = req("x-foo, min-fresh=3");
  CHECK(r.min_fresh == 3);
  CHECK_FALSE(r.no_cache);
}

TEST_CASE("5.2.2: every response directive the cache reads, and no others", "[cache]") {
  const ResponseDirectives none = res("");
  CHECK(none.max_age == kAbsent);
  CHECK(none.s_maxage == kAbsent);
  CHECK(none.stale_while_revalidate == kAbsent);
  CHECK(none.stale_if_error == kAbsent);
  const ResponseDirectives d =
      res("no-cache, proxy-revalidate, must-understand, stale-while-revalidate=7, stale-if-error=8");
  CHECK(d.no_cache);
  CHECK(d.proxy_revalidate);
  CHECK(d.must_understand);
  CHECK(d.stale_while_revalidate == 7);
  CHECK(d.stale_if_error == 8);
  CHECK_FALSE(d.must_revalidate);
  // 5.2.2.4 / 5.2.2.7: the qualified forms are taken as unqualified (stricter, allowed)
  CHECK(res("no-cache=\"Set-Cookie\"").no_cache);
  CHECK(res("private=\"Set-Cookie\"").private_);
  // a Cache-Control in another field's name is not read
  const Fields f = {{"X-Cache-Control", "no-store"}};
  CHECK_FALSE(response_directives(f).no_store);
}

TEST_CASE("5.2: white space around directives and commas is skipped, empty elements too", "[cache]") {
  const ResponseDirectives d = res(" ,  max-age=5 ,\tno-store , ,");
  CHECK(d.max_age == 5);
  CHECK(d.no_store);
}

TEST_CASE("5.2: an unterminated quoted-string runs to the end of the value", "[cache]") {
  const ResponseDirectives d = res("max-age=5, no-cache=\"a, no-store");
  CHECK(d.max_age == 5);
  CHECK(d.no_cache);
  CHECK_FALSE(d.no_store);
  // a backslash as the very last byte does not step past the end
  const std::string v = "no-cache=\"a\\";
  CHECK(res(std::string_view(v)).no_cache);
  CHECK(res("s-maxage=\"").s_maxage == 0);
}

// --- HTTP dates ---------------------------------------------------------------------

// RFC 9110 5.6.7's example, Sun, 06 Nov 1994 08:49:37 GMT: 1994-11-06 is 9075 days
// after 1970-01-01 (24 years of 365 days, 6 leap days, 309 days into 1994), so
// 9075 * 86400 + 8 * 3600 + 49 * 60 + 37 = 784111777.
constexpr int64_t kRfcExample = 784111777;

TEST_CASE("RFC 9110 5.6.7: the RFC's example in all three formats", "[cache]") {
  CHECK(9075 * 86400 + 8 * 3600 + 49 * 60 + 37 == kRfcExample);
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == kRfcExample);   // IMF-fixdate
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == kRfcExample);  // obsolete RFC 850
  CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == kRfcExample);        // ANSI C asctime()
}

TEST_CASE("RFC 9110 5.6.7: asctime takes a day of one digit after a space, or two digits", "[cache]") {
  // 1994-11-16: ten days after the example
  CHECK(parse_http_date("Wed Nov 16 08:49:37 1994") == kRfcExample + 10 * 86400);
  CHECK(parse_http_date("Tue Nov  1 08:49:37 1994") == kRfcExample - 5 * 86400);
  CHECK(parse_http_date("Sun Nov 6 08:49:37 1994") == std::nullopt);  // one space only
}

TEST_CASE("RFC 9110 5.6.7: RFC 850 two-digit years", "[cache]") {
  // 1999-12-31 23:59:59, one second before 2000-01-01 = 10957 days = 946684800
  CHECK(parse_http_date("Friday, 31-Dec-99 23:59:59 GMT") == 946684799);
  // 2025-01-01: 55 years, 14 leap days: 20089 days
  CHECK(parse_http_date("Wednesday, 01-Jan-25 00:00:00 GMT") == int64_t{20089} * 86400);
  CHECK(parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT") == 946684800);
}

// "Recipients of a timestamp value in rfc850-date format, which uses a two-digit year,
// MUST interpret a timestamp that appears to be more than 50 years in the future as
// representing the most recent year in the past that had the same last two digits."
// So from 2021 on, "71" is 2071 (less than 50 years ahead), not 1971.
TEST_CASE("RFC 9110 5.6.7: an RFC 850 year is in the past century only when more than 50 years ahead", "[cache]") {
  // 2071-01-01: 101 years, 25 leap days (1972..2068): 36890 days, a Thursday
  CHECK(parse_http_date("Thursday, 01-Jan-71 00:00:00 GMT") == int64_t{36890} * 86400);
  // 1990-01-01: 2090 stays more than 50 years ahead until 2040; 20 years, 5 leap days
  CHECK(parse_http_date("Monday, 01-Jan-90 00:00:00 GMT") == int64_t{7305} * 86400);
}

TEST_CASE("RFC 9110 5.6.7: what is none of the three formats is not a date", "[cache]") {
  const char* bad[] = {
      "",
      "0",
      "-1",
      "06 Nov 1994 08:49:37 GMT, Sun",    // the weekday at the end
      "Nov, 06 Sun 1994 08:49:37 GMT",    // month and weekday swapped
      "Sun, 06 Foo 1994 08:49:37 GMT",    // no such month
      "Sun, 06 nov 1994 08:49:37 GMT",    // HTTP-date is case-sensitive
      "Sun, 06 Nov 1994 25:00:00 GMT",    // no hour 25
      "Sun, 06 Nov 1994 08:60:00 GMT",    // no minute 60
      "Sun, 06 Nov 1994 08:49:37 UTC",    // GMT only
      "Sun, 06 Nov 1994 08:49:37 GMTx",   // trailing garbage
      "Sun, 06 Nov 1994 08:49:37 GMT ",   // trailing space
      " Sun, 06 Nov 1994 08:49:37 GMT",   // leading space
      "Sun, 6 Nov 1994 08:49:37 GMT",     // IMF-fixdate's day is 2DIGIT
      "Sun, 00 Nov 1994 08:49:37 GMT",    // no day 0
      "Sun, 32 Nov 1994 08:49:37 GMT",    // no day 32
      "Sun, 06 Nov 94 08:49:37 GMT",      // a two-digit year in IMF-fixdate
      "Sun, 06 Nov 1994 08-49-37 GMT",    // the clock's separators
      "Sunday, 06-Nov-1994 08:49:37 GMT", // RFC 850 with four digits
      "Sunday, 06-Nov-94 08:49:37 GMT x", // trailing garbage
      "Sunday, 06 Nov 94 08:49:37 GMT",   // RFC 850 without dashes
      "Sun Nov  6 08:49:37 1994 GMT",     // asctime has no zone
      "Sun Nov  6 25:49:37 1994",         // no hour 25
      "Sun Foo  6 08:49:37 1994",         // no such month
      "Sun Nov  x 08:49:37 1994",         // a day that is no digit
  };
  for (const char* s : bad) {
    INFO(s);
    CHECK(parse_http_date(s) == std::nullopt);
  }
}

TEST_CASE("RFC 9110 5.6.7: format_http_date writes IMF-fixdate, and parses back", "[cache]") {
  CHECK(format_http_date(kRfcExample) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(format_http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(format_http_date(946684799) == "Fri, 31 Dec 1999 23:59:59 GMT");
  CHECK(format_http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");  // 11016 days
  for (int64_t t : {int64_t{0}, kRfcExample, int64_t{951782400}, int64_t{1700000000}, int64_t{4102444799}}) {
    INFO(t);
    CHECK(parse_http_date(format_http_date(t)) == t);
  }
}

}  // namespace
}  // namespace banyan::cache
