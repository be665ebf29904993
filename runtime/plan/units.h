// Quantities with units, shared by the routes compiler and the runtime's TOML
// configuration: durations (ms s m h d), sizes (B KiB MiB GiB), percentages and plain
// integers. One definition, so "10s" means the same thing in both files. Pure
// functions on string_views; no dependency on the compiler (the compiler adds its
// "did you mean" on top, from unknown_unit and the unit names).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace banyan::units {

template <typename T>
struct Parsed {
  bool ok = false;
  T value{};
  std::string error;          // when !ok: what is wrong and what would be right
  bool unknown_unit = false;  // when !ok because the unit is not one of the kind's units
  static Parsed good(T v) {
    Parsed p;
    p.ok = true;
    p.value = std::move(v);
    return p;
  }
  static Parsed bad(std::string e, bool unknown = false) {
    Parsed p;
    p.error = std::move(e);
    p.unknown_unit = unknown;
    return p;
  }
};

// Budgets on literal values: far past any sane setting, small enough that arithmetic
// on them never overflows (a year in ms, a TiB in bytes).
inline constexpr int64_t kMaxDurationMs = 366LL * 24 * 3600 * 1000 * 10;  // ten years: HSTS uses years
inline constexpr uint64_t kMaxSizeBytes = 1ULL << 40;
inline constexpr int64_t kMaxInt = 1'000'000'000;

struct Unit {
  const char* name;
  uint64_t factor;
};
const std::vector<Unit>& duration_units();  // ms s m h d, factors in milliseconds
const std::vector<Unit>& size_units();      // B KiB MiB GiB, factors in bytes
std::vector<std::string> unit_names(const std::vector<Unit>& units);

// Splits "12.5MiB" into number "12.5" and unit "MiB".
void split_quantity(std::string_view text, std::string_view& number, std::string_view& unit);
// `number` (digits, optionally one '.' and more digits) times `factor`, exactly, at
// most `limit`. On failure `error` is "too large" or "is not a whole number of the
// smallest unit".
bool scaled(std::string_view number, uint64_t factor, uint64_t limit, uint64_t& out, std::string& error);

// An unknown unit gives unknown_unit and "unknown duration unit 'x'; use ms, s, m, h or d".
Parsed<int64_t> parse_duration(std::string_view text);  // 250ms 5s 10m 6h 365d -> ms
Parsed<uint64_t> parse_size(std::string_view text);     // 512B 64KiB 64MiB 1GiB -> bytes
Parsed<uint32_t> parse_percent(std::string_view text);  // 1% 0.5% 100% -> basis points
Parsed<int64_t> parse_int(std::string_view text);       // 0..kMaxInt

}  // namespace banyan::units
