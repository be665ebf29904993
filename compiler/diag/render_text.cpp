// Clang-style text rendering: location, severity and code, source line, caret, fix-it.
#include <algorithm>
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

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// White space as wide as line[from, to): one column per code point, tabs copied so
// the caret lines up in any tab width.
std::string pad_for(std::string_view line, size_t from, size_t to) {
  std::string pad;
  for (size_t i = from; i < to && i < line.size(); ++i) {
    if (!is_continuation(line[i])) pad += line[i] == '\t' ? '\t' : ' ';
  }
  return pad;
}

// A budget on what one diagnostic prints: a minified or hostile file can have a
// multi-megabyte line; show a window of it around the caret.
constexpr size_t kMaxShownLine = 160;

// The source line, then '^' under the first character of the range and '~' under
// the rest (clipped to the line), then the fix-it text under the place it replaces.
void render_snippet(std::string& out, const source::SourceManager& sm, source::SourceRange range,
                    const FixIt* fixit) {
  if (!range.valid()) return;
  const auto& file = sm.file(range.file);
  auto lc = file.line_col(range.begin);
  std::string_view line = file.line_text(lc.line);
  const uint32_t line_start = file.line_start(lc.line);
  size_t col = std::min<size_t>(range.begin - line_start, line.size());
  size_t from = 0, to = line.size();
  if (line.size() > kMaxShownLine) {
    from = col > kMaxShownLine / 2 ? col - kMaxShownLine / 2 : 0;
    while (from > 0 && is_continuation(line[from])) --from;
    to = std::min(line.size(), from + kMaxShownLine);
    while (to < line.size() && is_continuation(line[to])) ++to;
  }
  std::string prefix = from > 0 ? "..." : "";
  out += prefix;
  out.append(line.substr(from, to - from));
  out += to < line.size() ? "...\n" : "\n";
  std::string lead(prefix.size(), ' ');
  size_t end = std::min<size_t>(range.end - line_start, to);
  std::string marks = "^";
  for (size_t i = col + 1; i < end; ++i) {
    if (!is_continuation(line[i])) marks += '~';
  }
  out += lead + pad_for(line, from, col) + marks + '\n';
  if (fixit) {
    // The fix-it may replace another place on the line (an insertion at its end).
    size_t at = fixit->range.file == range.file && fixit->range.begin >= line_start
                    ? std::min<size_t>(fixit->range.begin - line_start, to)
                    : col;
    out += lead + pad_for(line, from, std::max(at, from)) + fixit->replacement + '\n';
  }
}

}  // namespace

std::string summary_line(const DiagnosticSink& sink) {
  return std::to_string(sink.error_count()) + " error(s), " + std::to_string(sink.warning_count()) + " warning(s)";
}

std::string render_text(const std::vector<Diagnostic>& diagnostics, const source::SourceManager& sm) {
  std::string out;
  for (const auto& d : diagnostics) {
    render_location(out, sm, d.range);
    out += std::string(severity_name(d.severity)) + "[" + std::string(info(d.code).code) + "]: " + d.message + '\n';
    render_snippet(out, sm, d.range, d.fixit ? &*d.fixit : nullptr);
    for (const auto& n : d.notes) {
      render_location(out, sm, n.range);
      out += "note: " + n.message + '\n';
      render_snippet(out, sm, n.range, nullptr);
    }
  }
  return out;
}

}  // namespace banyan::diag
