#include "runtime/proxy/generation.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "compiler/compile.h"
#include "runtime/proxy/migration_control.h"
#include "runtime/proxy/unbuilt.h"

namespace banyan::proxy {

PlanLoad load_plan_or_routes(const std::string& path) {
  PlanLoad out;
  out.files.push_back(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.error = "cannot open '" + path + "'";
    return out;
  }
  char magic[sizeof plan::kMagic] = {};
  in.read(magic, sizeof magic);
  in.close();
  if (std::string_view(magic, sizeof magic) == std::string_view(plan::kMagic, sizeof plan::kMagic)) {
    plan::LoadResult r = plan::load_plan_file(path);
    if (!r.plan) out.error = path + ": invalid plan: " + r.error;
    if (r.plan) out.source = plan_routes_source(*r.plan, out.source_error);
    out.plan = std::move(r.plan);
    return out;
  }
  CompileOutcome c = compile_routes(path);
  out.diagnostics = std::move(c.diagnostics);
  if (c.status != 0) {
    out.error = path + (c.status == 2 ? ": cannot be read" : ": the routes file has errors");
    return out;
  }
  plan::LoadResult r = plan::load_plan(c.bytes);
  if (!r.plan) out.error = path + ": the compiled plan does not load: " + r.error;
  if (r.plan)
    for (const plan::SourceFile& f : r.plan->sources())
      if (std::string file(r.plan->str(f.path)); std::find(out.files.begin(), out.files.end(), file) == out.files.end())
        out.files.push_back(std::move(file));
  out.source = std::move(c.source);
  out.plan = std::move(r.plan);
  return out;
}

namespace {

std::string hex(const uint8_t* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kHex[p[i] >> 4];
    s += kHex[p[i] & 15];
  }
  return s;
}

std::string route_label(const plan::Plan& p, const plan::Route& r) {
  std::string label(p.str(p.sites()[r.site].name));
  label += ' ';
  label += p.str(r.pattern);
  return label;
}

// Two zones of one plan cannot share a disk directory (each tier owns its files; the
// compiler makes the paths absolute, as it does certificates'). The refusal, or "".
std::string shared_disk_directory(const plan::Plan& p) {
  for (size_t i = 0; i < p.caches().size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const std::string_view a = p.str(p.caches()[i].disk_path), b = p.str(p.caches()[j].disk_path);
      if (a.empty() || a != b) continue;
      return "cache zones '" + std::string(p.str(p.caches()[j].name)) + "' and '" +
             std::string(p.str(p.caches()[i].name)) + "' both use the disk directory \"" + std::string(a) +
             "\": give each zone its own";
    }
  }
  return {};
}

// A route's templates parsed once, its cache zone found or made. The loader has
// already refused templates that do not parse, so an error here is a bug in one of the
// two; say so rather than guess. The refusal, or "".
std::string prepare_route(const plan::Plan& p, const plan::Route& r, PreparedRoute& pr, cache::Zones& zones,
                          Metrics& metrics) {
  std::vector<std::string_view> params;
  for (const plan::GlobSegment& s : p.glob_segments().subspan(r.glob.first, r.glob.count))
    if (s.kind == plan::SegmentKind::Param) params.push_back(p.str(s.text));
  std::string error;
  auto ops = [&](plan::Slice slice, std::vector<PreparedHeaderOp>& into) {
    for (const plan::HeaderOp& op : p.header_ops().subspan(slice.first, slice.count)) {
      PreparedHeaderOp h{p.str(op.name), op.kind, {}};
      if (op.kind == plan::HeaderOpKind::Set && !plan::parse_template(p.str(op.value), params, h.value, error))
        return false;
      into.push_back(std::move(h));
    }
    return true;
  };
  bool ok = ops(r.request_headers, pr.request_headers) && ops(r.response_headers, pr.response_headers);
  if (ok && r.cache_policy != plan::kNone) {
    const plan::CachePolicy& cp = p.cache_policies()[r.cache_policy];
    const plan::Cache& zone = p.caches()[cp.zone];
    pr.cache_policy = &cp;
    cache::ZoneSpec spec{zone.memory_bytes, zone.max_entry_bytes, zone.inactive_ms,
                         std::string(p.str(zone.disk_path)), zone.disk_bytes};
    pr.cache_zone = zones.get(p.str(zone.name), spec, error);
    if (!pr.cache_zone) {
      return error + " (route " + route_label(p, r) + ", " + std::string(p.str(r.source.file)) + ":" +
             std::to_string(r.source.line) + ")";
    }
    for (const plan::StrRef& part : p.str_list(cp.key)) {
      pr.cache_key.emplace_back();
      if (!(ok = plan::parse_template(p.str(part), params, pr.cache_key.back(), error))) break;
    }
  }
  if (ok && r.action != plan::ActionKind::Proxy) ok = plan::parse_template(p.str(r.target), params, pr.target, error);
  pr.label = route_label(p, r);
  pr.where = std::string(p.str(r.source.file)) + ":" + std::to_string(r.source.line);
  if (!ok) return "route " + pr.label + " (" + pr.where + "): " + error;
  pr.counters = metrics.route(pr.label);
  return {};
}

