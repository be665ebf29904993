// The request head parser: a table of raw requests and the error each must give
// (every Error a request can produce, and the classic smuggling shapes), the fields a
// valid head yields, prefixes, pipelining and limits.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/http/parse.h"

namespace banyan::http {
namespace {

struct Parser {
  Limits limits;
  std::vector<plan::HeaderField> storage = std::vector<plan::HeaderField>(100);
  RequestHead head;
  Error error = Error::None;
  Parse operator()(std::string_view buf) { return parse_request(buf, limits, storage, head, error); }
};

struct Case {
  std::string raw;
  Error expected;
};

// Everything after the request line: "GET / HTTP/1.1\r\n" + fields + "\r\n".
std::string get(std::string_view fields) { return "GET / HTTP/1.1\r\n" + std::string(fields) + "\r\n"; }

const std::vector<Case>& cases() {
  using E = Error;
  static const std::vector<Case> kCases = {
      {get("Host: a\r\n"), E::None},
      {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {" GET / HTTP/1.1\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"GE\x01T / HTTP/1.1\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"GET a HTTP/1.1\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"GET * HTTP/1.1\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"GET / http/1.1\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"GET / HTTP/1.10\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"GET / HTTP/1\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", E::BadRequestLine},
      {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", E::BadVersion},
      {"GET / HTTP/0.9\r\nHost: a\r\n\r\n", E::BadVersion},
      {"GET / HTTP/1.2\r\nHost: a\r\n\r\n", E::BadVersion},
      {get("Host: a\r\n: v\r\n"), E::BadHeaderName},
      {get("Host: a\r\nX(y): v\r\n"), E::BadHeaderName},
      {get("Host: a\r\nX-A\r\n"), E::BadHeaderName},
      {get("Host: a\r\nX\rY: v\r\n"), E::BadHeaderName},
      {get("Host: a\r\n\rX: v\r\n"), E::BadHeaderName},
      {get("Host: a\r\nTransfer-Encoding : chunked\r\n"), E::SpaceBeforeColon},
      {get("Host\t: a\r\n"), E::SpaceBeforeColon},
      {get("Host: a\r\nX: a\r\n b\r\n"), E::ObsFold},
      {get("Host: a\r\nX: a\r\n\tb\r\n"), E::ObsFold},
      {get(" Host: a\r\n"), E::ObsFold},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: a" + std::string(1, '\0') + "b\r\n\r\n", E::BadHeaderValue},
      {get("Host: a\r\nX: a\rb\r\n"), E::BadHeaderValue},
      {get("Host: a\r\nX: a\x7f\r\n"), E::BadHeaderValue},
      {get("Host: a\r\nX: \x1b[0m\r\n"), E::BadHeaderValue},
      {get("Host: a\r\nX: a\r\r\n"), E::BadHeaderValue},
      {"GET / HTTP/1.1\nHost: a\r\n\r\n", E::BareLF},
      {"GET / HTTP/1.1\r\nHost: a\n\r\n", E::BareLF},
      {"GET / HTTP/1.1\r\nHost: a\r\n\n", E::BareLF},
      {get("Host: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"), E::BothLengthAndChunked},
      {get("Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n"), E::BothLengthAndChunked},
      {get("Host: a\r\nContent-Length: 1,2\r\n"), E::BadContentLength},
      {get("Host: a\r\nContent-Length: +5\r\n"), E::BadContentLength},
      {get("Host: a\r\nContent-Length: -1\r\n"), E::BadContentLength},
      {get("Host: a\r\nContent-Length: 0x10\r\n"), E::BadContentLength},
      {get("Host: a\r\nContent-Length: 5, 5\r\n"), E::BadContentLength},
      {get("Host: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n"), E::BadContentLength},
      {get("Host: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n"), E::BadContentLength},
      {get("Host: a\r\nContent-Length:\r\n"), E::BadContentLength},
      {get("Host: a\r\nContent-Length: 1 2\r\n"), E::BadContentLength},
      {get("Host: a\r\nContent-Length: 4611686018427387905\r\n"), E::BadContentLength},
      {get("Host: a\r\nContent-Length: 99999999999999999999999\r\n"), E::BadContentLength},
      {get("Host: a\r\nTransfer-Encoding: gzip, chunked\r\n"), E::UnsupportedTransferEncoding},
      {get("Host: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"), E::UnsupportedTransferEncoding},
      {get("Host: a\r\nTransfer-Encoding: chunked, identity\r\n"), E::BadTransferEncoding},
      {get("Host: a\r\nTransfer-Encoding: xchunked\r\n"), E::BadTransferEncoding},
      {get("Host: a\r\nTransfer-Encoding: chunked, chunked\r\n"), E::BadTransferEncoding},
      {get("Host: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), E::BadTransferEncoding},
      {get("Host: a\r\nTransfer-Encoding: chunked,\r\n"), E::BadTransferEncoding},
      {get("Host: a\r\nTransfer-Encoding: ,chunked\r\n"), E::BadTransferEncoding},
      {get("Host: a\r\nTransfer-Encoding:\r\n"), E::BadTransferEncoding},
      {get("Host: a\r\nTransfer-Encoding: chunked;q=1\r\n"), E::BadTransferEncoding},
      {get("Host: a\r\nTransfer-Encoding: gzip\r\n"), E::BadTransferEncoding},
      {get("Host: a\r\nTransfer-Encoding: \"chunked\"\r\n"), E::BadTransferEncoding},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", E::BadTransferEncoding},
      {get(""), E::MissingHost},
      {"GET http://a/ HTTP/1.1\r\n\r\n", E::MissingHost},
      {get("Host: a\r\nHost: a\r\n"), E::DuplicateHost},
      {get("Host: a\r\nhost: b\r\n"), E::DuplicateHost},
      {get("Host:\r\n"), E::BadHost},
      {get("Host: a b\r\n"), E::BadHost},
      {get("Host: u@a\r\n"), E::BadHost},
      {get("Host: a/b\r\n"), E::BadHost},
      {get("Host: a:0\r\n"), E::BadHost},
      {get("Host: a:65536\r\n"), E::BadHost},
      {get("Host: a:\r\n"), E::BadHost},
      {get("Host: a:8x\r\n"), E::BadHost},
      {get("Host: [::1\r\n"), E::BadHost},
      {get("Host: [1:2:3:4:5:6:7:8:9]\r\n"), E::BadHost},
      {get("Host: [::1]x\r\n"), E::BadHost},
      {get("Host: 1.2.3.999\r\n"), E::BadHost},
      {get("Host: a%2\r\n"), E::BadHost},
      {"GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", E::BadHost},
      {"GET http://a/ HTTP/1.1\r\nHost: b\r\n\r\n", E::BadHost},
      // RFC 9110 4.2.3: the target's authority and Host compared as normalised; only
      // the scheme's own default port stands for no port, and an empty port is no host.
      {"GET http://a:443/ HTTP/1.1\r\nHost: a\r\n\r\n", E::BadHost},
      {"GET https://a:80/ HTTP/1.1\r\nHost: a\r\n\r\n", E::BadHost},
      {"GET https://a/ HTTP/1.1\r\nHost: a:80\r\n\r\n", E::BadHost},
      {"GET http://a:8080/ HTTP/1.1\r\nHost: a\r\n\r\n", E::BadHost},
      {"GET http://a:8080/ HTTP/1.1\r\nHost: a:8081\r\n\r\n", E::BadHost},
      {"GET http://a:80/ HTTP/1.1\r\nHost: b\r\n\r\n", E::BadHost},
      {"GET http://a/ HTTP/1.1\r\nHost: b:80\r\n\r\n", E::BadHost},
      {"GET http://a/ HTTP/1.1\r\nHost: a:\r\n\r\n", E::BadHost},
      {"GET http://a:/ HTTP/1.1\r\nHost: a\r\n\r\n", E::BadHost},
      {"GET http://a/ HTTP/1.1\r\nHost: a:80x\r\n\r\n", E::BadHost},
      {"GET http://[::1]:80/ HTTP/1.1\r\nHost: [::2]\r\n\r\n", E::BadHost},
      {"CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", E::BadHost},
      {"GET http:///p HTTP/1.1\r\nHost: a\r\n\r\n", E::BadHost},
      {"CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n", E::BadHost},
      {"CONNECT /a HTTP/1.1\r\nHost: a\r\n\r\n", E::BadHost},
      // Valid, though they look like the refusals above.
      {get("Host: a\r\nTransfer-Encoding:\tchunked\r\n"), E::None},
      {get("Host: a\r\nTransfer-Encoding: CHUNKED  \r\n"), E::None},
      {get("Host: a\r\nContent-Length: 4611686018427387904\r\n"), E::None},
      {get("Host: A.example-1.com:8080\r\n"), E::None},
      {get("Host: [::1]:8080\r\n"), E::None},
      {get("Host: [2001:db8::ffff:1.2.3.4]\r\n"), E::None},
      {get("Host: 127.0.0.1\r\nX: caf\xc3\xa9\r\nY:\r\n"), E::None},
      {"GET HTTP://A/p HTTP/1.1\r\nHost: a\r\n\r\n", E::None},
      {"GET http://Example.com:80/ HTTP/1.1\r\nHost: example.com\r\n\r\n", E::None},
      {"GET http://a/ HTTP/1.1\r\nHost: A:80\r\n\r\n", E::None},
      {"GET http://a:080/ HTTP/1.1\r\nHost: a\r\n\r\n", E::None},
      {"GET https://x:443/ HTTP/1.1\r\nHost: x\r\n\r\n", E::None},
      {"GET https://x/ HTTP/1.1\r\nHost: X:443\r\n\r\n", E::None},
      {"GET http://a:8080/ HTTP/1.1\r\nHost: A:8080\r\n\r\n", E::None},
      {"GET http://[::1]:80/ HTTP/1.1\r\nHost: [::1]\r\n\r\n", E::None},
      {"GET http://[::1]/ HTTP/1.0\r\n\r\n", E::None},
      {"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", E::None},
      {"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", E::None},
      {"GET / HTTP/1.0\r\n\r\n", E::None},
      {"M-SEARCH!~ /%41?x=%20 HTTP/1.1\r\nHost: a\r\n\r\n", E::None},
  };
  return kCases;
}

TEST_CASE("each raw request gives its expected error, and every prefix agrees with it", "[http]") {
  for (const Case& c : cases()) {
    CAPTURE(c.raw);
    Parser parse;
    const Parse whole = parse(c.raw);
    CHECK(parse.error == c.expected);
    CHECK(whole == (c.expected == Error::None ? Parse::Complete : Parse::Failed));
    // A verdict depends only on the bytes up to the offending one: a prefix is
    // Incomplete, or already has the final verdict.
    for (size_t n = 0; n < c.raw.size(); ++n) {
      Parser prefix;
      const Parse p = prefix(std::string_view(c.raw).substr(0, n));
      if (p != Parse::Incomplete) {
        CAPTURE(n);
        CHECK(p == whole);
        CHECK(prefix.error == parse.error);
      }
    }
  }
}

// The limits' errors need limits smaller than the defaults: each case with its own.
struct LimitCase {
  std::string raw;
  Limits limits;
  Error expected;
};

const std::vector<LimitCase>& limit_cases() {
  static const std::vector<LimitCase> kCases = [] {
    Limits line, bytes, count;
    line.request_line = 20;
    bytes.header_bytes = 40;
    count.header_count = 2;
    return std::vector<LimitCase>{
        {"GET /" + std::string(30, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", line, Error::UriTooLong},
        {get("Host: a\r\nX: " + std::string(60, 'x') + "\r\n"), bytes, Error::HeadersTooLarge},
        {get("Host: a\r\nX: 1\r\nY: 2\r\n"), count, Error::TooManyHeaders},
    };
  }();
  return kCases;
}

TEST_CASE("every error a request can produce is produced by a request in the tables", "[http]") {
  std::vector<bool> seen(static_cast<size_t>(Error::BadStatusLine) + 1);
  for (const Case& c : cases()) {
    Parser parse;
    (void)parse(c.raw);
    seen[static_cast<size_t>(parse.error)] = true;
  }
  for (const LimitCase& c : limit_cases()) {
    CAPTURE(c.raw);
    Parser parse;
    parse.limits = c.limits;
    CHECK(parse(c.raw) == Parse::Failed);
    CHECK(parse.error == c.expected);
    seen[static_cast<size_t>(parse.error)] = true;
  }
  // BadStatusLine is a response's error (response_parse_test.cpp); None is a success.
  for (size_t i = 0; i < seen.size(); ++i) {
    const Error e = static_cast<Error>(i);
    if (e == Error::BadStatusLine) continue;
    CAPTURE(describe(e));
    CHECK(seen[i]);
  }
}

TEST_CASE("a valid request yields its target, host, fields and framing", "[http]") {
  const std::string raw =
      "POST /a/b?x=1&y HTTP/1.1\r\n"
      "Host:  Example.com:8080 \r\n"
      "X-Thing:\tone two\t\r\n"
      "Content-Length: 12\r\n"
      "Expect: 100-Continue\r\n"
      "Connection: Upgrade, close\r\n"
      "Upgrade: websocket\r\n"
      "\r\n"
      "hello world!";
  Parser parse;
  REQUIRE(parse(raw) == Parse::Complete);
  const RequestHead& h = parse.head;
  CHECK(h.method == "POST");
  CHECK(h.target == "/a/b?x=1&y");
  CHECK(h.path == "/a/b");
  CHECK(h.query == "x=1&y");
  CHECK(h.host == "Example.com:8080");
  CHECK(h.version_minor == 1);
  REQUIRE(h.fields.size() == 6);
  CHECK(h.fields[0].name == "Host");
  CHECK(h.fields[1].name == "X-Thing");
  CHECK(h.fields[1].value == "one two");
  CHECK(h.framing == Framing::Length);
  CHECK(h.content_length == 12);
  CHECK_FALSE(h.keep_alive);
  CHECK(h.expect_continue);
  CHECK(h.upgrade);
  CHECK(h.head_bytes == raw.size() - 12);
  CHECK(connection_lists(h.fields, "UPGRADE"));
  CHECK_FALSE(connection_lists(h.fields, "keep-alive"));

  // Every strict prefix of the head is Incomplete, never Failed.
  for (size_t n = 0; n < h.head_bytes; ++n) {
    Parser prefix;
    CAPTURE(n);
    CHECK(prefix(std::string_view(raw).substr(0, n)) == Parse::Incomplete);
    CHECK(prefix.error == Error::None);
  }
}

TEST_CASE("the target's form decides path, query and host", "[http]") {
  Parser parse;
  REQUIRE(parse("GET http://A.example/p/q?r HTTP/1.1\r\nHost: a.EXAMPLE\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.host == "A.example");
  CHECK(parse.head.path == "/p/q");
  CHECK(parse.head.query == "r");
  REQUIRE(parse("GET https://h?r HTTP/1.1\r\nHost: h\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.path == "/");
  CHECK(parse.head.query == "r");
  REQUIRE(parse("GET http://h HTTP/1.0\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.host == "h");
  CHECK(parse.head.path == "/");
  REQUIRE(parse("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.host == "h:443");
  CHECK(parse.head.path.empty());
  REQUIRE(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.target == "*");
  CHECK(parse.head.path.empty());
  REQUIRE(parse("GET /x HTTP/1.0\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.host.empty());
  CHECK(parse.head.version_minor == 0);
  CHECK_FALSE(parse.head.keep_alive);
  REQUIRE(parse("GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.keep_alive);
  REQUIRE(parse("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.framing == Framing::Chunked);
  CHECK(parse.head.keep_alive);
  CHECK_FALSE(parse.head.upgrade);
  CHECK_FALSE(parse.head.expect_continue);
}

TEST_CASE("an absolute-form target records its scheme and keeps its authority, as written, as the host", "[http]") {
  Parser parse;
  REQUIRE(parse("GET http://Example.com:80/p HTTP/1.1\r\nHost: example.com\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.scheme == TargetScheme::Http);
  CHECK(parse.head.host == "Example.com:80");
  CHECK(parse.head.path == "/p");
  REQUIRE(parse("GET HTTPS://x:443?q HTTP/1.1\r\nHost: x\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.scheme == TargetScheme::Https);
  CHECK(parse.head.host == "x:443");
  CHECK(parse.head.path == "/");
  CHECK(parse.head.query == "q");
  REQUIRE(parse("GET hTTp://h/ HTTP/1.1\r\nHost: h\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.scheme == TargetScheme::Http);
  // The other forms have no scheme; a head parsed after one with a scheme does not keep it.
  REQUIRE(parse("GET /p HTTP/1.1\r\nHost: h\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.scheme == TargetScheme::None);
  REQUIRE(parse("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.scheme == TargetScheme::None);
  REQUIRE(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n") == Parse::Complete);
  CHECK(parse.head.scheme == TargetScheme::None);
  // A refused head says why, whatever its scheme.
  CHECK(parse("GET https://x:80/ HTTP/1.1\r\nHost: x\r\n\r\n") == Parse::Failed);
  CHECK(parse.error == Error::BadHost);
}

TEST_CASE("two pipelined requests parse one after the other", "[http]") {
  const std::string first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string second = "GET /2 HTTP/1.1\r\nHost: b\r\n\r\n";
  const std::string buf = first + second;
  Parser parse;
  REQUIRE(parse(buf) == Parse::Complete);
  CHECK(parse.head.path == "/1");
  REQUIRE(parse.head.head_bytes == first.size());
  REQUIRE(parse(std::string_view(buf).substr(first.size())) == Parse::Complete);
  CHECK(parse.head.path == "/2");
  CHECK(parse.head.host == "b");
}

TEST_CASE("the request-line limit gives 414 as soon as the byte crossing it arrives", "[http]") {
  Parser parse;
  parse.limits.request_line = 20;
  const std::string line = "GET /" + std::string(6, 'a') + " HTTP/1.1";  // exactly 20 bytes
  CHECK(parse(line) == Parse::Incomplete);
  CHECK(parse(line + "\r\nHost: a\r\n\r\n") == Parse::Complete);
  CHECK(parse(line + "a") == Parse::Failed);
  CHECK(parse.error == Error::UriTooLong);
  CHECK(status_for(parse.error) == 414);
}

TEST_CASE("the header-bytes limit gives 431 as soon as the byte crossing it arrives", "[http]") {
  const std::string head = get("Host: a\r\nX: 12345\r\n");
  Parser parse;
  parse.limits.header_bytes = head.size();
  CHECK(parse(head) == Parse::Complete);
  CHECK(parse(head + "GET") == Parse::Complete);  // the next request does not count
  parse.limits.header_bytes = head.size() - 1;
  CHECK(parse(head.substr(0, head.size() - 1)) == Parse::Incomplete);
  CHECK(parse(head) == Parse::Failed);
  CHECK(parse.error == Error::HeadersTooLarge);
  CHECK(status_for(parse.error) == 431);
  // A slowloris head of one endless field fails at the limit, not at CRLF CRLF.
  parse.limits.header_bytes = 100;
  CHECK(parse("GET / HTTP/1.1\r\nX: " + std::string(200, 'x')) == Parse::Failed);
  CHECK(parse.error == Error::HeadersTooLarge);
}

TEST_CASE("the header-count limit gives 431 at the first byte of one field too many", "[http]") {
  Parser parse;
  parse.limits.header_count = 2;
  const std::string two = "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n";
  CHECK(parse(two + "\r\n") == Parse::Complete);
  CHECK(parse(two + "\r") == Parse::Incomplete);
  CHECK(parse(two + "Y") == Parse::Failed);
  CHECK(parse.error == Error::TooManyHeaders);
  CHECK(status_for(parse.error) == 431);
  // Storage smaller than the limit is the limit.
  parse.limits.header_count = 100;
  parse.storage.resize(1);
  CHECK(parse(two + "\r\n") == Parse::Failed);
  CHECK(parse.error == Error::TooManyHeaders);
}

TEST_CASE("each error answers with its status and a phrase", "[http]") {
  CHECK(status_for(Error::BadVersion) == 505);
  CHECK(status_for(Error::UnsupportedTransferEncoding) == 501);
  CHECK(status_for(Error::BothLengthAndChunked) == 400);
  CHECK(status_for(Error::BadStatusLine) == 502);
  CHECK(describe(Error::BothLengthAndChunked) == "both Content-Length and Transfer-Encoding");
}

TEST_CASE("hop-by-hop fields and hosts are recognised in any case", "[http]") {
  for (std::string_view h : {"Connection", "KEEP-ALIVE", "proxy-connection", "TE", "Trailer", "transfer-encoding",
                             "Upgrade", "Proxy-Authenticate", "proxy-authorization"})
    CHECK(is_hop_by_hop(h));
  CHECK_FALSE(is_hop_by_hop("Trailers"));
  CHECK_FALSE(is_hop_by_hop("Host"));
  CHECK(valid_host("a.b-c_d~e"));
  CHECK(valid_host("[::]"));
  CHECK(valid_host("[1:2:3:4:5:6:7:8]:1"));
  CHECK(valid_host("h:65535"));
  CHECK_FALSE(valid_host(""));
  CHECK_FALSE(valid_host(":80"));
  CHECK_FALSE(valid_host("[1:2:3:4:5:6:7::8]"));
  CHECK_FALSE(valid_host("[:::1]"));
  CHECK_FALSE(valid_host("[1::2::3]"));
  CHECK_FALSE(valid_host("1.2.3"));
  CHECK_FALSE(valid_host("h:123456"));
}

}  // namespace
}  // namespace banyan::http
