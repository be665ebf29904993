// The formatter over every routes file in the tree: formatting is idempotent, keeps
// the meaning (same AST without positions) and every comment, and the examples are
// already in canonical form.
#include <catch2/catch.hpp>

#include "compiler/ast/dump_ast.h"
#include "compiler/format/format_file.h"
#include "compiler/parse/parse_file.h"
#include "tests/support/test_files.h"

namespace banyan::test {
namespace {

struct Formatted {
  bool ok = false;
  std::string text;
  std::string ast;
  size_t comments = 0;
};

Formatted format_text(const std::string& text) {
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  auto id = sm.add("input.routes", text);
  auto parsed = parse::parse_file(sm.file(id), sink);
  Formatted f;
  f.ok = parsed.syntax_ok;
  if (!f.ok) return f;
  f.text = format::format_tokens(parsed.tokens);
  f.ast = ast::dump_ast(parsed.ast, nullptr);
  for (const auto& t : parsed.tokens) f.comments += t.kind == parse::SyntaxToken::Kind::Comment;
  return f;
}

}  // namespace

TEST_CASE("formatting any routes file in the tree is idempotent and keeps its meaning and comments") {
  std::vector<std::string> files = files_under("examples", ".routes");
  auto tests = files_under("tests", ".routes");
  files.insert(files.end(), tests.begin(), tests.end());
  size_t formatted = 0;
  for (const auto& path : files) {
    DYNAMIC_SECTION(path) {
      Formatted once = format_text(read_file(path));
      if (!once.ok) continue;  // files that test syntax errors
      ++formatted;
      Formatted twice = format_text(once.text);
      REQUIRE(twice.ok);
      CHECK(twice.text == once.text);
      Formatted original = format_text(read_file(path));
      CHECK(twice.ast == original.ast);
      CHECK(twice.comments == original.comments);
    }
  }
}

TEST_CASE("every example is already formatted") {
  auto files = files_under("examples", ".routes");
  REQUIRE(!files.empty());
  for (const auto& path : files) {
    DYNAMIC_SECTION(path) {
      std::string text = read_file(path);
      Formatted f = format_text(text);
      REQUIRE(f.ok);
      CHECK(f.text == text);
    }
  }
}

}  // namespace banyan::test
