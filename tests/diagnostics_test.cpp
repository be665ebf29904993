// Inline-expectation diagnostics tests (clang's -verify style). Each file under
// tests/diagnostics/ writes the diagnostics it must produce as comments beside the
// line that triggers them:
//   upsteam x {        # expect: B0103 "did you mean 'upstream'"
//   # expect@+1: B0104       (the diagnostic is on the next line; @-1 the previous)
// The file must produce exactly the expected (line, code) pairs: anything missing or
// extra fails, so the near-miss lines in each file are checked to stay clean.
// A file may fix the clock the certificate checks read, so dates in it never age:
//   # now: 2000-12-15        (or 2000-12-15T12:00:00Z; without it, the real clock)
#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "compiler/diag/render.h"
#include "tests/support/test_files.h"

namespace banyan::test {
namespace {

struct Expectation {
  uint32_t line;
  std::string code;
  std::string substring;
};

std::vector<Expectation> parse_expectations(const std::string& text) {
  std::vector<Expectation> out;
  static const std::regex marker(R"(#\s*expect(@([+-]\d+))?:\s*(.*)$)");
  static const std::regex item(R"re(\s*(B\d{4})(\s+"([^"]*)")?\s*(,|$))re");
  uint32_t line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    ++line_no;
    std::smatch m;
    if (std::regex_search(line, m, marker)) {
      int offset = m[2].matched ? std::stoi(m[2].str()) : 0;
      std::string rest = m[3].str();
      auto it = std::sregex_iterator(rest.begin(), rest.end(), item);
      for (; it != std::sregex_iterator(); ++it) {
        out.push_back({static_cast<uint32_t>(static_cast<int>(line_no) + offset), (*it)[1].str(), (*it)[3].str()});
      }
    }
    if (end == text.size()) break;
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("every file under tests/diagnostics produces exactly the diagnostics written beside its lines") {
  auto files = files_under("tests/diagnostics", ".routes");
  REQUIRE(!files.empty());
  for (const auto& path : files) {
    DYNAMIC_SECTION(path) {
      std::string text = read_file(path);
      auto expected = parse_expectations(text);
      REQUIRE(!expected.empty());
      CheckOptions options;
      std::smatch now;
      static const std::regex now_marker(R"(#\s*now:\s*(\S+))");
      if (std::regex_search(text, now, now_marker)) {
        options.now_unix = parse_utc(now[1].str());
        REQUIRE(options.now_unix);
      }
      Checked c;
      check_disk_file(c, path, options);
      std::string rendered = diag::render_text(c.sink.all(), c.sm);
      INFO("banyanc printed:\n" << rendered);

      std::vector<bool> used(c.sink.all().size(), false);
      for (const auto& e : expected) {
        bool found = false;
        for (size_t i = 0; i < c.sink.all().size() && !found; ++i) {
          const auto& d = c.sink.all()[i];
          if (used[i] || !d.range.valid()) continue;
          uint32_t line = c.sm.file(d.range.file).line_col(d.range.begin).line;
          if (line == e.line && diag::info(d.code).code == e.code &&
              d.message.find(e.substring) != std::string::npos) {
            used[i] = true;
            found = true;
          }
        }
        INFO("expected " << e.code << " on line " << e.line << (e.substring.empty() ? "" : " with \"" + e.substring + "\""));
        CHECK(found);
      }
      for (size_t i = 0; i < used.size(); ++i) {
        const auto& d = c.sink.all()[i];
        INFO("unexpected " << diag::info(d.code).code << ": " << d.message);
        CHECK(used[i]);
      }
    }
  }
}

TEST_CASE("every diagnostic code has a file under tests/diagnostics named after it") {
  auto files = files_under("tests/diagnostics", ".routes");
  std::string all;
  for (const auto& f : files) all += f + "\n";
  for (const auto& info : diag::catalog()) {
    if (info.id == diag::Code::InputTooLarge) continue;  // budgets: tested in unit/parse/parse_file_test.cpp
    INFO(info.code);
    CHECK(all.find("/" + std::string(info.code) + "-" + std::string(info.slug) + ".routes") != std::string::npos);
  }
}

}  // namespace banyan::test
