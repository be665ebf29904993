// Reading one routes file: lex, parse (ANTLR, generated from grammar/Routes.g4),
// rephrase syntax errors, and build Banyan's AST. This folder is the only one that
// includes ANTLR headers; what leaves it is ast::File and plain tokens.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"
#include "compiler/source/source_file.h"

namespace banyan::parse {

// Budgets of the reader. A routes file is written by people: these are far past any
// real file and keep hostile input (a fuzzer's, or a 2 GiB mistake) cheap to refuse.
struct Limits {
  size_t max_file_bytes = 8u << 20;        // 8 MiB: ~200k routes
  size_t max_tokens = 2'000'000;
  size_t max_errors_per_file = 50;         // after that: one "too many errors" and stop
  size_t max_include_depth = 16;
  size_t max_files = 512;
};

// A token as the formatter sees it: code or comment, with its place, and whether
// it begins a statement (known from the parse tree, which the formatter never sees).
struct SyntaxToken {
  enum class Kind { Code, Comment, OpenBrace, CloseBrace, Comma };
  Kind kind = Kind::Code;
  std::string_view text;  // view into the SourceFile's text
  uint32_t line = 0;      // 1-based line of the first byte
  uint32_t end_line = 0;  // line of the last byte
  bool starts_statement = false;
};

struct ParsedFile {
  ast::File ast;
  std::vector<SyntaxToken> tokens;  // every code token and comment, in order (empty: Layout::Skip)
  bool syntax_ok = false;           // no lexical or syntax error
};

// Offset of the first byte that is not part of well-formed UTF-8 (overlong forms,
// surrogates and values past U+10FFFF included), or npos. parse_file refuses such a
// file before lexing it.
size_t first_invalid_utf8(std::string_view s);

// Whether ParsedFile::tokens is wanted: the formatter and `# banyan:allow` comments
// read it; a compile of a file without such comments does not (its list and the
// statement starts were 5% of compiling 10,000 routes).
enum class Layout { Keep, Skip };

// Parses `file`, reporting every lexical, syntax and literal error into `sink`.
// Never throws; the AST holds whatever could be recovered.
ParsedFile parse_file(const source::SourceFile& file, diag::DiagnosticSink& sink, const Limits& limits = {},
                      Layout layout = Layout::Keep);

}  // namespace banyan::parse
