// Finding `# banyan:allow` comments and applying them to the diagnostics.
#include "compiler/parse/annotations.h"

#include <algorithm>
#include <cctype>

namespace banyan::parse {
namespace {


std::optional<diag::Code> code_named(std::string_view name) {
  for (const auto& info : diag::catalog()) {
    if (info.code == name) return info.id;
  }
  return std::nullopt;
}

// The statement a comment at token index `i` annotates, as [first, last] indices:
// after code on its line, the outermost statement starting on that line (or, on a
// continuation line, the statement it continues; after a `}`, the statement whose
// block it closes, which is where `banyanc fmt` moves a one-line block's comment);
// on a line of its own, the next statement.
bool statement_of(const std::vector<SyntaxToken>& toks, size_t i, size_t& first, size_t& last) {
  using K = SyntaxToken::Kind;
  bool trailing = i > 0 && toks[i - 1].kind != K::Comment && toks[i - 1].end_line == toks[i].line;
  if (trailing) {
    size_t j = i;
    if (toks[i - 1].kind == K::CloseBrace) {  // back to its '{'
      int depth = 0;
      while (j-- > 0) {
        if (toks[j].kind == K::CloseBrace) ++depth;
        if (toks[j].kind == K::OpenBrace && --depth == 0) break;
      }
      if (j == static_cast<size_t>(-1)) return false;
      ++j;
    }
    while (j > 0 && !(toks[j - 1].kind == K::Code && toks[j - 1].starts_statement)) --j;
    if (j == 0) return false;
    first = j - 1;
    for (size_t k = first; k-- > 0 && toks[k].end_line == toks[i].line;) {
      if (toks[k].kind == K::Code && toks[k].starts_statement) first = k;
    }
  } else {
    size_t j = i + 1;
    while (j < toks.size() && !(toks[j].kind == K::Code && toks[j].starts_statement)) {
      if (toks[j].kind != K::Comment) return false;  // a '}' or stray token: nothing to annotate
      ++j;
    }
    if (j == toks.size()) return false;
    first = j;
  }
  int depth = 0;
  last = first;
  for (size_t j = first + 1; j < toks.size(); ++j) {
    const auto& t = toks[j];
    if (t.kind == K::Comment) continue;
    if (t.kind == K::OpenBrace) {
      ++depth;
    } else if (t.kind == K::CloseBrace) {
      if (depth == 0) break;  // closes the enclosing block
      if (--depth == 0) {
        last = j;
        break;
      }
    } else if (depth == 0 && t.kind == K::Code && t.starts_statement) {
      break;
    }
    last = j;
  }
  return true;
}

}  // namespace

std::vector<Annotation> find_annotations(const source::SourceFile& file, const std::vector<SyntaxToken>& toks,
                                         diag::DiagnosticSink& sink) {
  std::vector<Annotation> out;
  const char* base = file.text().data();
  auto range_of = [&](std::string_view s) {
    auto b = static_cast<uint32_t>(s.data() - base);
    return source::SourceRange{file.id(), b, b + static_cast<uint32_t>(s.size())};
  };
  for (size_t i = 0; i < toks.size(); ++i) {
    if (toks[i].kind != SyntaxToken::Kind::Comment) continue;
    std::string_view text = toks[i].text;  // "# banyan:allow ...": the marker opens the comment
    size_t at = text.find_first_not_of("# \t");
    if (at == std::string_view::npos || text.substr(at, annotation_marker().size()) != annotation_marker()) continue;
    source::SourceRange where = range_of(text);
    auto bad = [&](const std::string& why) { sink.report(diag::Code::BadAnnotation, where, why); };
    Annotation a;
    a.range = where;
    std::string_view rest = text.substr(at + annotation_marker().size());
    auto skip = [&] {
      while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t' || rest[0] == ',')) rest.remove_prefix(1);
    };
    skip();
    bool ok = true;
    while (!rest.empty() && rest[0] != '"') {
      size_t n = 0;
      while (n < rest.size() && !std::isspace(static_cast<unsigned char>(rest[n])) && rest[n] != ',') ++n;
      std::string_view word = rest.substr(0, n);
      auto code = code_named(word);
      if (!code) {
        bad("'" + std::string(word) + "' is not a diagnostic code; write `# banyan:allow B0406 \"reason\"`");
        ok = false;
        break;
      }
      if (diag::info(*code).severity == diag::Severity::Error) {
        bad(std::string(word) + " is an error, and errors cannot be silenced: the plan would be wrong; fix the cause");
        ok = false;
        break;
      }
      a.codes.push_back(*code);
      rest.remove_prefix(n);
      skip();
    }
    if (!ok) continue;
    if (a.codes.empty()) {
      bad("an annotation names the warnings it silences: `# banyan:allow B0406 \"reason\"`");
      continue;
    }
    size_t close = rest.size() > 1 ? rest.find('"', 1) : std::string_view::npos;
    if (rest.empty() || close == std::string_view::npos || close == 1) {
      bad("an annotation must say why, in quotes: `# banyan:allow " + std::string(diag::info(a.codes[0]).code) +
          " \"reason\"`");
      continue;
    }
    a.reason = std::string(rest.substr(1, close - 1));
    size_t first = 0, last = 0;
    if (!statement_of(toks, i, first, last)) {
      bad("this annotation is followed by no statement to apply to");
      continue;
    }
    source::SourceRange b = range_of(toks[first].text), e = range_of(toks[last].text);
    a.scope = {file.id(), b.begin, e.end};
    out.push_back(std::move(a));
  }
  return out;
}

void apply_annotations(const std::vector<Annotation>& annotations, diag::DiagnosticSink& sink) {
  std::vector<std::vector<bool>> used(annotations.size());
  for (size_t i = 0; i < annotations.size(); ++i) used[i].assign(annotations[i].codes.size(), false);
  sink.remove_if([&](const diag::Diagnostic& d) {
    if (d.severity != diag::Severity::Warning) return false;
    bool drop = false;
    for (size_t i = 0; i < annotations.size(); ++i) {
      const auto& a = annotations[i];
      if (a.scope.file != d.range.file || d.range.begin < a.scope.begin || d.range.begin >= a.scope.end) continue;
      for (size_t k = 0; k < a.codes.size(); ++k) {
        if (a.codes[k] == d.code) used[i][k] = drop = true;
      }
    }
    return drop;
  });
  for (size_t i = 0; i < annotations.size(); ++i) {
    for (size_t k = 0; k < annotations[i].codes.size(); ++k) {
      if (used[i][k]) continue;
      sink.report(diag::Code::UnusedAnnotation, annotations[i].range,
                  "this annotation allows " + std::string(diag::info(annotations[i].codes[k]).code) +
                      ", but the statement it covers has no such warning; remove it");
    }
  }
}

}  // namespace banyan::parse
