#include "compiler/parse/literals.h"

#include <catch2/catch.hpp>

namespace banyan::parse {

TEST_CASE("durations take ms, s, m, h and d and convert to milliseconds") {
  CHECK(parse_duration("250ms").value == 250);
  CHECK(parse_duration("5s").value == 5000);
  CHECK(parse_duration("10m").value == 600000);
  CHECK(parse_duration("6h").value == 21600000);
  CHECK(parse_duration("365d").value == 31536000000LL);
  CHECK(parse_duration("1.5s").value == 1500);
}

TEST_CASE("a duration with an unknown or missing unit is refused with the units it takes") {
  auto bad = parse_duration("5x");
  CHECK_FALSE(bad.ok);
  CHECK(bad.error == "unknown duration unit 'x'; use ms, s, m, h or d");
  CHECK(parse_duration("5sec").error.find("did you mean") == std::string::npos);
  CHECK_FALSE(parse_duration("0.5ms").ok);  // below a millisecond
  CHECK_FALSE(parse_duration("99999999999d").ok);
}

TEST_CASE("sizes are binary and decimal units get a pointed hint") {
  CHECK(parse_size("64MiB").value == 64ull << 20);
  CHECK(parse_size("1GiB").value == 1ull << 30);
  CHECK(parse_size("512B").value == 512);
  CHECK(parse_size("1.5KiB").value == 1536);
  auto mb = parse_size("64MB");
  CHECK_FALSE(mb.ok);
  CHECK(mb.error.find("did you mean 'MiB'") != std::string::npos);
}

TEST_CASE("percentages are exact in basis points and at most 100%") {
  CHECK(parse_percent("1%").value == 100);
  CHECK(parse_percent("0.5%").value == 50);
  CHECK(parse_percent("100%").value == 10000);
  CHECK_FALSE(parse_percent("101%").ok);
  CHECK_FALSE(parse_percent("0.125%").ok);
}

TEST_CASE("strings are unquoted with their escapes, and a missing closing quote is noticed") {
  CHECK(unquote(R"("a\"b")").value == "a\"b");
  CHECK(unquote(R"("tab\there")").value == "tab\there");
  CHECK(unquote(R"("open)").closed == false);
  CHECK(unquote(R"("ends with \")").closed == false);
  CHECK(unquote(R"("\q")").bad_escape == "\\q");
}

}  // namespace banyan::parse
