// JSON and SARIF 2.1.0 renderings. Hand-written: the shapes are small and fixed, and
// no JSON library is in the project's stack.
#include <set>

#include "compiler/diag/render.h"

#include "runtime/version.h"

namespace banyan::diag {

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    // Copy a well-formed UTF-8 sequence; replace anything else with U+FFFD.
    size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len != 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 0x2;
    if (ok) {
      out.append(s.substr(i, len));
      i += len - 1;
    } else {
      out += "\xef\xbf\xbd";
    }
  }
  return out + "\"";
}

namespace {

struct Region {
  uint32_t start_line, start_column, end_line, end_column;
};

// SARIF columns count Unicode code points (we say so in "columnKind"); the text and
// JSON renderings count bytes, as clang does.
uint32_t code_point_column(const source::SourceFile& f, uint32_t offset, source::LineCol lc) {
  uint32_t start = f.line_start(lc.line), col = 1;
  std::string_view text = f.text();
  for (uint32_t i = start; i < offset && i < text.size(); ++i) col += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  return col;
}

Region region_of(const source::SourceManager& sm, source::SourceRange r) {
  const auto& f = sm.file(r.file);
  auto b = f.line_col(r.begin);
  auto e = f.line_col(r.end);
  return {b.line, b.column, e.line, e.column};
}

Region sarif_region_of(const source::SourceManager& sm, source::SourceRange r) {
  const auto& f = sm.file(r.file);
  auto b = f.line_col(r.begin);
  auto e = f.line_col(r.end);
  return {b.line, code_point_column(f, r.begin, b), e.line, code_point_column(f, r.end, e)};
}

std::string sarif_location(const source::SourceManager& sm, source::SourceRange r, const std::string* message) {
  Region g = sarif_region_of(sm, r);
  std::string out = "{\"physicalLocation\":{\"artifactLocation\":{\"uri\":" + json_quote(sm.file(r.file).path()) +
                    "},\"region\":{\"startLine\":" + std::to_string(g.start_line) +
                    ",\"startColumn\":" + std::to_string(g.start_column) + ",\"endLine\":" + std::to_string(g.end_line) +
                    ",\"endColumn\":" + std::to_string(g.end_column) + "}}";
  if (message) out += ",\"message\":{\"text\":" + json_quote(*message) + "}";
  return out + "}";
}

}  // namespace

std::string render_json(const std::vector<Diagnostic>& diagnostics, const source::SourceManager& sm) {
  std::string out = "{\"diagnostics\":[";
  size_t errors = 0, warnings = 0;
  for (size_t i = 0; i < diagnostics.size(); ++i) {
    const auto& d = diagnostics[i];
    errors += d.severity == Severity::Error;
    warnings += d.severity == Severity::Warning;
    if (i) out += ",";
    out += "\n  {\"severity\":" + json_quote(severity_name(d.severity)) + ",\"code\":" + json_quote(info(d.code).code) +
           ",\"name\":" + json_quote(info(d.code).slug) + ",\"message\":" + json_quote(d.message);
    if (d.range.valid()) {
      Region g = region_of(sm, d.range);
      out += ",\"file\":" + json_quote(sm.file(d.range.file).path()) + ",\"line\":" + std::to_string(g.start_line) +
             ",\"column\":" + std::to_string(g.start_column) + ",\"end_line\":" + std::to_string(g.end_line) +
             ",\"end_column\":" + std::to_string(g.end_column);
    }
    out += ",\"notes\":[";
    for (size_t k = 0; k < d.notes.size(); ++k) {
      const auto& n = d.notes[k];
      if (k) out += ",";
      out += "{\"message\":" + json_quote(n.message);
      if (n.range.valid()) {
        Region g = region_of(sm, n.range);
        out += ",\"file\":" + json_quote(sm.file(n.range.file).path()) + ",\"line\":" + std::to_string(g.start_line) +
               ",\"column\":" + std::to_string(g.start_column);
      }
      out += "}";
    }
    out += "]";
    if (d.fixit) out += ",\"fixit\":{\"replacement\":" + json_quote(d.fixit->replacement) + "}";
    out += "}";
  }
  out += "\n],\"errors\":" + std::to_string(errors) + ",\"warnings\":" + std::to_string(warnings) + "}\n";
  return out;
}

std::string help_uri(const CodeInfo& c) {
  // The section's anchor as Markdown renderers make it: "## B0201 bad-duration-unit"
  // -> #b0201-bad-duration-unit. Relative to the repository: the docs are not
  // published at an address of their own yet.
  std::string anchor = std::string(c.code) + "-" + std::string(c.slug);
  for (char& ch : anchor) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return "docs/diagnostics.md#" + anchor;
}

std::string render_sarif(const std::vector<Diagnostic>& diagnostics, const source::SourceManager& sm) {
  std::string out =
      "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{"
      "\"tool\":{\"driver\":{\"name\":\"banyanc\",\"version\":" + json_quote(kReleaseVersion) +
      ",\"informationUri\":\"docs/diagnostics.md\",\"rules\":[";
  const auto& table = catalog();
  for (size_t i = 0; i < table.size(); ++i) {
    if (i) out += ",";
    out += "\n{\"id\":" + json_quote(table[i].code) + ",\"name\":" + json_quote(table[i].slug) +
           ",\"shortDescription\":{\"text\":" + json_quote(table[i].summary) + "},\"helpUri\":" +
           json_quote(help_uri(table[i])) + ",\"help\":{\"text\":" + json_quote(table[i].summary) +
           "},\"defaultConfiguration\":{\"level\":" + json_quote(severity_name(table[i].severity)) + "}}";
  }
  out += "]}},\"columnKind\":\"unicodeCodePoints\",\"results\":[";
  for (size_t i = 0; i < diagnostics.size(); ++i) {
    const auto& d = diagnostics[i];
    if (i) out += ",";
    out += "\n{\"ruleId\":" + json_quote(info(d.code).code) + ",\"ruleIndex\":" +
           std::to_string(static_cast<size_t>(d.code)) + ",\"level\":" + json_quote(severity_name(d.severity)) +
           ",\"message\":{\"text\":" + json_quote(d.message) + "}";
    if (d.range.valid()) out += ",\"locations\":[" + sarif_location(sm, d.range, nullptr) + "]";
    std::string related;
    for (const auto& n : d.notes) {
      if (!n.range.valid()) continue;
      if (!related.empty()) related += ",";
      related += sarif_location(sm, n.range, &n.message);
    }
    if (!related.empty()) out += ",\"relatedLocations\":[" + related + "]";
    if (d.fixit && d.fixit->range.valid()) {
      Region g = sarif_region_of(sm, d.fixit->range);
      out += ",\"fixes\":[{\"artifactChanges\":[{\"artifactLocation\":{\"uri\":" +
             json_quote(sm.file(d.fixit->range.file).path()) + "},\"replacements\":[{\"deletedRegion\":{\"startLine\":" +
             std::to_string(g.start_line) + ",\"startColumn\":" + std::to_string(g.start_column) +
             ",\"endLine\":" + std::to_string(g.end_line) + ",\"endColumn\":" + std::to_string(g.end_column) +
             "},\"insertedContent\":{\"text\":" + json_quote(d.fixit->replacement) + "}}]}]}]";
    }
    out += "}";
  }
  out += "\n]}]}\n";
  return out;
}

}  // namespace banyan::diag
