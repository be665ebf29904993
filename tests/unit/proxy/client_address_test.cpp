// The client behind trusted proxies: X-Forwarded-For read from the right, trusted hops
// skipped (nginx's real_ip_recursive on), across several fields, and what an untrusted
// peer or a garbled entry leaves.
#include <catch2/catch.hpp>

#include <vector>

#include "runtime/proxy/client_address.h"

namespace banyan::proxy {
namespace {

std::vector<config::Cidr> ranges(std::initializer_list<std::string_view> texts) {
  std::vector<config::Cidr> out;
  for (auto t : texts) {
    config::Cidr c;
    REQUIRE_FALSE(config::parse_cidr(t, c));
    out.push_back(c);
  }
  return out;
}

std::string client(std::string_view peer, std::vector<plan::HeaderField> fields,
                   const std::vector<config::Cidr>& trusted) {
  auto p = config::parse_ip(peer);
  REQUIRE(p);
  return config::to_string(client_address(*p, fields, trusted));
}

// Built inside each test case: REQUIRE needs a running test.
#define kTrusted ranges({"10.0.0.0/8", "::1/128"})

}  // namespace

TEST_CASE("an untrusted peer is the client, whatever X-Forwarded-For says", "[client_address]") {
  CHECK(client("203.0.113.9", {{"X-Forwarded-For", "1.2.3.4"}}, kTrusted) == "203.0.113.9");
  CHECK(client("10.0.0.1", {{"X-Forwarded-For", "1.2.3.4"}}, {}) == "10.0.0.1");
  CHECK(client("10.0.0.1", {{"Host", "a"}}, kTrusted) == "10.0.0.1");  // trusted, but no list
}

TEST_CASE("a trusted peer's list is read from the right, skipping trusted hops", "[client_address]") {
  CHECK(client("10.0.0.1", {{"X-Forwarded-For", "1.2.3.4"}}, kTrusted) == "1.2.3.4");
  // A client-supplied (spoofed) entry on the left is not believed: the first untrusted from the right wins.
  CHECK(client("10.0.0.1", {{"X-Forwarded-For", "6.6.6.6, 1.2.3.4, 10.9.9.9"}}, kTrusted) == "1.2.3.4");
  CHECK(client("::1", {{"x-forwarded-for", " 2001:db8::5 ,\t10.1.1.1 "}}, kTrusted) == "2001:db8::5");
  // Every entry trusted: the leftmost (nginx's recursive rule).
  CHECK(client("10.0.0.1", {{"X-Forwarded-For", "10.0.0.3, 10.0.0.2"}}, kTrusted) == "10.0.0.3");
  // Several fields are one list, in order; other fields in between do not matter.
  CHECK(client("10.0.0.1", {{"X-Forwarded-For", "5.5.5.5"}, {"Host", "a"}, {"X-Forwarded-For", "10.0.0.7, ,"}},
               kTrusted) == "5.5.5.5");
  CHECK(client("10.0.0.1", {{"X-Forwarded-For", "5.5.5.5, 4.4.4.4"}, {"X-Forwarded-For", "10.0.0.7"}}, kTrusted) ==
        "4.4.4.4");
  // v4-mapped peers are their IPv4 address.
  CHECK(client("::ffff:10.0.0.1", {{"X-Forwarded-For", "1.2.3.4"}}, kTrusted) == "1.2.3.4");
}

TEST_CASE("an entry that is not an address ends the walk at the last trusted hop", "[client_address]") {
  CHECK(client("10.0.0.1", {{"X-Forwarded-For", "1.2.3.4, unknown"}}, kTrusted) == "10.0.0.1");
  CHECK(client("10.0.0.1", {{"X-Forwarded-For", "1.2.3.4, garbage, 10.0.0.2"}}, kTrusted) == "10.0.0.2");
  CHECK(client("10.0.0.1", {{"X-Forwarded-For", "1.2.3.4:5678"}}, kTrusted) == "10.0.0.1");
  CHECK(client("10.0.0.1", {{"X-Forwarded-For", ""}}, kTrusted) == "10.0.0.1");
  CHECK(client("10.0.0.1", {{"X-Forwarded-For", std::string(5000, ',')}}, kTrusted) == "10.0.0.1");
}

}  // namespace banyan::proxy
