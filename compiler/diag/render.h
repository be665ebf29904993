// Rendering diagnostics: clang-style text, JSON, and SARIF 2.1.0 for code review tools.
#pragma once

#include <string>
#include <vector>

#include "compiler/diag/diagnostic.h"
#include "compiler/source/source_file.h"

namespace banyan::diag {

// path:line:col: error[B0103]: message, the source line, a caret under the range,
// the fix-it text under the caret, then each note the same way.
std::string render_text(const std::vector<Diagnostic>& diagnostics, const source::SourceManager& sm);

// "2 error(s), 1 warning(s)": the line that ends a text report with anything in it.
std::string summary_line(const DiagnosticSink& sink);

// {"diagnostics": [...], "errors": N, "warnings": N}
std::string render_json(const std::vector<Diagnostic>& diagnostics, const source::SourceManager& sm);

// One SARIF run of tool "banyanc", one result per diagnostic, the catalog as rules.
std::string render_sarif(const std::vector<Diagnostic>& diagnostics, const source::SourceManager& sm);

// A code's section in docs/diagnostics.md (SARIF's helpUri): "docs/diagnostics.md#b0201-bad-duration-unit".
std::string help_uri(const CodeInfo& c);

// JSON string literal (with quotes) of arbitrary bytes; invalid UTF-8 bytes become U+FFFD.
std::string json_quote(std::string_view s);

}  // namespace banyan::diag
