// The catalog and its documentation stay in step: codes are unique and well formed,
// and docs/diagnostics.md has a section for each.
#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "compiler/diag/diagnostic.h"
#include "tests/support/test_files.h"

namespace banyan::diag {

TEST_CASE("diagnostic codes are unique, well formed, and in the order of their enumerators") {
  std::set<std::string_view> codes, slugs;
  const auto& table = catalog();
  for (size_t i = 0; i < table.size(); ++i) {
    CHECK(static_cast<size_t>(table[i].id) == i);
    CHECK(std::regex_match(std::string(table[i].code), std::regex("B0[1-9][0-9][0-9]")));
    CHECK(codes.insert(table[i].code).second);
    CHECK(slugs.insert(table[i].slug).second);
  }
}

TEST_CASE("docs/diagnostics.md documents every code with an example") {
  std::string doc = test::read_file(test::source_dir() + "/docs/diagnostics.md");
  for (const auto& info : catalog()) {
    std::string heading = "## " + std::string(info.code) + " " + std::string(info.slug);
    INFO(heading);
    size_t at = doc.find(heading + "\n");
    REQUIRE(at != std::string::npos);
    size_t next = doc.find("\n## ", at + 1);
    std::string section = doc.substr(at, next == std::string::npos ? std::string::npos : next - at);
    if (info.id != Code::InputTooLarge) CHECK(section.find("```routes") != std::string::npos);
  }
}

}  // namespace banyan::diag
