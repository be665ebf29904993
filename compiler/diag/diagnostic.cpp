// The catalog table and the sink.
#include "compiler/diag/diagnostic.h"

#include <algorithm>

namespace banyan::diag {

const std::vector<CodeInfo>& catalog() {
  static const std::vector<CodeInfo> table = {
#define BANYAN_DIAG(id, code, severity, slug, summary) {Code::id, code, Severity::severity, slug, summary},
#include "compiler/diag/catalog.def"
#undef BANYAN_DIAG
  };
  return table;
}

const CodeInfo& info(Code code) { return catalog()[static_cast<size_t>(code)]; }

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Note: return "note";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
  }
  return "error";
}

Diagnostic& DiagnosticSink::report(Code code, source::SourceRange range, std::string message) {
  diagnostics_.push_back(Diagnostic{code, info(code).severity, range, std::move(message), {}, std::nullopt});
  return diagnostics_.back();
}

size_t DiagnosticSink::error_count() const {
  return std::count_if(diagnostics_.begin(), diagnostics_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

size_t DiagnosticSink::warning_count() const {
  return std::count_if(diagnostics_.begin(), diagnostics_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::Warning; });
}

void DiagnosticSink::sort() {
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.range.file != b.range.file) return a.range.file < b.range.file;
    return a.range.begin < b.range.begin;
  });
}

}  // namespace banyan::diag
