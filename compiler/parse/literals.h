// Literal values of the routes language: strings, durations, sizes, percentages,
// numbers. Each parser returns the value or a message that says what is wrong and
// what would be right; the caller owns the source range and the diagnostic code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace banyan::parse {

template <typename T>
struct Parsed {
  bool ok = false;
  T value{};
  std::string error;  // when !ok
  static Parsed good(T v) { return {true, std::move(v), {}}; }
  static Parsed bad(std::string e) { return {false, T{}, std::move(e)}; }
};

// Budgets on literal values: far past any sane setting, small enough that arithmetic
// on them never overflows (a year in ms, a TiB in bytes).
inline constexpr int64_t kMaxDurationMs = 366LL * 24 * 3600 * 1000 * 10;  // ten years: HSTS uses years
inline constexpr uint64_t kMaxSizeBytes = 1ULL << 40;
inline constexpr int64_t kMaxInt = 1'000'000'000;

// `"a\"b"` -> `a"b`. Escapes: \" \\ \n \t \$ (a literal dollar in a template).
// `closed` is false for a string whose closing quote is missing.
struct StringLiteral {
  std::string value;
  bool closed = true;
  std::string bad_escape;  // the first unknown escape, e.g. "\q"; empty when none
  uint32_t bad_escape_offset = 0;  // byte offset of it inside the token
};
StringLiteral unquote(std::string_view token);

Parsed<int64_t> parse_duration(std::string_view text);   // 250ms 5s 10m 6h 365d
Parsed<uint64_t> parse_size(std::string_view text);      // 512B 64KiB 64MiB 1GiB
Parsed<uint32_t> parse_percent(std::string_view text);   // 1% 0.5% 100% -> basis points
Parsed<int64_t> parse_int(std::string_view text);

}  // namespace banyan::parse
