// What RFC 9111 reads from a request or a response: Cache-Control's directives
// (section 5.2), Pragma (5.4), and HTTP dates (RFC 9110 5.6.7). Parsed once per
// exchange into plain values; nothing here allocates or throws.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "runtime/plan/matcher.h"

namespace banyan::cache {

// RFC 9111 1.2.2: a delta-seconds too large to represent, or a calculation that
// overflows, is taken as 2^31 seconds.
inline constexpr int64_t kMaxDelta = int64_t{1} << 31;
inline constexpr int64_t kAbsent = -1;

struct ResponseDirectives {
  int64_t max_age = kAbsent, s_maxage = kAbsent;  // seconds
  int64_t stale_while_revalidate = kAbsent;       // RFC 5861
  int64_t stale_if_error = kAbsent;               // RFC 5861
  bool no_store = false;
  bool no_cache = false;  // qualified (no-cache="Set-Cookie") is taken as unqualified (5.2.2.4 allows it)
  bool private_ = false;  // likewise for a qualified private
  bool public_ = false;
  bool must_revalidate = false, proxy_revalidate = false;
  bool must_understand = false;
};

struct RequestDirectives {
  int64_t max_age = kAbsent;
  int64_t max_stale = kAbsent;  // kMaxDelta for `max-stale` without a value: any staleness
  int64_t min_fresh = kAbsent;
  bool no_cache = false;  // also `Pragma: no-cache` when there is no Cache-Control (5.4)
  bool no_store = false;
  bool only_if_cached = false;
};

ResponseDirectives response_directives(std::span<const plan::HeaderField> fields);
RequestDirectives request_directives(std::span<const plan::HeaderField> fields);

// Calls f(name, value) for each directive of one Cache-Control value: names as
// written (compare case-insensitively), values unquoted (quoted-pairs kept as they are,
// no directive RFC 9111 defines needs them); a directive without `=` has an empty value
// and `has_value` false.
template <class F>
void for_each_directive(std::string_view v, F&& f);

// A delta-seconds (1*DIGIT), clamped to kMaxDelta; nullopt when it is not one.
std::optional<int64_t> delta_seconds(std::string_view s);

// Unix seconds as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
std::string format_http_date(int64_t unix_s);

// An HTTP date in any of the three formats a recipient must accept (IMF-fixdate,
// RFC 850, asctime), as Unix seconds; nullopt when it is none of them.
std::optional<int64_t> parse_http_date(std::string_view s);

// --- implementation of the template -----------------------------------------------
template <class F>
void for_each_directive(std::string_view v, F&& f) {
  size_t i = 0;
  auto ws = [&] {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
  };
  while (i < v.size()) {
    ws();
    size_t start = i;
    while (i < v.size() && v[i] != '=' && v[i] != ',' && v[i] != ' ' && v[i] != '\t') ++i;
    std::string_view name = v.substr(start, i - start);
    ws();
    std::string_view value;
    bool has_value = false;
    if (i < v.size() && v[i] == '=') {
      has_value = true;
      ++i;
      ws();
      if (i < v.size() && v[i] == '"') {
        size_t q = ++i;
        while (i < v.size() && v[i] != '"') i += v[i] == '\\' ? 2 : 1;
        value = v.substr(q, std::min(i, v.size()) - q);
        if (i < v.size()) ++i;  // the closing quote
      } else {
        size_t s = i;
        while (i < v.size() && v[i] != ',' && v[i] != ' ' && v[i] != '\t') ++i;
        value = v.substr(s, i - s);
      }
      ws();
    }
    while (i < v.size() && v[i] != ',') ++i;  // anything else up to the comma is not ours
    if (i < v.size()) ++i;
    if (!name.empty()) f(name, value, has_value);
  }
}

}  // namespace banyan::cache
