// Byte ranges: RFC 9110 14.1.2's examples on its 10000-byte representation, the clamps,
// what is unsatisfiable (416) and what makes the field ignored (the whole answers).
#include <catch2/catch.hpp>

#include "runtime/http/range.h"

namespace banyan::http {
namespace {

struct Got {
  RangeAnswer answer;
  uint64_t first, length;
};

Got ask(std::string_view range, uint64_t size) {
  ByteRange r{7, 7};  // not what any case expects: a Partial must set it
  RangeAnswer a = byte_range(range, size, r);
  return {a, r.first, r.length};
}

void partial(std::string_view range, uint64_t size, uint64_t first, uint64_t last) {
  INFO(range << " of " << size);
  Got g = ask(range, size);
  CHECK(g.answer == RangeAnswer::Partial);
  CHECK(g.first == first);
  CHECK(g.length == last - first + 1);
}

void whole(std::string_view range, uint64_t size = 10000) {
  INFO(range);
  CHECK(ask(range, size).answer == RangeAnswer::Whole);
}

void unsatisfiable(std::string_view range, uint64_t size = 10000) {
  INFO(range << " of " << size);
  CHECK(ask(range, size).answer == RangeAnswer::Unsatisfiable);
}

TEST_CASE("byte ranges: RFC 9110 14.1.2's examples", "[http][range]") {
  partial("bytes=0-499", 10000, 0, 499);       // the first 500 bytes
  partial("bytes=500-999", 10000, 500, 999);   // the second 500 bytes
  partial("bytes=-500", 10000, 9500, 9999);    // the final 500 bytes
  partial("bytes=9500-", 10000, 9500, 9999);   // the final 500 bytes
  partial("bytes=0-0", 10000, 0, 0);           // the first byte
  partial("bytes=9999-9999", 10000, 9999, 9999);  // the last byte
}

TEST_CASE("byte ranges: a last position past the end is clamped and a suffix longer than the body is all of it",
          "[http][range]") {
  partial("bytes=9000-20000", 10000, 9000, 9999);
  partial("bytes=0-", 10000, 0, 9999);
  partial("bytes=-20000", 10000, 0, 9999);
  partial("bytes=0-99999999999999999999999", 10000, 0, 9999);  // past 64 bits: past the end
  partial("bytes=-99999999999999999999999", 10000, 0, 9999);
  partial("bytes=0-0", 1, 0, 0);
  partial("BYTES=1-2", 10, 1, 2);  // the unit is case-insensitive
}

TEST_CASE("byte ranges: a range that starts past the end or an empty suffix or body is unsatisfiable",
          "[http][range]") {
  unsatisfiable("bytes=10000-");
  unsatisfiable("bytes=10000-10001");
  unsatisfiable("bytes=99999999999999999999999-");
  unsatisfiable("bytes=-0");
  unsatisfiable("bytes=0-", 0);
  unsatisfiable("bytes=-5", 0);
}

TEST_CASE("byte ranges: an invalid field or another unit or several ranges are ignored", "[http][range]") {
  whole("");
  whole("bytes");
  whole("bytes=");
  whole("bytes=-");
  whole("bytes 0-1");
  whole("items=0-1");
  whole("bytes=5-2");  // last before first: invalid (14.1.1)
  whole("bytes=a-b");
  whole("bytes=1-b");
  whole("bytes=+1-2");
  whole("bytes=1--2");
  whole("bytes=0-0,-1");  // several: the whole representation
  whole("bytes=0-1, 5-6");
}

}  // namespace
}  // namespace banyan::http
