// The reader on whole files: every mistake reported once, at the right place, and
// hostile input (deep nesting, huge or binary files) answered with a diagnostic.
#include "compiler/parse/parse_file.h"

#include <catch2/catch.hpp>

#include "compiler/ast/dump_ast.h"
#include "compiler/diag/render.h"
#include "tests/support/test_files.h"

namespace banyan::parse {
namespace {

struct Found {
  std::string code;
  uint32_t line, column;
};

std::vector<Found> check(const std::string& text, test::Checked& c) {
  test::check_text(c, "t.routes", text);
  std::vector<Found> out;
  for (const auto& d : c.sink.all()) {
    auto lc = c.sm.file(d.range.file).line_col(d.range.begin);
    out.push_back({std::string(diag::info(d.code).code), lc.line, lc.column});
  }
  return out;
}

}  // namespace

TEST_CASE("a file with five different mistakes gets five diagnostics at their line and column") {
  const std::string text =
      "upstream monolith {\n"        // 1
      "  server \"monolith:80\"\n"   // 2
      "}\n"                          // 3
      "upsteam iotd {\n"             // 4  typo'd keyword
      "  server \"iotd:80\"\n"       // 5
      "}\n"                          // 6
      "upstream monolith {\n"        // 7  duplicate upstream name
      "  server \"m2:80\"\n"         // 8
      "}\n"                          // 9
      "site \"example.com\" {\n"     // 10
      "  route / {\n"                // 11
      "    to monolth\n"             // 12 unknown upstream
      "    read_timeout 5x\n"        // 13 bad duration unit
      "  }\n"                        // 14
      "  route /api {\n"             // 15
      "    to monolith\n"            // 16 missing brace (two, in fact) at the end
      "\n";
  test::Checked c;
  auto found = check(text, c);
  INFO(diag::render_text(c.sink.all(), c.sm));
  REQUIRE(found.size() == 5);
  CHECK((found[0].code == "B0103" && found[0].line == 4 && found[0].column == 1));
  CHECK((found[1].code == "B0304" && found[1].line == 7 && found[1].column == 10));
  CHECK((found[2].code == "B0301" && found[2].line == 12 && found[2].column == 8));
  CHECK((found[3].code == "B0201" && found[3].line == 13 && found[3].column == 18));
  CHECK((found[4].code == "B0104" && found[4].line == 16 && found[4].column == 16));
  CHECK(c.sink.all()[0].fixit->replacement == "upstream");
  CHECK(c.sink.all()[2].fixit->replacement == "monolith");
  CHECK(c.sink.all()[4].notes.size() == 1);
}

TEST_CASE("a statement keyword of the enclosing block reports the missing brace, once") {
  test::Checked c;
  auto found = check(
      "upstream u {\n  server \"u:80\"\n}\n"
      "site \"a.com\" {\n  route /a {\n    to u\n  route /b {\n    to u\n  }\n}\n",
      c);
  INFO(diag::render_text(c.sink.all(), c.sm));
  REQUIRE(found.size() == 1);
  CHECK((found[0].code == "B0104" && found[0].line == 7));
}

TEST_CASE("an unknown statement inside a block is skipped with its braces, so the rest still parses") {
  test::Checked c;
  auto found = check(
      "upstream u {\n  server \"u:80\"\n  helth GET /h {\n    x y\n  }\n}\n"
      "site \"a.com\" {\n  route / {\n    to uu\n  }\n}\n",
      c);
  INFO(diag::render_text(c.sink.all(), c.sm));
  REQUIRE(found.size() == 2);
  CHECK(found[0].code == "B0103");
  CHECK(found[1].code == "B0301");
}

TEST_CASE("deeply nested braces get errors, not a stack overflow") {
  std::string text = "site \"a.com\" {\n  route / {\n    to u\n";
  for (int i = 0; i < 100000; ++i) text += "{";
  for (int i = 0; i < 100000; ++i) text += "}";
  test::Checked c;
  check(text, c);
  CHECK(c.sink.error_count() > 0);
  CHECK(c.sink.error_count() <= Limits{}.max_errors_per_file + 1);
}

TEST_CASE("a file over the size budget is refused before it is lexed") {
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  Limits limits;
  limits.max_file_bytes = 1000;
  auto id = sm.add("big.routes", std::string(2000, '#'));
  auto parsed = parse_file(sm.file(id), sink, limits);
  REQUIRE(sink.all().size() == 1);
  CHECK(sink.all()[0].code == diag::Code::InputTooLarge);
  CHECK_FALSE(parsed.syntax_ok);
}

TEST_CASE("invalid UTF-8 is reported at its byte, and binary junk stops at the error budget") {
  test::Checked c;
  auto found = check("site \"a\xff\" {}\n", c);
  REQUIRE(found.size() == 1);
  CHECK((found[0].code == "B0101" && found[0].column == 8));

  std::string junk;
  for (int i = 0; i < 5000; ++i) junk += "@ ";
  test::Checked j;
  check(junk, j);
  CHECK(j.sink.all().size() == Limits{}.max_errors_per_file + 1);
  CHECK(j.sink.all().back().code == diag::Code::InputTooLarge);
}

TEST_CASE("non-ASCII text keeps columns in bytes, matching the source line") {
  test::Checked c;
  auto found = check("# caf\xc3\xa9\nupstream u {\n  server \"u:80\"\n}\nsite \"\xc3\xa9.com\" { route / { to u } }\n", c);
  REQUIRE(found.size() == 1);
  CHECK((found[0].code == "B0208" && found[0].line == 5 && found[0].column == 6));
}

TEST_CASE("the token list marks where each statement starts") {
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  auto id = sm.add("t.routes", "cache c { memory 1MiB }  # trailing\n");
  auto parsed = parse_file(sm.file(id), sink);
  REQUIRE(parsed.syntax_ok);
  std::vector<std::string> starts;
  for (const auto& t : parsed.tokens) {
    if (t.starts_statement) starts.emplace_back(t.text);
  }
  CHECK(starts == std::vector<std::string>{"cache", "memory"});
  CHECK(parsed.tokens.back().kind == SyntaxToken::Kind::Comment);
}

TEST_CASE("a file read without its layout has the same tree and diagnostics, and no token list") {
  // One file with a mistake in a value, one with a syntax error: the layout is the
  // last step of the read, and skipping it must change nothing before it.
  for (std::string text : {"upstream u {\n  server \"10.0.0.1:80\" weight 0\n}\n# c\nsite default {\n  route / { to u }\n}\n",
                           "site default {\n  route /a {\n    to\n  }\n  route /b { to u }\n"}) {
    source::SourceManager sm;
    diag::DiagnosticSink keep_sink, skip_sink;
    auto id = sm.add("t.routes", text);
    auto kept = parse_file(sm.file(id), keep_sink, {}, Layout::Keep);
    auto skipped = parse_file(sm.file(id), skip_sink, {}, Layout::Skip);
    CHECK(!kept.tokens.empty());
    CHECK(skipped.tokens.empty());
    CHECK(skipped.syntax_ok == kept.syntax_ok);
    CHECK(ast::dump_ast(skipped.ast, &sm) == ast::dump_ast(kept.ast, &sm));
    CHECK(diag::render_text(skip_sink.all(), sm) == diag::render_text(keep_sink.all(), sm));
    CHECK(!keep_sink.all().empty());
  }
}

}  // namespace banyan::parse
