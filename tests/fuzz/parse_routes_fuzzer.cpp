// libFuzzer target: any bytes as a routes file, through the whole check pipeline.
// Finds crashes, hangs, leaks and UB, and checks three promises:
//   - the hand-written lexer gives the generated lexer's tokens (lexer_oracle.h);
//   - formatting keeps the meaning: when the input parses, its formatted text parses
//     to the same syntax tree (positions aside), with the same comments, and
//     formatting that again changes nothing;
//   - a plan keeps the routing: when the input checks clean, it is compiled to plan
//     bytes, loaded as the runtime loads them, and the loaded plan sends each request
//     the checker samples for each route to the route the compiler's own model picks.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "compiler/analysis/samples.h"
#include "compiler/ast/dump_ast.h"
#include "compiler/check_pipeline.h"
#include "compiler/diag/render.h"
#include "compiler/emit/emit_plan.h"
#include "compiler/format/format_file.h"
#include "compiler/parse/lexer_oracle.h"
#include "compiler/parse/parse_file.h"
#include "compiler/source/file_reader.h"
#include "runtime/plan/matcher.h"

namespace {

using namespace banyan;

// Budgets: keep one input's round trip short.
constexpr size_t kMaxRulesTried = 32;
constexpr size_t kMaxSamplesPerRule = 16;

size_t comments(const parse::ParsedFile& p) {
  size_t n = 0;
  for (const auto& t : p.tokens) n += t.kind == parse::SyntaxToken::Kind::Comment;
  return n;
}

void check_lexer(const std::string& text) {
  // Not UTF-8: parse_file never lexes it. (Judged by parse_file's own check: ANTLR's
  // decoder lets some malformed sequences through, "\xed\n" among them.)
  if (parse::first_invalid_utf8(text) != std::string_view::npos) return;
  std::vector<parse::LexedToken> want;
  try {
    want = parse::scan_with_generated_lexer(text);
  } catch (const std::exception&) {
    return;
  }
  if (parse::scan_with_scanner(text) != want) std::abort();
}

void check_formatting(const std::string& text) {
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  auto parsed = parse::parse_file(sm.file(sm.add("fuzz.routes", text)), sink);
  if (!parsed.syntax_ok) return;
  std::string once = format::format_tokens(parsed.tokens);
  source::SourceManager sm2;
  diag::DiagnosticSink sink2;
  auto reparsed = parse::parse_file(sm2.file(sm2.add("formatted.routes", once)), sink2);
  if (!reparsed.syntax_ok) std::abort();  // the formatted text no longer parses
  if (ast::dump_ast(reparsed.ast, nullptr) != ast::dump_ast(parsed.ast, nullptr)) std::abort();  // meaning changed
  if (comments(reparsed) != comments(parsed)) std::abort();                                      // a comment lost
  if (format::format_tokens(reparsed.tokens) != once) std::abort();                              // not idempotent
}

// Request names and values go into a Cookie header and a query string; ones that
// would not survive that text (separators, spaces) are not tried.
bool plain(const std::string& s) {
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool representable(const analysis::Request& r) {
  for (const auto* pairs : {&r.cookies, &r.query}) {
    for (const auto& [n, v] : *pairs) {
      if (n.empty() || !plain(n) || !plain(v)) return false;
    }
  }
  for (const auto& [n, v] : r.headers) {
    if (!plain(n) || v.find_first_of(" \t\r\n") != std::string::npos) return false;
  }
  return true;
}

void check_plan_round_trip(const ast::File& file, source::SourceManager& sm) {
  analysis::RouteModel model = analysis::build_route_model(file);
  std::string bytes = emit::emit_plan(file, model, sm);
  plan::LoadResult loaded = plan::load_plan(bytes);
  if (!loaded.plan) std::abort();  // a clean file's plan must load
  const plan::Plan& p = *loaded.plan;
  for (size_t s = 0; s < model.sites.size(); ++s) {
    const analysis::SiteRules& site = model.sites[s];
    analysis::SiteVocabulary vocab(site);
    analysis::SiteIndex index(site);
    const uint32_t first = p.sites()[s].routes.first;
    size_t tried = 0;
    for (const auto& rule : site.rules) {
      if (!rule.usable || ++tried > kMaxRulesTried) break;
      auto samples = analysis::request_samples(rule, nullptr, site.sample_host, vocab);
      size_t n = 0;
      for (const auto& sample : samples.requests) {
        if (++n > kMaxSamplesPerRule) break;
        // The sample matches the rule; its variants are near misses of it: without its
        // headers, cookies and query, with one value changed, one segment deeper.
        std::vector<analysis::Request> variants{sample, sample, sample};
        variants[1].headers.clear(), variants[1].cookies.clear(), variants[1].query.clear();
        variants[2].path += variants[2].path.ends_with('/') ? vocab.fresh_segment() : "/" + vocab.fresh_segment();
        for (auto part : {&analysis::Request::headers, &analysis::Request::cookies, &analysis::Request::query}) {
          for (size_t i = 0; i < (sample.*part).size(); ++i) {
            variants.push_back(sample);
            (variants.back().*part)[i].second.insert(0, "x");
          }
        }
        for (const analysis::Request& req : variants) {
          if (!representable(req)) continue;
          std::vector<plan::HeaderField> headers;
          for (const auto& [name, v] : req.headers) headers.push_back({name, v});
          std::string cookie, query;
          for (const auto& [name, v] : req.cookies) cookie += (cookie.empty() ? "" : "; ") + name + "=" + v;
          if (!cookie.empty()) headers.push_back({"Cookie", cookie});
          for (const auto& [name, v] : req.query) query += (query.empty() ? "" : "&") + name + "=" + v;
          plan::RequestView view{req.method, req.host, req.path, query, headers};
          plan::MatchResult got;
          bool found = plan::match(p, view, got);
          if (got.site != s) continue;  // another site answers the sample host (a wildcard's)
          auto want = index.winners(req);
          if (want.size() > 1) std::abort();  // a clean file has no ties
          if (found != !want.empty()) std::abort();
          if (found && got.route != first + want[0]->index) std::abort();
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  source::MemoryFileReader reader;
  reader.add("fuzz.routes", text);
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  CheckResult checked = check_file("fuzz.routes", sm, sink, reader);
  // Rendering touches every range: an out-of-bounds one shows up here.
  (void)diag::render_text(sink.all(), sm);
  (void)diag::render_sarif(sink.all(), sm);
  if (checked.syntax_ok && sink.error_count() == 0) check_plan_round_trip(checked.ast, sm);
  check_lexer(text);
  check_formatting(text);
  return 0;
}
