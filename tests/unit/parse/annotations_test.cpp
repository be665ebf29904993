// `# banyan:allow` annotations: what they cover, and that formatting keeps it so.
#include <catch2/catch.hpp>

#include "compiler/format/format_file.h"
#include "tests/support/test_files.h"

namespace banyan::test {
namespace {

const char* kUp = "upstream app {\n  server \"10.0.0.1:8080\"\n}\n";

std::vector<std::string> codes_of(const std::string& text) {
  Checked c;
  check_text(c, "t.routes", text);
  std::vector<std::string> out;
  for (const auto& d : c.sink.all()) out.emplace_back(diag::info(d.code).code);
  return out;
}

std::string formatted(const std::string& text) {
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  auto parsed = parse::parse_file(sm.file(sm.add("t.routes", text)), sink);
  REQUIRE(parsed.syntax_ok);
  return format::format_tokens(parsed.tokens);
}

}  // namespace

TEST_CASE("an annotation silences its code on the statement it covers, and nowhere else") {
  std::string base = std::string(kUp) + "site \"e.com\" {\n  route / { to app }\n";
  CHECK(codes_of(base + "  route ~ \"/a$\" { to app }\n}\n") == std::vector<std::string>{"B0407"});
  CHECK(codes_of(base + "  route ~ \"/a$\" { to app } # banyan:allow B0407 \"on purpose\"\n}\n").empty());
  CHECK(codes_of(base + "  # banyan:allow B0407 \"on purpose\"\n  route ~ \"/a$\" {\n    to app\n  }\n}\n").empty());
  // An own-line annotation covers only the next statement.
  CHECK(codes_of(base + "  # banyan:allow B0407 \"on purpose\"\n  route ~ \"/a$\" { to app }\n"
                        "  route ~ \"/b$\" { to app }\n}\n") == std::vector<std::string>{"B0407"});
}

TEST_CASE("banyanc fmt moves a one-line block's annotation after its '}', where it still covers the block") {
  std::string text = std::string(kUp) +
                     "site \"e.com\" {\n  route / { to app }\n  route ~ \"/a$\" { to app } # banyan:allow B0407 \"on purpose\"\n}\n";
  std::string once = formatted(text);
  CHECK(once.find("} # banyan:allow B0407") != std::string::npos);
  CHECK(codes_of(text).empty());
  CHECK(codes_of(once).empty());
}

}  // namespace banyan::test
