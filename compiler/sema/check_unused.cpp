// Declarations nothing refers to: an upstream no route or migration sends to, a cache
// zone no route caches in, a tls block no site serves. Warnings, and only on a file
// that is otherwise free of errors: after an error some references may be lost (a
// second `to` in a route is dropped with B0212), and "unused" would be a guess.
#include <string>
#include <string_view>
#include <unordered_set>

#include "compiler/sema/passes.h"
#include "compiler/sema/references.h"

namespace banyan::sema {
namespace {

using Names = std::unordered_set<std::string_view>;

void report_unused(const Context& cx, diag::DiagnosticSink& sink, const ast::Name& declared, const Names& used,
                   const std::string& what, const std::string& why) {
  if (declared.text.empty() || declared.range.file != cx.root || used.count(declared.text)) return;
  sink.report(diag::Code::UnusedDeclaration, declared.range,
              what + " '" + declared.text + "' is declared but never used: " + why);
}

}  // namespace

void check_unused(const Context& cx, diag::DiagnosticSink& sink) {
  const ast::File& file = cx.file;
  if (!cx.syntax_ok || sink.error_count() > cx.errors_before || file.sites.empty()) return;
  Names upstreams, caches, tls;
  for_each_reference(file, [&](RefKind kind, const ast::Name& n) {
    (kind == RefKind::Upstream ? upstreams : kind == RefKind::Cache ? caches : tls).insert(n.text);
  });
  for (const auto& u : file.upstreams)
    report_unused(cx, sink, u.name, upstreams, "upstream", "no route or migration sends requests to it");
  for (const auto& c : file.caches) report_unused(cx, sink, c.name, caches, "cache zone", "no route caches in it");
  for (const auto& t : file.tls) report_unused(cx, sink, t.name, tls, "tls block", "no site serves its certificate");
}

}  // namespace banyan::sema
