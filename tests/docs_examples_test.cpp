// The documentation's examples are checked like code: every ```routes block in the
// language reference checks clean, and in docs/diagnostics.md each section's first
// block produces its code and the block after "Fix:" checks clean. Blocks that
// include other files are skipped (their files are not in the docs).
#include <catch2/catch.hpp>

#include "compiler/diag/render.h"
#include "tests/support/test_files.h"

namespace banyan::test {

TEST_CASE("every routes example in grammar/README.md checks clean, warnings included") {
  auto blocks = routes_blocks(read_file(source_dir() + "/grammar/README.md"));
  REQUIRE(blocks.size() > 20);
  for (const auto& [line, text] : blocks) {
    if (text.find("include \"") != std::string::npos) continue;
    Checked c;
    check_text_at(c, source_dir() + "/grammar/example.routes", text);
    INFO("grammar/README.md block at line " << line << "\n" << diag::render_text(c.sink.all(), c.sm));
    CHECK(c.sink.all().empty());
  }
}

TEST_CASE("each section of docs/diagnostics.md shows its code, and its fix checks clean") {
  std::string doc = read_file(source_dir() + "/docs/diagnostics.md");
  for (const auto& info : diag::catalog()) {
    std::string heading = "## " + std::string(info.code) + " " + std::string(info.slug) + "\n";
    size_t at = doc.find(heading);
    REQUIRE(at != std::string::npos);
    size_t next = doc.find("\n## ", at + 1);
    std::string section = doc.substr(at, next == std::string::npos ? std::string::npos : next - at);
    auto blocks = routes_blocks(section);
    if (blocks.empty() || section.find("include \"") != std::string::npos) continue;
    INFO(heading);
    Checked wrong;
    check_text_at(wrong, source_dir() + "/docs/example.routes", blocks.front().second);
    bool shown = false;
    for (const auto& d : wrong.sink.all()) shown = shown || d.code == info.id;
    CHECK(shown);
    size_t fix = section.find("\nFix:");
    if (fix == std::string::npos) continue;
    auto fixed = routes_blocks(section.substr(fix));
    REQUIRE(!fixed.empty());
    Checked right;
    check_text_at(right, source_dir() + "/docs/example.routes", fixed.front().second);
    INFO("fix:\n" << diag::render_text(right.sink.all(), right.sm));
    CHECK(right.sink.all().empty());
  }
}

}  // namespace banyan::test
