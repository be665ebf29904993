// Lowering a checked file to plan bytes. One PlanWriter collects the records section
// by section; each site's decision tree is built from its rules (build_tree.h).
#include "compiler/emit/emit_plan.h"

#include <algorithm>
#include <filesystem>

#include "compiler/emit/build_tree.h"
#include "compiler/emit/plan_writer.h"
#include "compiler/parse/literals.h"
#include "compiler/parse/patterns.h"
#include "compiler/plan_sources.h"
#include "migrations/schedule.h"
#include "runtime/plan/format.h"

namespace banyan::emit {
namespace {

using namespace banyan::plan;

static_assert(parse::kMaxGlobCaptures == kMaxCaptures, "the parser's capture budget is the plan's");

template <typename T>
uint32_t index_of(const std::vector<T>& v, const std::string& name) {
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i].name.text == name) return static_cast<uint32_t>(i);
  return kNone;
}

int64_t ms(const std::optional<ast::Duration>& d, int64_t otherwise = -1) { return d ? d->ms : otherwise; }

SegmentKind segment_kind(parse::GlobSegment::Kind k) {
  switch (k) {
    case parse::GlobSegment::Kind::Literal: return SegmentKind::Literal;
    case parse::GlobSegment::Kind::Param: return SegmentKind::Param;
    case parse::GlobSegment::Kind::Star: return SegmentKind::Star;
    case parse::GlobSegment::Kind::DoubleStar: return SegmentKind::DoubleStar;
  }
  return SegmentKind::Literal;
}

PathKind path_kind(analysis::PathClass c) { return static_cast<PathKind>(static_cast<uint8_t>(c)); }

Slice glob_of(PlanWriter& w, const std::vector<parse::GlobSegment>& glob) {
  Slice s{static_cast<uint32_t>(w.glob_segments.size()), static_cast<uint32_t>(glob.size())};
  for (const auto& g : glob) w.glob_segments.push_back({w.str(g.text), segment_kind(g.kind), {}});
  return s;
}

Slice header_ops(PlanWriter& w, const std::vector<ast::HeaderOp>& ops) {
  Slice s{static_cast<uint32_t>(w.header_ops.size()), static_cast<uint32_t>(ops.size())};
  for (const auto& o : ops) {
    w.header_ops.push_back({w.str(o.name.text), w.str(o.value.text),
                            o.kind == ast::HeaderOp::Kind::Set ? HeaderOpKind::Set : HeaderOpKind::Remove, {}});
  }
  return s;
}

// The file a tls block names, as the checker read it, made absolute for the runtime.
std::string absolute_path(const source::SourceManager& sm, const ast::Text& t) {
  return std::filesystem::absolute(source::resolve_from(sm, t.range, t.text)).lexically_normal().string();
}

bool has(const std::vector<ast::Name>& names, std::string_view n) {
  return std::any_of(names.begin(), names.end(), [&](const ast::Name& x) { return x.text == n; });
}

class Emitter {
 public:
  Emitter(const ast::File& f, const analysis::RouteModel& m, const source::SourceManager& sm) : f_(f), model_(m), sm_(sm) {}

  std::string run() {
    listeners();
    tls();
    upstreams();
    caches();
    migrations();  // before routes: routes list the migrations that split them
    for (size_t s = 0; s < f_.sites.size(); ++s) site(s);
    for (source::FileId id = 1; id <= sm_.size(); ++id)
      w_.sources.push_back({w_.str(sm_.file(id).path()), w_.str(sm_.file(id).text())});
    uint8_t sha[32] = {};
    sources_sha256(sm_, sha);
    return w_.finish(sha);
  }

 private:
  void listeners() {
    for (const auto& l : f_.listens) {
      Listener r{};
      r.address = w_.str(l.address.text);
      r.port = l.port;
      r.scheme = l.scheme == ast::Scheme::Https ? Scheme::Https : Scheme::Http;
      r.redirect_https = l.redirect_https ? 1 : 0;
      r.redirect_status = l.redirect_https ? static_cast<uint16_t>(l.redirect_https->value) : 0;
      w_.listeners.push_back(r);
    }
  }

