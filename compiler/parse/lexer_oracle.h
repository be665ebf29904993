// The routes file's tokens as two lexers see them: the hand-written scanner the
// reader uses (token_scanner.h) and the lexer ANTLR generates from grammar/Routes.g4,
// its oracle. Plain data, so tests and the fuzzer compare them without ANTLR.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace banyan::parse {

struct LexedToken {
  size_t type = 0;
  size_t channel = 0;
  size_t start = 0, stop = 0;  // code point indices, as ANTLR counts
  size_t line = 0, column = 0;
  std::string text;
  bool operator==(const LexedToken&) const = default;
};

// Every token, the EOF token last. `utf8` must be valid UTF-8 (parse_file checks it
// before lexing). The two are equal for every input: that is the scanner's contract.
std::vector<LexedToken> scan_with_scanner(std::string_view utf8);
std::vector<LexedToken> scan_with_generated_lexer(std::string_view utf8);

// "TYPE 'text' at LINE:COLUMN [start..stop] channel C", for a test's failure message.
std::string describe(const LexedToken& t);

}  // namespace banyan::parse
