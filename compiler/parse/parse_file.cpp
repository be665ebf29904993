// The reader of one file: budgets and encoding first, then the lexer
// (token_scanner.h) and a check of its tokens, the parser with Banyan's error
// strategy, the AST builder, and the token list the formatter works from.
#include "compiler/parse/parse_file.h"

#include "RoutesLexer.h"
#include "RoutesParser.h"
#include "compiler/parse/build_ast.h"
#include "compiler/parse/literals.h"
#include "compiler/parse/reader_context.h"
#include "compiler/parse/syntax_errors.h"
#include "compiler/parse/token_scanner.h"

namespace banyan::parse {
namespace {

// Errors the lexer leaves for us: characters no token starts with, strings without
// their closing quote, unknown escapes.
void check_tokens(const std::vector<antlr4::Token*>& tokens, ReaderContext& ctx) {
  for (antlr4::Token* t : tokens) {
    if (t->getType() == RoutesLexer::BAD_CHAR) {
      std::string text(ctx.text_of(t));
      std::string shown = text;
      if (text.size() == 1 && (static_cast<unsigned char>(text[0]) < 0x20 || text[0] == 0x7f)) {
        static const char* hex = "0123456789abcdef";
        shown = std::string("\\x") + hex[(text[0] >> 4) & 15] + hex[text[0] & 15];
      }
      std::string hint;
      if (text == ";") hint = "; statements end at the end of their line, no ';' needed";
      else if (text == "'") hint = "; strings use double quotes";
      ctx.report(diag::Code::UnexpectedCharacter, ctx.range_of(t), "unexpected character '" + shown + "'" + hint);
    } else if (t->getType() == RoutesLexer::STRING) {
      StringLiteral s = unquote(ctx.text_of(t));
      auto range = ctx.range_of(t);
      if (!s.closed) {
        auto* d = ctx.report(diag::Code::UnterminatedString, range, "string has no closing quote on its line");
        if (d) d->fixit = diag::FixIt{{range.file, range.end, range.end}, "\""};
      } else if (!s.bad_escape.empty()) {
        uint32_t at = range.begin + s.bad_escape_offset;
        ctx.report(diag::Code::BadEscape, {range.file, at, at + 2},
                   "unknown escape '" + s.bad_escape + "'; strings know \\\" \\\\ \\n \\t and \\$");
      }
    }
  }
}

void mark_statement_starts(antlr4::tree::ParseTree* node, std::vector<bool>& starts) {
  // A token (a leaf, or an error node) has no children: what has some is a rule
  // context, and every context the parser builds is a ParserRuleContext. So the cast
  // is static: a dynamic_cast per context was 8% of a compile's instructions.
  if (node->children.empty()) return;
  auto* ctx = static_cast<antlr4::ParserRuleContext*>(node);
  switch (ctx->getRuleIndex()) {
    case RoutesParser::RuleItem:
    case RoutesParser::RuleListenStmt:
    case RoutesParser::RuleTlsStmt:
    case RoutesParser::RuleUpstreamStmt:
    case RoutesParser::RuleCacheZoneStmt:
    case RoutesParser::RuleSiteStmt:
    case RoutesParser::RuleRouteStmt:
    case RoutesParser::RuleCachePolicyStmt:
    case RoutesParser::RuleMigrationStmt:
      if (ReaderContext::is_real(ctx->getStart()) && ctx->getStart()->getTokenIndex() < starts.size())
        starts[ctx->getStart()->getTokenIndex()] = true;
      break;
    default:
      break;
  }
  for (auto* child : ctx->children) mark_statement_starts(child, starts);
}

}  // namespace

size_t first_invalid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return i;
    }
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return i;
    i += len;
  }
  return std::string_view::npos;
}

ParsedFile parse_file(const source::SourceFile& file, diag::DiagnosticSink& sink, const Limits& limits,
                      Layout layout) {
  ParsedFile out;
  std::string_view text = file.text();
  if (text.size() > limits.max_file_bytes) {
    sink.report(diag::Code::InputTooLarge, {file.id(), 0, 0},
                "file is larger than the limit of " + std::to_string(limits.max_file_bytes) +
                    " bytes; split it with include");
    return out;
  }
  if (size_t bad = first_invalid_utf8(text); bad != std::string_view::npos) {
    uint32_t at = static_cast<uint32_t>(bad);
    static const char* hex = "0123456789abcdef";
    unsigned char b = static_cast<unsigned char>(text[bad]);
    sink.report(diag::Code::UnexpectedCharacter, {file.id(), at, at + 1},
                std::string("byte 0x") + hex[b >> 4] + hex[b & 15] + " is not valid UTF-8; routes files are UTF-8");
    return out;
  }

  ReaderContext ctx(file, sink, limits);
  try {
    CodePoints input(text);
    TokenScanner scanner(input);  // the grammar's lexer rules, by hand (RoutesLexer is its oracle)
    ScannedTokenStream stream(scanner);
    stream.fill();
    const auto& all = stream.getTokens();
    if (all.size() > limits.max_tokens) {
      sink.report(diag::Code::InputTooLarge, {file.id(), 0, 0},
                  "file has " + std::to_string(all.size()) + " tokens; the limit is " +
                      std::to_string(limits.max_tokens) + " (split it with include)");
      return out;
    }
    check_tokens(all, ctx);

    RoutesParser parser(&stream);
    parser.removeErrorListeners();
    parser.setErrorHandler(std::make_shared<SyntaxErrorStrategy>(ctx));
    RoutesParser::FileContext* tree = parser.file();
    out.syntax_ok = !ctx.saw_error();
    out.ast = build_ast(tree, ctx);
    if (layout == Layout::Skip) return out;

    std::vector<bool> starts(all.size(), false);
    mark_statement_starts(tree, starts);
    // Tokens come in order: their lines are found by walking forward, not each by a
    // search of the file's line starts.
    const uint32_t lines = file.line_count();
    uint32_t line = 1;
    auto line_of = [&](uint32_t offset) {
      if (offset < file.line_start(line)) line = 1;  // never, for the lexer's own tokens
      while (line < lines && file.line_start(line + 1) <= offset) ++line;
      return line;
    };
    for (antlr4::Token* t : all) {
      if (t->getType() == antlr4::Token::EOF || t->getType() == RoutesLexer::BAD_CHAR) continue;
      auto range = ctx.range_of(t);
      SyntaxToken st;
      st.text = text.substr(range.begin, range.end - range.begin);
      st.line = line_of(range.begin);
      st.end_line = line_of(range.end == range.begin ? range.end : range.end - 1);
      st.starts_statement = starts[t->getTokenIndex()];
      if (t->getType() == RoutesLexer::COMMENT) st.kind = SyntaxToken::Kind::Comment;
      else if (st.text == "{") st.kind = SyntaxToken::Kind::OpenBrace;
      else if (st.text == "}") st.kind = SyntaxToken::Kind::CloseBrace;
      else if (st.text == ",") st.kind = SyntaxToken::Kind::Comma;
      out.tokens.push_back(st);
    }
  } catch (const std::exception& e) {
    // The generated parser recovers from every syntax error itself; reaching this is
    // a bug in Banyan, reported as a diagnostic rather than a crash.
    sink.report(diag::Code::UnexpectedToken, {file.id(), 0, 0}, std::string("internal parser error: ") + e.what());
    out.syntax_ok = false;
  }
  return out;
}

}  // namespace banyan::parse
