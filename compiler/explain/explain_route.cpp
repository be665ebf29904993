// `banyanc route`: one request through the loaded plan, explained. The winner comes
// from the runtime's matcher (runtime/plan/matcher.h); the routes that also matched
// are found by testing each route of the site alone, and the reason each lost is the
// first part of the rank (route_model.h) where it falls short of the winner.
#include <compare>
#include <string>
#include <vector>

#include "compiler/explain/explain.h"
#include "compiler/explain/words.h"
#include "migrations/bucket.h"
#include "migrations/schedule.h"
#include "runtime/plan/matcher.h"
#include "runtime/plan/normalize_path.h"
#include "runtime/plan/rewrite.h"

namespace banyan::explain {
namespace {

using namespace banyan::plan;

// The rank as route_model.h defines it, recomputed from the plan's records.
struct PlanRank {
  uint32_t literal = 0;
  uint8_t cls = 0;
  std::vector<uint8_t> shape;  // globs: 1 `**`, 2 `:param`/`*`, 3 literal, 4 end of path
  uint32_t predicates = 0;
};

PlanRank rank_of(const Plan& p, uint32_t i) {
  const Route& r = p.routes()[i];
  PlanRank k;
  k.literal = r.literal.length;
  k.cls = static_cast<uint8_t>(r.path_kind);
  if (r.path_kind == PathKind::Glob) {
    auto segs = p.glob_segments().subspan(r.glob.first, r.glob.count);
    size_t lead = 0;
    while (lead < segs.size() && segs[lead].kind == SegmentKind::Literal) ++lead;
    bool rest = false;
    for (size_t s = lead; s < segs.size(); ++s) {
      SegmentKind kind = segs[s].kind;
      k.shape.push_back(kind == SegmentKind::DoubleStar ? 1 : kind == SegmentKind::Literal ? 3 : 2);
      rest = rest || kind == SegmentKind::DoubleStar;
    }
    if (!rest) k.shape.push_back(4);
  }
  k.predicates = (r.methods.count ? 1 : 0) + r.tests.count;
  return k;
}

std::string where(const Plan& p, uint32_t i) {
  const Source& s = p.routes()[i].source;
  return std::string(p.str(s.file)) + ":" + std::to_string(s.line) + ":" + std::to_string(s.column);
}

std::string rank_text(const Plan& p, uint32_t i) {
  PlanRank k = rank_of(p, i);
  return "literal prefix " + quote(p.str(p.routes()[i].literal)) + " (" + std::to_string(k.literal) + " bytes), " + std::string(kind_name(static_cast<PathKind>(k.cls))) +
         ", " + std::to_string(k.predicates) + " predicate(s)";
}

std::string why_lost(const Plan& p, uint32_t loser, uint32_t winner) {
  PlanRank a = rank_of(p, loser), b = rank_of(p, winner);
  if (a.literal != b.literal) return "shorter literal prefix (" + std::to_string(a.literal) + " < " + std::to_string(b.literal) + " bytes)";
  if (a.cls != b.cls) return "same literal prefix, and a " + std::string(kind_name(static_cast<PathKind>(a.cls))) + " ranks below a " +
           std::string(kind_name(static_cast<PathKind>(b.cls)));
  if (a.shape != b.shape) return "same literal prefix and kind; its segments after the prefix are less specific";
  if (a.predicates != b.predicates)
    return "same path rank; fewer predicates (" + std::to_string(a.predicates) + " < " + std::to_string(b.predicates) + ")";
  return "equal rank (an ambiguity the checker reports)";
}

void migration_text(const Plan& p, const Migration& m, const RequestView& req, const RouteQuery& q, int64_t now, std::string& out) {
  std::string from(p.str(p.upstreams()[m.from].name)), to(p.str(p.upstreams()[m.to].name));
  out += "migration " + quote(p.str(m.name)) + ": moves this request from " + from + " to " + to + "\n";
  int64_t start = m.start_ms >= 0 ? m.start_ms : now;
  if (m.start_ms < 0) out += "  start     when the gateway first loads the plan (taken as now)\n";
  if (m.shadow_basis_points) {
    bool on = now >= start && (m.shadow_duration_ms < 0 || now < start + m.shadow_duration_ms);
    const std::string& meth = q.method;
    bool safe = meth == "GET" || meth == "HEAD" || meth == "PUT" || meth == "DELETE" || meth == "OPTIONS" ||
                meth == "TRACE";  // idempotent (RFC 9110 9.2.2), as the gateway's shadow decides
    out += "  shadow    " + percent(m.shadow_basis_points) + " of requests copied to " + to +
           (m.shadow_duration_ms >= 0 ? " until " + migrations::format_timestamp(start + m.shadow_duration_ms) : "") +
           (on ? " (active now)" : " (not active now)") + "\n";
    if (!safe && !m.allow_unsafe_methods)
      out += "            but not this request: " + meth + " is not idempotent (`allow unsafe_methods` copies it)\n";
  }
  if (m.testers != TestersSource::None) {
    std::string which = std::string(m.testers == TestersSource::Cookie ? "cookie " : "header ") + quote(p.str(m.testers_name)) +
                        " = " + quote(p.str(m.testers_value));
    if (is_tester(p, m, req.headers)) {
      out += "  side      " + to + ": a tester (" + which + "), whatever the share; not copied, not counted for rollback\n";
      return;
    }
    out += "  testers   requests with " + which + " go to " + to + " whatever the share\n";
  }
  if (m.steps.count == 0) {
    out += "  side      " + from + " (this migration only shadows)\n";
    return;
  }
  std::vector<migrations::Step> steps = migrations::steps_of(p.shift_steps().subspan(m.steps.first, m.steps.count));
  int64_t begin = migrations::shift_begin(start, m.shadow_basis_points, m.shadow_duration_ms);
  if (m.bucket == BucketSource::RequestId) {
    uint32_t w = migrations::weight_at(steps, begin, now);
    out += "  side      drawn per request (bucket request_id): " + percent(w) + " land on " + to + " now\n";
    return;
  }
  std::string_view key, kname(p.str(m.bucket_key));
  bool found = false;
  switch (m.bucket) {
    case BucketSource::Cookie: found = find_cookie(req.headers, kname, key); break;
    case BucketSource::Query: found = find_query(req.query, kname, key); break;
    case BucketSource::Header: found = find_header(req.headers, kname, key); break;
    default: break;
  }
  static const char* kSource[] = {"cookie", "header", "query", "client_ip", "request_id"};
  std::string described;
  if (m.bucket == BucketSource::ClientIp || !found) {
    key = q.client_ip;
    described = m.bucket == BucketSource::ClientIp ? "client address " + q.client_ip
                                                   : std::string(kSource[static_cast<int>(m.bucket)]) + " " + quote(kname) +
                                                         " absent, so the client address " + q.client_ip;
  } else {
    described = std::string(kSource[static_cast<int>(m.bucket)]) + " " + quote(kname) + " = " + quote(key);
  }
  uint32_t bucket = migrations::bucket_of(p.str(m.name), key);
  uint32_t w = migrations::weight_at(steps, begin, now);
  bool moved = migrations::lands_on_new(bucket, w);
  out += "  bucket    " + std::to_string(bucket) + " of 10000 (" + described + ")\n";
  out += "  now       " + migrations::format_timestamp(now) + ": " + percent(w) + " of traffic goes to " + to + "; this request lands on " +
         (moved ? to : from) + "\n";
  if (moved) {
    out += "  later     it stays on " + to + " (the schedule only grows; a rollback would send it back)\n";
    return;
  }
  auto at = migrations::moves_at(steps, begin, now, bucket);
  if (at) {
    out += "  later     from " + migrations::format_timestamp(*at) + " (in " +
           migrations::format_duration((*at - now) / 1000 * 1000) + ") it lands on " + to + "\n";
  } else {
    out += "  later     it never moves: the schedule stops below its bucket\n";
  }
}

}  // namespace

int explain_route(const Plan& p, const RouteQuery& q, std::string& out, std::string& error) {
  // The URL: scheme://authority/path?query#fragment.
  std::string_view url = q.url;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || (url.substr(0, scheme_end) != "http" && url.substr(0, scheme_end) != "https")) {
    error = "the URL must start with http:// or https://, not '" + q.url + "'";
    return 2;
  }
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('#'));
  size_t path_at = rest.find_first_of("/?");
  std::string_view host = rest.substr(0, path_at);
  std::string_view target = path_at == std::string_view::npos ? std::string_view("/") : rest.substr(path_at);
  if (host.empty()) {
    error = "the URL has no host";
    return 2;
  }
  if (host.find('@') != std::string_view::npos) {
    error = "the URL carries a user name ('" + std::string(host.substr(0, host.find('@'))) + "@'); routing never sees one, so leave it out";
    return 2;
  }
  std::string_view raw_path = target.substr(0, target.find('?'));
  std::string_view query = target.find('?') == std::string_view::npos ? std::string_view() : target.substr(target.find('?') + 1);
  if (raw_path.empty()) raw_path = "/";
  if (q.method.empty() || q.method.find_first_of(" \t/:") != std::string::npos) {
    error = "'" + q.method + "' is not an HTTP method";
    return 2;
  }
  int64_t now = q.now_ms;
  if (!q.at.empty()) {
    auto t = migrations::parse_timestamp(q.at);
    if (!t) {
      error = "--at takes a timestamp like 2026-03-01T09:00:00Z, not '" + q.at + "'";
      return 2;
    }
    now = *t;
  }

  std::string path(raw_path);
  NormalizedPath np = normalize_path(raw_path, path.data());
  out += "request   " + q.method + " " + q.url + "\n";
  if (np.error != PathError::None) {
    out += "refused   the path is rejected before routing (400 Bad Request): " + std::string(describe(np.error)) + " at byte " +
           std::to_string(np.error_offset) + "\n";
    return 1;
  }
  path.resize(np.length);
  if (path != raw_path) out += "path      normalised to " + path + "\n";

  std::vector<HeaderField> headers;
  for (const auto& [n, v] : q.headers) headers.push_back({n, v});
  RequestView req{q.method, host, path, query, headers};
  MatchResult m;
  bool found = match(p, req, m);
  if (m.site == kNone) {
    out += "site      none: no site answers host '" + std::string(host) + "' and there is no default site (404 Not Found)\n";
    return 1;
  }
  const Site& site = p.sites()[m.site];
  out += "site      " + std::to_string(m.site) + " " + quote(p.str(site.name)) + "\n";
  if (!found) {
    out += "route     none: no route of this site matches (404 Not Found)\n";
  } else {
    out += "route     " + describe_route(p, m.route) + "  at " + where(p, m.route) + "\n";
    out += "  rank    " + rank_text(p, m.route) + "\n";
    for (uint32_t c = 0; c < m.capture_count; ++c)
      out += "  capture " + std::string(m.captures[c].name) + " = " + quote(m.captures[c].value) + "\n";
  }
  bool header = false;
  for (uint32_t i = site.routes.first; i < site.routes.first + site.routes.count; ++i) {
    if (i == m.route || !route_matches(p, i, req)) continue;
    if (!header) out += "also matched, and lost:\n";
    header = true;
    out += "  " + describe_route(p, i) + "  at " + where(p, i) + "\n    " + rank_text(p, i) + "\n    lost: " + why_lost(p, i, m.route) + "\n";
  }
  if (!found) return 1;
  const Route& r = p.routes()[m.route];
  switch (r.action) {
    case ActionKind::Proxy: {
      const Upstream& u = p.upstreams()[r.upstream];
      out += "then      proxy to upstream " + std::string(p.str(u.name)) + " (";
      for (uint32_t s = 0; s < u.servers.count; ++s) {
        const Server& sv = p.servers()[u.servers.first + s];
        out += (s ? ", " : "") + std::string(p.str(sv.host)) + ":" + std::to_string(sv.port);
      }
      out += ")\n";
      break;
    }
    case ActionKind::Redirect: out += "then      redirect " + std::to_string(r.status) + " to " + quote(p.str(r.target)) + "\n"; break;
    case ActionKind::Respond: out += "then      respond " + std::to_string(r.status) + "\n"; break;
  }
  if (r.has_rewrite) {
    std::string result;
    if (rewrite_path(p.str(r.rewrite), std::span(m.captures.data(), m.capture_count), result)) {
      out += "  rewrite the upstream receives " + result + (query.empty() ? "" : "?" + std::string(query)) + "\n";
    } else {
      out += "  rewrite " + quote(p.str(r.rewrite)) + " names a capture this route does not make (the plan is inconsistent)\n";
    }
  }
  if (r.cache_policy != kNone) {
    const CachePolicy& c = p.cache_policies()[r.cache_policy];
    out += "  cache   zone " + std::string(p.str(p.caches()[c.zone].name)) +
           (q.method == "GET" || q.method == "HEAD" ? "" : " (not for " + q.method + ": only GET and HEAD are cached)") +
           "\n";
  }
  if (m.migration != kNone) migration_text(p, p.migrations()[m.migration], req, q, now, out);
  return 0;
}

}  // namespace banyan::explain
