// Byte ranges (RFC 9110 section 14): what a Range field asks of a representation of a
// known length, for the response cache's stored answers. One range is answered (206);
// several are answered with the whole representation, as the RFC allows a server to
// ignore Range (nginx sends multipart/byteranges instead). Pure functions over views.
#pragma once

#include <cstdint>
#include <string_view>

namespace banyan::http {

enum class RangeAnswer : uint8_t {
  Whole,          // no usable Range (absent, another unit, several ranges, malformed): 200
  Partial,        // one satisfiable range: 206 with bytes [first, first + length)
  Unsatisfiable,  // one well-formed range that misses the representation: 416
};

struct ByteRange {
  uint64_t first = 0;
  uint64_t length = 0;
};

// The answer to `range` (the Range field's value) for a representation of `size` bytes;
// `out` is set for Partial. A range's last position past the end is clamped to it
// (14.1.1); "bytes=-N" is the last N bytes; numbers too large for 64 bits are treated
// as past the end.
RangeAnswer byte_range(std::string_view range, uint64_t size, ByteRange& out);

}  // namespace banyan::http
