// Golden files pin two stages byte for byte: the AST dump of every construct
// (tests/golden/parse/*.routes -> .ast) and the rendered text of diagnostics
// (tests/golden/diagnostics/*.routes -> .txt). UPDATE_GOLDEN=1 rewrites them; a
// rewrite is reviewed by reading its diff, like any code change.
#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "compiler/ast/dump_ast.h"
#include "compiler/diag/render.h"
#include "compiler/emit/emit_plan.h"
#include "compiler/explain/explain.h"
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

// `a 'b c' d` -> {a, b c, d}: the query files quote header arguments as a shell would.
std::vector<std::string> shell_words(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (char c : line) {
    if (c == '\'') {
      quoted = !quoted;
      any = true;
    } else if (c == ' ' && !quoted) {
      if (any) out.push_back(cur);
      cur.clear();
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (any) out.push_back(cur);
  return out;
}

// Paths in a plan are absolute (certificates) or as given (route sources): show the
// source tree as $SRC so the golden files hold on every checkout; the plan's size,
// which those paths are part of, likewise.
std::string portable(std::string text) {
  const std::string dir = source_dir();
  for (size_t at = text.find(dir); at != std::string::npos; at = text.find(dir, at)) text.replace(at, dir.size(), "$SRC");
  size_t size_at = text.rfind(" bytes, source sha256", text.find('\n'));
  if (text.starts_with("plan format ") && size_at != std::string::npos) {
    size_t begin = text.rfind(' ', size_at - 1) + 1;
    text.replace(begin, size_at - begin, "<size>");
  }
  return text;
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

TEST_CASE("the plans of the examples and of tests/golden/plan, disassembled by explain and asked by route, match their golden files") {
  auto files = files_under("tests/golden/plan", ".routes");
  for (const auto& f : files_under("examples", ".routes")) files.push_back(f);
  REQUIRE(files.size() >= 3);
  for (const auto& path : files) {
    DYNAMIC_SECTION(path) {
      Checked c;
      check_disk_file(c, path);
      INFO(diag::render_text(c.sink.all(), c.sm));
      REQUIRE(c.sink.error_count() == 0);
      std::string bytes = emit::emit_plan(c.result.ast, analysis::build_route_model(c.result.ast), c.sm);
      plan::LoadResult loaded = plan::load_plan(bytes);
      INFO(loaded.error);
      REQUIRE(loaded.plan);
      std::string golden = source_dir() + "/tests/golden/plan/" + std::filesystem::path(path).stem().string();
      compare_golden(golden + ".explain", portable(explain::explain_text(*loaded.plan)));
      compare_golden(golden + ".dot", portable(explain::explain_dot(*loaded.plan)));
      if (!std::filesystem::exists(golden + ".queries")) continue;
      std::string transcript;
      std::istringstream queries(read_file(golden + ".queries"));
      for (std::string line; std::getline(queries, line);) {
        if (line.empty() || line[0] == '#') continue;
        auto words = shell_words(line);
        REQUIRE(words.size() >= 2);
        explain::RouteQuery q;
        q.method = words[0];
        q.url = words[1];
        q.now_ms = 1772355600000;  // 2026-03-01T09:00:00Z, unless the query says --at
        for (size_t i = 2; i + 1 < words.size(); i += 2) {
          if (words[i] == "--at") {
            q.at = words[i + 1];
          } else {
            REQUIRE(words[i] == "-H");
            size_t colon = words[i + 1].find(':');
            q.headers.emplace_back(words[i + 1].substr(0, colon), words[i + 1].substr(colon + 2));
          }
        }
        std::string out, error;
        int rc = explain::explain_route(*loaded.plan, q, out, error);
        transcript += "$ banyanc route " + std::filesystem::path(path).stem().string() + ".plan " + line + "\n" + out + error +
                      "(exit " + std::to_string(rc) + ")\n\n";
      }
      compare_golden(golden + ".route.txt", portable(transcript));
    }
  }
}

}  // namespace banyan::test
