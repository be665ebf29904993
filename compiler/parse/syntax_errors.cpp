// Rephrasing and recovery for syntax errors. ANTLR's default messages name token
// types ("mismatched input 'x' expecting {STRING, '{'}"); users need words.
#include "compiler/parse/syntax_errors.h"

#include <algorithm>

#include "RoutesParser.h"
#include "compiler/diag/suggest.h"

namespace banyan::parse {
namespace {

using antlr4::Token;
using antlr4::misc::IntervalSet;

bool is_keyword_type(const antlr4::dfa::Vocabulary& v, size_t type, std::string* word = nullptr) {
  std::string lit = v.getLiteralName(type);
  if (lit.size() < 3 || !std::isalpha(static_cast<unsigned char>(lit[1]))) return false;
  if (word) *word = lit.substr(1, lit.size() - 2);
  return true;
}

size_t literal_type(const antlr4::dfa::Vocabulary& v, std::string_view literal) {
  for (size_t t = 1; t <= v.getMaxTokenType(); ++t) {
    if (v.getLiteralName(t) == literal) return t;
  }
  return 0;
}

// What the user is inside of, for messages: "in a route", "at the top level".
struct Block {
  std::string what;  // "route"
  Token* open = nullptr;  // its '{', when it has one
};

Block enclosing_block(antlr4::ParserRuleContext* ctx, size_t open_type) {
  for (; ctx != nullptr; ctx = dynamic_cast<antlr4::ParserRuleContext*>(ctx->parent)) {
    std::string what;
    switch (ctx->getRuleIndex()) {
      case RoutesParser::RuleListenBlock: what = "listen block"; break;
      case RoutesParser::RuleTlsDecl: what = "tls block"; break;
      case RoutesParser::RuleUpstreamDecl: what = "upstream"; break;
      case RoutesParser::RuleCacheDecl: what = "cache zone"; break;
      case RoutesParser::RuleSiteDecl: what = "site"; break;
      case RoutesParser::RuleRouteDecl: what = "route"; break;
      case RoutesParser::RuleCachePolicy: what = "cache policy"; break;
      case RoutesParser::RuleMigrationDecl: what = "migration"; break;
      case RoutesParser::RuleFile: return {"top level", nullptr};
      default: continue;
    }
    for (auto* child : ctx->children) {
      auto* term = dynamic_cast<antlr4::tree::TerminalNode*>(child);
      if (term && term->getSymbol()->getType() == open_type && ReaderContext::is_real(term->getSymbol()))
        return {what, term->getSymbol()};
    }
    return {what, nullptr};
  }
  return {"top level", nullptr};
}

std::string article(const std::string& what) {
  if (what == "top level") return "at the top level";
  bool vowel = std::string("aeiou").find(what[0]) != std::string::npos;
  return std::string("in ") + (vowel ? "an " : "a ") + what;
}

// A QUANTITY token is a duration or a size; the statement being parsed says which.
enum class Quantity { Duration, Size, Either };

Quantity quantity_wanted(antlr4::ParserRuleContext* ctx) {
  if (dynamic_cast<RoutesParser::ZoneMemoryContext*>(ctx) || dynamic_cast<RoutesParser::ZoneDiskContext*>(ctx) ||
      dynamic_cast<RoutesParser::ZoneMaxEntryContext*>(ctx) || dynamic_cast<RoutesParser::RMaxBodyContext*>(ctx))
    return Quantity::Size;
  if (dynamic_cast<RoutesParser::ThresholdContext*>(ctx)) return Quantity::Either;
  return Quantity::Duration;
}

std::string describe_quantity(Quantity q) {
  switch (q) {
    case Quantity::Size: return "a size (like 64MiB)";
    case Quantity::Either: return "a duration or size (like 500ms or 1MiB)";
    case Quantity::Duration: break;
  }
  return "a duration (like 5s)";
}

std::string describe_type(const antlr4::dfa::Vocabulary& v, size_t type, antlr4::ParserRuleContext* ctx) {
  switch (type) {
    case RoutesParser::STRING: return "a string";
    case RoutesParser::PERCENT: return "a percentage";
    case RoutesParser::QUANTITY: return describe_quantity(quantity_wanted(ctx));
    case RoutesParser::TLS_VERSION: return "a TLS version (TLS1.2 or TLS1.3)";
    case RoutesParser::INT: return "a number";
    case RoutesParser::ADDRESS: return "an address (like :80)";
    case RoutesParser::COMPARATOR: return "a comparison (>, <, >= or <=)";
    case RoutesParser::SIGN: return "'+' or '-'";
    case RoutesParser::PATH: return "a path starting with '/'";
    case RoutesParser::VARIABLE: return "a $variable";
    case RoutesParser::IDENT: return "a name";
    case Token::EOF: return "the end of the file";
    default: break;
  }
  return v.getLiteralName(type);
}

std::string describe_found(const antlr4::dfa::Vocabulary& v, Token* t) {
  if (t->getType() == Token::EOF) return "the end of the file";
  std::string text = t->getText();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  switch (t->getType()) {
    case RoutesParser::STRING: return "string " + text;
    case RoutesParser::INT: return "number " + text;
    case RoutesParser::PATH: return "path " + text;
    default: break;
  }
  if (is_keyword_type(v, t->getType())) return "keyword '" + text + "'";
  return "'" + text + "'";
}

std::string join_choices(std::vector<std::string> items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

}  // namespace

void SyntaxErrorStrategy::explain(antlr4::Parser* parser, Token* found, const IntervalSet& expected) {
  const auto& vocab = parser->getVocabulary();
  const size_t open = literal_type(vocab, "'{'");
  const size_t close = literal_type(vocab, "'}'");
  Block block = enclosing_block(parser->getContext(), open);
  auto range = ctx_.range_of(found);

  std::vector<std::string> keywords;
  std::vector<std::string> others;
  for (size_t type : expected.toList()) {
    std::string word;
    if (is_keyword_type(vocab, type, &word)) keywords.push_back(word);
    else if (type != Token::EPSILON) others.push_back(describe_type(vocab, type, parser->getContext()));
  }
  std::sort(keywords.begin(), keywords.end());
  const bool at_statement = keywords.size() >= 3 || (expected.contains(close) && !keywords.empty()) ||
                            (expected.contains(Token::EOF) && !keywords.empty());

  if (found->getType() == Token::EOF && expected.contains(close)) {
    report_unclosed_block(parser, found);
    return;
  }
  if (found->getType() == close && !expected.contains(close) && block.what == "top level") {
    ctx_.report(diag::Code::StrayCloseBrace, range, "'}' closes no block; remove it or add the opening '{'");
    return;
  }

  // A word where a statement keyword belongs: a typo, or a statement from elsewhere.
  std::string text = found->getText();
  if (at_statement && (found->getType() == RoutesParser::IDENT || is_keyword_type(vocab, found->getType()))) {
    std::string msg = (is_keyword_type(vocab, found->getType()) ? "'" + text + "' is not allowed "
                                                                 : "unknown keyword '" + text + "' ") +
                      article(block.what);
    auto suggestion = diag::closest(text, keywords);
    diag::Diagnostic* d = nullptr;
    if (suggestion) {
      d = ctx_.report(diag::Code::UnknownKeyword, range, msg + "; did you mean '" + *suggestion + "'?");
      if (d) d->fixit = diag::FixIt{range, *suggestion};
    } else {
      std::vector<std::string> quoted;
      for (auto& k : keywords) quoted.push_back("'" + k + "'");
      if (expected.contains(close)) quoted.push_back("'}'");
      d = ctx_.report(diag::Code::UnknownKeyword, range, msg + "; expected " + join_choices(quoted));
    }
    if (d && block.open) d->notes.push_back({ctx_.range_of(block.open), "the " + block.what + " starts here"});
    return;
  }

  Token* previous = parser->getTokenStream()->LT(-1);
  const bool has_previous = ReaderContext::is_real(previous) && previous->getTokenIndex() < found->getTokenIndex() &&
                            previous->getType() != Token::EOF;
  std::string after;
  if (has_previous) {
    std::string prev = previous->getText();
    if (prev.size() > 40) prev = prev.substr(0, 37) + "...";
    after = " after '" + prev + "'";
  }

  // A bare number where only a duration or size fits: it needs a unit.
  const bool wants_quantity = expected.contains(static_cast<size_t>(RoutesParser::QUANTITY));
  const bool size = quantity_wanted(parser->getContext()) == Quantity::Size;
  const std::string unit = size ? "MiB" : "s";
  if (wants_quantity && found->getType() == RoutesParser::INT &&
      !expected.contains(static_cast<size_t>(RoutesParser::INT))) {
    ctx_.report(diag::Code::UnexpectedToken, range,
                std::string("expected ") + (size ? "a size" : "a duration") + after + ", found number " +
                    found->getText() + "; give it a unit, like " + found->getText() + unit);
    return;
  }
  // `valid 200 10`: the 10 was read as one more status, and the duration is missing.
  std::string hint;
  if (wants_quantity && has_previous && previous->getType() == RoutesParser::INT) {
    long n = std::strtol(previous->getText().c_str(), nullptr, 10);
    if (n < 100 || n > 599)
      hint = "; if " + previous->getText() + " is the " + (size ? "size" : "duration") + ", give it a unit, like " +
             previous->getText() + unit;
  }

  // A value that must be quoted, written bare (`server app:80`), or a name quoted
  // (`to "app"`): show the other spelling.
  if (expected.contains(static_cast<size_t>(RoutesParser::STRING)) && others.size() == 1 && keywords.empty() &&
      found->getType() != Token::EOF && !(has_previous && found->getLine() > previous->getLine())) {
    std::string bare = found->getText();
    for (size_t k = 2; bare.size() <= 80; ++k) {  // the tokens that touch it: `app` `:80` (a bounded look)
      Token* next = parser->getTokenStream()->LT(static_cast<ssize_t>(k));
      Token* before = parser->getTokenStream()->LT(static_cast<ssize_t>(k - 1));
      if (!ReaderContext::is_real(next) || next->getType() == Token::EOF || next->getStartIndex() != before->getStopIndex() + 1)
        break;
      bare += next->getText();
    }
    if (bare.find('"') == std::string::npos && bare.size() <= 80) hint = "; quote it: \"" + bare + "\"";
  }
  if (expected.contains(static_cast<size_t>(RoutesParser::IDENT)) && found->getType() == RoutesParser::STRING) {
    std::string inner = found->getText().substr(1, found->getText().size() - 2);
    bool is_name = !inner.empty() && (std::isalpha(static_cast<unsigned char>(inner[0])) || inner[0] == '_') &&
                   std::all_of(inner.begin(), inner.end(), [](unsigned char c) {
                     return std::isalnum(c) || c == '_' || c == '-';
                   });
    if (is_name) hint = "; names are not quoted: " + inner;
  }

  std::vector<std::string> choices = others;
  for (auto& k : keywords) choices.push_back("'" + k + "'");
  if (choices.size() > 8) {
    choices.resize(8);
    choices.push_back("...");
  }
  std::string msg = "expected " + join_choices(choices) + after;
  // Something missing at the end of a line belongs there, not on the next line.
  if (has_previous && (found->getType() == Token::EOF || found->getLine() > previous->getLine())) {
    auto r = ctx_.range_of(previous);
    range = {r.file, r.end, r.end};
    if (found->getType() == Token::EOF) msg += ", found the end of the file";
    else if (found->getLine() == previous->getLine() + 1) msg += ", found " + describe_found(vocab, found) + " on the next line";
    else msg += ", found " + describe_found(vocab, found) + " on line " + std::to_string(found->getLine());
  } else {
    msg += ", found " + describe_found(vocab, found);
  }
  ctx_.report(diag::Code::UnexpectedToken, range, msg + hint);
}

void SyntaxErrorStrategy::report_unclosed_block(antlr4::Parser* parser, Token* found) {
  const auto& vocab = parser->getVocabulary();
  Block block = enclosing_block(parser->getContext(), literal_type(vocab, "'{'"));
  std::string where = found->getType() == Token::EOF ? "at the end of the file" : "before '" + found->getText() + "'";
  auto range = ctx_.range_of(found);
  // At the end of the file, point just past the last token rather than at whatever
  // blank lines follow it: that is where the '}' goes.
  Token* last = parser->getTokenStream()->LT(-1);
  if (found->getType() == Token::EOF && ReaderContext::is_real(last)) {
    auto r = ctx_.range_of(last);
    range = {r.file, r.end, r.end};
  }
  auto* d = ctx_.report(diag::Code::UnclosedBlock, range,
                        "missing '}' " + where + " to close the " + block.what);
  if (d && block.open) d->notes.push_back({ctx_.range_of(block.open), "the " + block.what + " opened here"});
}

void SyntaxErrorStrategy::sync(antlr4::Parser* parser) {
  if (inErrorRecoveryMode(parser)) return;
  auto& atn = parser->getATN();
  antlr4::atn::ATNState* state = atn.states[parser->getState()];
  auto* tokens = parser->getTokenStream();
  size_t la = tokens->LA(1);
  const IntervalSet& next = atn.nextTokens(state);  // cached in the state: no copy per loop turn
  if (next.contains(Token::EPSILON) || next.contains(la)) return;

  const auto& vocab = parser->getVocabulary();
  const size_t close = literal_type(vocab, "'}'");
  switch (state->getStateType()) {
    case antlr4::atn::ATNState::STAR_LOOP_ENTRY:
    case antlr4::atn::ATNState::STAR_LOOP_BACK:
    case antlr4::atn::ATNState::PLUS_LOOP_BACK:
      break;
    default:
      DefaultErrorStrategy::sync(parser);
      return;
  }
  IntervalSet expecting = parser->getExpectedTokens();
  // Only statement loops (a block's body or the file) recover here, statement by
  // statement; loops inside one statement use ANTLR's recovery.
  if (!expecting.contains(close) && !expecting.contains(Token::EOF)) {
    DefaultErrorStrategy::sync(parser);
    return;
  }
  IntervalSet recovery = getErrorRecoverySet(parser);
  // A keyword that belongs to an enclosing block: this block's '}' is missing. Leave
  // the token for the enclosing loop; ANTLR conjures the '}' when the block ends.
  if (expecting.contains(close) && la != close && recovery.contains(la) &&
      (la == Token::EOF || is_keyword_type(vocab, la))) {
    report_unclosed_block(parser, tokens->LT(1));
    beginErrorCondition(parser);
    return;
  }
  reportUnwantedToken(parser);
  consumeUntil(parser, expecting.Or(recovery));
}

void SyntaxErrorStrategy::consumeUntil(antlr4::Parser* parser, const IntervalSet& set) {
  const auto& vocab = parser->getVocabulary();
  const size_t open = literal_type(vocab, "'{'");
  const size_t close = literal_type(vocab, "'}'");
  size_t depth = 0;
  for (size_t t = parser->getInputStream()->LA(1); t != Token::EOF; t = parser->getInputStream()->LA(1)) {
    if (depth == 0 && set.contains(t)) return;
    if (t == open) ++depth;
    if (t == close && depth > 0) --depth;
    parser->consume();
  }
}

void SyntaxErrorStrategy::reportNoViableAlternative(antlr4::Parser* parser, const antlr4::NoViableAltException& e) {
  explain(parser, e.getOffendingToken(), e.getExpectedTokens());
}

void SyntaxErrorStrategy::reportInputMismatch(antlr4::Parser* parser, const antlr4::InputMismatchException& e) {
  explain(parser, e.getOffendingToken(), e.getExpectedTokens());
}

void SyntaxErrorStrategy::reportFailedPredicate(antlr4::Parser* parser, const antlr4::FailedPredicateException& e) {
  explain(parser, e.getOffendingToken(), e.getExpectedTokens());  // the grammar has no predicates
}

void SyntaxErrorStrategy::reportUnwantedToken(antlr4::Parser* parser) {
  if (inErrorRecoveryMode(parser)) return;
  beginErrorCondition(parser);
  explain(parser, parser->getCurrentToken(), getExpectedTokens(parser));
}

void SyntaxErrorStrategy::reportMissingToken(antlr4::Parser* parser) {
  if (inErrorRecoveryMode(parser)) return;
  beginErrorCondition(parser);
  explain(parser, parser->getCurrentToken(), getExpectedTokens(parser));
}

}  // namespace banyan::parse
