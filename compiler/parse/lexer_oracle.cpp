// Both lexers run to the end of the input, their tokens copied out as plain data.
#include "compiler/parse/lexer_oracle.h"

#include "RoutesLexer.h"
#include "compiler/parse/token_scanner.h"

namespace banyan::parse {
namespace {

std::vector<LexedToken> drain(antlr4::TokenSource& source) {
  std::vector<LexedToken> out;
  while (true) {
    std::unique_ptr<antlr4::Token> t = source.nextToken();
    out.push_back({t->getType(), t->getChannel(), t->getStartIndex(), t->getStopIndex(), t->getLine(),
                   t->getCharPositionInLine(), t->getText()});
    if (t->getType() == antlr4::Token::EOF) return out;
  }
}

}  // namespace

std::vector<LexedToken> scan_with_scanner(std::string_view utf8) {
  CodePoints input(utf8);
  TokenScanner scanner(input);
  return drain(scanner);
}

std::vector<LexedToken> scan_with_generated_lexer(std::string_view utf8) {
  antlr4::ANTLRInputStream input(utf8.data(), utf8.size());
  RoutesLexer lexer(&input);
  lexer.removeErrorListeners();
  return drain(lexer);
}

std::string describe(const LexedToken& t) {
  antlr4::ANTLRInputStream empty("");
  std::string type = t.type == antlr4::Token::EOF ? "EOF" : RoutesLexer(&empty).getVocabulary().getDisplayName(t.type);
  return type + " '" + t.text + "' at " + std::to_string(t.line) + ":" + std::to_string(t.column) + " [" +
         std::to_string(t.start) + ".." + std::to_string(t.stop) + "] channel " + std::to_string(t.channel);
}

}  // namespace banyan::parse
