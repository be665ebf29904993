// State shared by the passes of one file's read (internal to compiler/parse/):
// the file, the sink, ANTLR's character indices mapped to byte offsets, and the
// error budget. Includes ANTLR: never include this outside compiler/parse/.
#pragma once

#include <cstdint>
#include <vector>

#include "antlr4-runtime.h"
#include "compiler/diag/diagnostic.h"
#include "compiler/parse/parse_file.h"
#include "compiler/source/source_file.h"

namespace banyan::parse {

class ReaderContext {
 public:
  ReaderContext(const source::SourceFile& file, diag::DiagnosticSink& sink, const Limits& limits);

  const source::SourceFile& file() const { return file_; }
  const Limits& limits() const { return limits_; }

  // ANTLR indexes characters (code points); diagnostics index bytes.
  uint32_t byte_offset(size_t char_index) const;
  source::SourceRange range_of(const antlr4::Token* token) const;
  source::SourceRange range_of(antlr4::ParserRuleContext* ctx) const;
  source::SourceRange range_of_bytes(uint32_t begin, uint32_t end) const { return {file_.id(), begin, end}; }
  // A token's text as the file's own bytes, without a copy (ANTLR's getText converts
  // its code points back to UTF-8 into a new string each time; the lexer never
  // rewrites a token's text, so the two are the same).
  std::string_view text_of(const antlr4::Token* t) const {
    source::SourceRange r = range_of(t);
    return file_.text().substr(r.begin, r.end - r.begin);
  }

  // Reports within the per-file budget; past it, one final "too many errors" and
  // everything else is dropped. Returns nullptr when dropped.
  diag::Diagnostic* report(diag::Code code, source::SourceRange range, std::string message);
  bool saw_error() const { return errors_ > 0; }

  // Conjured tokens (ANTLR's single-token insertion) have no place in the input.
  static bool is_real(const antlr4::Token* t) {
    return t != nullptr && t->getStartIndex() != INVALID_INDEX && t->getTokenIndex() != INVALID_INDEX;
  }

 private:
  const source::SourceFile& file_;
  diag::DiagnosticSink& sink_;
  Limits limits_;
  std::vector<uint32_t> char_to_byte_;  // empty when the file is ASCII
  size_t errors_ = 0;
  bool capped_ = false;
};

}  // namespace banyan::parse
