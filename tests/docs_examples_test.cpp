// The docs are tested like code. Every routes example in the language reference
// (grammar/README.md) passes the check and is formatted as `banyanc fmt` would; every section of docs/diagnostics.md shows
// the real output of its wrong example, byte for byte, and a fix that checks clean.
// Examples are checked as `example.routes` in tests/fixtures/, so the certificates
// they name (certs/example.pem, ...) are the test ones. In docs/diagnostics.md a block
// whose first line is a comment naming a file (`# common.routes`) is that file, so
// include examples are checked with every file they show; the blocks after "Fix"
// replace the files they name. B0107's examples are built as its words describe them.
// Language reference examples that include other files are skipped: they name files
// the reader would write. The reference's "not built yet" notes name exactly the
// statements the gateway's start-up note names (runtime/proxy/unbuilt.h).
//
// A section whose output depends on the date says so, and is checked on that date:
//   On 2000-12-15, `banyanc check example.routes` prints:
#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "compiler/diag/render.h"
#include "compiler/format/format_file.h"
#include "compiler/format/line_diff.h"
#include "compiler/parse/parse_file.h"
#include "runtime/proxy/unbuilt.h"
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

TEST_CASE("every routes example in the language reference is laid out as banyanc fmt lays it out") {
  std::string doc = read_file(source_dir() + "/grammar/README.md");
  auto examples = routes_blocks(doc);
  for (size_t i = 0; i < examples.size(); ++i) {
    DYNAMIC_SECTION("example " << i + 1) {
      source::SourceManager sm;
      diag::DiagnosticSink sink;
      source::FileId id = sm.add("example.routes", examples[i]);
      parse::ParsedFile parsed = parse::parse_file(sm.file(id), sink, {});
      REQUIRE(parsed.syntax_ok);
      std::string formatted = format::format_tokens(parsed.tokens);
      INFO(format::unified_diff(examples[i], formatted, "example", "formatted"));
      CHECK(formatted == examples[i]);
    }
  }
}

namespace {

// The file a docs block stands for: the name in its first line's comment, else example.routes.
std::string block_file(const std::string& block) {
  static const std::regex named(R"(^# ([A-Za-z0-9_./-]+\.routes))");
  std::smatch m;
  return std::regex_search(block, m, named) ? m[1].str() : "example.routes";
}

// The ```text blocks of a section, in order.
std::vector<std::string> text_blocks(const std::string& section) {
  std::vector<std::string> out;
  static const std::string open = "```text\n";
  for (size_t at = section.find(open); at != std::string::npos; at = section.find(open, at + 1)) {
    size_t start = at + open.size();
    out.push_back(section.substr(start, section.find("```", start) - start));
  }
  return out;
}

// The sections of docs/diagnostics.md by code.
std::map<std::string, std::string> diagnostic_sections() {
  std::string doc = read_file(source_dir() + "/docs/diagnostics.md");
  static const std::regex heading(R"(\n## (B\d{4}) )");
  std::vector<size_t> starts;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), heading); it != std::sregex_iterator(); ++it)
    starts.push_back(static_cast<size_t>(it->position()));
  starts.push_back(doc.size());
  std::map<std::string, std::string> out;
  for (size_t s = 0; s + 1 < starts.size(); ++s) {
    std::string section = doc.substr(starts[s], starts[s + 1] - starts[s]);
    out[section.substr(4, 5)] = section;
  }
  return out;
}

}  // namespace

