// The formatter over every routes file in the tree: formatting is idempotent, keeps
// the meaning (same AST without positions) and every comment, and the examples are
// already in canonical form. A file the parser refuses must say it expects that
// refusal, so a parser that refused everything would fail here, not pass.
#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "compiler/ast/dump_ast.h"
#include "compiler/format/format_file.h"
#include "compiler/parse/parse_file.h"
#include "tests/support/test_files.h"

namespace banyan::test {
namespace {

struct Formatted {
  bool ok = false;
  std::set<std::string> errors;  // the parser's diagnostic codes when it refused
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
  if (!f.ok) {
    for (const auto& d : sink.all()) f.errors.insert(std::string(diag::info(d.code).code));
    return f;
  }
  f.text = format::format_tokens(parsed.tokens);
  f.ast = ast::dump_ast(parsed.ast, nullptr);
  for (const auto& t : parsed.tokens) f.comments += t.kind == parse::SyntaxToken::Kind::Comment;
  return f;
}

// The codes a file says it produces: "# expect: B0104" beside a line (tests/diagnostics)
// or "error[B0104]" in the golden rendering next to it (tests/golden/diagnostics).
std::set<std::string> declared_codes(const std::string& path) {
  std::set<std::string> out;
  std::string text = read_file(path);
  static const std::regex inline_marker(R"(#\s*expect(@[+-]\d+)?:((\s*B\d{4}(\s+"[^"]*")?\s*,?)+))");
  static const std::regex code(R"(B\d{4})");
  for (std::sregex_iterator m(text.begin(), text.end(), inline_marker), end; m != end; ++m) {
    std::string list = (*m)[2].str();
    for (std::sregex_iterator c(list.begin(), list.end(), code); c != end; ++c) out.insert(c->str());
  }
  std::string golden = path.substr(0, path.size() - std::string(".routes").size()) + ".txt";
  if (path.find("/golden/diagnostics/") != std::string::npos) {
    std::string rendered = read_file(golden);
    static const std::regex rendered_code(R"(error\[(B\d{4})\])");
    for (std::sregex_iterator c(rendered.begin(), rendered.end(), rendered_code), end; c != end; ++c)
      out.insert((*c)[1].str());
  }
  return out;
}

}  // namespace

TEST_CASE("formatting any routes file in the tree is idempotent and keeps its meaning and comments") {
  std::vector<std::string> files = files_under("examples", ".routes");
  auto tests = files_under("tests", ".routes");
  files.insert(files.end(), tests.begin(), tests.end());
  size_t formatted = 0, refused = 0;
  for (const auto& path : files) {
    INFO(path);
    Formatted once = format_text(read_file(path));
    if (!once.ok) {
      // Only files that test syntax errors, refused for the errors they expect.
      ++refused;
      const std::set<std::string> declared = declared_codes(path);
      for (const auto& code : once.errors) {
        INFO("the parser refused it with " << code);
        CHECK(declared.count(code) == 1);
      }
      CHECK_FALSE(once.errors.empty());
      continue;
    }
    ++formatted;
    Formatted twice = format_text(once.text);
    REQUIRE(twice.ok);
    CHECK(twice.text == once.text);
    Formatted original = format_text(read_file(path));
    CHECK(twice.ast == original.ast);
    CHECK(twice.comments == original.comments);
  }
  INFO(formatted << " files formatted, " << refused << " refused as they expect");
  CHECK(formatted > refused);  // and so an empty tree fails too
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