  void tls() {
    for (const auto& t : f_.tls) {
      Tls r{};
      r.name = w_.str(t.name.text);
      r.certificate = w_.str(t.certificate ? absolute_path(sm_, *t.certificate) : "");
      r.key = w_.str(t.key ? absolute_path(sm_, *t.key) : "");
      r.ciphers = w_.str(t.ciphers ? t.ciphers->text : "");
      auto v = [](ast::TlsVersion x) { return static_cast<TlsVersion>(static_cast<uint8_t>(x)); };
      r.min_version = TlsVersion::V1_2;
      r.max_version = TlsVersion::V1_3;
      if (!t.protocols.empty()) {
        auto [lo, hi] = std::minmax_element(t.protocols.begin(), t.protocols.end(),
                                            [](const auto& a, const auto& b) { return a.version < b.version; });
        r.min_version = v(lo->version);
        r.max_version = v(hi->version);
      }
      if (t.min_version) r.min_version = v(t.min_version->version);
      if (t.max_version) r.max_version = v(t.max_version->version);
      r.hsts_max_age_ms = ms(t.hsts_max_age);
      r.hsts_include_subdomains = t.hsts_include_subdomains;
      r.hsts_preload = t.hsts_preload;
      w_.tls.push_back(r);
    }
  }

  void upstreams() {
    for (const auto& u : f_.upstreams) {
      Upstream r{};
      r.name = w_.str(u.name.text);
      r.servers = {static_cast<uint32_t>(w_.servers.size()), static_cast<uint32_t>(u.servers.size())};
      for (const auto& s : u.servers) {
        Server x{};
        x.host = w_.str(s.host);
        x.port = s.port;
        x.backup = s.backup;
        x.weight = static_cast<uint32_t>(s.weight.value);
        x.max_conns = s.max_conns ? static_cast<int32_t>(s.max_conns->value) : -1;
        w_.servers.push_back(x);
      }
      if (u.balance) {
        r.balance = static_cast<Balance>(static_cast<uint8_t>(u.balance->kind));
        r.hash_source = static_cast<HashSource>(static_cast<uint8_t>(u.balance->hash_source));
        r.hash_key = w_.str(u.balance->hash_key.text);
      }
      r.sticky_cookie = w_.str(u.sticky ? u.sticky->cookie.text : "");
      r.sticky_ttl_ms = u.sticky ? ms(u.sticky->ttl) : -1;
      r.connect_timeout_ms = ms(u.connect_timeout);
      r.read_timeout_ms = ms(u.read_timeout);
      r.retries = u.retries ? static_cast<int32_t>(u.retries->value) : -1;
      r.keepalive = u.keepalive ? static_cast<int32_t>(u.keepalive->value) : -1;
      r.protocol = u.protocol && u.protocol->kind == ast::UpstreamProtocol::Kind::H2c ? Protocol::H2c : Protocol::Http1;
      r.resolve_every_ms = ms(u.resolve_every, 0);
      if (u.health) {
        r.has_health = 1;
        r.health_method = w_.str(u.health->method);
        r.health_path = w_.str(u.health->path.text);
        r.health_interval_ms = u.health->interval.ms;
        r.health_timeout_ms = u.health->timeout.ms;
        std::vector<uint32_t> expect;
        for (const auto& e : u.health->expect) expect.push_back(static_cast<uint32_t>(e.value));
        r.health_expect = w_.u32s(expect);
        r.health_fails = static_cast<int32_t>(u.health->fails.value);
        r.health_passes = static_cast<int32_t>(u.health->passes.value);
      } else {
        r.health_method = r.health_path = w_.str("");
      }
      if (u.passive_health) {
        r.has_passive_health = 1;
        r.passive_failures = static_cast<int32_t>(u.passive_health->failures.value);
        r.passive_window_ms = u.passive_health->window.ms;
        r.passive_cooldown_ms = u.passive_health->cooldown.ms;
      }
      w_.upstreams.push_back(r);
    }
  }

  void caches() {
    for (const auto& c : f_.caches) {
      Cache r{};
      r.name = w_.str(c.name.text);
      r.disk_path = w_.str(c.disk_path ? absolute_path(sm_, *c.disk_path) : "");  // as certificates
      r.memory_bytes = c.memory ? c.memory->bytes : 0;
      r.disk_bytes = c.disk_size ? c.disk_size->bytes : 0;
      r.max_entry_bytes = c.max_entry ? c.max_entry->bytes : 0;
      r.inactive_ms = ms(c.inactive);
      w_.caches.push_back(r);
    }
  }

