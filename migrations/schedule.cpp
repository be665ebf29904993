// The shift schedule (schedule.h): the weight at a time, the time a bucket moves, and
// RFC 3339 timestamps. Step ends are sums of durations taken with saturation: a step
// whose end does not fit in int64 milliseconds holds for ever. Dates use the
// proleptic Gregorian calendar by hand (days_from_civil), so no locale and no timegm.
#include "migrations/schedule.h"

#include <cstdio>
#include <limits>

namespace banyan::migrations {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerDay = 86400 * kMsPerSecond;

// Walks the steps, calling `visit(bp, from, until, forever)` for each non-empty
// interval [from, until) in time order (with `forever`, [from, +inf)); stops when
// `visit` returns true. A hold step, the last step and a step whose end does not fit
// in int64 (the sum saturates) last for ever. A negative duration counts as 0.
template <typename Visit>
void for_each_interval(std::span<const Step> steps, int64_t begin_ms, Visit visit) {
  int64_t t = begin_ms;
  for (size_t k = 0; k < steps.size(); ++k) {
    const Step& s = steps[k];
    const int64_t d = s.duration_ms > 0 ? s.duration_ms : 0;
    const bool forever = s.hold || k + 1 == steps.size() || t > kMax - d;
    const int64_t end = forever ? kMax : t + d;
    if ((forever || end > t) && visit(s.basis_points, t, end, forever, k)) return;
    if (forever) return;
    t = end;
  }
}

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month, day;
};

// Its inverse, civil_from_days.
Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Civil{static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `digits` decimal digits at `pos`.
bool read_digits(std::string_view s, size_t& pos, int digits, unsigned& value) {
  if (pos + static_cast<size_t>(digits) > s.size()) return false;
  value = 0;
  for (int i = 0; i < digits; ++i) {
    const char c = s[pos++];
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

bool expect(std::string_view s, size_t& pos, char a, char b = '\0') {
  if (pos >= s.size() || (s[pos] != a && (b == '\0' || s[pos] != b))) return false;
  ++pos;
  return true;
}

}  // namespace

uint32_t weight_at(std::span<const Step> steps, int64_t begin_ms, int64_t now_ms) {
  uint32_t weight = 0;  // before the shift begins, and with no steps at all
  for_each_interval(steps, begin_ms, [&](uint32_t bp, int64_t from, int64_t until, bool forever, size_t) {
    if (now_ms < from) return true;
    if (forever || now_ms < until) {
      weight = bp;
      return true;
    }
    return false;
  });
  return weight;
}

int step_at(std::span<const Step> steps, int64_t begin_ms, int64_t now_ms) {
  int at = -1;
  for_each_interval(steps, begin_ms, [&](uint32_t, int64_t from, int64_t until, bool forever, size_t k) {
    if (now_ms < from) return true;
    if (forever || now_ms < until) {
      at = static_cast<int>(k);
      return true;
    }
    return false;
  });
  return at;
}

std::optional<int64_t> moves_at(std::span<const Step> steps, int64_t begin_ms, int64_t now_ms, uint32_t bucket) {
  // The weight is constant on each interval and 0 before the first: the answer is the
  // start (or now, if later) of the first interval not over by now whose weight is
  // above the bucket.
  std::optional<int64_t> at;
  for_each_interval(steps, begin_ms, [&](uint32_t bp, int64_t from, int64_t until, bool forever, size_t) {
    if ((forever || until > now_ms) && bp > bucket) {
      at = from > now_ms ? from : now_ms;
      return true;
    }
    return false;
  });
  return at;
}

// RFC 3339 section 5.6 date-time: full-date "T" full-time, where full-time is
// HH:MM:SS, an optional fraction of any length (truncated to milliseconds) and 'Z' or
// +HH:MM / -HH:MM. 'T' and 'Z' may be lower case (section 5.6, note). A leap second
// (:60) is refused: Unix time has no place for it. The range is that of the instant:
// 1970-01-01T00:00:00Z up to the end of 9999 in UTC.
std::optional<int64_t> parse_timestamp(std::string_view text) {
  size_t pos = 0;
  unsigned year, month, day, hour, minute, second;
  if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') || !read_digits(text, pos, 2, month) ||
      !expect(text, pos, '-') || !read_digits(text, pos, 2, day) || !expect(text, pos, 'T', 't') ||
      !read_digits(text, pos, 2, hour) || !expect(text, pos, ':') || !read_digits(text, pos, 2, minute) ||
      !expect(text, pos, ':') || !read_digits(text, pos, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
      second > 59) {
    return std::nullopt;
  }

  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }

  int64_t offset_ms = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    unsigned off_h, off_m;
    if (!read_digits(text, pos, 2, off_h) || !expect(text, pos, ':') || !read_digits(text, pos, 2, off_m) ||
        off_h > 23 || off_m > 59) {
      return std::nullopt;
    }
    offset_ms = sign * static_cast<int64_t>(off_h * 3600 + off_m * 60) * kMsPerSecond;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  // Local time minus its offset is UTC. All terms are small: no overflow is possible.
  const int64_t local_ms = days_from_civil(year, month, day) * kMsPerDay +
                           static_cast<int64_t>(hour * 3600 + minute * 60 + second) * kMsPerSecond + millis;
  const int64_t utc_ms = local_ms - offset_ms;
  static const int64_t kEnd = days_from_civil(10000, 1, 1) * kMsPerDay;
  if (utc_ms < 0 || utc_ms >= kEnd) return std::nullopt;
  return utc_ms;
}

// Times outside 1970..9999 are formatted with the same arithmetic: the year may then
// be negative or longer than four digits, and parse_timestamp will not take it back.
std::string format_timestamp(int64_t unix_ms) {
  // Floor division, so that -1 ms is 1969-12-31T23:59:59Z.
  int64_t days = unix_ms / kMsPerDay;
  int64_t rest = unix_ms % kMsPerDay;
  if (rest < 0) {
    rest += kMsPerDay;
    --days;
  }
  const int64_t secs = rest / kMsPerSecond;
  const Civil c = civil_from_days(days);
  char buf[64];
  const int len = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                                static_cast<long long>(c.year), c.month, c.day, static_cast<long long>(secs / 3600),
                                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return std::string(buf, len > 0 ? static_cast<size_t>(len) : 0);
}

std::string format_duration(int64_t ms) {
  if (ms < 0) return "-" + format_duration(-ms);
  if (ms % 1000) return std::to_string(ms) + "ms";
  int64_t s = ms / 1000, d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
  std::string out;
  if (d) out += std::to_string(d) + "d";
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (out.empty() || s % 60) out += std::to_string(s % 60) + "s";
  return out;
}

}  // namespace banyan::migrations
