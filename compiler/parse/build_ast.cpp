// Parse tree -> AST for declarations other than sites and routes (build_site.cpp):
// include, listen, tls, upstream, cache zones, migrations.
#include "compiler/parse/build_ast.h"


#include "compiler/parse/build_common.h"
#include "compiler/parse/build_site.h"
#include "compiler/parse/patterns.h"
#include "migrations/schedule.h"

namespace banyan::parse {
namespace {

using P = RoutesParser;

class Builder {
 public:
  explicit Builder(ReaderContext& ctx) : v_(ctx) {}

  ast::File build(P::FileContext* tree) {
    ast::File out;
    if (!tree) return out;
    for (auto* item : tree->item()) {
      if (auto* c = item->includeDecl()) {
        if (auto path = v_.string(c->STRING())) out.includes.push_back({*path, v_.range(c)});
      } else if (auto* c = item->listenDecl()) {
        if (auto l = listen(c)) out.listens.push_back(std::move(*l));
      } else if (auto* c = item->tlsDecl()) {
        if (auto t = tls(c)) out.tls.push_back(std::move(*t));
      } else if (auto* c = item->upstreamDecl()) {
        if (auto u = upstream(c)) out.upstreams.push_back(std::move(*u));
      } else if (auto* c = item->cacheDecl()) {
        if (auto z = cache_zone(c)) out.caches.push_back(std::move(*z));
      } else if (auto* c = item->siteDecl()) {
        if (auto s = build_site(c, v_)) out.sites.push_back(std::move(*s));
      } else if (auto* c = item->migrationDecl()) {
        if (auto m = migration(c)) out.migrations.push_back(std::move(*m));
      }
    }
    return out;
  }

 private:
  std::optional<ast::Listen> listen(P::ListenDeclContext* c) {
    ast::Listen l;
    l.range = v_.range(c);
    auto scheme = v_.choice(c->IDENT(), {"http", "https"}, "listener scheme");
    if (scheme) l.scheme = *scheme == 0 ? ast::Scheme::Http : ast::Scheme::Https;
    if (auto* a = c->address()) {
      auto text = a->ADDRESS() ? v_.word(a->ADDRESS()) : v_.string(a->STRING());
      if (text) {
        std::string host;
        std::string err = check_address(text->text, false, host, l.port);
        if (!err.empty()) v_.ctx().report(diag::Code::BadAddress, text->range, err);
        l.address = *text;
      }
    }
    if (auto* block = c->listenBlock()) {
      for (auto* s : block->listenStmt()) {
        if (!v_.choice(s->IDENT(), {"https"}, "redirect target")) continue;
        std::optional<ast::Int> status = s->INT() ? v_.status(s->INT(), 301, 308) : ast::Int{308, v_.range(s)};
        if (status && (status->value == 304 || status->value == 305 || status->value == 306)) {
          v_.ctx().report(diag::Code::ValueOutOfRange, status->range,
                          "status " + std::to_string(status->value) + " is not a redirect; use 301, 302, 303, 307 or 308");
          continue;
        }
        if (!status) continue;
        status->range = v_.range(s);
        v_.set_once(l.redirect_https, status, "redirect");
      }
    }
    return l;
  }

  std::optional<ast::TlsVersionRef> tls_version(antlr4::tree::TerminalNode* n) {
    auto w = v_.word(n);
    if (!w) return std::nullopt;
    std::string t = w->text;  // TLS1.2, TLSv1.2, TLSv1 (nginx's name for 1.0)
    std::string num = t.substr(t[3] == 'v' ? 4 : 3);
    ast::TlsVersion ver = num == "1.3" ? ast::TlsVersion::V1_3
                          : num == "1.2" ? ast::TlsVersion::V1_2
                          : num == "1.1" ? ast::TlsVersion::V1_1
                                         : ast::TlsVersion::V1_0;
    return ast::TlsVersionRef{ver, w->range};
  }

