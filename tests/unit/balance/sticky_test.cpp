// Sticky cookie values: pinned to XXH3-64 (replicas of different builds must agree),
// found again by every table built from the same identities, and strict about
// untrusted values; an endpoint that may not take the request is not found, so the
// caller falls back to its balancer.
#include "runtime/balance/sticky.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace banyan::balance {
namespace {

const std::vector<std::string_view> kIdentities = {"10.0.0.1:8080", "10.0.0.2:8080", "[2001:db8::10]:8080",
                                                   "10.0.0.9:8080"};

TEST_CASE("a sticky value is the lowercase hex of XXH3-64 of the identity", "[balance]") {
  // XXH3-64 of "" is xxHash's published test vector; the others pin this library's output.
  CHECK(sticky_value("").view() == "2d06800538d394c2");
  CHECK(sticky_value("10.0.0.1:8080").view() == "b655a4a4783c5011");
  CHECK(sticky_value("[2001:db8::10]:8080").view() == "12341732a03154a5");
}

TEST_CASE("every endpoint's sticky value finds it again, on any table built from the same identities", "[balance]") {
  const std::vector<Endpoint> endpoints(kIdentities.size());
  const StickyTable a(kIdentities), b(kIdentities);
  for (uint32_t i = 0; i < kIdentities.size(); ++i) {
    const StickyValue value = sticky_value(kIdentities[i]);
    CHECK(value.view().find("10.0") == std::string_view::npos);
    CHECK(a.find(value.view(), endpoints) == i);
    CHECK(b.find(value.view(), endpoints) == i);
  }
}

TEST_CASE("a malformed or unknown sticky value finds nothing", "[balance]") {
  const std::vector<Endpoint> endpoints(kIdentities.size());
  const StickyTable table(kIdentities);
  const std::string good(sticky_value(kIdentities[0]).view());
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  REQUIRE(upper != good);
  std::string with_nul = good;
  with_nul[5] = '\0';
  const std::vector<std::string> garbage = {
      "",
      good.substr(0, 15),
      good + "0",
      " " + good.substr(1),
      upper,
      "0123456789abcdeg",
      "0x23456789abcdef",
      "-123456789abcdef",
      with_nul,
      std::string(1 << 20, 'a'),
      good + good,
      std::string(sticky_value("10.0.0.77:8080").view()),  // well formed, names no endpoint
      "10.0.0.1:8080",
  };
  for (const std::string& value : garbage) {
    INFO("value of " << value.size() << " bytes");
    CHECK(table.find(value, endpoints) == kNoEndpoint);
  }
  CHECK(table.find(good, endpoints) == 0);
}

TEST_CASE("a sticky value naming an endpoint that may not take the request finds nothing", "[balance]") {
  std::vector<Endpoint> endpoints(kIdentities.size());
  endpoints[3].backup = true;
  const StickyTable table(kIdentities);
  endpoints[1].usable = false;
  CHECK(table.find(sticky_value(kIdentities[1]).view(), endpoints) == kNoEndpoint);
  CHECK(table.find(sticky_value(kIdentities[0]).view(), endpoints) == 0);
  // A backup while a primary is usable: fall back, so the client returns to a primary.
  CHECK(table.find(sticky_value(kIdentities[3]).view(), endpoints) == kNoEndpoint);
  endpoints[0].usable = endpoints[2].usable = false;
  CHECK(table.find(sticky_value(kIdentities[3]).view(), endpoints) == 3);
  endpoints[3].usable = false;
  CHECK(table.find(sticky_value(kIdentities[3]).view(), endpoints) == kNoEndpoint);
}

}  // namespace
}  // namespace banyan::balance
