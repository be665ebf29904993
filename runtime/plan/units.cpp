// Unit tables and range checks for quantities. Units are case-sensitive on purpose:
// `m` is minutes and `M` would be a guess between minutes and mega.
#include "runtime/plan/units.h"

#include "runtime/plan/names.h"

#include <charconv>
#include <utility>

namespace banyan::units {
namespace {

// Digits, optionally a '.' and more digits: what the routes grammar's tokens hold.
// Checked here too because TOML strings are free text ("-5s", ".5s", "1.2.3s").
bool well_formed(std::string_view number) {
  size_t dot = number.find('.');
  std::string_view whole = number.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : number.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && frac.empty())) return false;
  for (char c : whole)
    if (c < '0' || c > '9') return false;
  for (char c : frac)
    if (c < '0' || c > '9') return false;
  return true;
}

// The number of `text` times its unit's factor. `found` says whether the unit is one
// of `units`; `error` says what is wrong when it is but the value is not representable.
bool scale_by_unit(std::string_view text, const std::vector<Unit>& units, uint64_t limit, std::string_view kind,
                   std::string_view limit_text, uint64_t& out, bool& found, std::string& error) {
  std::string_view number, unit;
  split_quantity(text, number, unit);
  found = false;
  for (const auto& u : units) {
    if (unit != u.name) continue;
    found = true;
    if (!well_formed(number)) {
      error = std::string(kind) + " '" + std::string(text) + "' is not a number followed by a unit, like 10" + u.name;
      return false;
    }
    std::string why;
    if (scaled(number, u.factor, limit, out, why)) return true;
    error = std::string(kind) + " '" + std::string(text) + "' " +
            (why == "too large" ? "is too large (the limit is " + std::string(limit_text) + ")"
                                : why + " (" + units.front().name + ")");
    return false;
  }
  return false;
}

template <typename T>
Parsed<T> unknown_unit(std::string_view text, std::string_view kind, const std::vector<Unit>& units) {
  std::string_view number, unit;
  split_quantity(text, number, unit);
  if (number.empty())
    return Parsed<T>::bad(std::string(kind) + " '" + std::string(text) +
                          "' does not start with a number; write it like 10" + units[1].name);
  return Parsed<T>::bad(
      "unknown " + std::string(kind) + " unit '" + std::string(unit) + "'; use " + names::list_names(unit_names(units)), true);
}

}  // namespace

const std::vector<Unit>& duration_units() {
  static const std::vector<Unit> units = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  return units;
}

const std::vector<Unit>& size_units() {
  static const std::vector<Unit> units = {{"B", 1}, {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}};
  return units;
}

std::vector<std::string> unit_names(const std::vector<Unit>& units) {
  std::vector<std::string> names;
  for (const auto& u : units) names.emplace_back(u.name);
  return names;
}

void split_quantity(std::string_view text, std::string_view& number, std::string_view& unit) {
  size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  number = text.substr(0, i);
  unit = text.substr(i);
}

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
    if (c < '0' || c > '9') {
      error = "too large";  // not reached through well_formed callers; never read garbage digits
      return false;
    }
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

Parsed<int64_t> parse_duration(std::string_view text) {
  uint64_t ms = 0;
  bool found = false;
  std::string error;
  if (scale_by_unit(text, duration_units(), kMaxDurationMs, "duration", "3660d", ms, found, error))
    return Parsed<int64_t>::good(static_cast<int64_t>(ms));
  if (found) return Parsed<int64_t>::bad(error);
  return unknown_unit<int64_t>(text, "duration", duration_units());
}

Parsed<uint64_t> parse_size(std::string_view text) {
  uint64_t bytes = 0;
  bool found = false;
  std::string error;
  if (scale_by_unit(text, size_units(), kMaxSizeBytes, "size", "1024GiB", bytes, found, error))
    return Parsed<uint64_t>::good(bytes);
  if (found) return Parsed<uint64_t>::bad(error);
  std::string_view number, unit;
  split_quantity(text, number, unit);
  // Decimal units are a common slip; say which binary unit is meant.
  static const std::vector<std::pair<std::string, std::string>> decimal = {{"KB", "KiB"}, {"kB", "KiB"}, {"K", "KiB"},
                                                                           {"k", "KiB"},  {"MB", "MiB"}, {"M", "MiB"},
                                                                           {"GB", "GiB"}, {"G", "GiB"},  {"b", "B"}};
  for (const auto& [from, to] : decimal) {
    if (unit == from && !number.empty())
      return Parsed<uint64_t>::bad("unknown size unit '" + from + "'; sizes are binary: did you mean '" + to + "'?");
  }
  return unknown_unit<uint64_t>(text, "size", size_units());
}

Parsed<uint32_t> parse_percent(std::string_view text) {
  if (text.empty() || text.back() != '%')
    return Parsed<uint32_t>::bad("'" + std::string(text) + "' is not a percentage");
  std::string_view number = text.substr(0, text.size() - 1);
  if (!well_formed(number)) return Parsed<uint32_t>::bad("'" + std::string(text) + "' is not a percentage");
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

}  // namespace banyan::units