  std::optional<ast::Tls> tls(P::TlsDeclContext* c) {
    auto name = v_.name(c->name());
    if (!name) return std::nullopt;
    ast::Tls t;
    t.name = *name;
    t.range = v_.range(c);
    for (auto* s : c->tlsStmt()) {
      if (auto* x = as<P::TlsCertificateContext>(s)) v_.set_once(t.certificate, v_.string(x->STRING()), "certificate");
      else if (auto* x = as<P::TlsKeyContext>(s)) v_.set_once(t.key, v_.string(x->STRING()), "key");
      else if (auto* x = as<P::TlsMinVersionContext>(s)) v_.set_once(t.min_version, tls_version(x->TLS_VERSION()), "min_version");
      else if (auto* x = as<P::TlsMaxVersionContext>(s)) v_.set_once(t.max_version, tls_version(x->TLS_VERSION()), "max_version");
      else if (auto* x = as<P::TlsCiphersContext>(s)) v_.set_once(t.ciphers, v_.string(x->STRING()), "ciphers");
      else if (auto* x = as<P::TlsProtocolsContext>(s)) {
        for (auto* n : x->TLS_VERSION()) {
          if (auto ver = tls_version(n)) t.protocols.push_back(*ver);
        }
      } else if (auto* x = as<P::TlsHstsContext>(s)) {
        v_.set_once(t.hsts_max_age, v_.duration(x->QUANTITY()), "hsts");
        for (auto* n : x->IDENT()) {
          auto which = v_.choice(n, {"include_subdomains", "preload"}, "hsts flag");
          if (which) (*which == 0 ? t.hsts_include_subdomains : t.hsts_preload) = true;
        }
      } else if (auto* x = as<P::TlsAllowContext>(s)) {
        if (v_.choice(x->IDENT(), {"legacy_protocols"}, "tls opt-in")) t.allow.push_back({x->IDENT()->getText(), v_.range(x->IDENT())});
      }
    }
    if (!ValueReader::has_error(c)) {
      if (!t.certificate) v_.ctx().report(diag::Code::MissingSetting, name->range, "tls block '" + name->text + "' has no certificate; add `certificate \"path.pem\"`");
      if (!t.key) v_.ctx().report(diag::Code::MissingSetting, name->range, "tls block '" + name->text + "' has no key; add `key \"path.pem\"`");
    }
    return t;
  }

  std::optional<ast::Server> server(P::UpServerContext* x) {
    auto address = v_.string(x->STRING());
    if (!address) return std::nullopt;
    ast::Server s;
    s.address = *address;
    s.range = v_.range(x);
    std::string err = check_address(address->text, true, s.host, s.port);
    if (!err.empty()) v_.ctx().report(diag::Code::BadAddress, address->range, err);
    std::optional<ast::Int> weight, max_conns;
    for (auto* o : x->serverOption()) {
      std::string kw = o->getStart()->getText();
      if (kw == "weight") v_.set_once(weight, v_.integer(o->INT(), 1, 1000, "weight"), "weight");
      else if (kw == "max_conns") v_.set_once(max_conns, v_.integer(o->INT(), 1, 1'000'000, "max_conns"), "max_conns");
      else if (kw == "backup") s.backup = true;
    }
    if (weight) s.weight = *weight;
    s.max_conns = max_conns;
    return s;
  }

