#include "compiler/diag/suggest.h"

#include <catch2/catch.hpp>

namespace banyan::diag {

TEST_CASE("edit distance counts insertions, deletions, substitutions and adjacent swaps as one edit each") {
  CHECK(edit_distance("upstream", "upstream") == 0);
  CHECK(edit_distance("upsteam", "upstream") == 1);   // deletion
  CHECK(edit_distance("upstreamm", "upstream") == 1); // insertion
  CHECK(edit_distance("upstraem", "upstream") == 1);  // swap
  CHECK(edit_distance("rout", "route") == 1);
  CHECK(edit_distance("abc", "xyz") == 3);
  CHECK(edit_distance("", "abc") == 3);
}

TEST_CASE("a suggestion is offered for a typo and withheld for a different word") {
  std::vector<std::string> keywords = {"upstream", "site", "route", "cache", "tls"};
  CHECK(closest("upsteam", keywords) == std::optional<std::string>("upstream"));
  CHECK(closest("rotue", keywords) == std::optional<std::string>("route"));
  CHECK_FALSE(closest("banana", keywords).has_value());
  CHECK_FALSE(closest("x", {"s", "m"}).has_value());  // replacing the whole word is not a typo
  CHECK_FALSE(closest("site", keywords).has_value());  // the word itself is not a suggestion
}

}  // namespace banyan::diag
