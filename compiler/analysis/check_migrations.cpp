// Migrations, checked against the routes they act on: the moved paths must route to
// the `from` upstream today, two migrations may not move the same request, the
// schedule must make sense, shadowed non-idempotent requests need an opt-in, and a
// rollback threshold must fit its metric.
#include <algorithm>
#include <set>

#include "compiler/analysis/check_migrations.h"

#include "compiler/diag/suggest.h"
#include "compiler/parse/patterns.h"

namespace banyan::analysis {
namespace {

using sema::Context;

std::string describe_action(const ast::Route& r) {
  switch (r.action.kind) {
    case ast::ActionKind::Proxy: return "upstream '" + r.action.upstream.text + "'";
    case ast::ActionKind::Redirect: return "a redirect";
    case ast::ActionKind::Respond: return "a fixed response";
    case ast::ActionKind::None: return "no action";
  }
  return "?";
}

bool is_idempotent(const std::string& m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE" || m == "PUT" || m == "DELETE";
}

class MigrationChecker {
 public:
  MigrationChecker(const Context& cx, const RouteModel& model, const std::vector<SiteVocabulary>& vocab,
                   const std::vector<SiteIndex>& index, diag::DiagnosticSink& sink)
      : cx_(cx), sink_(sink), model_(model), vocab_(vocab), index_(index) {}

  void run() {
    const auto& moved = model_.moved;
    for (size_t i = 0; i < cx_.file.migrations.size(); ++i) {
      const ast::Migration& m = cx_.file.migrations[i];
      schedule(m);
      rollback(m);
      if (!m.from.text.empty() && m.from.text == m.to.text) {
        sink_.report(diag::Code::MigrationSameUpstream, m.to.range,
                     "this migration moves traffic from '" + m.from.text + "' to itself; name the new upstream after `to`");
      }
      source_and_methods(m, moved[i]);
    }
    SiteRules no_site;  // moved patterns alone: no site's literals to avoid
    SiteVocabulary plain(no_site);
    for (size_t i = 0; i < moved.size(); ++i) {
      for (size_t j = i + 1; j < moved.size(); ++j) overlap(i, j, plain);
    }
  }

 private:
  void schedule(const ast::Migration& m) {
    uint32_t last = 0;
    for (size_t k = 0; k < m.shift.size(); ++k) {
      const auto& s = m.shift[k];
      if (s.percent.basis_points <= last && k > 0) {
        auto& d = sink_.report(diag::Code::MigrationBadShift, s.percent.range,
                               "shift steps must strictly increase; this one does not go past the step before it");
        d.notes.push_back({m.shift[k - 1].percent.range, "the step before"});
      }
      if (s.percent.basis_points == 0) {
        sink_.report(diag::Code::MigrationBadShift, s.percent.range, "a shift step of 0% moves nothing; start above 0%");
      }
      last = std::max(last, s.percent.basis_points);
      bool final_step = k + 1 == m.shift.size();
      if (!final_step && s.hold) {
        sink_.report(diag::Code::MigrationBadShift, s.range, "`hold` stops the schedule, so it must be the last step");
      }
      if (final_step && !s.hold && s.percent.basis_points != 10000) {
        auto& d = sink_.report(diag::Code::MigrationBadShift, s.range,
                               "the schedule ends at " + std::to_string(s.percent.basis_points / 100) +
                                   "% without `hold`, so it never finishes; end at 100% or say `hold`");
        d.fixit = diag::FixIt{{s.range.file, s.range.end, s.range.end}, " hold"};
      }
      if (!final_step && !s.duration && !s.hold && !s.duration_written) {
        sink_.report(diag::Code::MigrationBadShift, s.range, "every step but the last needs a duration (`for 10m`)");
      }
    }
  }