  void migrations() {
    for (const auto& m : f_.migrations) {
      Migration r{};
      r.name = w_.str(m.name.text);
      r.on_host = w_.str(m.on_host ? m.on_host->text : "");
      r.from = index_of(f_.upstreams, m.from.text);
      r.to = index_of(f_.upstreams, m.to.text);
      r.moves = {static_cast<uint32_t>(w_.move_patterns.size()), static_cast<uint32_t>(m.paths.size())};
      for (const auto& p : m.paths) {
        MovePattern mp{};
        mp.pattern = w_.str(p.pattern);
        std::vector<parse::GlobSegment> glob;
        if (p.kind == ast::PathKind::Glob) parse::parse_glob(p.pattern, glob);
        mp.glob = glob_of(w_, glob);
        mp.kind = p.kind == ast::PathKind::Exact    ? PathKind::Exact
                  : p.kind == ast::PathKind::Glob   ? PathKind::Glob
                  : p.kind == ast::PathKind::Regex  ? PathKind::Regex
                  : p.pattern == "/"                ? PathKind::Fallback
                                                    : PathKind::Prefix;
        w_.move_patterns.push_back(mp);
      }
      r.steps = {static_cast<uint32_t>(w_.shift_steps.size()), static_cast<uint32_t>(m.shift.size())};
      for (const auto& s : m.shift) w_.shift_steps.push_back({s.percent.basis_points, s.hold, {}, ms(s.duration, 0)});
      r.start_ms = -1;
      if (m.start) r.start_ms = migrations::parse_timestamp(m.start->text).value_or(-1);
      r.shadow_basis_points = m.shadow_percent ? m.shadow_percent->basis_points : 0;
      r.shadow_duration_ms = ms(m.shadow_duration);
      r.compare = (has(m.shadow_compare, "status") ? kCompareStatus : 0) | (has(m.shadow_compare, "headers") ? kCompareHeaders : 0) |
                  (has(m.shadow_compare, "body") ? kCompareBody : 0) |
                  (has(m.shadow_compare, "json") ? kCompareBody | kCompareJson : 0) |
                  (has(m.shadow_compare, "noise") ? kCompareNoise : 0);
      r.allow_unsafe_methods = has(m.allow, "unsafe_methods");
      r.bucket = static_cast<BucketSource>(static_cast<uint8_t>(m.bucket));
      r.bucket_key = w_.str(m.bucket_key.text);
      {
        std::vector<std::string> ignore;
        for (const auto& t : m.shadow_ignore) {
          std::string n = t.text;
          for (char& c : n) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
          ignore.push_back(std::move(n));
        }
        r.compare_ignore = w_.strs(ignore);
      }
      r.testers = !m.testers ? TestersSource::None : m.testers->cookie ? TestersSource::Cookie : TestersSource::Header;
      if (m.testers) {
        r.testers_name = w_.str(m.testers->name.text);
        r.testers_value = w_.str(m.testers->value.text);
      }
      if (m.rollback) {
        const auto& rb = *m.rollback;
        r.has_rollback = 1;
        const std::string& mt = rb.metric.text;
        r.rollback_metric = mt == "error_rate"    ? Metric::ErrorRate
                            : mt == "latency_p50" ? Metric::LatencyP50
                            : mt == "latency_p99" ? Metric::LatencyP99
                                                  : Metric::Status5xxRate;
        const std::string& c = rb.comparator;
        r.rollback_comparator = c == ">" ? Comparator::Greater : c == "<" ? Comparator::Less : c == ">=" ? Comparator::GreaterEqual : Comparator::LessEqual;
        r.rollback_relative = rb.baseline.has_value();
        int64_t value = 0;
        if (rb.threshold_text.ends_with('%')) {
          value = parse::parse_percent(rb.threshold_text).value;
        } else {
          value = parse::parse_duration(rb.threshold_text).value;
        }
        r.rollback_threshold = rb.baseline && rb.sign == '-' ? -value : value;
        r.rollback_window_ms = rb.window.ms;
      }
      w_.migrations.push_back(r);
    }
  }

  std::vector<uint32_t> splits_of(const ast::Route& route) {
    std::vector<uint32_t> out;
    if (route.action.kind != ast::ActionKind::Proxy) return out;
    for (size_t i = 0; i < f_.migrations.size(); ++i) {
      const ast::Migration& m = f_.migrations[i];
      // The `on` host is tested per request: a default site can receive it too.
      if (m.from.text != route.action.upstream.text) continue;
      out.push_back(static_cast<uint32_t>(i));
    }
    return out;
  }

