// The chunked decoder: valid bodies decode to the same bytes whether fed whole or one
// byte at a time; malformed sizes, extensions, CRLFs and trailers fail, at the same
// byte either way.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/http/chunked.h"

namespace banyan::http {
namespace {

struct Decoded {
  std::string body;
  size_t consumed = 0;
  bool done = false;
  bool failed = false;
};

// Feeds `in` in pieces of `piece` bytes (0: whole), as a connection would.
Decoded decode(std::string_view in, size_t piece = 0, size_t max_trailer_bytes = 8192) {
  ChunkedDecoder decoder(max_trailer_bytes);
  Decoded out;
  while (out.consumed < in.size() && !out.done && !out.failed) {
    const size_t end = piece == 0 ? in.size() : std::min(in.size(), out.consumed + piece);
    std::string_view avail = in.substr(out.consumed, end - out.consumed);
    while (!avail.empty()) {
      const ChunkedDecoder::Step step = decoder.next(avail);
      REQUIRE((step.consumed > 0 || step.done || step.failed));
      REQUIRE(step.consumed <= avail.size());
      if (!step.data.empty()) {
        // data is a view into what was passed, within what was consumed
        REQUIRE(step.data.data() >= avail.data());
        REQUIRE(step.data.data() + step.data.size() <= avail.data() + step.consumed);
      }
      out.body += step.data;
      out.consumed += step.consumed;
      avail.remove_prefix(step.consumed);
      out.done = step.done;
      out.failed = step.failed;
      if (step.done || step.failed) break;
    }
  }
  return out;
}

void check_same_whole_and_bytewise(std::string_view in) {
  const Decoded whole = decode(in), bytes = decode(in, 1), threes = decode(in, 3);
  CHECK(whole.body == bytes.body);
  CHECK(whole.consumed == bytes.consumed);
  CHECK(whole.done == bytes.done);
  CHECK(whole.failed == bytes.failed);
  CHECK(whole.body == threes.body);
  CHECK(whole.consumed == threes.consumed);
  CHECK(whole.failed == threes.failed);
}

TEST_CASE("valid chunked bodies decode to their bytes, whole or one byte at a time", "[http]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"5\r\nhello\r\n0\r\n\r\n", "hello"},
      {"0\r\n\r\n", ""},
      {"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", "abcde"},
      {"A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n", "01234567890123456789"},
      {"005\r\nhello\r\n000\r\n\r\n", "hello"},
      {"3;a=b;c;d=\"q \\\"x\\\" \"\r\nabc\r\n0;last\r\n\r\n", "abc"},
      {"3 ; a = b\t;c\r\nabc\r\n0\r\n\r\n", "abc"},
      {"3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum:\tabc \xff\r\n\r\n", "abc"},
      {"2\r\n\r\n\r\n0\r\n\r\n", "\r\n"},
  };
  for (const auto& [in, body] : cases) {
    CAPTURE(in);
    for (size_t piece : {0, 1, 2, 7}) {
      const Decoded d = decode(in, piece);
      CHECK(d.body == body);
      CHECK(d.done);
      CHECK_FALSE(d.failed);
      CHECK(d.consumed == in.size());
    }
  }
}

TEST_CASE("malformed chunked bodies fail, whole or one byte at a time", "[http]") {
  const std::vector<std::string> cases = {
      "0x5\r\nhello\r\n0\r\n\r\n",
      "-1\r\n",
      "+5\r\nhello\r\n0\r\n\r\n",
      "ffffffffffffffffff\r\n",
      "00000000000000005\r\nhello\r\n0\r\n\r\n",  // 17 digits
      "\r\n",
      " 5\r\nhello\r\n0\r\n\r\n",
      "5\r\nhelloX\r\n0\r\n\r\n",
      "5\r\nhello\n0\r\n\r\n",
      "5\r\nhello\r\r\n0\r\n\r\n",
      "5\nhello\r\n0\r\n\r\n",
      "5\rhello\r\n0\r\n\r\n",
      "5\r\nhello\r\n0\r\n\n",
      "5\r\nhello\r\n0\n\r\n",
      "5 \r\nhello\r\n0\r\n\r\n",
      "5;\r\nhello\r\n0\r\n\r\n",
      "5;a=\r\nhello\r\n0\r\n\r\n",
      "5;a=\"x\r\nhello\r\n0\r\n\r\n",
      "5;a=\"x\"y\r\nhello\r\n0\r\n\r\n",
      "5;a\"b\r\nhello\r\n0\r\n\r\n",
      "5;a=b=c\r\nhello\r\n0\r\n\r\n",
      "5;a\nhello\r\n0\r\n\r\n",
      "5;" + std::string(4096, 'a') + "\r\nhello\r\n0\r\n\r\n",
      "0\r\nX: a\r\n b\r\n\r\n",
      "0\r\n X: a\r\n\r\n",
      "0\r\nBad Name: v\r\n\r\n",
      "0\r\nX : v\r\n\r\n",
      "0\r\nX\r\n\r\n",
      std::string("0\r\nX: a\0b\r\n\r\n", 14),
      "0\r\nX: a\rb\r\n\r\n",
      "0\r\nX: a\n\r\n",
      "0\r\n\rX",
  };
  for (const std::string& in : cases) {
    CAPTURE(in);
    for (size_t piece : {0, 1, 5}) {
      const Decoded d = decode(in, piece);
      CHECK(d.failed);
      CHECK_FALSE(d.done);
    }
    check_same_whole_and_bytewise(in);
  }
}

TEST_CASE("chunk extensions are bounded over the whole body", "[http]") {
  std::string in;
  for (int i = 0; i < 50; ++i) in += "1;" + std::string(100, 'e') + "\r\nx\r\n";  // 101 bytes each
  in += "0\r\n\r\n";
  const Decoded d = decode(in);
  CHECK(d.failed);
  CHECK(d.body.size() == 40);                                                     // the 41st extension crosses 4096
  const std::string fine = "1;" + std::string(4095, 'e') + "\r\nx\r\n0\r\n\r\n";  // 4096 bytes of extension
  CHECK(decode(fine).done);
}

TEST_CASE("trailers are bounded by max_trailer_bytes", "[http]") {
  const std::string in = "0\r\nX: " + std::string(50, 'v') + "\r\n\r\n";
  CHECK(decode(in, 0, in.size() - 3).done);  // the trailer section is all but "0\r\n"
  CHECK(decode(in, 0, in.size() - 4).failed);
  CHECK(decode(in, 1, in.size() - 4).failed);
}

TEST_CASE("the decoder stops at the end of the body and leaves what follows", "[http]") {
  const std::string body = "4\r\nwiki\r\n0\r\n\r\n";
  const Decoded d = decode(body + "GET / HTTP/1.1\r\n");
  CHECK(d.done);
  CHECK(d.body == "wiki");
  CHECK(d.consumed == body.size());
  ChunkedDecoder decoder;
  ChunkedDecoder::Step step;
  std::string_view in = body;
  while (!step.done) {
    step = decoder.next(in);
    in.remove_prefix(step.consumed);
  }
  CHECK(decoder.next("more").consumed == 0);
  CHECK(decoder.done());
}

TEST_CASE("a chunk larger than what has arrived is returned as it arrives", "[http]") {
  ChunkedDecoder decoder;
  ChunkedDecoder::Step s = decoder.next("10\r\n0123");
  CHECK(s.consumed == 8);
  CHECK(s.data == "0123");
  s = decoder.next("456789abcdef\r\n0\r\n\r\n");
  CHECK(s.data == "456789abcdef");
  CHECK(s.consumed == 12);
  CHECK_FALSE(s.done);
  s = decoder.next("\r\n0\r\n\r\n");
  CHECK(s.done);
  CHECK(s.data.empty());
  // 16 hex digits is the most a size may have.
  ChunkedDecoder big;
  s = big.next("ffffffffffffffff\r\nabc");
  CHECK_FALSE(s.failed);
  CHECK(s.data == "abc");
}

}  // namespace
}  // namespace banyan::http