  void rollback(const ast::Migration& m) {
    if (!m.rollback) return;
    const auto& r = *m.rollback;
    bool wants_percent = r.metric.text == "error_rate" || r.metric.text == "status_5xx_rate";
    bool is_percent = r.threshold_text.ends_with('%');
    bool is_duration = !is_percent && !r.threshold_text.empty() && std::isalpha(static_cast<unsigned char>(r.threshold_text.back()));
    if (wants_percent && !is_percent) {
      sink_.report(diag::Code::RollbackBadThreshold, r.threshold_range,
                   r.metric.text + " is a share of requests; give the threshold as a percentage, like 1%");
    } else if (!wants_percent && !is_duration) {
      sink_.report(diag::Code::RollbackBadThreshold, r.threshold_range,
                   r.metric.text + " is a latency; give the threshold as a duration, like 500ms");
    }
    bool declared = r.baseline && std::any_of(cx_.file.upstreams.begin(), cx_.file.upstreams.end(),
                                              [&](const ast::Upstream& u) { return u.name.text == r.baseline->text; });
    if (declared && !m.from.text.empty() && r.baseline->text != m.from.text) {  // undeclared: B0301
      auto& d = sink_.report(diag::Code::RollbackBadThreshold, r.baseline->range,
                             "a relative threshold compares with the upstream traffic moves from, '" + m.from.text +
                                 "', not '" + r.baseline->text + "'");
      d.fixit = diag::FixIt{r.baseline->range, m.from.text};
    }
  }

  // Which sites a migration acts on: with `on`, the one site a request to that host
  // reaches (exact host, else the longest wildcard, else the default); else all.
  std::vector<size_t> sites_of(const ast::Migration& m) {
    std::vector<size_t> out;
    if (!m.on_host) {
      for (size_t s = 0; s < model_.sites.size(); ++s) out.push_back(s);
      return out;
    }
    const std::string& on = m.on_host->text;
    size_t wildcard = SIZE_MAX, best = 0, fallback = SIZE_MAX;
    for (size_t s = 0; s < model_.sites.size(); ++s) {
      for (const auto& h : model_.sites[s].site->hosts) {
        if (h.is_default) {
          fallback = s;
        } else if (h.host == on) {
          return {s};
        } else if (h.host.starts_with("*.") && on.size() > h.host.size() - 1 && on.ends_with(h.host.substr(1)) &&
                   h.host.size() > best) {
          wildcard = s;
          best = h.host.size();
        }
      }
    }
    size_t chosen = wildcard != SIZE_MAX ? wildcard : fallback;
    if (chosen != SIZE_MAX) return {chosen};
    std::string host = on;
    if (parse::check_host(host).empty()) {  // a malformed host: B0208
      std::vector<std::string> hosts;
      for (const auto& site : model_.sites) {
        for (const auto& h : site.site->hosts) {
          if (!h.is_default) hosts.push_back(h.host);
        }
      }
      auto suggestion = diag::closest(on, hosts);
      auto& d = sink_.report(diag::Code::MigrationWrongSource, m.on_host->range,
                             "no site serves host '" + on + "'" +
                                 (suggestion ? "; did you mean '" + *suggestion + "'?" : ""));
      if (suggestion) d.fixit = diag::FixIt{m.on_host->range, "\"" + *suggestion + "\""};
    }
    return out;
  }

