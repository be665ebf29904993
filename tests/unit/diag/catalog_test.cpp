// The catalog and its documentation stay in step: codes are unique and well formed,
// and docs/diagnostics.md has a section for each.
#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "compiler/diag/diagnostic.h"
#include "compiler/diag/render.h"
#include "runtime/version.h"
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

TEST_CASE("docs/diagnostics.md lists exactly the catalog's warnings") {
  std::string doc = test::read_file(test::source_dir() + "/docs/diagnostics.md");
  const std::string marker = "The warnings are: ";
  size_t at = doc.find(marker);
  REQUIRE(at != std::string::npos);
  std::string list = doc.substr(at + marker.size(), doc.find('.', at) - at - marker.size());
  std::set<std::string> documented;
  std::regex code("B0[0-9]{3}");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), code); it != std::sregex_iterator(); ++it)
    documented.insert(it->str());
  std::set<std::string> warnings;
  for (const auto& info : catalog()) {
    if (info.severity == Severity::Warning) warnings.insert(std::string(info.code));
  }
  CHECK(documented == warnings);
}

TEST_CASE("the sarif output names the tool's version and each rule's section of docs/diagnostics.md") {
  std::string doc = test::read_file(test::source_dir() + "/docs/diagnostics.md");
  source::SourceManager sm;
  std::string sarif = render_sarif({}, sm);
  CHECK(sarif.find("\"version\":\"" + std::string(kReleaseVersion) + "\"") != std::string::npos);
  for (const auto& info : catalog()) {
    std::string uri = help_uri(info);
    INFO(uri);
    CHECK(sarif.find("\"helpUri\":\"" + uri + "\"") != std::string::npos);
    // The anchor is the heading's, lower-cased with its space as '-'.
    std::string heading = "## " + std::string(info.code) + " " + std::string(info.slug);
    std::string anchor = uri.substr(uri.find('#') + 1);
    std::string from_heading = heading.substr(3);
    for (char& c : from_heading) c = c == ' ' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(anchor == from_heading);
    CHECK(doc.find(heading + "\n") != std::string::npos);
  }
}

}  // namespace banyan::diag
