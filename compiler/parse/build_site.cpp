// Sites and routes: host patterns, path matchers, predicates, the one action, and
// policies. A route's `:params` become variables its templates may use.
#include "compiler/parse/build_site.h"

#include "compiler/diag/suggest.h"

#include "compiler/parse/patterns.h"

namespace banyan::parse {
namespace {

using P = RoutesParser;

// A `header`, `cookie` or `query` statement: its name's STRING, then a valueMatch.
std::optional<ast::Predicate> predicate(ast::Predicate::Kind kind, antlr4::ParserRuleContext* stmt, ValueReader& v) {
  auto* match = rule_child<P::ValueMatchContext>(stmt, P::RuleValueMatch);
  auto n = v.string(token_child(stmt, P::STRING));
  if (!n) return std::nullopt;
  ast::Predicate p;
  p.kind = kind;
  p.name = *n;
  p.range = v.range(stmt);
  if (n->text.empty()) {
    v.ctx().report(diag::Code::UnexpectedToken, n->range, "a header, cookie or query name cannot be empty");
    return std::nullopt;
  }
  if (match) {
    std::string_view op = v.ctx().text_of(match->getStart());
    p.match = op == "=" ? ast::ValueMatchKind::Equals : op == "~" ? ast::ValueMatchKind::Regex : ast::ValueMatchKind::Prefix;
    auto value = v.string(token_child(match, P::STRING));
    if (!value) return std::nullopt;
    p.value = *value;
  }
  return p;
}

std::vector<std::string> param_names(const ast::PathMatcher& path) {
  std::vector<std::string> out;
  if (path.kind != ast::PathKind::Glob) return out;
  std::vector<GlobSegment> segs;
  parse_glob(path.pattern, segs);
  for (const auto& s : segs) {
    if (s.kind == GlobSegment::Kind::Param) out.push_back(s.text);
  }
  return out;
}

void set_action(ast::Route& r, ast::Action a, ValueReader& v) {
  if (r.action.kind == ast::ActionKind::None) {
    r.action = std::move(a);
    return;
  }
  auto* d = v.ctx().report(diag::Code::ConflictingActions, a.range,
                           "a route has exactly one action (`to`, `redirect` or `respond`); this is a second one");
  if (d) d->notes.push_back({r.action.range, "the first action is here"});
  r.extra_actions.push_back(std::move(a));
}

std::optional<ast::CachePolicy> cache_policy(P::RCacheContext* x, const std::vector<std::string>& params, ValueReader& v) {
  auto zone = v.name(x->name());
  if (!zone) return std::nullopt;
  ast::CachePolicy c;
  c.zone = *zone;
  c.range = v.range(x);
  auto* body = x->cachePolicy();
  if (!body) return c;
  for (auto* s : body->cachePolicyStmt()) {
    if (auto* y = as<P::CValidContext>(s)) {
      auto ttl = v.duration(y->QUANTITY());
      if (!ttl) continue;
      ast::CacheValid valid{{}, *ttl, v.range(y)};
      for (auto* n : y->INT()) {
        if (auto st = v.status(n, 200, 599)) valid.statuses.push_back(*st);
      }
      c.valid.push_back(std::move(valid));
    } else if (auto* y = as<P::CStaleContext>(s)) {
      if (c.stale_range) {
        v.duplicate("stale", v.range(y), *c.stale_range);
        continue;
      }
      c.stale_range = v.range(y);
      for (auto* w : y->staleWord()) {
        auto* t = ValueReader::token(w->IDENT());
        if (!t && w->getStart() && w->getStart()->getText() == "timeout") {
          c.stale.push_back(ast::StaleCondition::Timeout);
          continue;
        }
        auto which = v.choice(w->IDENT(), {"error", "timeout", "updating", "http_5xx", "http_500", "http_502", "http_503", "http_504"},
                              "stale condition");
        if (which) c.stale.push_back(static_cast<ast::StaleCondition>(*which));
      }
    } else if (auto* y = as<P::CKeyContext>(s)) {
      for (auto* val : y->value()) c.key.push_back(v.templ(val, params));
    } else if (auto* y = as<P::CAllowContext>(s)) {
      for (auto* n : y->IDENT()) {
        if (v.choice(n, {"authorized"}, "cache opt-in")) c.allow.push_back({n->getText(), v.range(n)});
      }
    }
  }
  return c;
}

std::optional<ast::Route> route(P::RouteDeclContext* c, ValueReader& v) {
  auto path = build_path_matcher(rule_child<P::PathMatcherContext>(c, P::RulePathMatcher), v);
  if (!path) return std::nullopt;
  ast::Route r;
  r.path = *path;
  r.range = v.range(c);
  const std::vector<std::string> params = param_names(r.path);
  for (auto* s : rule_children<P::RouteStmtContext>(c, P::RuleRouteStmt)) {
    if (auto* x = as<P::RMethodContext>(s)) {
      for (auto* child : x->children) {
        auto* n = as_token(child);
        if (n && n->getSymbol()->getType() == P::IDENT)
          if (auto m = v.method(n)) r.methods.push_back(*m);
      }
    } else if (auto* x = as<P::RHeaderContext>(s)) {
      if (auto p = predicate(ast::Predicate::Kind::Header, x, v)) r.predicates.push_back(*p);
    } else if (auto* x = as<P::RCookieContext>(s)) {
      if (auto p = predicate(ast::Predicate::Kind::Cookie, x, v)) r.predicates.push_back(*p);
    } else if (auto* x = as<P::RQueryContext>(s)) {
      if (auto p = predicate(ast::Predicate::Kind::Query, x, v)) r.predicates.push_back(*p);
    } else if (auto* x = as<P::RProxyContext>(s)) {
      if (auto n = v.name(rule_child<P::NameContext>(x, P::RuleName))) {
        ast::Action a;
        a.kind = ast::ActionKind::Proxy;
        a.upstream = *n;
        a.range = v.range(x);
        set_action(r, std::move(a), v);
      }
    } else if (auto* x = as<P::RRedirectContext>(s)) {
      ast::Action a;
      a.kind = ast::ActionKind::Redirect;
      a.range = v.range(x);
      if (x->INT()) {
        // The redirects that carry a Location (RFC 9110 section 15.4); 304-306 do not.
        auto st = v.integer(x->INT(), 301, 308, "redirect status");
        if (st && (st->value == 304 || st->value == 305 || st->value == 306)) {
          v.ctx().report(diag::Code::ValueOutOfRange, st->range,
                         "status " + std::to_string(st->value) + " is not a redirect; use 301, 302, 303, 307 or 308");
          st.reset();
        }
        // A bad status is its own error: keep the action, so the route is not also "without action".
        a.status = st ? *st : ast::Int{302, v.range(x->INT())};
      } else {
        a.status = {302, a.range};
      }
      a.target = v.templ(x->value(), params);
      set_action(r, std::move(a), v);
    } else if (auto* x = as<P::RRespondContext>(s)) {
      auto st = v.status(x->INT());
      ast::Action a;
      a.kind = ast::ActionKind::Respond;
      a.range = v.range(x);
      a.status = st ? *st : ast::Int{500, v.range(x->INT())};
      if (x->value()) a.target = v.templ(x->value(), params);
      set_action(r, std::move(a), v);
    } else if (auto* x = as<P::RRewriteContext>(s)) {
      auto target = v.word(x->PATH());
      if (!target) continue;
      std::vector<GlobSegment> segs;
      if (r.path.kind == ast::PathKind::Glob) parse_glob(r.path.pattern, segs);
      bool has_rest = r.path.kind == ast::PathKind::Prefix ||
                      (!segs.empty() && segs.back().kind == GlobSegment::Kind::DoubleStar);
      std::string unknown;
      std::string err = check_rewrite(target->text, segs, has_rest, &unknown);
      if (!unknown.empty()) {
        // Its own code: the path is well formed; it names what the route does not capture.
        std::string listed;
        for (const auto& p : params) listed += (listed.empty() ? ":" : ", :") + p;
        auto suggestion = diag::closest(unknown, params);
        err += params.empty() ? "; the route's path captures no `:name` (only a glob's `:name` segments do)"
                              : "; its parameters are " + listed;
        if (suggestion) err += "; did you mean ':" + *suggestion + "'?";
        auto* d = v.ctx().report(diag::Code::UnknownRewriteParam, target->range, err);
        if (d && suggestion) {
          std::string fixed = target->text;
          fixed.replace(fixed.find(":" + unknown), unknown.size() + 1, ":" + *suggestion);
          d->fixit = diag::FixIt{target->range, fixed};
        }
      } else if (!err.empty()) {
        v.ctx().report(diag::Code::BadPathPattern, target->range, err);
      }
      v.set_once(r.rewrite, target, "rewrite");
    } else if (auto* x = as<P::RRequestHeaderContext>(s)) {
      if (auto n = v.word(x->IDENT())) r.request_headers.push_back({ast::HeaderOp::Kind::Set, *n, v.templ(x->value(), params), v.range(x)});
    } else if (auto* x = as<P::RResponseHeaderContext>(s)) {
      if (auto n = v.word(x->IDENT())) r.response_headers.push_back({ast::HeaderOp::Kind::Set, *n, v.templ(x->value(), params), v.range(x)});
    } else if (auto* x = as<P::RRemoveRequestHeaderContext>(s)) {
      if (auto n = v.word(x->IDENT())) r.request_headers.push_back({ast::HeaderOp::Kind::Remove, *n, {}, v.range(x)});
    } else if (auto* x = as<P::RRemoveResponseHeaderContext>(s)) {
      if (auto n = v.word(x->IDENT())) r.response_headers.push_back({ast::HeaderOp::Kind::Remove, *n, {}, v.range(x)});
    } else if (auto* x = as<P::RCacheContext>(s)) {
      v.set_once(r.cache, cache_policy(x, params, v), "cache");
    } else if (auto* x = as<P::RCompressContext>(s)) {
      for (auto* n : x->IDENT()) {
        if (auto which = v.choice(n, {"gzip", "br"}, "compression")) r.compress.push_back(static_cast<ast::Compression>(*which));
      }
    } else if (auto* x = as<P::RConnectTimeoutContext>(s)) {
      v.set_once(r.connect_timeout, v.duration(x->QUANTITY()), "connect_timeout");
    } else if (auto* x = as<P::RReadTimeoutContext>(s)) {
      v.set_once(r.read_timeout, v.duration(x->QUANTITY()), "read_timeout");
    } else if (auto* x = as<P::RRetriesContext>(s)) {
      v.set_once(r.retries, v.integer(x->INT(), 0, 10, "retries"), "retries");
    } else if (auto* x = as<P::RMaxBodyContext>(s)) {
      v.set_once(r.max_body, v.size(x->QUANTITY()), "max_body");
    } else if (auto* x = as<P::RAllowContext>(s)) {
      for (auto* n : x->IDENT()) {
        if (v.choice(n, {"upgrade"}, "route opt-in")) r.allow.push_back({n->getText(), v.range(n)});
      }
    }
  }
  if (r.action.kind == ast::ActionKind::None && !ValueReader::has_error(c)) {
    v.ctx().report(diag::Code::MissingSetting, r.path.range,
                   "route has no action; add `to <upstream>`, `redirect \"url\"` or `respond <status>`");
  }
  return r;
}

}  // namespace

std::optional<ast::PathMatcher> build_path_matcher(P::PathMatcherContext* c, ValueReader& v) {
  if (!c) return std::nullopt;
  ast::PathMatcher m;
  std::string_view first = v.ctx().text_of(c->getStart());
  if (first == "~") {
    auto re = v.string(token_child(c, P::STRING));
    if (!re) return std::nullopt;
    m.kind = ast::PathKind::Regex;
    m.pattern = re->text;
    m.range = v.range(c);
    if (m.pattern.empty()) v.ctx().report(diag::Code::BadPathPattern, re->range, "an empty regex matches every path; use the prefix route `/`");
    return m;
  }
  auto path = v.word(token_child(c, P::PATH));
  if (!path) return std::nullopt;
  const bool exact = first == "=";
  m.pattern = path->text;
  m.range = v.range(c);
  m.kind = exact ? ast::PathKind::Exact : is_glob(path->text) ? ast::PathKind::Glob : ast::PathKind::Prefix;
  std::string err = check_path(path->text, exact);
  if (!err.empty()) v.ctx().report(diag::Code::BadPathPattern, path->range, err);
  return m;
}

std::optional<ast::Site> build_site(P::SiteDeclContext* c, ValueReader& v) {
  ast::Site s;
  s.range = v.range(c);
  for (auto* h : rule_children<P::HostSpecContext>(c, P::RuleHostSpec)) {
    auto* string = token_child(h, P::STRING);
    if (!string) {
      if (v.ctx().text_of(h->getStart()) == "default") s.hosts.push_back({true, "", v.range(h)});
      continue;
    }
    auto text = v.string(string);
    if (!text) continue;
    std::string host = text->text;
    std::string err = check_host(host);
    if (!err.empty()) {
      v.ctx().report(diag::Code::BadHost, text->range, err);
      continue;
    }
    s.hosts.push_back({false, host, text->range});
  }
  for (auto* st : rule_children<P::SiteStmtContext>(c, P::RuleSiteStmt)) {
    if (auto* x = as<P::SiteTlsContext>(st)) {
      auto n = v.name(x->name());
      if (n && s.tls) v.duplicate("tls", n->range, s.tls->range);
      else if (n) s.tls = n;
    } else if (auto* x = as<P::SiteRouteContext>(st)) {
      if (auto r = route(rule_child<P::RouteDeclContext>(x, P::RuleRouteDecl), v)) s.routes.push_back(std::move(*r));
    }
  }
  return s;
}

}  // namespace banyan::parse