// An upstream with the plan's servers, or this environment's (the TOML file's
// override), its endpoints inheriting the previous generation's state of them.
PreparedUpstream prepare_upstream(const plan::Plan& p, const plan::Upstream& u, const config::GatewayConfig& config,
                                  const Generation* previous, Metrics& metrics, std::string& warnings) {
  PreparedUpstream pu;
  pu.name = p.str(u.name);
  pu.record = &u;
  if (u.connect_timeout_ms >= 0) pu.connect_timeout_ms = u.connect_timeout_ms;
  if (u.read_timeout_ms >= 0) pu.read_timeout_ms = u.read_timeout_ms;
  if (u.retries >= 0) pu.retries = u.retries;
  if (u.keepalive >= 0) pu.keepalive = u.keepalive;
  pu.h2c = u.protocol == plan::Protocol::H2c;
  if (u.has_passive_health) {
    pu.passive_failures = u.passive_failures;
    pu.passive_window_ms = u.passive_window_ms;
    pu.passive_cooldown_ms = u.passive_cooldown_ms;
  }
  std::vector<ServerSpec> servers;
  int64_t every = u.resolve_every_ms;
  const config::UpstreamOverride* over = nullptr;
  for (const auto& o : config.upstreams)
    if (o.name == pu.name) over = &o;
  if (over) {
    for (const auto& s : over->servers) servers.push_back({s.host, s.port, 1, false, -1});
    if (over->resolve_every_ms) every = *over->resolve_every_ms;
  } else {
    for (const plan::Server& s : p.servers().subspan(u.servers.first, u.servers.count))
      servers.push_back({std::string(p.str(s.host)), s.port, s.weight, s.backup != 0, s.max_conns});
  }
  pu.endpoints = std::make_shared<EndpointSource>(std::string(pu.name), std::move(servers), every, config.hosts_file,
                                                  u.balance == plan::Balance::Hash, !p.str(u.sticky_cookie).empty());
  if (previous) {
    for (const PreparedUpstream& old : previous->upstreams)
      if (old.name == pu.name) pu.endpoints->inherit(*old.endpoints);
  }
  std::string problem = pu.endpoints->resolve();
  if (!problem.empty()) warnings += "upstream " + std::string(pu.name) + ": " + problem + "\n";
  pu.counters = metrics.upstream(pu.name);
  return pu;
}

}  // namespace

Prepared prepare_generation(std::unique_ptr<plan::Plan> plan_ptr, const config::GatewayConfig& config,
                            const Generation* previous, Metrics& metrics, MigrationControl& control,
                            cache::Zones& zones, std::string source, int64_t now_unix_ms) {
  Prepared out;
  auto g = std::make_shared<Generation>();
  const plan::Plan& p = *plan_ptr;
  g->source = std::move(source);
  g->sha256 = hex(p.header().source_sha256, sizeof p.header().source_sha256);
  g->loaded_unix_ms = now_unix_ms;
  g->number = previous ? previous->number + 1 : 1;

  if (out.error = shared_disk_directory(p); !out.error.empty()) return out;
  g->routes.resize(p.routes().size());
  for (uint32_t i = 0; i < p.routes().size(); ++i)
    if (out.error = prepare_route(p, p.routes()[i], g->routes[i], zones, metrics); !out.error.empty()) return out;
  for (const plan::Upstream& u : p.upstreams())
    g->upstreams.push_back(prepare_upstream(p, u, config, previous, metrics, out.warnings));

  // Migrations without `start` begin when a plan naming them is first loaded; the
  // moment is recorded in the state store, so reloads and restarts keep it.
  for (const plan::Migration& m : p.migrations()) {
    PreparedMigration pm;
    pm.runtime = control.runtime(p.str(m.name));
    pm.begin_ms = control.effective_start(p.str(m.name), m.start_ms, now_unix_ms);
    pm.shift_begin_ms = migrations::shift_begin(pm.begin_ms, m.shadow_basis_points, m.shadow_duration_ms);
    pm.steps = migrations::steps_of(p.shift_steps().subspan(m.steps.first, m.steps.count));
    g->migrations.push_back(std::move(pm));
  }

  for (const Unbuilt& u : kUnbuilt) {
    if (size_t n = u.uses(p))
      out.warnings += "`" + std::string(u.statement) + "` (used " + std::to_string(n) +
                      " time(s)): not carried out by this runtime yet; " + std::string(u.instead) + "\n";
  }

  for (const config::ListenBinding& b : config.listen) {
    const plan::Listener* found = nullptr;
    for (const plan::Listener& l : p.listeners())
      if (p.str(l.address) == b.plan_address) found = &l;
    g->listeners.push_back(found);
  }

  g->plan = std::move(plan_ptr);
  out.generation = std::move(g);
  return out;
}

}  // namespace banyan::proxy
