// Quantities shared by the routes language and the TOML configuration. The compiler's
// messages are pinned by tests/unit/parse/literals_test.cpp; these are the cases only
// free text (a TOML string) can reach.
#include "runtime/plan/units.h"

#include <catch2/catch.hpp>

namespace banyan::units {

TEST_CASE("a quantity whose number is malformed is refused, not misread", "[units]") {
  for (const char* text : {"1.2.3s", ".5s", "5.s", "s", "-5s", "", "1..5KiB", "KiB", "+1s"}) {
    INFO(text);
    CHECK_FALSE(parse_duration(text).ok);
    CHECK_FALSE(parse_size(text).ok);
  }
  CHECK(parse_duration("1.2.3s").error == "duration '1.2.3s' is not a number followed by a unit, like 10s");
  CHECK(parse_size("KiB").error == "size 'KiB' is not a number followed by a unit, like 10KiB");
  CHECK(parse_size("-5KiB").error == "size '-5KiB' does not start with a number; write it like 10KiB");
  CHECK_FALSE(parse_percent(".%").ok);
  CHECK_FALSE(parse_percent("1.2.3%").ok);
}

TEST_CASE("an unknown unit is flagged so that callers can add a suggestion", "[units]") {
  auto d = parse_duration("5sec");
  CHECK(d.unknown_unit);
  CHECK(d.error == "unknown duration unit 'sec'; use ms, s, m, h or d");
  CHECK_FALSE(parse_duration("99999999999d").unknown_unit);
  CHECK(unit_names(size_units()) == std::vector<std::string>{"B", "KiB", "MiB", "GiB"});
  CHECK(parse_size("1.5KiB").value == 1536);
  CHECK(parse_duration("10s").value == 10'000);
}

}  // namespace banyan::units