  std::optional<ast::Upstream> upstream(P::UpstreamDeclContext* c) {
    auto name = v_.name(c->name());
    if (!name) return std::nullopt;
    ast::Upstream u;
    u.name = *name;
    u.range = v_.range(c);
    for (auto* s : c->upstreamStmt()) {
      if (auto* x = as<P::UpServerContext>(s)) {
        if (auto srv = server(x)) u.servers.push_back(std::move(*srv));
      } else if (auto* x = as<P::UpBalanceContext>(s)) {
        v_.set_once(u.balance, balance(x), "balance");
      } else if (auto* x = as<P::UpHealthContext>(s)) {
        v_.set_once(u.health, health(x), "health");
      } else if (auto* x = as<P::UpStickyContext>(s)) {
        if (auto cookie = v_.string(x->STRING())) {
          ast::Sticky st{*cookie, x->QUANTITY() ? v_.duration(x->QUANTITY()) : std::nullopt, v_.range(x)};
          v_.set_once(u.sticky, std::optional<ast::Sticky>(st), "sticky");
        }
      } else if (auto* x = as<P::UpConnectTimeoutContext>(s)) {
        v_.set_once(u.connect_timeout, v_.duration(x->QUANTITY()), "connect_timeout");
      } else if (auto* x = as<P::UpReadTimeoutContext>(s)) {
        v_.set_once(u.read_timeout, v_.duration(x->QUANTITY()), "read_timeout");
      } else if (auto* x = as<P::UpRetriesContext>(s)) {
        v_.set_once(u.retries, v_.integer(x->INT(), 0, 10, "retries"), "retries");
      } else if (auto* x = as<P::UpResolveContext>(s)) {
        v_.set_once(u.resolve_every, v_.duration(x->QUANTITY()), "resolve");
      } else if (auto* x = as<P::UpKeepaliveContext>(s)) {
        v_.set_once(u.keepalive, v_.integer(x->INT(), 0, 100'000, "keepalive"), "keepalive");
      } else if (auto* x = as<P::UpProtocolContext>(s)) {
        std::optional<ast::UpstreamProtocol> p;
        if (auto k = v_.choice(x->IDENT(), {"http1", "h2c"}, "upstream protocol"))
          p = ast::UpstreamProtocol{static_cast<ast::UpstreamProtocol::Kind>(*k), v_.range(x)};
        v_.set_once(u.protocol, p, "protocol");
      } else if (auto* x = as<P::UpPassiveHealthContext>(s)) {
        auto fails = v_.integer(x->INT(), 1, 1000, "failure count");
        auto window = v_.duration(x->QUANTITY(0));
        auto cooldown = v_.duration(x->QUANTITY(1));
        if (fails && window && cooldown)
          v_.set_once(u.passive_health, std::optional<ast::PassiveHealth>({*fails, *window, *cooldown, v_.range(x)}), "fail");
      }
    }
    if (u.servers.empty() && !ValueReader::has_error(c))
      v_.ctx().report(diag::Code::MissingSetting, name->range, "upstream '" + name->text + "' has no server; add `server \"host:port\"`");
    return u;
  }

  std::optional<ast::Balance> balance(P::UpBalanceContext* x) {
    auto kind = v_.choice(x->IDENT(), {"round_robin", "least_conn", "p2c", "random", "hash"}, "balance algorithm");
    if (!kind) return std::nullopt;
    ast::Balance b;
    b.kind = static_cast<ast::BalanceKind>(*kind);
    b.range = v_.range(x);
    auto* key = x->hashKey();
    if (b.kind == ast::BalanceKind::Hash && !key) {
      v_.ctx().report(diag::Code::MissingSetting, b.range, "`balance hash` needs a key: header \"Name\", cookie \"name\" or client_ip");
      return std::nullopt;
    }
    if (b.kind != ast::BalanceKind::Hash && key) {
      v_.ctx().report(diag::Code::UnknownOption, v_.range(key), "only `balance hash` takes a key");
      return std::nullopt;
    }
    if (key) {
      std::string kw = key->getStart()->getText();
      if (kw == "header" || kw == "cookie") {
        b.hash_source = kw == "header" ? ast::HashSource::Header : ast::HashSource::Cookie;
        if (auto k = v_.string(key->STRING())) b.hash_key = *k;
      } else if (v_.choice(key->IDENT(), {"client_ip"}, "hash key")) {
        b.hash_source = ast::HashSource::ClientIp;
      } else {
        return std::nullopt;
      }
    }
    return b;
  }

  std::optional<ast::HealthCheck> health(P::UpHealthContext* x) {
    ast::HealthCheck h;
    h.range = v_.range(x);
    if (auto m = v_.method(x->IDENT())) h.method = m->text;
    auto path = v_.word(x->PATH());
    if (!path) return std::nullopt;
    std::string err = check_path(path->text, true);
    if (!err.empty()) v_.ctx().report(diag::Code::BadPathPattern, path->range, err);
    h.path = *path;
    std::optional<ast::Duration> every, timeout;
    std::optional<ast::Int> fails, passes;
    for (auto* o : x->healthOption()) {
      std::string kw = o->getStart()->getText();
      if (kw == "every") v_.set_once(every, v_.duration(o->QUANTITY()), "every");
      else if (kw == "timeout") v_.set_once(timeout, v_.duration(o->QUANTITY()), "timeout");
      else if (kw == "fails") v_.set_once(fails, v_.integer(o->INT(0), 1, 100, "fails"), "fails");
      else if (kw == "passes") v_.set_once(passes, v_.integer(o->INT(0), 1, 100, "passes"), "passes");
      else if (kw == "expect") {
        for (auto* n : o->INT()) {
          if (auto st = v_.status(n)) h.expect.push_back(*st);
        }
      }
    }
    if (every) h.interval = *every;
    if (timeout) h.timeout = *timeout;
    if (fails) h.fails = *fails;
    if (passes) h.passes = *passes;
    return h;
  }

  std::optional<ast::CacheZone> cache_zone(P::CacheDeclContext* c) {
    auto name = v_.name(c->name());
    if (!name) return std::nullopt;
    ast::CacheZone z;
    z.name = *name;
    z.range = v_.range(c);
    for (auto* s : c->cacheZoneStmt()) {
      if (auto* x = as<P::ZoneMemoryContext>(s)) v_.set_once(z.memory, v_.size(x->QUANTITY()), "memory");
      else if (auto* x = as<P::ZoneMaxEntryContext>(s)) v_.set_once(z.max_entry, v_.size(x->QUANTITY()), "max_entry");
      else if (auto* x = as<P::ZoneInactiveContext>(s)) v_.set_once(z.inactive, v_.duration(x->QUANTITY()), "inactive");
      else if (auto* x = as<P::ZoneDiskContext>(s)) {
        auto size = v_.size(x->QUANTITY());
        if (z.disk_path && size) {
          v_.duplicate("disk", v_.range(x), z.disk_path->range);
        } else if (size) {
          z.disk_path = v_.string(x->STRING());
          z.disk_size = size;
        }
      }
    }
    bool memory_written = false;  // a bad size is its own error, not a missing one
    for (auto* s : c->cacheZoneStmt()) memory_written = memory_written || as<P::ZoneMemoryContext>(s);
    if (!memory_written && !ValueReader::has_error(c))
      v_.ctx().report(diag::Code::MissingSetting, name->range, "cache zone '" + name->text + "' has no memory tier; add `memory 64MiB`");
    return z;
  }

  std::optional<ast::Migration> migration(P::MigrationDeclContext* c) {
    auto name = v_.string(c->STRING());
    if (!name) return std::nullopt;
    ast::Migration m;
    m.name = *name;
    m.range = v_.range(c);
    bool moved = false, shifted = false, shadowed = false, bucketed = false;
    for (auto* s : c->migrationStmt()) {
      if (auto* x = as<P::MMoveContext>(s)) {
        if (moved) {
          v_.duplicate("move", v_.range(x), m.move_range);
          continue;
        }
        moved = true;
        m.move_range = v_.range(x);
        for (auto* pm : x->pathMatcher()) {
          if (auto p = build_path_matcher(pm, v_)) m.paths.push_back(*p);
        }
        if (x->STRING()) {
          m.on_host = v_.string(x->STRING());
          if (m.on_host) {
            std::string err = check_host(m.on_host->text);
            if (!err.empty()) v_.ctx().report(diag::Code::BadHost, m.on_host->range, err);
          }
        }
        if (auto n = v_.name(x->name(0))) m.from = *n;
        if (auto n = v_.name(x->name(1))) m.to = *n;
      } else if (auto* x = as<P::MShadowContext>(s)) {
        if (shadowed) {
          v_.duplicate("shadow", v_.range(x), m.shadow_range);
          continue;
        }
        shadowed = true;
        m.shadow_range = v_.range(x);
        m.shadow_percent = v_.percent(x->PERCENT());
        if (x->QUANTITY()) m.shadow_duration = v_.duration(x->QUANTITY());
        for (auto* w : x->compareWord()) {
          auto* n = w->children.empty() ? nullptr : dynamic_cast<antlr4::tree::TerminalNode*>(w->children[0]);
          if (n && v_.choice(n, {"status", "headers", "body", "json", "noise"}, "comparison"))
            m.shadow_compare.push_back({n->getText(), v_.range(n)});
        }
        auto named = [&](const char* part) -> const ast::Name* {
          for (const auto& c : m.shadow_compare)
            if (c.text == part) return &c;
          return nullptr;
        };
        if (named("body") && named("json")) {  // both name the body
          if (auto* d = v_.ctx().report(diag::Code::DuplicateSetting, named("json")->range,
                                        "`json` compares the body too, as JSON; name `body` or `json`, not both"))
            d->notes.push_back({named("body")->range, "the body is named here"});
        }
        if (named("noise") && m.shadow_compare.size() == 1) {
          v_.ctx().report(diag::Code::MissingSetting, named("noise")->range,
                          "`noise` leaves out of the comparison what two answers of the old side disagree on, but this "
                          "shadow compares nothing; add status, headers, body or json");
        }
        // `ignore "X-Trace-Id", ...`: header names left out of the headers comparison.
        for (auto* str : x->STRING()) {
          auto t = v_.string(str);
          if (!t) continue;
          if (t->text.empty() || t->text.find_first_of(" \t:") != std::string::npos) {
            v_.ctx().report(diag::Code::ValueOutOfRange, t->range,
                            "'" + t->text + "' is not a header name; `ignore` lists the header names the comparison leaves out");
            continue;
          }
          m.shadow_ignore.push_back(*t);
        }
        if (!x->STRING().empty()) {
          bool headers = false;
          for (const auto& c : m.shadow_compare) headers = headers || c.text == "headers";
          if (!headers && !m.shadow_compare.empty()) {
            v_.ctx().report(diag::Code::MissingSetting, v_.range(x->STRING(0)),
                            "`ignore` names headers to leave out of the headers comparison, but this shadow does not "
                            "compare headers; add `headers` to `compare`, or drop `ignore`");
          }
        }
      } else if (auto* x = as<P::MShiftContext>(s)) {
        if (shifted) {
          v_.duplicate("shift", v_.range(x), m.shift_range);
          continue;
        }
        shifted = true;
        m.shift_range = v_.range(x);
        for (auto* step : x->shiftStep()) {
          auto pct = v_.percent(step->PERCENT());
          if (!pct) continue;
          ast::ShiftStep st{*pct, std::nullopt, false, v_.range(step)};
          if (step->QUANTITY()) {
            st.duration = v_.duration(step->QUANTITY());
            // A duration that did not parse (`1hr`, reported) is still written, so the
            // schedule check does not add "needs a duration".
            st.duration_written = true;
          }
          st.hold = step->getStop() && step->getStop()->getText() == "hold";
          m.shift.push_back(st);
        }
      } else if (auto* x = as<P::MBucketContext>(s)) {
        if (bucketed) {
          v_.duplicate("bucket", v_.range(x), m.bucket_range);
          continue;
        }
        bucketed = true;
        m.bucket_range = v_.range(x);
        std::string kw = x->getStart() && x->children.size() > 1 ? x->children[1]->getText() : "";
        if (x->IDENT() && x->STRING()) {
          // `bucket cookies "session"`: a misspelt source that takes a name.
          v_.choice(x->IDENT(), {"cookie", "header", "query"}, "bucket source");
        } else if (x->STRING()) {
          m.bucket = kw == "cookie" ? ast::BucketSource::Cookie : kw == "header" ? ast::BucketSource::Header : ast::BucketSource::Query;
          if (auto k = v_.string(x->STRING())) m.bucket_key = *k;
        } else if (auto which = v_.choice(x->IDENT(), {"client_ip", "request_id"}, "bucket key")) {
          m.bucket = *which == 0 ? ast::BucketSource::ClientIp : ast::BucketSource::RequestId;
        }
      } else if (auto* x = as<P::MRollbackContext>(s)) {
        if (m.rollback) {
          v_.duplicate("rollback", v_.range(x), m.rollback->range);
          continue;
        }
        auto metric = v_.choice(x->IDENT(), {"error_rate", "latency_p50", "latency_p99", "status_5xx_rate"}, "rollback metric");
        auto window = v_.duration(x->QUANTITY());
        auto* th = x->threshold();
        auto* cmp = ValueReader::token(x->COMPARATOR());
        if (!metric || !window || !th || !cmp) continue;
        ast::Migration::Rollback r;
        r.metric = {x->IDENT()->getText(), v_.range(x->IDENT())};
        r.comparator = cmp->getText();
        if (th->name()) {
          r.baseline = v_.name(th->name());
          if (auto* sign = ValueReader::token(th->SIGN())) r.sign = sign->getText()[0];
        }
        antlr4::tree::TerminalNode* value = th->PERCENT() ? th->PERCENT() : th->QUANTITY() ? th->QUANTITY() : th->INT();
        if (th->PERCENT() && !v_.percent(th->PERCENT())) continue;
        if (th->QUANTITY() && !v_.duration(th->QUANTITY())) continue;
        if (auto* t = ValueReader::token(value)) {
          r.threshold_text = t->getText();
          r.threshold_range = v_.range(value);
        }
        r.window = *window;
        r.range = v_.range(x);
        m.rollback = r;
      } else if (auto* x = as<P::MStartContext>(s)) {
        auto start = v_.string(x->STRING());
        if (start && !migrations::parse_timestamp(start->text)) {
          v_.ctx().report(diag::Code::BadTimestamp, start->range,
                          "'" + start->text + "' is not a timestamp; write the UTC time as RFC 3339, like \"2026-03-01T09:00:00Z\"");
        } else {
          v_.set_once(m.start, start, "start");
        }
      } else if (auto* x = as<P::MAllowContext>(s)) {
        for (auto* n : x->IDENT()) {
          if (v_.choice(n, {"unsafe_methods"}, "migration opt-in")) m.allow.push_back({n->getText(), v_.range(n)});
        }
      } else if (auto* x = as<P::MTestersContext>(s)) {
        if (m.testers) {
          v_.duplicate("testers", v_.range(x), m.testers->range);
          continue;
        }
        ast::Migration::Testers t;
        t.range = v_.range(x);
        if (x->IDENT()) {  // `testers cookies "beta" "1"`: a misspelt source
          auto which = v_.choice(x->IDENT(), {"header", "cookie"}, "testers source");
          if (!which) continue;
          t.cookie = *which == 1;
        } else {
          // After a syntax error, recovery may leave the statement without its words
          // (the error is reported already; found by the parse_routes fuzzer).
          if (x->children.size() < 2) continue;
          t.cookie = x->children[1]->getText() == "cookie";
        }
        auto name = v_.string(x->STRING(0));
        auto value = v_.string(x->STRING(1));
        if (!name || !value) continue;
        if (name->text.empty() || value->text.empty()) {
          v_.ctx().report(diag::Code::ValueOutOfRange, name->text.empty() ? name->range : value->range,
                          std::string("testers needs a ") + (t.cookie ? "cookie" : "header") +
                              " name and a value that are not empty: an empty value would send every request "
                              "that carries the name empty to the new upstream");
          continue;
        }
        t.name = *name;
        t.value = *value;
        m.testers = t;
      }
    }
    if (!ValueReader::has_error(c)) {
      if (!moved) v_.ctx().report(diag::Code::MissingSetting, name->range, "migration has no `move`; say which paths move: `move /path/** from a to b`");
      if (!shifted && !shadowed) v_.ctx().report(diag::Code::MissingSetting, name->range, "migration neither shifts nor shadows traffic; add `shift` or `shadow`");
    }
    return m;
  }

  ValueReader v_;
};

}  // namespace

ast::File build_ast(RoutesParser::FileContext* tree, ReaderContext& ctx) { return Builder(ctx).build(tree); }

}  // namespace banyan::parse
