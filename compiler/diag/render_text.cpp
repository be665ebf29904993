// Clang-style text rendering: location, severity and code, source line, caret, fix-it.
#include <string>

#include "compiler/diag/render.h"

namespace banyan::diag {
namespace {

void render_location(std::string& out, const source::SourceManager& sm, source::SourceRange range) {
  if (!range.valid()) {
    out += "banyanc: ";
    return;
  }
  const auto& file = sm.file(range.file);
  auto lc = file.line_col(range.begin);
  out += file.path() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column) + ": ";
}

// The source line, then '^' under the first byte of the range and '~' under the rest
// (clipped to the line). Tabs are copied so the caret lines up in any tab width.
void render_snippet(std::string& out, const source::SourceManager& sm, source::SourceRange range,
                    const std::string* replacement) {
  if (!range.valid()) return;
  const auto& file = sm.file(range.file);
  auto lc = file.line_col(range.begin);
  std::string_view line = file.line_text(lc.line);
  out.append(line);
  out += '\n';
  std::string pad;
  for (uint32_t i = 0; i + 1 < lc.column && i < line.size(); ++i) pad += line[i] == '\t' ? '\t' : ' ';
  uint32_t line_end = file.line_start(lc.line) + static_cast<uint32_t>(line.size());
  uint32_t end = std::min(range.end, line_end);
  std::string marks = "^";
  for (uint32_t i = range.begin + 1; i < end; ++i) marks += '~';
  out += pad + marks + '\n';
  if (replacement) out += pad + *replacement + '\n';
}

}  // namespace

std::string render_text(const std::vector<Diagnostic>& diagnostics, const source::SourceManager& sm) {
  std::string out;
  for (const auto& d : diagnostics) {
    render_location(out, sm, d.range);
    out += std::string(severity_name(d.severity)) + "[" + std::string(info(d.code).code) + "]: " + d.message + '\n';
    render_snippet(out, sm, d.range, d.fixit ? &d.fixit->replacement : nullptr);
    for (const auto& n : d.notes) {
      render_location(out, sm, n.range);
      out += "note: " + n.message + '\n';
      render_snippet(out, sm, n.range, nullptr);
    }
  }
  return out;
}

}  // namespace banyan::diag
