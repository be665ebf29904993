// Golden files pin two stages byte for byte: the AST dump of every construct
// (tests/golden/parse/*.routes -> .ast) and the rendered text of diagnostics
// (tests/golden/diagnostics/*.routes -> .txt). UPDATE_GOLDEN=1 rewrites them; a
// rewrite is reviewed by reading its diff, like any code change.
#include <catch2/catch.hpp>
#include <filesystem>

#include "compiler/ast/dump_ast.h"
#include "compiler/diag/render.h"
#include "tests/support/test_files.h"

namespace banyan::test {
namespace {

void compare_golden(const std::string& golden_path, const std::string& actual) {
  if (updating_golden()) {
    write_file(golden_path, actual);
    return;
  }
  REQUIRE(std::filesystem::exists(golden_path));
  CHECK(read_file(golden_path) == actual);
}

std::string with_extension(const std::string& path, const std::string& ext) {
  return std::filesystem::path(path).replace_extension(ext).string();
}

}  // namespace

TEST_CASE("the AST dump of every parse golden file matches its .ast file") {
  auto files = files_under("tests/golden/parse", ".routes");
  REQUIRE(!files.empty());
  for (const auto& path : files) {
    DYNAMIC_SECTION(path) {
      Checked c;
      check_text(c, std::filesystem::path(path).filename().string(), read_file(path));
      INFO(diag::render_text(c.sink.all(), c.sm));
      CHECK(c.sink.all().empty());
      compare_golden(with_extension(path, ".ast"), ast::dump_ast(c.result.ast, &c.sm));
    }
  }
}

TEST_CASE("the rendered diagnostics of every diagnostics golden file match its .txt file") {
  auto files = files_under("tests/golden/diagnostics", ".routes");
  REQUIRE(!files.empty());
  for (const auto& path : files) {
    DYNAMIC_SECTION(path) {
      Checked c;
      check_text(c, std::filesystem::path(path).filename().string(), read_file(path));
      CHECK(!c.sink.all().empty());
      compare_golden(with_extension(path, ".txt"), diag::render_text(c.sink.all(), c.sm));
    }
  }
}

}  // namespace banyan::test
