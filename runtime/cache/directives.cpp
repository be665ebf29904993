#include "runtime/cache/directives.h"

#include <array>
#include <ctime>

#include "runtime/http/fields.h"

namespace banyan::cache {
namespace {

using http::iequals;

// A directive that takes seconds: its value, or 0 when the value is missing or not a
// delta-seconds (a response then counts as stale at once: RFC 9111 4.2.1 lets a cache
// treat what it cannot read as stale). The first occurrence wins.
void seconds(int64_t& into, std::string_view value) {
  if (into != kAbsent) return;
  into = delta_seconds(value).value_or(0);
}

int month_of(std::string_view m) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i)
    if (m == kMonths[i]) return i;
  return -1;
}

// n decimal digits at s[at]; -1 when they are not.
int digits(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size()) return -1;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// "HH:MM:SS" at s[at].
bool clock_at(std::string_view s, size_t at, struct tm& t) {
  if (at + 8 > s.size() || s[at + 2] != ':' || s[at + 5] != ':') return false;
  t.tm_hour = digits(s, at, 2);
  t.tm_min = digits(s, at + 3, 2);
  t.tm_sec = digits(s, at + 6, 2);
  return t.tm_hour >= 0 && t.tm_hour < 24 && t.tm_min >= 0 && t.tm_min < 60 && t.tm_sec >= 0 && t.tm_sec <= 60;
}

std::optional<int64_t> to_unix(struct tm& t) {
  if (t.tm_mon < 0 || t.tm_mday < 1 || t.tm_mday > 31 || t.tm_year < 0) return std::nullopt;
  const time_t v = timegm(&t);
  if (v == static_cast<time_t>(-1)) return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace

std::optional<int64_t> delta_seconds(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = std::min(v * 10 + (c - '0'), kMaxDelta);
  }
  return v;
}

std::string format_http_date(int64_t unix_s) {
  const time_t t = static_cast<time_t>(unix_s);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[40];
  const size_t n = strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);  // C locale: English names
  return std::string(buf, n);
}

std::optional<int64_t> parse_http_date(std::string_view s) {
  struct tm t {};
  const size_t comma = s.find(',');
  if (comma == 3 && s.size() == 29) {  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    if (s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s.substr(25) != " GMT") return std::nullopt;
    t.tm_mday = digits(s, 5, 2);
    t.tm_mon = month_of(s.substr(8, 3));
    const int year = digits(s, 12, 4);
    if (year < 0 || !clock_at(s, 17, t)) return std::nullopt;
    t.tm_year = year - 1900;
    return to_unix(t);
  }
  if (comma != std::string_view::npos && comma >= 6) {  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    std::string_view r = s.substr(comma + 1);
    if (r.size() != 23 || r[0] != ' ' || r[3] != '-' || r[7] != '-' || r[10] != ' ' || r.substr(19) != " GMT")
      return std::nullopt;
    t.tm_mday = digits(r, 1, 2);
    t.tm_mon = month_of(r.substr(4, 3));
    int year = digits(r, 8, 2);
    if (year < 0 || !clock_at(r, 11, t)) return std::nullopt;
    // RFC 9110 5.6.7: a two-digit year that appears more than 50 years in the future is
    // the most recent past year with the same last two digits (by the year, from now).
    const time_t clock = time(nullptr);
    struct tm now {};
    gmtime_r(&clock, &now);
    year += 2000;
    if (year > now.tm_year + 1900 + 50) year -= 100;
    t.tm_year = year - 1900;
    return to_unix(t);
  }
  if (comma == std::string_view::npos && s.size() == 24) {  // asctime: "Sun Nov  6 08:49:37 1994"
    if (s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ') return std::nullopt;
    t.tm_mon = month_of(s.substr(4, 3));
    t.tm_mday = s[8] == ' ' ? digits(s, 9, 1) : digits(s, 8, 2);
    const int year = digits(s, 20, 4);
    if (year < 0 || !clock_at(s, 11, t)) return std::nullopt;
    t.tm_year = year - 1900;
    return to_unix(t);
  }
  return std::nullopt;
}

ResponseDirectives response_directives(std::span<const plan::HeaderField> fields) {
  ResponseDirectives d;
  for (const plan::HeaderField& f : fields) {
    if (!iequals(f.name, "cache-control")) continue;
    for_each_directive(f.value, [&](std::string_view n, std::string_view v, bool) {
      if (iequals(n, "max-age")) seconds(d.max_age, v);
      else if (iequals(n, "s-maxage")) seconds(d.s_maxage, v);
      else if (iequals(n, "stale-while-revalidate")) seconds(d.stale_while_revalidate, v);
      else if (iequals(n, "stale-if-error")) seconds(d.stale_if_error, v);
      else if (iequals(n, "no-store")) d.no_store = true;
      else if (iequals(n, "no-cache")) d.no_cache = true;
      else if (iequals(n, "private")) d.private_ = true;
      else if (iequals(n, "public")) d.public_ = true;
      else if (iequals(n, "must-revalidate")) d.must_revalidate = true;
      else if (iequals(n, "proxy-revalidate")) d.proxy_revalidate = true;
      else if (iequals(n, "must-understand")) d.must_understand = true;
    });
  }
  return d;
}

RequestDirectives request_directives(std::span<const plan::HeaderField> fields) {
  RequestDirectives d;
  bool cache_control = false, pragma_no_cache = false;
  for (const plan::HeaderField& f : fields) {
    if (iequals(f.name, "pragma")) {
      http::for_each_element(f.value, [&](std::string_view e) {
        if (iequals(e, "no-cache")) pragma_no_cache = true;
        return true;
      });
      continue;
    }
    if (!iequals(f.name, "cache-control")) continue;
    cache_control = true;
    for_each_directive(f.value, [&](std::string_view n, std::string_view v, bool has_value) {
      if (iequals(n, "max-age")) seconds(d.max_age, v);
      else if (iequals(n, "min-fresh")) seconds(d.min_fresh, v);
      else if (iequals(n, "max-stale")) {
        if (d.max_stale == kAbsent) d.max_stale = has_value ? delta_seconds(v).value_or(0) : kMaxDelta;
      } else if (iequals(n, "no-cache")) d.no_cache = true;
      else if (iequals(n, "no-store")) d.no_store = true;
      else if (iequals(n, "only-if-cached")) d.only_if_cached = true;
    });
  }
  if (!cache_control && pragma_no_cache) d.no_cache = true;  // RFC 9111 5.4
  return d;
}

}  // namespace banyan::cache
