// Duplicate declarations: the second one is the error, with a note at the first.
#include <map>
#include <string>

#include "compiler/sema/passes.h"

namespace banyan::sema {
namespace {

template <typename Decl, typename NameOf>
void check(const std::vector<Decl>& decls, NameOf name_of, const std::string& what, diag::DiagnosticSink& sink) {
  std::map<std::string, source::SourceRange> seen;
  for (const auto& d : decls) {
    auto [text, range] = name_of(d);
    auto [it, inserted] = seen.emplace(text, range);
    if (inserted) continue;
    auto& diag = sink.report(diag::Code::DuplicateName, range, what + " '" + text + "' is declared twice; rename or merge one");
    diag.notes.push_back({it->second, "first declared here"});
  }
}

}  // namespace

void check_duplicate_names(const Context& cx, diag::DiagnosticSink& sink) {
  const ast::File& file = cx.file;
  using Named = std::pair<std::string, source::SourceRange>;
  check(file.upstreams, [](const ast::Upstream& u) { return Named{u.name.text, u.name.range}; }, "upstream", sink);
  check(file.caches, [](const ast::CacheZone& c) { return Named{c.name.text, c.name.range}; }, "cache zone", sink);
  check(file.tls, [](const ast::Tls& t) { return Named{t.name.text, t.name.range}; }, "tls block", sink);
  check(file.migrations, [](const ast::Migration& m) { return Named{m.name.text, m.name.range}; }, "migration", sink);

  struct Seen {
    source::SourceRange range;
    size_t site;
  };
  std::map<std::string, Seen> hosts;
  for (size_t i = 0; i < file.sites.size(); ++i) {
    for (const auto& h : file.sites[i].hosts) {
      std::string key = h.is_default ? "default" : h.host;
      auto [it, inserted] = hosts.emplace(key, Seen{h.range, i});
      if (inserted) continue;
      std::string what = h.is_default ? std::string("`default`") : "host '" + h.host + "'";
      if (it->second.site == i) {
        auto& d = sink.report(diag::Code::DuplicateHost, h.range, what + " is listed twice in this site; remove one");
        d.notes.push_back({it->second.range, "first listed here"});
        continue;
      }
      auto& d = sink.report(diag::Code::DuplicateHost, h.range,
                            h.is_default ? std::string("two sites are marked `default`; the default site must be one site")
                                         : what + " is served by two sites; move its routes into one");
      d.notes.push_back({it->second.range, "the other site is here"});
    }
  }
}

}  // namespace banyan::sema
