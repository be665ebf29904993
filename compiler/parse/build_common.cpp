// Typed values from tokens: each helper reports its own diagnostic and returns
// nothing when the token is absent, conjured, or wrong.
#include "compiler/parse/build_common.h"

#include "compiler/diag/suggest.h"
#include "compiler/parse/literals.h"
#include "compiler/parse/patterns.h"

namespace banyan::parse {

antlr4::tree::TerminalNode* token_child(antlr4::ParserRuleContext* c, size_t type, size_t i) {
  for (auto* child : c->children) {
    auto* t = as_token(child);
    if (t && t->getSymbol()->getType() == type && i-- == 0) return t;
  }
  return nullptr;
}

bool ValueReader::has_error(antlr4::tree::ParseTree* t) {
  if (t == nullptr) return false;
  if (dynamic_cast<antlr4::tree::ErrorNode*>(t)) return true;
  if (auto* c = dynamic_cast<antlr4::ParserRuleContext*>(t); c && c->exception) return true;
  for (auto* child : t->children) {
    if (has_error(child)) return true;
  }
  return false;
}

std::optional<ast::Text> ValueReader::word(antlr4::tree::TerminalNode* n) {
  auto* t = token(n);
  if (!t) return std::nullopt;
  return ast::Text{std::string(ctx_.text_of(t)), range(n)};
}

std::optional<ast::Text> ValueReader::string(antlr4::tree::TerminalNode* n) {
  auto* t = token(n);
  if (!t) return std::nullopt;
  return ast::Text{unquote(ctx_.text_of(t)).value, range(n)};
}

std::optional<ast::Name> ValueReader::name(RoutesParser::NameContext* c) {
  if (!c) return std::nullopt;
  auto* ident = token_child(c, RoutesParser::IDENT);
  auto* t = token(ident);
  if (!t) return std::nullopt;
  return ast::Name{std::string(ctx_.text_of(t)), range(ident)};
}

std::optional<ast::Duration> ValueReader::duration(antlr4::tree::TerminalNode* n) {
  auto* t = token(n);
  if (!t) return std::nullopt;
  auto v = parse_duration(ctx_.text_of(t));
  if (!v.ok) {
    ctx_.report(diag::Code::BadDurationUnit, range(n), v.error);
    return std::nullopt;
  }
  return ast::Duration{v.value, range(n)};
}

std::optional<ast::Size> ValueReader::size(antlr4::tree::TerminalNode* n) {
  auto* t = token(n);
  if (!t) return std::nullopt;
  auto v = parse_size(ctx_.text_of(t));
  if (!v.ok) {
    ctx_.report(diag::Code::BadSizeUnit, range(n), v.error);
    return std::nullopt;
  }
  return ast::Size{v.value, range(n)};
}

std::optional<ast::Percent> ValueReader::percent(antlr4::tree::TerminalNode* n) {
  auto* t = token(n);
  if (!t) return std::nullopt;
  auto v = parse_percent(ctx_.text_of(t));
  if (!v.ok) {
    ctx_.report(diag::Code::ValueOutOfRange, range(n), v.error);
    return std::nullopt;
  }
  return ast::Percent{v.value, range(n)};
}

std::optional<ast::Int> ValueReader::integer(antlr4::tree::TerminalNode* n, int64_t min, int64_t max,
                                             const std::string& what) {
  auto* t = token(n);
  if (!t) return std::nullopt;
  auto v = parse_int(ctx_.text_of(t));
  if (!v.ok || v.value < min || v.value > max) {
    ctx_.report(diag::Code::ValueOutOfRange, range(n),
                what + " " + std::string(ctx_.text_of(t)) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
    return std::nullopt;
  }
  return ast::Int{v.value, range(n)};
}

std::optional<ast::Int> ValueReader::status(antlr4::tree::TerminalNode* n, int64_t min, int64_t max) {
  return integer(n, min, max, "status");
}

std::optional<ast::Name> ValueReader::method(antlr4::tree::TerminalNode* n) {
  auto* t = token(n);
  if (!t) return std::nullopt;
  std::string suggestion;
  std::string_view text = ctx_.text_of(t);
  std::string err = check_method(text, suggestion);
  if (err.empty()) return ast::Name{std::string(text), range(n)};
  auto* d = ctx_.report(diag::Code::BadMethod, range(n),
                        "'" + std::string(text) + "': " + err + (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
  if (d && !suggestion.empty()) d->fixit = diag::FixIt{range(n), suggestion};
  return std::nullopt;
}

std::optional<size_t> ValueReader::choice(antlr4::tree::TerminalNode* n, const std::vector<std::string>& choices,
                                          const std::string& what) {
  auto* t = token(n);
  if (!t) return std::nullopt;
  std::string_view text = ctx_.text_of(t);
  for (size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == text) return i;
  }
  std::string msg = "unknown " + what + " '" + std::string(text) + "'";
  auto suggestion = diag::closest(text, choices);
  if (suggestion) {
    msg += "; did you mean '" + *suggestion + "'?";
  } else {
    msg += "; expected ";
    for (size_t i = 0; i < choices.size(); ++i) {
      if (i) msg += i + 1 == choices.size() ? " or " : ", ";
      msg += choices[i];
    }
  }
  auto* d = ctx_.report(diag::Code::UnknownOption, range(n), msg);
  if (d && suggestion) d->fixit = diag::FixIt{range(n), *suggestion};
  return std::nullopt;
}

ast::Template ValueReader::templ(RoutesParser::ValueContext* c, const std::vector<std::string>& extra) {
  ast::Template out;
  if (!c) return out;
  out.range = range(c);
  antlr4::tree::TerminalNode* n = c->STRING() ? c->STRING() : c->VARIABLE() ? c->VARIABLE() : c->IDENT() ? c->IDENT() : c->PATH();
  auto* t = token(n);
  if (!t) return out;
  std::string_view raw = ctx_.text_of(t);
  const bool quoted = c->STRING() != nullptr;
  out.text = quoted ? unquote(raw).value : std::string(raw);
  // Offsets of variables are taken in the raw token so carets land on them.
  for (const auto& v : find_variables(raw)) {
    source::SourceRange r{out.range.file, out.range.begin + static_cast<uint32_t>(v.offset),
                          out.range.begin + static_cast<uint32_t>(v.offset + v.length)};
    if (v.name.empty()) {
      ctx_.report(diag::Code::UnknownVariable, r, "'$' must be followed by a variable name; write \\$ for a literal dollar");
      continue;
    }
    if (!is_builtin_variable(v.name) && std::find(extra.begin(), extra.end(), v.name) == extra.end()) {
      std::vector<std::string> candidates = builtin_variables();
      candidates.insert(candidates.end(), extra.begin(), extra.end());
      std::string msg = "unknown variable '$" + v.name + "'";
      auto s = diag::closest(v.name, candidates);
      auto* d = ctx_.report(diag::Code::UnknownVariable, r,
                            s ? msg + "; did you mean '$" + *s + "'?"
                              : msg + "; see the list of variables in grammar/README.md");
      if (d && s) d->fixit = diag::FixIt{r, v.braced ? "${" + *s + "}" : "$" + *s};
      continue;
    }
    out.variables.push_back(ast::Name{v.name, r});
  }
  return out;
}

void ValueReader::duplicate(const std::string& setting, source::SourceRange again, source::SourceRange first) {
  auto* d = ctx_.report(diag::Code::DuplicateSetting, again, "'" + setting + "' is set twice; keep one");
  if (d) d->notes.push_back({first, "first set here"});
}

}  // namespace banyan::parse
