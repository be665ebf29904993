// The docs are tested like code. Every routes example in the language reference
// (grammar/README.md) passes the check; every section of docs/diagnostics.md shows
// the real output of its wrong example, byte for byte, and a fix that checks clean.
// Examples are checked as `example.routes` in tests/fixtures/, so the certificates
// they name (certs/example.pem, ...) are the test ones. Examples that include other
// files are skipped: the docs say they need those files.
//
// A section whose output depends on the date says so, and is checked on that date:
//   On 2000-12-15, `banyanc check example.routes` prints:
#include <catch2/catch.hpp>
#include <regex>

#include "compiler/diag/render.h"
#include "tests/support/test_files.h"

namespace banyan::test {
namespace {

// The contents of every ```routes block in `text`, in order.
std::vector<std::string> routes_blocks(const std::string& text) {
  std::vector<std::string> out;
  static const std::string open = "```routes\n";
  for (size_t at = text.find(open); at != std::string::npos; at = text.find(open, at + 1)) {
    size_t start = at + open.size();
    size_t end = text.find("```", start);
    if (end == std::string::npos) break;
    out.push_back(text.substr(start, end - start));
  }
  return out;
}

bool includes_files(const std::string& example) { return example.find("include \"") != std::string::npos; }

// What `banyanc check` prints on standard error in text format (cli/check_command.cpp).
std::string cli_output(const Checked& c) {
  std::string out = diag::render_text(c.sink.all(), c.sm);
  if (!c.sink.all().empty()) out += diag::summary_line(c.sink) + "\n";
  return out;
}

}  // namespace

TEST_CASE("every routes example in the language reference passes the check") {
  std::string doc = read_file(source_dir() + "/grammar/README.md");
  auto examples = routes_blocks(doc);
  REQUIRE(examples.size() > 10);
  for (size_t i = 0; i < examples.size(); ++i) {
    if (includes_files(examples[i])) continue;
    DYNAMIC_SECTION("example " << i + 1) {
      Checked c;
      check_text(c, "example.routes", examples[i]);
      INFO(examples[i] << "\nbanyanc printed:\n" << cli_output(c));
      CHECK(c.sink.all().empty());
    }
  }
}

TEST_CASE("every section of docs/diagnostics.md shows the real output of its example, and its fix checks clean") {
  std::string doc = read_file(source_dir() + "/docs/diagnostics.md");
  static const std::regex heading(R"(\n## (B\d{4}) )");
  static const std::regex prints(R"((On (\d{4}-\d{2}-\d{2}), )?`banyanc check example.routes` prints:\n\n```text\n)");
  std::vector<size_t> starts;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), heading); it != std::sregex_iterator(); ++it)
    starts.push_back(static_cast<size_t>(it->position()));
  REQUIRE(starts.size() > 20);
  starts.push_back(doc.size());
  for (size_t s = 0; s + 1 < starts.size(); ++s) {
    std::string section = doc.substr(starts[s], starts[s + 1] - starts[s]);
    std::string code = section.substr(4, 5);
    auto examples = routes_blocks(section);
    if (examples.empty() || includes_files(examples.front())) continue;
    DYNAMIC_SECTION(code) {
      std::smatch m;
      if (std::regex_search(section, m, prints)) {
        CheckOptions options;
        if (m[2].matched) {
          options.now_unix = parse_utc(m[2].str());
          REQUIRE(options.now_unix);
        }
        size_t from = static_cast<size_t>(m.position()) + static_cast<size_t>(m.length());
        std::string shown = section.substr(from, section.find("```", from) - from);
        Checked wrong;
        check_text(wrong, "example.routes", examples.front(), options);
        CHECK(cli_output(wrong) == shown);
      }
      // The fix is checked on today's date: it is what a reader would write now.
      Checked fixed;
      check_text(fixed, "example.routes", examples.back());
      INFO("the fix:\n" << examples.back() << "\nbanyanc printed:\n" << cli_output(fixed));
      CHECK(fixed.sink.all().empty());
    }
  }
}

}  // namespace banyan::test
