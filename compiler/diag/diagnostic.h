// Diagnostics as data: a code from the catalog, a primary range, a message, notes
// pointing at related places and an optional fix-it. Rendering is separate
// (render.h); passes only build these and hand them to a DiagnosticSink.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/source/source_file.h"

namespace banyan::diag {

enum class Severity { Note, Warning, Error };

enum class Code : uint16_t {
#define BANYAN_DIAG(id, code, severity, slug, summary) id,
#include "compiler/diag/catalog.def"
#undef BANYAN_DIAG
};

struct CodeInfo {
  Code id;
  std::string_view code;  // "B0103"
  Severity severity;
  std::string_view slug;  // "unknown-keyword"
  std::string_view summary;
};

const CodeInfo& info(Code code);
const std::vector<CodeInfo>& catalog();
std::string_view severity_name(Severity s);

struct Note {
  source::SourceRange range;  // may be invalid: a note about no place in particular
  std::string message;
};

// Replace `range` with `replacement`. Shown under the caret; machine-applicable.
struct FixIt {
  source::SourceRange range;
  std::string replacement;
};

struct Diagnostic {
  Code code;
  Severity severity;
  source::SourceRange range;
  std::string message;
  std::vector<Note> notes;
  std::optional<FixIt> fixit;
};

// Collects diagnostics in report order. Passes never stop on the first error.
class DiagnosticSink {
 public:
  Diagnostic& report(Code code, source::SourceRange range, std::string message);
  const std::vector<Diagnostic>& all() const { return diagnostics_; }
  size_t error_count() const;
  size_t warning_count() const;
  // Order by file, then offset, keeping report order for ties: output is stable.
  void sort();
  template <typename Pred>
  void remove_if(Pred pred) {
    diagnostics_.erase(std::remove_if(diagnostics_.begin(), diagnostics_.end(), pred), diagnostics_.end());
  }

 private:
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace banyan::diag
