#include "compiler/diag/render.h"

#include <catch2/catch.hpp>

namespace banyan::diag {

TEST_CASE("text rendering shows location, code, the source line, a caret under the range and the fix-it") {
  source::SourceManager sm;
  auto id = sm.add("a.routes", "site \"x\" {\n  rotue / {\n  }\n}\n");
  DiagnosticSink sink;
  auto& d = sink.report(Code::UnknownKeyword, {id, 13, 18}, "unknown keyword 'rotue'; did you mean 'route'?");
  d.fixit = FixIt{{id, 13, 18}, "route"};
  d.notes.push_back({{id, 9, 10}, "the site starts here"});
  CHECK(render_text(sink.all(), sm) ==
        "a.routes:2:3: error[B0103]: unknown keyword 'rotue'; did you mean 'route'?\n"
        "  rotue / {\n"
        "  ^~~~~\n"
        "  route\n"
        "a.routes:1:10: note: the site starts here\n"
        "site \"x\" {\n"
        "         ^\n");
}

TEST_CASE("a caret under a range past the end of its line stops at the line's end") {
  source::SourceManager sm;
  auto id = sm.add("b.routes", "ab\ncd\n");
  DiagnosticSink sink;
  sink.report(Code::UnexpectedToken, {id, 1, 5}, "m");
  CHECK(render_text(sink.all(), sm) == "b.routes:1:2: error[B0105]: m\nab\n ^\n");
}

TEST_CASE("carets count characters, not bytes, after non-ASCII text, and fix-its sit where they apply") {
  source::SourceManager sm;
  auto id = sm.add("u.routes", "x \"\xc3\xa9 $hots\n");
  DiagnosticSink sink;
  auto& d = sink.report(Code::UnterminatedString, {id, 2, 11}, "string has no closing quote on its line");
  d.fixit = FixIt{{id, 11, 11}, "\""};
  CHECK(render_text(sink.all(), sm) ==
        "u.routes:1:3: error[B0102]: string has no closing quote on its line\n"
        "x \"\xc3\xa9 $hots\n"
        "  ^~~~~~~~\n"
        "          \"\n");
}

TEST_CASE("a very long source line is shown as a window around the caret") {
  source::SourceManager sm;
  std::string line(100000, '}');
  auto id = sm.add("long.routes", line + "\n");
  DiagnosticSink sink;
  sink.report(Code::StrayCloseBrace, {id, 50000, 50001}, "m");
  std::string text = render_text(sink.all(), sm);
  CHECK(text.size() < 500);
  CHECK(text.find("\n..." + std::string(80, '}')) != std::string::npos);
  CHECK(text.find("\n   " + std::string(80, ' ') + "^\n") != std::string::npos);
}

TEST_CASE("sarif columns count code points") {
  source::SourceManager sm;
  auto id = sm.add("s.routes", "\xc3\xa9\xc3\xa9 x\n");
  DiagnosticSink sink;
  sink.report(Code::UnknownKeyword, {id, 5, 6}, "m");
  std::string s = render_sarif(sink.all(), sm);
  CHECK(s.find("\"startColumn\":4,\"endLine\":1,\"endColumn\":5") != std::string::npos);
  CHECK(render_json(sink.all(), sm).find("\"column\":6") != std::string::npos);  // bytes, like the text form
}

TEST_CASE("json strings escape quotes, control characters and invalid UTF-8") {
  CHECK(json_quote("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"");
  CHECK(json_quote(std::string("\x01", 1)) == "\"\\u0001\"");
  CHECK(json_quote("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  CHECK(json_quote("\xff") == "\"\xef\xbf\xbd\"");
}

TEST_CASE("sarif output names version 2.1.0 and has one result per diagnostic with its rule id") {
  source::SourceManager sm;
  auto id = sm.add("c.routes", "x\n");
  DiagnosticSink sink;
  sink.report(Code::UnknownKeyword, {id, 0, 1}, "one");
  sink.report(Code::UnexpectedToken, {id, 0, 1}, "two");
  std::string s = render_sarif(sink.all(), sm);
  CHECK(s.find("\"version\":\"2.1.0\"") != std::string::npos);
  size_t results = 0;
  for (size_t p = s.find("\"ruleId\""); p != std::string::npos; p = s.find("\"ruleId\"", p + 1)) ++results;
  CHECK(results == 2);
  CHECK(s.find("\"ruleId\":\"B0103\"") != std::string::npos);
}

}  // namespace banyan::diag
