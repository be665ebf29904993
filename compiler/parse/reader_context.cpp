// Offsets, ranges and the error budget of one file's read.
#include "compiler/parse/reader_context.h"

namespace banyan::parse {

ReaderContext::ReaderContext(const source::SourceFile& file, diag::DiagnosticSink& sink, const Limits& limits)
    : file_(file), sink_(sink), limits_(limits) {
  std::string_view text = file.text();
  bool ascii = true;
  for (unsigned char c : text) ascii = ascii && c < 0x80;
  if (ascii) return;
  // ANTLRInputStream drops a leading UTF-8 byte order mark, so its character 0 is
  // the code point after it.
  uint32_t first = text.starts_with("\xef\xbb\xbf") ? 3 : 0;
  // The caller has checked UTF-8 validity: every lead byte starts one code point.
  for (uint32_t i = first; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) char_to_byte_.push_back(i);
  }
  char_to_byte_.push_back(static_cast<uint32_t>(text.size()));
}

uint32_t ReaderContext::byte_offset(size_t char_index) const {
  if (char_to_byte_.empty()) return static_cast<uint32_t>(std::min(char_index, file_.text().size()));
  return char_index < char_to_byte_.size() ? char_to_byte_[char_index] : char_to_byte_.back();
}

source::SourceRange ReaderContext::range_of(const antlr4::Token* t) const {
  if (!is_real(t)) return {file_.id(), 0, 0};
  if (t->getType() == antlr4::Token::EOF) {
    uint32_t end = static_cast<uint32_t>(file_.text().size());
    return {file_.id(), end, end};
  }
  return {file_.id(), byte_offset(t->getStartIndex()), byte_offset(t->getStopIndex() + 1)};
}

source::SourceRange ReaderContext::range_of(antlr4::ParserRuleContext* ctx) const {
  if (ctx == nullptr) return {file_.id(), 0, 0};
  source::SourceRange begin = range_of(ctx->getStart());
  const antlr4::Token* stop = ctx->getStop();
  if (!is_real(stop) || stop->getTokenIndex() < ctx->getStart()->getTokenIndex()) return begin;
  return source::SourceRange::join(begin, range_of(stop));
}

diag::Diagnostic* ReaderContext::report(diag::Code code, source::SourceRange range, std::string message) {
  if (capped_) return nullptr;
  if (diag::info(code).severity == diag::Severity::Error && ++errors_ > limits_.max_errors_per_file) {
    capped_ = true;
    sink_.report(diag::Code::InputTooLarge, range,
                 "too many errors (" + std::to_string(limits_.max_errors_per_file) +
                     "); stopping here. Fix these and run again");
    return nullptr;
  }
  return &sink_.report(code, range, std::move(message));
}

}  // namespace banyan::parse