TEST_CASE("every section of docs/diagnostics.md shows the real output of its example, and its fix checks clean") {
  static const std::regex prints(R"((On (\d{4}-\d{2}-\d{2}), )?`banyanc check example.routes` prints:\n\n```text\n)");
  auto sections = diagnostic_sections();
  REQUIRE(sections.size() > 20);
  for (const auto& [code, section] : sections) {
    if (code == "B0107") continue;  // no routes block: its own test case below
    DYNAMIC_SECTION(code) {
      size_t fix_at = section.find("\nFix");
      REQUIRE(fix_at != std::string::npos);
      std::map<std::string, std::string> wrong_files, fixed_files;
      for (const auto& block : routes_blocks(section.substr(0, fix_at))) wrong_files[block_file(block)] = block;
      fixed_files = wrong_files;
      for (const auto& block : routes_blocks(section.substr(fix_at))) fixed_files[block_file(block)] = block;
      REQUIRE(wrong_files.count("example.routes") == 1);
      REQUIRE(fixed_files != wrong_files);
      std::smatch m;
      REQUIRE(std::regex_search(section, m, prints));
      CheckOptions options;
      if (m[2].matched) {
        options.now_unix = parse_utc(m[2].str());
        REQUIRE(options.now_unix);
      }
      size_t from = static_cast<size_t>(m.position()) + static_cast<size_t>(m.length());
      std::string shown = section.substr(from, section.find("```", from) - from);
      Checked wrong;
      check_files(wrong, "example.routes", wrong_files, options);
      CHECK(cli_output(wrong) == shown);
      // The fix is checked on today's date: it is what a reader would write now.
      Checked fixed;
      check_files(fixed, "example.routes", fixed_files);
      INFO("the fix:\n" << fixed_files["example.routes"] << "\nbanyanc printed:\n" << cli_output(fixed));
      CHECK(fixed.sink.all().empty());
    }
  }
}

TEST_CASE("B0107's examples, built as docs/diagnostics.md describes them, print what it shows") {
  const std::string section = diagnostic_sections().at("B0107");
  auto shown = text_blocks(section);
  REQUIRE(shown.size() == 2);
  // "a chain of files each including the next, f0.routes to f18.routes"
  std::map<std::string, std::string> chain;
  for (int i = 0; i <= 18; ++i) {
    chain["f" + std::to_string(i) + ".routes"] = i < 18 ? "include \"f" + std::to_string(i + 1) + ".routes\"\n" : "";
  }
  Checked deep;
  check_files(deep, "f0.routes", chain);
  CHECK(cli_output(deep) == shown[0]);
  // "a route whose fourth line is `method` followed by fifty `x`s and whose fifth line
  // is `method x`, 51 bad methods in all": the end of the output.
  std::string fifty;
  for (int i = 0; i < 50; ++i) fifty += " x";
  const std::string text = "site \"example.com\" {\n  route / {\n    respond 200\n    method" + fifty +
                           "\n    method x\n  }\n}\n";
  Checked many;
  check_text(many, "example.routes", text);
  std::string out = cli_output(many);
  INFO(out);
  REQUIRE(out.size() >= shown[1].size());
  CHECK(out.substr(out.size() - shown[1].size()) == shown[1]);
}

TEST_CASE("the statements the language reference marks as not built yet are the ones the gateway says it does not carry out") {
  // Every mention of a statement not built or not carried out, outside `code`, must be
  // a note of the one form, so a note written another way cannot escape the comparison.
  static const std::regex note(R"(^> \*\*Not built yet:\*\* `([a-z_]+)`)");
  static const std::regex mention("not built|not carried out", std::regex::icase);
  static const std::regex code("`[^`]*`");
  std::set<std::string> marked, unbuilt;
  std::istringstream doc(read_file(source_dir() + "/grammar/README.md"));
  size_t number = 0;
  for (std::string line; std::getline(doc, line);) {
    ++number;
    std::smatch m;
    if (std::regex_search(line, m, note)) {
      marked.insert(m[1]);
    } else {
      INFO("grammar/README.md:" << number << ": " << line);
      CHECK_FALSE(std::regex_search(std::regex_replace(line, code, ""), mention));
    }
  }
  for (const proxy::Unbuilt& u : proxy::kUnbuilt) unbuilt.insert(std::string(u.statement));
  CHECK(marked == unbuilt);
}

}  // namespace banyan::test