  void source_and_methods(const ast::Migration& m, const std::vector<Rule>& mv) {
    if (m.from.text.empty()) return;
    bool shadow = m.shadow_percent.has_value();
    bool unsafe_ok = std::any_of(m.allow.begin(), m.allow.end(), [](const ast::Name& n) { return n.text == "unsafe_methods"; });
    struct Elsewhere {
      Request req;
      const Rule* rule;  // null: no route
    };
    std::vector<Elsewhere> elsewhere;
    const Rule* unsafe_route = nullptr;
    bool routed_anywhere = false;
    for (size_t s : sites_of(m)) {
      const auto& site = model_.sites[s];
      const std::string& host = m.on_host ? m.on_host->text : site.sample_host;
      // Requests in the moved set: the moved patterns' own samples, and the samples of
      // every route that some of them also match (its predicates included).
      std::vector<Request> tries;
      for (const auto& r : mv) {
        for (auto& req : request_samples(r, nullptr, host, vocab_[s]).requests) tries.push_back(std::move(req));
      }
      for (const auto& route : site.rules) {
        if (!route.usable) continue;
        for (auto& req : request_samples(route, nullptr, host, vocab_[s]).requests) {
          bool in_set = std::any_of(mv.begin(), mv.end(), [&](const Rule& r) { return path_matches(r, req.path); });
          if (in_set) tries.push_back(std::move(req));
        }
      }
      std::set<const Rule*> seen;
      for (const auto& req : tries) {
        auto winners = index_[s].winners(req);
        const Rule* w = winners.empty() ? nullptr : winners.front();
        if (w) routed_anywhere = true;
        bool to_from = w && w->route->action.kind == ast::ActionKind::Proxy && w->route->action.upstream.text == m.from.text;
        if (!to_from && seen.insert(w).second && elsewhere.size() < 4) elsewhere.push_back({req, w});
        if (to_from && shadow && !unsafe_ok && !unsafe_route) {
          for (const auto& meth : w->methods) {
            if (!is_idempotent(meth)) unsafe_route = w;
          }
        }
      }
    }
    if (!elsewhere.empty()) {
      // Underline the moved path the first such request belongs to, not the whole line.
      source::SourceRange at = m.move_range;
      for (const auto& r : mv) {
        if (!path_matches(r, elsewhere.front().req.path)) continue;
        for (const auto& p : m.paths) {
          if (p.pattern == r.pattern && p.range.valid()) at = p.range;
        }
        break;
      }
      auto& d = sink_.report(diag::Code::MigrationWrongSource, at,
                             "this migration moves paths from '" + m.from.text +
                                 "', but some of their requests do not go there today");
      for (const auto& e : elsewhere) {
        if (!routed_anywhere) break;
        if (e.rule) {
          d.notes.push_back({e.rule->route->path.range,
                             "`" + e.req.describe() + "` goes to this route, which sends it to " + describe_action(*e.rule->route)});
        } else {
          d.notes.push_back({{}, "`" + e.req.describe() + "` matches no route at all"});
        }
      }
      if (!routed_anywhere) d.notes.push_back({{}, "no route matches the moved paths; add a route to '" + m.from.text + "' first"});
    }
    if (unsafe_route) {
      std::string meth;
      for (const auto& x : unsafe_route->methods) {
        if (!is_idempotent(x)) meth = x;
      }
      auto& d = sink_.report(diag::Code::ShadowUnsafeMethods, m.shadow_range,
                             "shadowing would send each " + meth + " twice, once to each upstream, and " + meth +
                                 " is not idempotent (an order placed twice); it is not shadowed without `allow "
                                 "unsafe_methods`");
      d.notes.push_back({unsafe_route->route->path.range, "this moved route takes " + meth});
    }
  }

  void overlap(size_t i, size_t j, const SiteVocabulary& vocab) {
    const auto& a = cx_.file.migrations[i];
    const auto& b = cx_.file.migrations[j];
    if (a.on_host && b.on_host && a.on_host->text != b.on_host->text) return;
    for (const auto& ra : model_.moved[i]) {
      for (const auto& rb : model_.moved[j]) {
        std::string hit;
        for (const auto& req : request_samples(ra, &rb, "", vocab).requests) {
          if (hit.empty() && path_matches(ra, req.path) && path_matches(rb, req.path)) hit = req.path;
        }
        if (hit.empty()) continue;
        auto& d = sink_.report(diag::Code::MigrationsOverlap, b.move_range,
                               "migrations \"" + a.name.text + "\" and \"" + b.name.text + "\" both move `" + hit +
                                   "`; a request can follow only one schedule");
        d.notes.push_back({a.move_range, "the other migration"});
        return;
      }
    }
  }

  const Context& cx_;
  diag::DiagnosticSink& sink_;
  const RouteModel& model_;
  const std::vector<SiteVocabulary>& vocab_;
  const std::vector<SiteIndex>& index_;
};

}  // namespace

void check_migrations(const Context& cx, const RouteModel& model, const std::vector<SiteVocabulary>& vocab,
                      const std::vector<SiteIndex>& index, diag::DiagnosticSink& sink) {
  MigrationChecker(cx, model, vocab, index, sink).run();
}

}  // namespace banyan::analysis
