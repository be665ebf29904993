// The PROXY protocol header, v1 and v2: valid headers of every kind, each malformed
// shape with its reason, and every split point of each: a prefix of a valid header is
// Incomplete (never Failed, never Complete) and asks for no more bytes than the rest.
#include <catch2/catch.hpp>

#include <string>

#include "runtime/config/cidr.h"
#include "runtime/http/proxy_protocol.h"

namespace banyan::http {
namespace {

using namespace std::string_literals;

const std::string kSig = "\r\n\r\n\0\r\nQUIT\n"s;

std::string be16(size_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }

// A v2 header: version/command byte, family/transport byte, then `body` (addresses and TLVs).
std::string v2(uint8_t ver_cmd, uint8_t fam, const std::string& body) {
  return kSig + static_cast<char>(ver_cmd) + static_cast<char>(fam) + be16(body.size()) + body;
}
const std::string kV4Addrs =
    "\xc0\x00\x02\x01"s + "\x0a\x00\x00\x01"s + be16(56324) + be16(443);  // 192.0.2.1 -> 10.0.0.1

std::string text(const std::array<uint8_t, 16>& a) {
  config::IpAddress ip{a};
  return config::to_string(ip);
}

struct Verdict {
  ProxyParse result;
  ProxyHeader header;
  std::string why;
};

Verdict parse(std::string_view in) {
  Verdict v;
  std::string_view why;
  v.result = parse_proxy_header(in, v.header, why);
  v.why = std::string(why);
  return v;
}

// Every proper prefix of a valid header is Incomplete and asks for at most what is left.
void check_prefixes_incomplete(const std::string& whole) {
  for (size_t k = 0; k < whole.size(); ++k) {
    Verdict v = parse(std::string_view(whole).substr(0, k));
    INFO("prefix of " << k << " bytes: " << v.why);
    REQUIRE(v.result == ProxyParse::Incomplete);
    CHECK(v.header.need >= 1);
    CHECK(v.header.need <= whole.size() - k);
  }
}

// A malformed header: Failed with `why`, and no prefix of it is Complete; a prefix that
// is already Failed says the same.
void check_refused(const std::string& bad, std::string_view why) {
  Verdict v = parse(bad);
  INFO(bad);
  CHECK(v.result == ProxyParse::Failed);
  CHECK(v.why == why);
  for (size_t k = 0; k < bad.size(); ++k) {
    Verdict p = parse(std::string_view(bad).substr(0, k));
    INFO("prefix of " << k << " bytes");
    CHECK(p.result != ProxyParse::Complete);
    if (p.result == ProxyParse::Failed) CHECK(p.why == why);
  }
}

}  // namespace

TEST_CASE("a v1 TCP4 header gives the source and destination, and leaves the request after it", "[proxy_protocol]") {
  std::string h = "PROXY TCP4 192.0.2.1 10.0.0.1 56324 443\r\n";
  Verdict v = parse(h + "GET / HTTP/1.1\r\n");
  REQUIRE(v.result == ProxyParse::Complete);
  CHECK(v.header.version == 1);
  CHECK(v.header.has_address);
  CHECK_FALSE(v.header.v6);
  CHECK(text(v.header.source) == "192.0.2.1");
  CHECK(text(v.header.destination) == "10.0.0.1");
  CHECK(v.header.source_port == 56324);
  CHECK(v.header.destination_port == 443);
  CHECK(v.header.length == h.size());
  check_prefixes_incomplete(h);
}

TEST_CASE("a v1 TCP6 header, ports 0 and 65535, and the longest line", "[proxy_protocol]") {
  std::string h = "PROXY TCP6 2001:db8::1 ::1 0 65535\r\n";
  Verdict v = parse(h);
  REQUIRE(v.result == ProxyParse::Complete);
  CHECK(v.header.v6);
  CHECK(text(v.header.source) == "2001:db8::1");
  CHECK(text(v.header.destination) == "::1");
  CHECK(v.header.source_port == 0);
  CHECK(v.header.destination_port == 65535);
  check_prefixes_incomplete(h);
  // Section 2.1's worst case: 107 bytes with the CRLF (UNKNOWN with the longest TCP6 rest).
  std::string longest =
      "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
  REQUIRE(longest.size() == kProxyV1MaxBytes);
  v = parse(longest);
  REQUIRE(v.result == ProxyParse::Complete);
  CHECK(v.header.length == 107);
  check_prefixes_incomplete(longest);
  // One byte more and the line is too long, whether its CR is the 107th byte or never comes.
  check_refused(longest.substr(0, 105) + "5\r\n", "v1: no CRLF within 107 bytes, the longest a line may be");
}

TEST_CASE("v1 UNKNOWN carries no address, with or without the rest of a line", "[proxy_protocol]") {
  for (std::string h :
       {"PROXY UNKNOWN\r\n"s, "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"s, "PROXY UNKNOWN whatever\r\n"s}) {
    INFO(h);
    Verdict v = parse(h);
    REQUIRE(v.result == ProxyParse::Complete);
    CHECK_FALSE(v.header.has_address);
    CHECK(v.header.length == h.size());
    check_prefixes_incomplete(h);
  }
  CHECK(std::string("PROXY UNKNOWN\r\n").size() == kProxyMinBytes);
}

TEST_CASE("malformed v1 headers are refused with their reason", "[proxy_protocol]") {
  check_refused("GET / HTTP/1.1\r\n\r\n",
                "not a PROXY protocol header: it begins with neither \"PROXY \" nor the v2 signature");
  check_refused("PROXI TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "v1: a header must begin with \"PROXY \"");
  check_refused("PROXY\r\n", "v1: a header must begin with \"PROXY \"");
  check_refused("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "v1: the protocol must be TCP4, TCP6 or UNKNOWN");
  check_refused("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", "v1: the protocol must be TCP4, TCP6 or UNKNOWN");
  check_refused("PROXY UNKNOWX\r\n", "v1: the protocol must be TCP4, TCP6 or UNKNOWN");
  check_refused("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
                "v1: a line must have 4 fields after the protocol, separated by single spaces");
  check_refused("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
                "v1: a line must have 4 fields after the protocol, separated by single spaces");
  check_refused("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
                "v1: a line must have 4 fields after the protocol, separated by single spaces");
  check_refused("PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "v1: the source is not an IPv4 address");
  check_refused("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "v1: the source is not an IPv6 address");
  check_refused("PROXY TCP6 ::1 1.2.3 1 2\r\n", "v1: the destination is not an IPv6 address");
  check_refused("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", "v1: the source is not an IPv4 address");
  check_refused("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
                "v1: a port must be a number from 0 to 65535 without leading zeros");
  check_refused("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",
                "v1: a port must be a number from 0 to 65535 without leading zeros");
  check_refused("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "v1: a line feed without a carriage return before it");
  check_refused("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", "v1: a carriage return not followed by a line feed");
  check_refused("PROXY TCP4 1.2.3.4 5.6.7.8 1 2x\r\n", "v1: a byte that no address or port has");
  check_refused("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", "v1: a byte that no address or port has");
  check_refused("PROXY UNKNOWN " + std::string(200, 'x'), "v1: no CRLF within 107 bytes, the longest a line may be");
  check_refused("PROXY TCP6 " + std::string(100, ':'), "v1: no CRLF within 107 bytes, the longest a line may be");
}

TEST_CASE("a v2 PROXY header over TCP4 and TCP6, its TLVs skipped", "[proxy_protocol]") {
  std::string tlvs =
      "\x04\x00\x03"
      "abc"s +
      "\x20\x00\x01\x00"s;  // NOOP and an SSL TLV, skipped
  std::string h = v2(0x21, 0x11, kV4Addrs + tlvs);
  Verdict v = parse(h + "GET / HTTP/1.1\r\n");
  REQUIRE(v.result == ProxyParse::Complete);
  CHECK(v.header.version == 2);
  CHECK(v.header.has_address);
  CHECK(text(v.header.source) == "192.0.2.1");
  CHECK(text(v.header.destination) == "10.0.0.1");
  CHECK(v.header.source_port == 56324);
  CHECK(v.header.destination_port == 443);
  CHECK(v.header.length == h.size());
  check_prefixes_incomplete(h);

  std::string v6addrs =
      "\x20\x01\x0d\xb8"s + std::string(11, '\0') + "\x07"s + std::string(15, '\0') + "\x01"s + be16(1234) + be16(80);
  std::string h6 = v2(0x21, 0x21, v6addrs);
  v = parse(h6);
  REQUIRE(v.result == ProxyParse::Complete);
  CHECK(v.header.v6);
  CHECK(text(v.header.source) == "2001:db8::7");
  CHECK(text(v.header.destination) == "::1");
  CHECK(v.header.source_port == 1234);
  CHECK(v.header.destination_port == 80);
  check_prefixes_incomplete(h6);
}

TEST_CASE("v2 LOCAL, UNSPEC and UNIX carry no address to use", "[proxy_protocol]") {
  for (std::string h : {v2(0x20, 0x00, ""), v2(0x20, 0x11, kV4Addrs), v2(0x21, 0x00, ""),
                        v2(0x21, 0x31, std::string(216, '\0')), v2(0x21, 0x00, "\x04\x00\x00"s)}) {
    Verdict v = parse(h);
    REQUIRE(v.result == ProxyParse::Complete);
    CHECK(v.header.version == 2);
    CHECK_FALSE(v.header.has_address);
    CHECK(v.header.length == h.size());
    check_prefixes_incomplete(h);
  }
}

TEST_CASE("once its length is known, a v2 header asks for exactly the rest", "[proxy_protocol]") {
  std::string h = v2(0x21, 0x11, kV4Addrs);
  CHECK(parse("").header.need == kProxyMinBytes);
  CHECK(parse(h.substr(0, 15)).header.need == 1);
  CHECK(parse(h.substr(0, 16)).header.need == 12);
  CHECK(parse(h.substr(0, 20)).header.need == 8);
}

TEST_CASE("malformed v2 headers are refused with their reason", "[proxy_protocol]") {
  std::string wrong_sig = kSig;
  wrong_sig[8] = 'X';
  check_refused(wrong_sig + "\x21\x11" + be16(12) + kV4Addrs, "v2: the signature is wrong");
  check_refused(v2(0x11, 0x11, kV4Addrs), "v2: the version must be 2");
  check_refused(v2(0x22, 0x11, kV4Addrs), "v2: the command must be LOCAL or PROXY");
  check_refused(v2(0x21, 0x41, kV4Addrs), "v2: the address family must be UNSPEC, INET, INET6 or UNIX");
  check_refused(v2(0x21, 0x13, kV4Addrs), "v2: the transport must be UNSPEC, STREAM or DGRAM");
  check_refused(v2(0x21, 0x11, kV4Addrs.substr(0, 11)), "v2: the length is shorter than the addresses of its family");
  check_refused(v2(0x21, 0x21, kV4Addrs), "v2: the length is shorter than the addresses of its family");
  check_refused(v2(0x21, 0x31, std::string(100, '\0')), "v2: the length is shorter than the addresses of its family");
  check_refused(v2(0x21, 0x11, kV4Addrs + std::string(kProxyV2MaxBytes, '\0')),
                "v2: longer than 4096 bytes, the budget for a header");
  // The largest header within the budget is accepted.
  std::string biggest = v2(0x21, 0x11, kV4Addrs + std::string(kProxyV2MaxBytes - 16 - 12, '\0'));
  REQUIRE(biggest.size() == kProxyV2MaxBytes);
  CHECK(parse(biggest).result == ProxyParse::Complete);
}

TEST_CASE("every byte string is Complete, Incomplete or Failed, and a Complete one stays in bounds",
          "[proxy_protocol]") {
  // Random bytes after each kind of beginning: never a read past the input.
  uint32_t x = 12345;
  auto next = [&] { return x = x * 1103515245u + 12345u; };
  for (std::string begin : {"PROXY "s, kSig, kSig + "\x21\x11"s, kSig + "\x20\x00\x00\x00"s, ""s}) {
    for (int i = 0; i < 2000; ++i) {
      std::string s = begin;
      size_t n = next() % 64;
      for (size_t j = 0; j < n; ++j) s += static_cast<char>(next() >> 16);
      Verdict v = parse(s);
      if (v.result == ProxyParse::Complete) {
        CHECK(v.header.length <= s.size());
        CHECK(v.why.empty());
      }
      if (v.result == ProxyParse::Failed) CHECK_FALSE(v.why.empty());
      if (v.result == ProxyParse::Incomplete) CHECK(v.header.need >= 1);
    }
  }
}

}  // namespace banyan::http
