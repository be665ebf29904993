// Literal values of the routes language: strings, durations, sizes, percentages,
// numbers. Each parser returns the value or a message that says what is wrong and
// what would be right; the caller owns the source range and the diagnostic code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "runtime/plan/units.h"

namespace banyan::parse {

// The quantity parsing itself lives in runtime/plan/units.h, shared with the runtime's
// configuration; these names keep the compiler's spelling.
using units::Parsed;
using units::kMaxDurationMs;
using units::kMaxSizeBytes;
using units::kMaxInt;

// `"a\"b"` -> `a"b`. Escapes: \" \\ \n \t \$ (a literal dollar in a template).
// `closed` is false for a string whose closing quote is missing.
struct StringLiteral {
  std::string value;
  bool closed = true;
  std::string bad_escape;  // the first unknown escape, e.g. "\q"; empty when none
  uint32_t bad_escape_offset = 0;  // byte offset of it inside the token
};
StringLiteral unquote(std::string_view token);

// As units::, plus "did you mean" for an unknown unit.
Parsed<int64_t> parse_duration(std::string_view text);   // 250ms 5s 10m 6h 365d
Parsed<uint64_t> parse_size(std::string_view text);      // 512B 64KiB 64MiB 1GiB
Parsed<uint32_t> parse_percent(std::string_view text);   // 1% 0.5% 100% -> basis points
Parsed<int64_t> parse_int(std::string_view text);

}  // namespace banyan::parse
