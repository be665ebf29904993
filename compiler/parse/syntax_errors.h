// ANTLR's error strategy, made to speak the routes language: every syntax error is
// rephrased ("unknown keyword 'upsteam' in an upstream; did you mean 'upstream'?",
// "missing '}' to close the route opened here"), and recovery skips whole
// statements with their braces so one mistake yields one diagnostic.
#pragma once

#include "compiler/parse/reader_context.h"

namespace banyan::parse {

class SyntaxErrorStrategy : public antlr4::DefaultErrorStrategy {
 public:
  explicit SyntaxErrorStrategy(ReaderContext& ctx) : ctx_(ctx) {}

  void sync(antlr4::Parser* parser) override;

 protected:
  void reportNoViableAlternative(antlr4::Parser* parser, const antlr4::NoViableAltException& e) override;
  void reportInputMismatch(antlr4::Parser* parser, const antlr4::InputMismatchException& e) override;
  void reportFailedPredicate(antlr4::Parser* parser, const antlr4::FailedPredicateException& e) override;
  void reportUnwantedToken(antlr4::Parser* parser) override;
  void reportMissingToken(antlr4::Parser* parser) override;
  void consumeUntil(antlr4::Parser* parser, const antlr4::misc::IntervalSet& set) override;

 private:
  void explain(antlr4::Parser* parser, antlr4::Token* found, const antlr4::misc::IntervalSet& expected);
  void report_unclosed_block(antlr4::Parser* parser, antlr4::Token* found);

  ReaderContext& ctx_;
};

}  // namespace banyan::parse
