// Unit tables and range checks for literals. Units are case-sensitive on purpose:
// `m` is minutes and `M` would be a guess between minutes and mega.
#include "compiler/parse/literals.h"

#include <charconv>
#include <vector>

#include "compiler/diag/suggest.h"

namespace banyan::parse {
namespace {

struct Unit {
  const char* name;
  uint64_t factor;
};

// Splits "12.5MiB" into number "12.5" and unit "MiB".
void split_quantity(std::string_view text, std::string_view& number, std::string_view& unit) {
  size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  number = text.substr(0, i);
  unit = text.substr(i);
}

// Whole and fractional parts scaled by `scale` (the unit factor), exactly.
bool scaled(std::string_view number, uint64_t factor, uint64_t limit, uint64_t& out, std::string& error) {
  std::string_view whole = number, frac;
  if (auto dot = number.find('.'); dot != std::string_view::npos) {
    whole = number.substr(0, dot);
    frac = number.substr(dot + 1);
  }
  uint64_t w = 0;
  auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), w);
  if (ec != std::errc() || p != whole.data() + whole.size() || (factor && w > limit / factor)) {
    error = "too large";
    return false;
  }
  uint64_t total = w * factor;
  uint64_t denom = 1;
  uint64_t f = 0;
  for (char c : frac.substr(0, 9)) {
    f = f * 10 + static_cast<uint64_t>(c - '0');
    denom *= 10;
  }
  uint64_t part = f * factor / denom;
  if (part * denom != f * factor) {
    error = "is not a whole number of the smallest unit";
    return false;
  }
  out = total + part;
  if (out > limit) {
    error = "too large";
    return false;
  }
  return true;
}

std::string unit_error(std::string_view unit, std::string_view kind, const std::vector<std::string>& names) {
  std::string list;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) list += i + 1 == names.size() ? " or " : ", ";
    list += names[i];
  }
  std::string msg = "unknown " + std::string(kind) + " unit '" + std::string(unit) + "'";
  if (auto c = diag::closest(unit, names)) msg += "; did you mean '" + *c + "'?";
  else msg += "; use " + list;
  return msg;
}

}  // namespace

StringLiteral unquote(std::string_view token) {
  StringLiteral out;
  if (token.empty() || token.front() != '"') {
    out.value = std::string(token);
    return out;
  }
  out.closed = token.size() >= 2 && token.back() == '"';
  // A lone trailing quote after a backslash is an escaped quote, not the closing one.
  if (out.closed) {
    size_t backslashes = 0;
    for (size_t i = token.size() - 1; i > 1 && token[i - 1] == '\\'; --i) ++backslashes;
    if (backslashes % 2 == 1) out.closed = false;
  }
  std::string_view body = token.substr(1, token.size() - 1 - (out.closed ? 1 : 0));
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 >= body.size()) {
      out.value += c;
      continue;
    }
    char e = body[++i];
    switch (e) {
      case '"': out.value += '"'; break;
      case '\\': out.value += '\\'; break;
      case 'n': out.value += '\n'; break;
      case 't': out.value += '\t'; break;
      case '$': out.value += "\\$"; break;  // kept escaped: templates read it as a literal '$'
      default:
        if (out.bad_escape.empty()) {
          out.bad_escape = std::string("\\") + e;
          out.bad_escape_offset = static_cast<uint32_t>(i);  // +1 for the quote, -1 for the backslash
        }
        out.value += e;
    }
  }
  return out;
}

// The number of `text` times its unit's factor, when the unit is one of `units`.
// `found` says whether it was; `error` says what is wrong when it was but the value
// is not representable.
static bool scale_by_unit(std::string_view text, const std::vector<Unit>& units, uint64_t limit, std::string_view kind,
                   std::string_view limit_text, uint64_t& out, bool& found, std::string& error) {
  std::string_view number, unit;
  split_quantity(text, number, unit);
  found = false;
  for (const auto& u : units) {
    if (unit != u.name) continue;
    found = true;
    std::string why;
    if (scaled(number, u.factor, limit, out, why)) return true;
    error = std::string(kind) + " '" + std::string(text) + "' " +
            (why == "too large" ? "is too large (the limit is " + std::string(limit_text) + ")"
                                : why + " (" + units.front().name + ")");
    return false;
  }
  return false;
}

static std::vector<std::string> unit_names(const std::vector<Unit>& units) {
  std::vector<std::string> names;
  for (const auto& u : units) names.emplace_back(u.name);
  return names;
}

Parsed<int64_t> parse_duration(std::string_view text) {
  static const std::vector<Unit> units = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  uint64_t ms = 0;
  bool found = false;
  std::string error;
  if (scale_by_unit(text, units, kMaxDurationMs, "duration", "3660d", ms, found, error))
    return Parsed<int64_t>::good(static_cast<int64_t>(ms));
  if (found) return Parsed<int64_t>::bad(error);
  std::string_view number, unit;
  split_quantity(text, number, unit);
  return Parsed<int64_t>::bad(unit_error(unit, "duration", unit_names(units)));
}

Parsed<uint64_t> parse_size(std::string_view text) {
  static const std::vector<Unit> units = {{"B", 1}, {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}};
  uint64_t bytes = 0;
  bool found = false;
  std::string error;
  if (scale_by_unit(text, units, kMaxSizeBytes, "size", "1024GiB", bytes, found, error))
    return Parsed<uint64_t>::good(bytes);
  if (found) return Parsed<uint64_t>::bad(error);
  std::string_view number, unit;
  split_quantity(text, number, unit);
  // Decimal units are a common slip; say which binary unit is meant.
  static const std::vector<std::pair<std::string, std::string>> decimal = {
      {"KB", "KiB"}, {"kB", "KiB"}, {"K", "KiB"}, {"k", "KiB"}, {"MB", "MiB"}, {"M", "MiB"},
      {"GB", "GiB"}, {"G", "GiB"}, {"b", "B"}};
  for (const auto& [from, to] : decimal) {
    if (unit == from)
      return Parsed<uint64_t>::bad("unknown size unit '" + from + "'; sizes are binary: did you mean '" + to + "'?");
  }
  return Parsed<uint64_t>::bad(unit_error(unit, "size", unit_names(units)));
}

Parsed<uint32_t> parse_percent(std::string_view text) {
  if (text.empty() || text.back() != '%') return Parsed<uint32_t>::bad("'" + std::string(text) + "' is not a percentage");
  std::string_view number = text.substr(0, text.size() - 1);
  uint64_t bp = 0;
  std::string error;
  if (!scaled(number, 100, 10'000, bp, error)) {
    if (error == "too large") return Parsed<uint32_t>::bad("percentage " + std::string(text) + " is over 100%");
    return Parsed<uint32_t>::bad("percentage " + std::string(text) + " has more than two decimals");
  }
  return Parsed<uint32_t>::good(static_cast<uint32_t>(bp));
}

Parsed<int64_t> parse_int(std::string_view text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v > kMaxInt)
    return Parsed<int64_t>::bad("number " + std::string(text) + " is too large");
  return Parsed<int64_t>::good(v);
}

}  // namespace banyan::parse
