// Every place a routes file names a declaration: a site's `tls`, a route's `to` and
// `cache`, a migration's `from`, `to` and rollback baseline. The one list that both
// resolve_names (does each name exist?) and check_unused (is each declaration named?)
// walk, so a new kind of reference is added once.
#pragma once

#include "compiler/ast/ast.h"

namespace banyan::sema {

enum class RefKind { Upstream, Cache, Tls };

template <typename F>
void for_each_reference(const ast::File& file, F f) {
  for (const auto& site : file.sites) {
    if (site.tls) f(RefKind::Tls, *site.tls);
    for (const auto& route : site.routes) {
      if (route.action.kind == ast::ActionKind::Proxy) f(RefKind::Upstream, route.action.upstream);
      if (route.cache) f(RefKind::Cache, route.cache->zone);
    }
  }
  for (const auto& m : file.migrations) {
    f(RefKind::Upstream, m.from);
    f(RefKind::Upstream, m.to);
    if (m.rollback && m.rollback->baseline) f(RefKind::Upstream, *m.rollback->baseline);
  }
}

}  // namespace banyan::sema
