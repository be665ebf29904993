// The routes lexer, written by hand: the lexer rules of grammar/Routes.g4 as one
// switch on a token's first character, for the generated parser to read. The
// generated lexer (RoutesLexer) is the oracle: it simulates the grammar's automaton
// and was a third of a compile's instructions; this one gives the same tokens (type,
// channel, start, stop, line, column) for every input, which lexer_oracle.h checks
// on the examples, generated inputs and every fuzzer input.
// Includes ANTLR: never include this outside compiler/parse/.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "antlr4-runtime.h"

namespace banyan::parse {

// The input as ANTLR's parser and tokens read it (code points), with the code
// points open to the scanner. `utf8` must be valid UTF-8 (parse_file checks it). The
// decoding is ours: ANTLR's (a std::wstring_convert) was 3% of a compile. As ANTLR
// does, a leading byte order mark is dropped.
class CodePoints : public antlr4::ANTLRInputStream {
 public:
  explicit CodePoints(std::string_view utf8);
  std::u32string_view view() const { return _data; }
};

class TokenScanner : public antlr4::TokenSource {
 public:
  explicit TokenScanner(CodePoints& input) : input_(input), text_(input.view()) {}

  std::unique_ptr<antlr4::Token> nextToken() override { return next(); }
  std::unique_ptr<antlr4::CommonToken> next();
  size_t getLine() const override { return line_; }
  size_t getCharPositionInLine() override { return column_; }
  antlr4::CharStream* getInputStream() override { return &input_; }
  std::string getSourceName() override { return input_.getSourceName(); }
  antlr4::TokenFactory<antlr4::CommonToken>* getTokenFactory() override {
    return antlr4::CommonTokenFactory::DEFAULT.get();
  }

 private:
  // Moves past `n` code points, counting lines as ANTLR does (a '\n' starts one).
  void advance(size_t n);
  // The token's type and length at `at_`, after the rules' longest-match choice.
  struct Match {
    size_t type;
    size_t length;
    size_t channel = antlr4::Token::DEFAULT_CHANNEL;
  };
  Match match_at() const;

  CodePoints& input_;
  std::u32string_view text_;
  size_t at_ = 0;
  size_t line_ = 1;
  size_t column_ = 0;
};

// The parser's token stream over a TokenScanner. ANTLR's own numbers each token after
// a dynamic_cast to WritableToken (2% of a compile); the scanner's tokens are
// CommonTokens, numbered here without it.
class ScannedTokenStream : public antlr4::CommonTokenStream {
 public:
  explicit ScannedTokenStream(TokenScanner& scanner) : CommonTokenStream(&scanner), scanner_(scanner) {}

 protected:
  size_t fetch(size_t n) override;

 private:
  TokenScanner& scanner_;
};

}  // namespace banyan::parse
