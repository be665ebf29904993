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

Parsed<int64_t> parse_duration(std::string_view text) {
  static const std::vector<Unit> units = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  std::string_view number, unit;
  split_quantity(text, number, unit);
  std::vector<std::string> names;
  for (const auto& u : units) {
    names.emplace_back(u.name);
    if (unit == u.name) {
      uint64_t ms = 0;
      std::string error;
      if (!scaled(number, u.factor, kMaxDurationMs, ms, error))
        return Parsed<int64_t>::bad("duration '" + std::string(text) + "' " + error + " (the limit is 3660d)");
      return Parsed<int64_t>::good(static_cast<int64_t>(ms));
    }
  }
  if (unit.empty()) return Parsed<int64_t>::bad("duration '" + std::string(text) + "' needs a unit: ms, s, m, h or d");
  return Parsed<int64_t>::bad(unit_error(unit, "duration", names));
}

Parsed<uint64_t> parse_size(std::string_view text) {
  static const std::vector<Unit> units = {{"B", 1}, {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}};
  std::string_view number, unit;
  split_quantity(text, number, unit);
  std::vector<std::string> names;
  for (const auto& u : units) {
    names.emplace_back(u.name);
    if (unit == u.name) {
      uint64_t bytes = 0;
      std::string error;
      if (!scaled(number, u.factor, kMaxSizeBytes, bytes, error))
        return Parsed<uint64_t>::bad("size '" + std::string(text) + "' " + error + " (the limit is 1024GiB)");
      return Parsed<uint64_t>::good(bytes);
    }
  }
  // Decimal units are a common slip; say which binary unit is meant.
  static const std::vector<std::pair<std::string, std::string>> decimal = {
      {"KB", "KiB"}, {"kB", "KiB"}, {"K", "KiB"}, {"k", "KiB"}, {"MB", "MiB"}, {"M", "MiB"},
      {"GB", "GiB"}, {"G", "GiB"}, {"b", "B"}};
  for (const auto& [from, to] : decimal) {
    if (unit == from)
      return Parsed<uint64_t>::bad("unknown size unit '" + from + "'; sizes are binary: did you mean '" + to + "'?");
  }
  if (unit.empty()) return Parsed<uint64_t>::bad("size '" + std::string(text) + "' needs a unit: B, KiB, MiB or GiB");
  return Parsed<uint64_t>::bad(unit_error(unit, "size", names));
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