  void site(size_t s) {
    const ast::Site& site = f_.sites[s];
    const analysis::SiteRules& rules = model_.sites[s];
    Site r{};
    r.routes = {static_cast<uint32_t>(w_.routes.size()), static_cast<uint32_t>(site.routes.size())};
    r.tls = site.tls ? index_of(f_.tls, site.tls->text) : kNone;
    r.name = w_.str(site.hosts.empty() ? "" : site.hosts[0].is_default ? "default" : site.hosts[0].host);
    for (const auto& h : site.hosts) {
      Host x{};
      x.site = static_cast<uint32_t>(s);
      x.kind = h.is_default ? HostKind::Default : h.host.starts_with("*.") ? HostKind::Wildcard : HostKind::Exact;
      x.name = w_.str(h.is_default ? "" : x.kind == HostKind::Wildcard ? h.host.substr(1) : h.host);
      w_.hosts.push_back(x);
    }
    for (const auto& rule : rules.rules) {
      const ast::Route& route = *rule.route;
      Route x{};
      x.site = static_cast<uint32_t>(s);
      x.path_kind = path_kind(rule.cls);
      x.allow_upgrade = has(route.allow, "upgrade");
      x.pattern = w_.str(rule.pattern);
      x.literal = w_.str(rule.literal);
      x.glob = glob_of(w_, rule.glob);
      x.methods = w_.strs(rule.methods);
      x.tests = {static_cast<uint32_t>(w_.value_tests.size()), static_cast<uint32_t>(rule.tests.size())};
      for (const auto& t : rule.tests) {
        ValueTest v{};
        v.name = w_.str(t.where == ast::Predicate::Kind::Header ? t.key : t.name);
        v.value = w_.str(t.value);
        v.where = static_cast<TestWhere>(static_cast<uint8_t>(t.where));
        v.match = static_cast<TestMatch>(static_cast<uint8_t>(t.match));
        w_.value_tests.push_back(v);
      }
      x.upstream = kNone;
      switch (route.action.kind) {
        case ast::ActionKind::Proxy:
        case ast::ActionKind::None:  // cannot pass the checker (B0211)
          x.action = ActionKind::Proxy;
          x.upstream = index_of(f_.upstreams, route.action.upstream.text);
          break;
        case ast::ActionKind::Redirect: x.action = ActionKind::Redirect; break;
        case ast::ActionKind::Respond: x.action = ActionKind::Respond; break;
      }
      x.status = static_cast<uint16_t>(route.action.status.value);
      x.target = w_.str(route.action.target.text);
      x.has_rewrite = route.rewrite.has_value();
      x.rewrite = w_.str(route.rewrite ? route.rewrite->text : "");
      x.request_headers = header_ops(w_, route.request_headers);
      x.response_headers = header_ops(w_, route.response_headers);
      x.cache_policy = route.cache ? cache_policy(*route.cache) : kNone;
      for (auto c : route.compress) x.compress |= c == ast::Compression::Gzip ? 1 : 2;
      x.retries = route.retries ? static_cast<int32_t>(route.retries->value) : -1;
      x.connect_timeout_ms = ms(route.connect_timeout);
      x.read_timeout_ms = ms(route.read_timeout);
      x.max_body_bytes = route.max_body ? route.max_body->bytes : 0;
      x.splits = w_.u32s(splits_of(route));
      if (route.range.valid()) {
        source::LineCol lc = sm_.file(route.range.file).line_col(route.range.begin);
        x.source = {w_.str(sm_.file(route.range.file).path()), lc.line, lc.column};
      } else {
        x.source = {w_.str(""), 0, 0};  // a route built by a test, not read from a file
      }
      w_.routes.push_back(x);
    }
    r.root_node = build_tree(rules, r.routes.first, w_);
    w_.sites.push_back(r);
  }

  uint32_t cache_policy(const ast::CachePolicy& c) {
    CachePolicy r{};
    r.zone = index_of(f_.caches, c.zone.text);
    r.valid = {static_cast<uint32_t>(w_.cache_valids.size()), static_cast<uint32_t>(c.valid.size())};
    for (const auto& v : c.valid) {
      std::vector<uint32_t> statuses;
      for (const auto& st : v.statuses) statuses.push_back(static_cast<uint32_t>(st.value));
      w_.cache_valids.push_back({w_.u32s(statuses), v.ttl.ms});
    }
    for (auto s : c.stale) r.stale |= 1u << static_cast<uint32_t>(s);
    std::vector<std::string> key;
    for (const auto& k : c.key) key.push_back(k.text);
    r.key = w_.strs(key);
    r.allow_authorized = has(c.allow, "authorized");
    w_.cache_policies.push_back(r);
    return static_cast<uint32_t>(w_.cache_policies.size() - 1);
  }

  const ast::File& f_;
  const analysis::RouteModel& model_;
  const source::SourceManager& sm_;
  PlanWriter w_;
};

}  // namespace

std::string emit_plan(const ast::File& file, const analysis::RouteModel& model, const source::SourceManager& sm) {
  return Emitter(file, model, sm).run();
}

}  // namespace banyan::emit
