// Byte ranges (range.h). The grammar (RFC 9110 14.1.1, 14.2):
//   Range = ranges-specifier = range-unit "=" range-set
//   range-set = 1#range-spec;  range-spec = int-range / suffix-range / other-range
//   int-range = first-pos "-" [ last-pos ];  suffix-range = "-" suffix-length
// An int-range whose last-pos is below its first-pos makes the field invalid, and an
// invalid field is ignored (the whole representation answers).
#include "runtime/http/range.h"

#include "runtime/http/chars.h"
#include "runtime/http/fields.h"

namespace banyan::http {
namespace {

inline constexpr uint64_t kHuge = ~uint64_t{0};

// 1*DIGIT, saturating at kHuge; false when `s` is empty or holds anything else.
bool digits(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    v = v > (kHuge - d) / 10 ? kHuge : v * 10 + d;
  }
  out = v;
  return true;
}

}  // namespace

RangeAnswer byte_range(std::string_view range, uint64_t size, ByteRange& out) {
  const size_t eq = range.find('=');
  if (eq == std::string_view::npos || !iequals(chars::trim_ws(range.substr(0, eq)), "bytes")) return RangeAnswer::Whole;
  std::string_view spec = chars::trim_ws(range.substr(eq + 1));
  if (spec.find(',') != std::string_view::npos) return RangeAnswer::Whole;  // several: the whole
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeAnswer::Whole;
  const std::string_view first_text = spec.substr(0, dash), last_text = spec.substr(dash + 1);
  uint64_t first = 0, last = kHuge;
  if (first_text.empty()) {  // suffix-range: the last N bytes
    uint64_t n = 0;
    if (!digits(last_text, n)) return RangeAnswer::Whole;
    if (n == 0 || size == 0) return RangeAnswer::Unsatisfiable;
    out.length = n < size ? n : size;
    out.first = size - out.length;
    return RangeAnswer::Partial;
  }
  if (!digits(first_text, first)) return RangeAnswer::Whole;
  if (!last_text.empty() && (!digits(last_text, last) || last < first)) return RangeAnswer::Whole;
  if (first >= size) return RangeAnswer::Unsatisfiable;
  if (last >= size) last = size - 1;
  out.first = first;
  out.length = last - first + 1;
  return RangeAnswer::Partial;
}

}  // namespace banyan::http
