// The diff `banyanc fmt --check` prints, checked against two oracles written here:
// a strict patch applier (the diff must turn the old text into the new one) and the
// textbook O(nm) longest common subsequence (it must change no more lines than needed).
#include <catch2/catch.hpp>
#include <random>
#include <sstream>

#include "compiler/format/line_diff.h"

namespace banyan::test {
namespace {

using format::unified_diff;

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  for (size_t start = 0; start < s.size();) {
    size_t end = s.find('\n', start);
    end = end == std::string::npos ? s.size() : end + 1;
    out.push_back(s.substr(start, end - start));
    start = end;
  }
  return out;
}

// "12,3" or "12" (one line); an empty range names the line before it.
std::pair<size_t, size_t> parse_range(const std::string& r) {
  size_t comma = r.find(',');
  size_t start = std::stoul(r.substr(0, comma));
  size_t count = comma == std::string::npos ? 1 : std::stoul(r.substr(comma + 1));
  return {count == 0 ? start : start - 1, count};
}

// Applies `diff` to `before` as patch would, failing the test on any mismatch.
std::string apply(const std::string& before, const std::string& diff, size_t& changed) {
  auto a = lines_of(before);
  auto d = lines_of(diff);
  REQUIRE(d.size() >= 2);
  REQUIRE(d[0].rfind("--- ", 0) == 0);
  REQUIRE(d[1].rfind("+++ ", 0) == 0);
  std::vector<std::string> out;
  size_t ai = 0;
  changed = 0;
  for (size_t i = 2; i < d.size();) {
    REQUIRE(d[i].rfind("@@ -", 0) == 0);
    std::istringstream header(d[i].substr(4));
    std::string old_r, new_r;
    header >> old_r >> new_r;
    REQUIRE(new_r[0] == '+');
    auto [old_start, old_count] = parse_range(old_r);
    auto [new_start, new_count] = parse_range(new_r.substr(1));
    REQUIRE(old_start >= ai);
    while (ai < old_start) out.push_back(a[ai++]);
    REQUIRE(out.size() == new_start);
    size_t seen_old = 0, seen_new = 0;
    for (++i; i < d.size() && d[i].rfind("@@", 0) != 0; ++i) {
      char mark = d[i][0];
      REQUIRE((mark == ' ' || mark == '-' || mark == '+'));
      std::string text = d[i].substr(1);
      if (i + 1 < d.size() && d[i + 1] == "\\ No newline at end of file\n") {
        REQUIRE(text.back() == '\n');
        text.pop_back();
        ++i;
      }
      if (mark != '+') {
        REQUIRE(ai < a.size());
        REQUIRE(a[ai] == text);
        ++ai, ++seen_old;
      }
      if (mark != '-') out.push_back(text), ++seen_new;
      if (mark != ' ') ++changed;
    }
    REQUIRE(seen_old == old_count);
    REQUIRE(seen_new == new_count);
  }
  while (ai < a.size()) out.push_back(a[ai++]);
  std::string joined;
  for (auto& l : out) joined += l;
  return joined;
}

size_t fewest_changes(const std::string& before, const std::string& after) {
  auto a = lines_of(before), b = lines_of(after);
  std::vector<std::vector<size_t>> lcs(a.size() + 1, std::vector<size_t>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;)
    for (size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  return a.size() + b.size() - 2 * lcs[0][0];
}

std::string random_text(std::mt19937& rng) {
  static const char* words[] = {"a", "b", "c", "route / {", "}"};
  std::string s;
  int lines = std::uniform_int_distribution<int>(0, 14)(rng);
  for (int i = 0; i < lines; ++i) s += std::string(words[rng() % 5]) + "\n";
  if (!s.empty() && rng() % 4 == 0) s.pop_back();  // sometimes no newline at the end
  return s;
}

TEST_CASE("diff: equal texts give nothing") {
  CHECK(unified_diff("a\nb\n", "a\nb\n", "x", "y").empty());
  CHECK(unified_diff("", "", "x", "y").empty());
}

TEST_CASE("diff: one changed line among many, with three lines of context") {
  std::string before, after;
  for (int i = 1; i <= 20; ++i) {
    before += "line " + std::to_string(i) + "\n";
    after += i == 10 ? std::string("LINE 10\n") : "line " + std::to_string(i) + "\n";
  }
  CHECK(unified_diff(before, after, "f.routes", "f.routes (formatted)") ==
        "--- f.routes\n+++ f.routes (formatted)\n"
        "@@ -7,7 +7,7 @@\n"
        " line 7\n line 8\n line 9\n-line 10\n+LINE 10\n line 11\n line 12\n line 13\n");
}

TEST_CASE("diff: changes far apart get their own hunks, and near ones share one") {
  std::string before, far, near;
  for (int i = 1; i <= 30; ++i) {
    std::string l = std::to_string(i) + "\n";
    before += l;
    far += (i == 2 || i == 29) ? "x\n" : l;
    near += (i == 10 || i == 16) ? "x\n" : l;
  }
  CHECK(unified_diff(before, far, "a", "b") ==
        "--- a\n+++ b\n"
        "@@ -1,5 +1,5 @@\n 1\n-2\n+x\n 3\n 4\n 5\n"
        "@@ -26,5 +26,5 @@\n 26\n 27\n 28\n-29\n+x\n 30\n");
  // Five unchanged lines between them (11..15): fewer than twice the context.
  CHECK(unified_diff(before, near, "a", "b") ==
        "--- a\n+++ b\n"
        "@@ -7,13 +7,13 @@\n 7\n 8\n 9\n-10\n+x\n 11\n 12\n 13\n 14\n 15\n-16\n+x\n 17\n 18\n 19\n");
}

TEST_CASE("diff: a missing newline at the end is shown, as diff shows it") {
  CHECK(unified_diff("a\n}", "a\n}\n", "f", "f (formatted)") ==
        "--- f\n+++ f (formatted)\n@@ -1,2 +1,2 @@\n a\n-}\n\\ No newline at end of file\n+}\n");
}

TEST_CASE("diff: insertion into and deletion from empty text") {
  CHECK(unified_diff("", "a\nb\n", "x", "y") == "--- x\n+++ y\n@@ -0,0 +1,2 @@\n+a\n+b\n");
  CHECK(unified_diff("a\n", "", "x", "y") == "--- x\n+++ y\n@@ -1 +0,0 @@\n-a\n");
}

TEST_CASE("diff: on random texts it is a correct patch with the fewest changed lines") {
  std::mt19937 rng(20261127);
  for (int round = 0; round < 3000; ++round) {
    std::string before = random_text(rng), after = random_text(rng);
    INFO("before:\n" << before << "\nafter:\n" << after);
    std::string diff = unified_diff(before, after, "a", "b");
    if (before == after) {
      CHECK(diff.empty());
      continue;
    }
    size_t changed = 0;
    CHECK(apply(before, diff, changed) == after);
    CHECK(changed == fewest_changes(before, after));
    // Over the budget: one big hunk, still a correct patch.
    size_t coarse = 0;
    CHECK(apply(before, unified_diff(before, after, "a", "b", 1), coarse) == after);
  }
}

}  // namespace
}  // namespace banyan::test
