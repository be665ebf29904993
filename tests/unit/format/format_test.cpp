// The canonical layout, written out by hand: these expectations are the spec in
// compiler/format/format_file.h, not output captured from the formatter.
#include "compiler/format/format_file.h"

#include <catch2/catch.hpp>

namespace banyan::format {
namespace {

std::string fmt(const std::string& text) {
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  auto id = sm.add("t.routes", text);
  auto parsed = parse::parse_file(sm.file(id), sink);
  REQUIRE(parsed.syntax_ok);
  return format_tokens(parsed.tokens);
}

}  // namespace

TEST_CASE("statements go one per line, indented two spaces per block, with single spaces") {
  CHECK(fmt("upstream   u{server \"u:80\"    weight 2 balance least_conn}") ==
        "upstream u {\n  server \"u:80\" weight 2\n  balance least_conn\n}\n");
}

TEST_CASE("comments stay on their own line or after their code, and blank lines collapse to one") {
  CHECK(fmt("# head\n\n\n\ncache c {   # zone\n\n  memory 1MiB # size\n\n\n  # last\n\n}\n") ==
        "# head\n\ncache c { # zone\n  memory 1MiB # size\n\n  # last\n}\n");
}

TEST_CASE("empty blocks stay on one line and commas hug the word before them") {
  CHECK(fmt("site \"a.com\" ,\"b.com\" {\n}\n") == "site \"a.com\", \"b.com\" {}\n");
  CHECK(fmt("migration \"m\" { shift 1% for 10m ,100% }") == "migration \"m\" {\n  shift 1% for 10m, 100%\n}\n");
}

TEST_CASE("a statement written over several lines is joined onto one") {
  CHECK(fmt("upstream u {\n  server\n    \"u:80\"\n    weight\n    3\n}\n") ==
        "upstream u {\n  server \"u:80\" weight 3\n}\n");
}

TEST_CASE("a leading byte order mark is dropped and the tokens after it keep their text") {
  // ANTLR's input stream skips the mark; found by the fuzzer as shifted token text.
  CHECK(fmt("\xef\xbb\xbf# caf\xc3\xa9\n\nlisten http :80\n") == "# caf\xc3\xa9\n\nlisten http :80\n");
}

}  // namespace banyan::format
