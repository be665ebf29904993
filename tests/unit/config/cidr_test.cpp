// Addresses and CIDR ranges for `[clients] trusted_proxies`: the forms accepted, the
// exact refusals, v4-mapped addresses, and membership against a bit-by-bit oracle on
// random ranges and addresses.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <array>
#include <random>
#include <vector>

#include "runtime/config/cidr.h"
#include "tests/support/property_seed.h"

namespace banyan::config {
namespace {

Cidr cidr(std::string_view text) {
  Cidr c;
  auto why = parse_cidr(text, c);
  INFO(text);
  REQUIRE_FALSE(why);
  return c;
}

std::string refusal(std::string_view text) {
  Cidr c;
  auto why = parse_cidr(text, c);
  return why ? *why : "(accepted)";
}

IpAddress ip(std::string_view text) {
  auto a = parse_ip(text);
  INFO(text);
  REQUIRE(a);
  return *a;
}

// The oracle: bit i of the 128-bit form, counted from the most significant.
bool bit(const IpAddress& a, unsigned i) { return (a.bytes[i / 8] >> (7 - i % 8)) & 1; }
bool oracle_contains(const Cidr& c, const IpAddress& a) {
  for (unsigned i = 0; i < c.bits; ++i)
    if (bit(c.base, i) != bit(a, i)) return false;
  return true;
}

}  // namespace

TEST_CASE("addresses parse in both families and print back in their usual form", "[cidr]") {
  CHECK(to_string(ip("10.1.2.3")) == "10.1.2.3");
  CHECK(ip("10.1.2.3").is_v4());
  CHECK(ip("10.1.2.3") == ipv4(0x0a010203));
  CHECK(to_string(ip("::1")) == "::1");
  CHECK_FALSE(ip("::1").is_v4());
  CHECK(to_string(ip("2001:DB8:0:0::1")) == "2001:db8::1");
  // A v4-mapped address is the IPv4 address, however it was written.
  CHECK(ip("::ffff:10.1.2.3") == ip("10.1.2.3"));
  CHECK(to_string(ip("::ffff:10.1.2.3")) == "10.1.2.3");
  for (std::string_view bad : {"", "10.1.2", "10.1.2.3.4", "10.1.2.256", "010.1.2.3", " 10.1.2.3", "10.1.2.3 ", "[::1]",
                               "::1%eth0", "10.1.2.3:80", "::g", "unknown", "1:2:3:4:5:6:7:8:9",
                               "0000000000000000000000000000000000000000000000000000000001"})
    CHECK_FALSE(parse_ip(bad));
}

TEST_CASE("ranges of both families, and a bare address is a range of one", "[cidr]") {
  CHECK(to_string(cidr("10.0.0.0/8")) == "10.0.0.0/8");
  CHECK(cidr("10.0.0.0/8").bits == 104);
  CHECK(to_string(cidr("::1/128")) == "::1/128");
  CHECK(to_string(cidr("fd00::/8")) == "fd00::/8");
  CHECK(to_string(cidr("192.168.1.7")) == "192.168.1.7/32");
  CHECK(to_string(cidr("::1")) == "::1/128");
  CHECK(to_string(cidr("0.0.0.0/0")) == "0.0.0.0/0");
  CHECK(to_string(cidr("::/0")) == "::/0");
  CHECK(cidr("::ffff:10.0.0.0/104") == cidr("10.0.0.0/8"));

  CHECK(cidr("10.0.0.0/8").contains(ip("10.255.0.1")));
  CHECK_FALSE(cidr("10.0.0.0/8").contains(ip("11.0.0.1")));
  CHECK(cidr("172.16.0.0/12").contains(ip("172.31.255.255")));
  CHECK_FALSE(cidr("172.16.0.0/12").contains(ip("172.32.0.0")));
  CHECK(cidr("::1/128").contains(ip("::1")));
  CHECK_FALSE(cidr("::1/128").contains(ip("::2")));
  // A v4 range holds the v4-mapped peers of a dual-stack socket, and no other v6.
  CHECK(cidr("10.0.0.0/8").contains(ip("::ffff:10.9.9.9")));
  CHECK_FALSE(cidr("10.0.0.0/8").contains(ip("::a09:909")));
  CHECK(cidr("0.0.0.0/0").contains(ip("1.2.3.4")));
  CHECK_FALSE(cidr("0.0.0.0/0").contains(ip("2001:db8::1")));
  CHECK(cidr("::/0").contains(ip("1.2.3.4")));
  CHECK(cidr("::/0").contains(ip("2001:db8::1")));
  Cidr list[] = {cidr("10.0.0.0/8"), cidr("::1")};
  CHECK(any_contains(list, ip("10.0.0.1")));
  CHECK(any_contains(list, ip("::1")));
  CHECK_FALSE(any_contains(list, ip("127.0.0.1")));
  CHECK_FALSE(any_contains({}, ip("127.0.0.1")));
}

TEST_CASE("a bad range is refused with what is wrong with it", "[cidr]") {
  CHECK(refusal("10.0.0.0/33") == "'10.0.0.0/33': the prefix length of an IPv4 range is 0 to 32, not 33");
  CHECK(refusal("::/129") == "'::/129': the prefix length of an IPv6 range is 0 to 128, not 129");
  CHECK(refusal("10.0.0.0/") == "'10.0.0.0/': the prefix length after '/' must be a number from 0 to 32");
  CHECK(refusal("10.0.0.0/08") == "'10.0.0.0/08': the prefix length after '/' must be a number from 0 to 32, not '08'");
  CHECK(refusal("10.0.0.0/8/8") ==
        "'10.0.0.0/8/8': the prefix length after '/' must be a number from 0 to 32, not '8/8'");
  CHECK(refusal("10.0.0.0/-1") == "'10.0.0.0/-1': the prefix length after '/' must be a number from 0 to 32, not '-1'");
  CHECK(refusal("10.0.0.1/8") == "'10.0.0.1/8' has bits set after its /8 prefix; did you mean \"10.0.0.0/8\"?");
  CHECK(refusal("fd00::1/8") == "'fd00::1/8' has bits set after its /8 prefix; did you mean \"fd00::/8\"?");
  CHECK(refusal("10.0.0/8") == "'10.0.0/8' is not an IPv4 address or range, like \"10.0.0.0/8\"");
  CHECK(refusal("fd00:::/8") == "'fd00:::/8' is not an IPv6 address or range, like \"fd00::/8\"");
  CHECK(refusal("[::1]/128") == "'[::1]/128': write an IPv6 range without brackets, like \"fd00::/8\"");
  CHECK(refusal("/8") == "'/8' has no address before the '/'; write a range like \"10.0.0.0/8\"");
  CHECK(refusal("") == "'' has no address before the '/'; write a range like \"10.0.0.0/8\"");
  CHECK(refusal("localhost") == "'localhost' is not an IPv4 address or range, like \"10.0.0.0/8\"");
}

TEST_CASE("membership agrees with a bit-by-bit oracle on random ranges and addresses", "[cidr][property]") {
  uint32_t seed = test::property_seed(13);
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  auto random_ip = [&]() {
    IpAddress a;
    for (auto& b : a.bytes) b = static_cast<uint8_t>(rng());
    if (rng() % 2) a = ipv4(static_cast<uint32_t>(rng()));  // half of them IPv4
    return a;
  };
  int rounds = test::property_rounds(20000);
  int inside = 0;
  for (int i = 0; i < rounds; ++i) {
    IpAddress base = random_ip();
    bool v4 = base.is_v4();
    unsigned len = static_cast<unsigned>(rng() % (v4 ? 33 : 129));
    // Parse the range from text, as the configuration does; bits after the prefix are cleared first.
    std::string text = to_string(base);
    Cidr probe;
    std::string why = parse_cidr(text + "/" + std::to_string(len), probe).value_or("");
    if (!why.empty()) {
      size_t q = why.find("did you mean \"");
      REQUIRE(q != std::string::npos);
      text = why.substr(q + 14, why.find('"', q + 14) - q - 14);
    } else {
      text += "/" + std::to_string(len);
    }
    Cidr c = cidr(text);
    // Addresses near the range (sharing a random number of leading bits) and far from it.
    for (int j = 0; j < 8; ++j) {
      IpAddress a = random_ip();
      unsigned share = static_cast<unsigned>(rng() % 129);
      for (unsigned b = 0; b < share; ++b) {
        uint8_t m = static_cast<uint8_t>(0x80 >> (b % 8));
        a.bytes[b / 8] = static_cast<uint8_t>((a.bytes[b / 8] & ~m) | (c.base.bytes[b / 8] & m));
      }
      INFO(text << " holds " << to_string(a) << "?");
      bool expect = oracle_contains(c, a);
      CHECK(c.contains(a) == expect);
      inside += expect;
    }
  }
  CHECK(inside > rounds);  // both answers were exercised, many times
}

TEST_CASE("IPv4 addresses print as inet_ntop prints them", "[cidr][property]") {
  // format_ip writes IPv4 by hand (every connection's peer); inet_ntop is the oracle.
  uint32_t seed = test::property_seed(17);
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  std::vector<uint32_t> cases = {0, 1, 0x7f000001, 0x0a000a00, 0xffffffff, 0x64646464, 0x09090909};
  for (int i = test::property_rounds(20000); i > 0; --i) cases.push_back(static_cast<uint32_t>(rng()));
  for (uint32_t v : cases) {
    unsigned char raw[4] = {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
                            static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
    char want[INET_ADDRSTRLEN];
    REQUIRE(inet_ntop(AF_INET, raw, want, sizeof want));
    std::array<char, kIpTextMax> got;
    size_t n = format_ip(ipv4(v), got);
    INFO(want);
    REQUIRE(std::string_view(got.data(), n) == want);
    REQUIRE(got[n] == '\0');
  }
}

}  // namespace banyan::config
