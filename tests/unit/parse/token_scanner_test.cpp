// The hand-written lexer against the generated one, its oracle: the same tokens
// (type, channel, start, stop, line, column, text) on every routes file the project
// has, and on generated inputs built from the pieces where the rules' longest-match
// choices meet (numbers, addresses, TLS versions, keywords, strings and escapes,
// line ends, non-ASCII code points).
#include "compiler/parse/lexer_oracle.h"

#include <catch2/catch.hpp>

#include <random>

#include "tests/support/test_files.h"

namespace banyan::parse {
namespace {

// Empty when the two agree; else where they first part.
std::string disagreement(std::string_view text) {
  std::vector<LexedToken> got = scan_with_scanner(text), want = scan_with_generated_lexer(text);
  for (size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
    if (i < got.size() && i < want.size() && got[i] == want[i]) continue;
    return "token " + std::to_string(i) + ": scanner " + (i < got.size() ? describe(got[i]) : "(none)") +
           ", generated lexer " + (i < want.size() ? describe(want[i]) : "(none)");
  }
  return "";
}

// Pieces that start or end tokens, chosen so that random runs of them meet every
// rule's edges: a number that becomes a PERCENT, QUANTITY or ADDRESS by what follows,
// TLSv1 with and without its minor version, keywords with a suffix, open strings.
const std::vector<std::string> kPieces = {
    "site", "route", "to", "tox", "max_version", "remove_response_header", "_x", "a-b", "T", "TLS", "TLSv1",
    "TLS1", "v", "1", ".", "2", "3", "4", "9", "0", "12", "%", "s", "MiB", "x", ":", "80", "[", "]", "::1",
    "fe80", "\"", "\\", "\\\"", "\\n", "\"abc\"", "/", "/a/:id/**", "*", "$", "$host", "$1", "#", "# note",
    "{", "}", ",", "=", "~", ">", "<", ">=", "<=", "+", "-", " ", "\t", "\n", "\r\n", "\r", ";", "'", "é",
    "日本", "\xf0\x9f\x8c\xb3", "@", "!", "?", "&", "^", "`", "|", "\x01", "\x7f", std::string(1, '\0')};

std::string random_input(std::mt19937& rng) {
  std::uniform_int_distribution<size_t> count(0, 24), piece(0, kPieces.size() - 1);
  std::string s;
  for (size_t n = count(rng); n > 0; --n) s += kPieces[piece(rng)];
  return s;
}

}  // namespace

TEST_CASE("the scanner gives the generated lexer's tokens on every routes file in the repository") {
  size_t files = 0;
  for (const char* dir : {"examples", "tests", "docs", "grammar"}) {
    for (const std::string& path : test::files_under(dir, ".routes")) {
      INFO(path);
      CHECK(disagreement(test::read_file(path)) == "");
      ++files;
    }
  }
  CHECK(files > 20);
}

TEST_CASE("the scanner gives the generated lexer's tokens on 20,000 generated inputs") {
  std::mt19937 rng(20261203);
  size_t differ = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = random_input(rng);
    std::string why = disagreement(text);
    if (why.empty()) continue;
    if (++differ <= 5) FAIL_CHECK("input \"" << text << "\": " << why);
  }
  CHECK(differ == 0);
}

TEST_CASE("the scanner decodes UTF-8 as ANTLR does, a byte order mark dropped") {
  for (const char* text : {"\xef\xbb\xbfsite \"\xc3\xa9\" {\n}", "# \xe6\x97\xa5\xf0\x9f\x8c\xb3\n/\xc3\xa9/x \xc3\xa9",
                           "\xef\xbb\xbf", "\"\xf0\x9f\x8c\xb3\\\xc3\xa9\" x"}) {
    INFO(text);
    CHECK(disagreement(text) == "");
  }
}

TEST_CASE("the scanner follows the rules' longest match where they meet") {
  struct Case {
    const char* text;
    std::vector<std::string> tokens;  // the texts, EOF left out
  };
  for (const Case& c : std::vector<Case>{
           {"1.5% 1.5s 1.5 10.0.0.1:80 10.0.0.1", {"1.5%", "1.5s", "1", ".", "5", "10.0.0.1:80", "10", ".", "0", ".", "0", ".", "1"}},
           {"TLSv1.2 TLSv12 TLS1 TLSv1.4", {"TLSv1.2", "TLSv12", "TLS1", "TLSv1", ".", "4"}},
           {"to tox [::1]:443 :8080 [x]", {"to", "tox", "[::1]:443", ":8080", "[", "x", "]"}},
           {"\"a\\\"b\" \"open\n$h $ >= <", {"\"a\\\"b\"", "\"open", "$h", "$", ">=", "<"}},
       }) {
    INFO(c.text);
    std::vector<LexedToken> tokens = scan_with_scanner(c.text);
    std::vector<std::string> got;
    for (size_t i = 0; i + 1 < tokens.size(); ++i) got.push_back(tokens[i].text);  // the last is EOF
    CHECK(got == c.tokens);
    CHECK(disagreement(c.text) == "");
  }
}

}  // namespace banyan::parse
