// References to upstreams, cache zones and tls blocks, with "did you mean".
#include <string>
#include <vector>

#include "compiler/diag/suggest.h"
#include "compiler/sema/passes.h"
#include "compiler/sema/references.h"

namespace banyan::sema {
namespace {

class Resolver {
 public:
  Resolver(const ast::File& f, diag::DiagnosticSink& sink) : sink_(sink) {
    for (const auto& u : f.upstreams) upstreams_.push_back(u.name.text);
    for (const auto& c : f.caches) caches_.push_back(c.name.text);
    for (const auto& t : f.tls) tls_.push_back(t.name.text);
  }

  void upstream(const ast::Name& n) { check(n, upstreams_, diag::Code::UnknownUpstream, "upstream", "upstream"); }
  void cache(const ast::Name& n) { check(n, caches_, diag::Code::UnknownCache, "cache zone", "cache"); }
  void tls(const ast::Name& n) { check(n, tls_, diag::Code::UnknownTls, "tls block", "tls"); }

 private:
  void check(const ast::Name& n, const std::vector<std::string>& known, diag::Code code, const std::string& what,
             const std::string& keyword) {
    if (n.text.empty()) return;  // a name lost to a syntax error, already reported
    for (const auto& k : known) {
      if (k == n.text) return;
    }
    std::string msg = "unknown " + what + " '" + n.text + "'";
    auto suggestion = diag::closest(n.text, known);
    if (suggestion) {
      auto& d = sink_.report(code, n.range, msg + "; did you mean '" + *suggestion + "'?");
      d.fixit = diag::FixIt{n.range, *suggestion};
    } else if (known.empty()) {
      sink_.report(code, n.range, msg + "; no " + what + " is declared (add `" + keyword + " " + n.text + " { ... }`)");
    } else {
      sink_.report(code, n.range, msg + "; declare it with `" + keyword + " " + n.text + " { ... }`");
    }
  }

  diag::DiagnosticSink& sink_;
  std::vector<std::string> upstreams_, caches_, tls_;
};

}  // namespace

void resolve_names(const Context& cx, diag::DiagnosticSink& sink) {
  const ast::File& file = cx.file;
  Resolver r(file, sink);
  for_each_reference(file, [&](RefKind kind, const ast::Name& n) {
    switch (kind) {
      case RefKind::Upstream: r.upstream(n); break;
      case RefKind::Cache: r.cache(n); break;
      case RefKind::Tls: r.tls(n); break;
    }
  });
}

}  // namespace banyan::sema
