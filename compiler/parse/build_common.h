// Helpers shared by the AST builders (internal to compiler/parse/): reading tokens
// of a possibly repaired parse tree into typed values, with diagnostics.
#pragma once

#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include "RoutesParser.h"
#include "compiler/ast/ast.h"
#include "compiler/parse/reader_context.h"

namespace banyan::parse {

// The parse tree without dynamic_cast. The generated accessors (c->routeStmt(),
// c->STRING()) dynamic_cast every child they look at, and a chain of
// `dynamic_cast<P::RMethodContext*>` tests one per alternative; each cast walks the
// class hierarchy comparing type names, and together they were an eighth of the
// instructions of compiling 10,000 routes. The parser builds three kinds of node: a
// context of one of the generated classes (each a leaf class, so an exact type test
// decides), a TerminalNodeImpl and an ErrorNodeImpl.

// `t` when it is exactly a T, else nullptr.
template <typename T>
T* as(antlr4::tree::ParseTree* t) {
  return t != nullptr && typeid(*t) == typeid(T) ? static_cast<T*>(t) : nullptr;
}

// `t` when it is a token (an error node is one too), else nullptr.
inline antlr4::tree::TerminalNode* as_token(antlr4::tree::ParseTree* t) {
  // (TerminalNode is a virtual base of both, but ParseTree an ordinary base of it.)
  const std::type_info& type = typeid(*t);
  if (type == typeid(antlr4::tree::TerminalNodeImpl) || type == typeid(antlr4::tree::ErrorNodeImpl))
    return static_cast<antlr4::tree::TerminalNode*>(t);
  return nullptr;
}

// What c->X(i) returns for a token type X: the i-th child token of that type.
antlr4::tree::TerminalNode* token_child(antlr4::ParserRuleContext* c, size_t type, size_t i = 0);

// Whether `child` is a context of rule `rule` (RoutesParser::RuleX).
inline bool is_rule(antlr4::tree::ParseTree* child, size_t rule) {
  return !as_token(child) && static_cast<antlr4::ParserRuleContext*>(child)->getRuleIndex() == rule;
}

// What c->x() returns for a rule x that occurs once, and many times.
template <typename T>
T* rule_child(antlr4::ParserRuleContext* c, size_t rule) {
  for (auto* child : c->children) {
    if (is_rule(child, rule)) return static_cast<T*>(child);
  }
  return nullptr;
}
template <typename T>
std::vector<T*> rule_children(antlr4::ParserRuleContext* c, size_t rule) {
  std::vector<T*> out;
  for (auto* child : c->children) {
    if (is_rule(child, rule)) out.push_back(static_cast<T*>(child));
  }
  return out;
}

class ValueReader {
 public:
  explicit ValueReader(ReaderContext& ctx) : ctx_(ctx) {}

  ReaderContext& ctx() { return ctx_; }
  source::SourceRange range(antlr4::tree::TerminalNode* n) const { return ctx_.range_of(n ? n->getSymbol() : nullptr); }
  source::SourceRange range(antlr4::ParserRuleContext* c) const { return ctx_.range_of(c); }

  // nullptr for an absent node or one ANTLR conjured during recovery.
  static antlr4::Token* token(antlr4::tree::TerminalNode* n) {
    return n && ReaderContext::is_real(n->getSymbol()) ? n->getSymbol() : nullptr;
  }
  // True when the subtree holds a syntax error: its settings are incomplete, so
  // "missing setting" checks stay quiet instead of piling onto the real error.
  static bool has_error(antlr4::tree::ParseTree* t);

  std::optional<ast::Text> word(antlr4::tree::TerminalNode* n);
  std::optional<ast::Text> string(antlr4::tree::TerminalNode* n);  // unquoted
  std::optional<ast::Name> name(RoutesParser::NameContext* c);
  std::optional<ast::Duration> duration(antlr4::tree::TerminalNode* n);
  std::optional<ast::Size> size(antlr4::tree::TerminalNode* n);
  std::optional<ast::Percent> percent(antlr4::tree::TerminalNode* n);
  std::optional<ast::Int> integer(antlr4::tree::TerminalNode* n, int64_t min, int64_t max, const std::string& what);
  std::optional<ast::Int> status(antlr4::tree::TerminalNode* n, int64_t min = 100, int64_t max = 599);

  // An HTTP method token (B0206 with a suggestion when it is not one).
  std::optional<ast::Name> method(antlr4::tree::TerminalNode* n);

  // One of `choices`, else B0204 with "did you mean". Returns the index.
  std::optional<size_t> choice(antlr4::tree::TerminalNode* n, const std::vector<std::string>& choices,
                               const std::string& what);

  // `$variables` in a template must be known; `extra` adds a route's parameters.
  ast::Template templ(RoutesParser::ValueContext* c, const std::vector<std::string>& extra);

  // Reports B0210 for a second value of a single-valued setting.
  template <typename T>
  void set_once(std::optional<T>& slot, std::optional<T> value, const std::string& setting) {
    if (!value) return;
    if (slot) {
      duplicate(setting, value->range, slot->range);
      return;
    }
    slot = std::move(value);
  }
  void duplicate(const std::string& setting, source::SourceRange again, source::SourceRange first);

 private:
  ReaderContext& ctx_;
};

}  // namespace banyan::parse
