// The response head parser: status lines, the framing rules of RFC 9112 6.3 (no body
// after HEAD, 1xx, 204, 304; until close without a length), and the same strict field
// rules as requests.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/http/parse.h"

namespace banyan::http {
namespace {

struct Parser {
  Limits limits;
  std::vector<plan::HeaderField> storage = std::vector<plan::HeaderField>(100);
  ResponseHead head;
  Error error = Error::None;
  Parse operator()(std::string_view buf, bool head_request = false) {
    return parse_response(buf, head_request, limits, storage, head, error);
  }
};

std::string ok(std::string_view fields) { return "HTTP/1.1 200 OK\r\n" + std::string(fields) + "\r\n"; }

TEST_CASE("each raw response gives its expected error, and every prefix agrees with it", "[http]") {
  using E = Error;
  const std::vector<std::pair<std::string, Error>> cases = {
      {ok("Content-Length: 5\r\n"), E::None},
      {"HTTP/1.1 200 \r\n\r\n", E::None},
      {"HTTP/1.1 599 \xff\tweird reason \r\n\r\n", E::None},
      {"HTTP/1.1 200\r\n\r\n", E::BadStatusLine},
      {"HTTP/1.1  200 OK\r\n\r\n", E::BadStatusLine},
      {"HTTP/1.1 20 OK\r\n\r\n", E::BadStatusLine},
      {"HTTP/1.1 2000 OK\r\n\r\n", E::BadStatusLine},
      {"HTTP/1.1 600 OK\r\n\r\n", E::BadStatusLine},
      {"HTTP/1.1 099 OK\r\n\r\n", E::BadStatusLine},
      {"HTTP/2.0 200 OK\r\n\r\n", E::BadStatusLine},
      {"HTTP/1.2 200 OK\r\n\r\n", E::BadStatusLine},
      {"http/1.1 200 OK\r\n\r\n", E::BadStatusLine},
      {"HTTP/1.1 200 O\x01K\r\n\r\n", E::BadStatusLine},
      {"HTTP/1.1 200 OK\rX\r\n\r\n", E::BadStatusLine},
      {"HTTP/1.1 200 OK\n\r\n", E::BareLF},
      {ok("A: b\n"), E::BareLF},
      {ok("A: b\r\n c\r\n"), E::ObsFold},
      {ok("A : b\r\n"), E::SpaceBeforeColon},
      {ok("A\x01: b\r\n"), E::BadHeaderName},
      {ok(std::string("A: b\0c\r\n", 8)), E::BadHeaderValue},
      {ok("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), E::BothLengthAndChunked},
      {ok("Content-Length: 5\r\nContent-Length: 5\r\n"), E::BadContentLength},
      {ok("Content-Length: 5,5\r\n"), E::BadContentLength},
      {ok("Transfer-Encoding: gzip, chunked\r\n"), E::UnsupportedTransferEncoding},
      {ok("Transfer-Encoding: gzip\r\n"), E::BadTransferEncoding},
      {ok("Transfer-Encoding: chunked, gzip\r\n"), E::BadTransferEncoding},
      {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", E::BadTransferEncoding},
  };
  for (const auto& [raw, expected] : cases) {
    CAPTURE(raw);
    Parser parse;
    const Parse whole = parse(raw);
    CHECK(parse.error == expected);
    CHECK(whole == (expected == Error::None ? Parse::Complete : Parse::Failed));
    for (size_t n = 0; n < raw.size(); ++n) {
      Parser prefix;
      const Parse p = prefix(std::string_view(raw).substr(0, n));
      if (p != Parse::Incomplete) {
        CAPTURE(n);
        CHECK(p == whole);
        CHECK(prefix.error == parse.error);
      }
    }
  }
}

TEST_CASE("a response's framing follows its status, the request method and its fields", "[http]") {
  Parser parse;
  const std::string hello = ok("Content-Length: 5\r\n") + "hello";  // the head's views point into it
  REQUIRE(parse(hello) == Parse::Complete);
  CHECK(parse.head.status == 200);
  CHECK(parse.head.reason == "OK");
  CHECK(parse.head.framing == Framing::Length);
  CHECK(parse.head.content_length == 5);
  CHECK(parse.head.keep_alive);
  CHECK(parse.head.head_bytes == ok("Content-Length: 5\r\n").size());
  REQUIRE(parse.head.fields.size() == 1);

  REQUIRE(parse(ok("Transfer-Encoding: Chunked\r\n")) == Parse::Complete);
  CHECK(parse.head.framing == Framing::Chunked);

  REQUIRE(parse(ok("")) == Parse::Complete);
  CHECK(parse.head.framing == Framing::UntilClose);
  CHECK_FALSE(parse.head.keep_alive);

  REQUIRE(parse(ok("Content-Length: 1234\r\n"), /*head_request=*/true) == Parse::Complete);
  CHECK(parse.head.framing == Framing::None);
  CHECK(parse.head.content_length == 1234);
  CHECK(parse.head.keep_alive);

  for (std::string_view line : {"HTTP/1.1 204 No Content\r\n", "HTTP/1.1 304 Not Modified\r\n",
                                "HTTP/1.1 100 Continue\r\n", "HTTP/1.1 103 Early Hints\r\n"}) {
    CAPTURE(line);
    REQUIRE(parse(std::string(line) + "Content-Length: 7\r\n\r\n") == Parse::Complete);
    CHECK(parse.head.framing == Framing::None);
  }
  REQUIRE(parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n") ==
          Parse::Complete);
  CHECK(parse.head.status == 101);
  CHECK(parse.head.framing == Framing::None);
  CHECK(connection_lists(parse.head.fields, "upgrade"));
}

TEST_CASE("a response's keep-alive follows its version and Connection", "[http]") {
  Parser parse;
  REQUIRE(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.version_minor == 0);
  CHECK_FALSE(parse.head.keep_alive);
  REQUIRE(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.keep_alive);
  REQUIRE(parse(ok("Content-Length: 0\r\nConnection: x, Close\r\n")) == Parse::Complete);
  CHECK_FALSE(parse.head.keep_alive);
  REQUIRE(parse(ok("Content-Length: 0\r\nConnection: keep-alive\r\nConnection: close\r\n")) == Parse::Complete);
  CHECK_FALSE(parse.head.keep_alive);
}

TEST_CASE("a response head's prefixes are Incomplete and its limits apply", "[http]") {
  const std::string raw = ok("Content-Type: text/plain\r\nContent-Length: 3\r\n") + "abc";
  Parser parse;
  REQUIRE(parse(raw) == Parse::Complete);
  for (size_t n = 0; n < parse.head.head_bytes; ++n) {
    Parser prefix;
    CAPTURE(n);
    CHECK(prefix(std::string_view(raw).substr(0, n)) == Parse::Incomplete);
  }
  parse.limits.header_count = 1;
  CHECK(parse(raw) == Parse::Failed);
  CHECK(parse.error == Error::TooManyHeaders);
  parse.limits = Limits{.request_line = 10};
  CHECK(parse(raw) == Parse::Failed);
  CHECK(parse.error == Error::HeadersTooLarge);
  parse.limits = Limits{.header_bytes = 30};
  CHECK(parse(raw) == Parse::Failed);
  CHECK(parse.error == Error::HeadersTooLarge);
}

}  // namespace
}  // namespace banyan::http
