// `banyanc explain`: the plan as text (every section, each site's decision tree
// indented in the order a lookup tries it) and as a Graphviz digraph of the trees.
#include <cstdio>
#include <string>

#include "compiler/explain/explain.h"
#include "compiler/explain/words.h"
#include "migrations/schedule.h"

namespace banyan::explain {
namespace {

using namespace banyan::plan;

// Graphviz: a quoted label where '\n' breaks the line.
std::string dot_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\l";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\\l\"";
}

std::string duration(int64_t ms) {
  if (ms < 0) return "default";
  struct Unit {
    int64_t ms;
    const char* name;
  };
  for (Unit u : {Unit{86400000, "d"}, Unit{3600000, "h"}, Unit{60000, "m"}, Unit{1000, "s"}}) {
    if (ms >= u.ms && ms % u.ms == 0) return std::to_string(ms / u.ms) + u.name;
  }
  return std::to_string(ms) + "ms";
}

std::string action(const Plan& p, const Route& r) {
  switch (r.action) {
    case ActionKind::Proxy: return "to " + std::string(p.str(p.upstreams()[r.upstream].name));
    case ActionKind::Redirect: return "redirect " + std::to_string(r.status) + " " + quote(p.str(r.target));
    case ActionKind::Respond:
      return "respond " + std::to_string(r.status) + (r.target.length ? " " + quote(p.str(r.target)) : "");
  }
  return "?";
}

std::string ops(const Plan& p, Slice s, const char* what) {
  std::string out;
  for (const HeaderOp& o : p.header_ops().subspan(s.first, s.count)) {
    out += std::string("      ") + what + " " + std::string(p.str(o.name)) +
           (o.kind == HeaderOpKind::Set ? " " + quote(p.str(o.value)) : " (removed)") + "\n";
  }
  return out;
}

std::string route_block(const Plan& p, uint32_t i) {
  const Route& r = p.routes()[i];
  std::string out = "    route " + std::to_string(i) + ": " + describe_route(p, i) + "  [" + std::string(p.str(r.source.file)) + ":" +
                    std::to_string(r.source.line) + ":" + std::to_string(r.source.column) + "]\n";
  out += "      " + std::string(kind_name(r.path_kind)) + ", literal prefix " + quote(p.str(r.literal)) + ", " + action(p, r) + "\n";
  if (r.has_rewrite) out += "      rewrite " + quote(p.str(r.rewrite)) + "\n";
  out += ops(p, r.request_headers, "request_header");
  out += ops(p, r.response_headers, "response_header");
  if (r.cache_policy != kNone) {
    const CachePolicy& c = p.cache_policies()[r.cache_policy];
    out += "      cache " + std::string(p.str(p.caches()[c.zone].name));
    for (const CacheValid& v : p.cache_valids().subspan(c.valid.first, c.valid.count)) {
      out += ", valid";
      if (v.statuses.count == 0) out += " any";
      for (uint32_t st : p.u32_list(v.statuses)) out += " " + std::to_string(st);
      out += " " + duration(v.ttl_ms);
    }
    static const char* kStale[] = {"error", "timeout", "updating", "http_5xx", "http_500", "http_502", "http_503", "http_504"};
    std::string stale;
    for (int b = 0; b < 8; ++b)
      if (c.stale & (1u << b)) stale += std::string(stale.empty() ? "" : " ") + kStale[b];
    if (!stale.empty()) out += ", stale " + stale;
    for (StrRef k : p.str_list(c.key)) out += ", key " + quote(p.str(k));
    if (c.allow_authorized) out += ", allow authorized";
    out += "\n";
  }
  if (r.compress) out += std::string("      compress") + (r.compress & 1 ? " gzip" : "") + (r.compress & 2 ? " brotli" : "") + "\n";
  if (r.connect_timeout_ms >= 0 || r.read_timeout_ms >= 0)
    out += "      timeouts connect " + duration(r.connect_timeout_ms) + ", read " + duration(r.read_timeout_ms) + "\n";
  if (r.retries >= 0) out += "      retries " + std::to_string(r.retries) + "\n";
  if (r.max_body_bytes) out += "      max_body " + std::to_string(r.max_body_bytes) + " bytes\n";
  if (r.allow_upgrade) out += "      allow upgrade\n";
  for (uint32_t m : p.u32_list(r.splits)) out += "      split by migration " + quote(p.str(p.migrations()[m].name)) + "\n";
  return out;
}

// How a node is reached from its parent: "label" for a literal segment, :param for
// any one non-empty segment, ** for the rest of the path.
std::string edge(const Plan& p, uint32_t n) {
  switch (p.nodes()[n].kind) {
    case NodeKind::Root: return "/";
    case NodeKind::Literal: return quote(p.str(p.node_keys()[n].label));
    case NodeKind::Param: return ":param";
    case NodeKind::Rest: return "**";
  }
  return "?";
}

// The pattern a node stands for: "/v1/users/:param/photos/**".
std::string position(const Plan& p, uint32_t n) {
  std::string out;
  for (; p.nodes()[n].kind != NodeKind::Root; n = p.nodes()[n].parent) {
    const Node& node = p.nodes()[n];
    out.insert(0, "/" + (node.kind == NodeKind::Literal ? std::string(p.str(p.node_keys()[n].label))
                         : node.kind == NodeKind::Param ? std::string(":param")
                                                        : std::string("**")));
  }
  return out.empty() ? "/" : out;
}

// What an entry tests, in a word or two.
const char* test_name(EntryTest t) {
  switch (t) {
    case EntryTest::Exact: return "exact";
    case EntryTest::Prefix: return "prefix";
    case EntryTest::End: return "ends here";
    case EntryTest::Rest: return "rest";
    case EntryTest::Glob: return "whole glob";
    case EntryTest::Regex: return "regex";
    case EntryTest::Regexes: return "regexes, one RE2::Set";
    case EntryTest::Subtree: return "then";
  }
  return "?";
}

// A node: its literal children first (the lookup tries the one the next segment
// names), then its entries in the order they are tried; an entry that descends into
// a Param or Rest node shows that node in its place.
void tree(const Plan& p, uint32_t n, size_t indent, const std::string& lead, std::string& out) {
  const Node& node = p.nodes()[n];
  out += std::string(indent, ' ') + lead + edge(p, n) + (node.table.present ? "  (children by perfect hash)" : "") + "\n";
  for (uint32_t c = node.children.first; c < node.children.first + node.children.count; ++c) tree(p, c, indent + 2, "", out);
  int k = 1;
  for (const Entry& e : p.entries(node.entries)) {
    std::string at = std::to_string(k++) + ". ";
    if (e.test == EntryTest::Subtree) {
      tree(p, e.target, indent + 2, at, out);
      continue;
    }
    out += std::string(indent + 2, ' ') + at + "[" + test_name(e.test) + "]";
    if (e.test == EntryTest::Regexes) {
      out += "\n";
      for (uint32_t r : p.u32_list({e.target, e.aux}))
        out += std::string(indent + 4 + at.size(), ' ') + "route " + std::to_string(r) + ": " + describe_route(p, r) + "\n";
    } else {
      out += " route " + std::to_string(e.target) + ": " + describe_route(p, e.target) + "\n";
    }
  }
}

std::string hex(const uint8_t* b, size_t n) {
  std::string out;
  char buf[3];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    out += buf;
  }
  return out;
}

}  // namespace

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string percent(uint32_t bp) {
  std::string s = std::to_string(bp / 100);
  if (bp % 100) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%02u", bp % 100);
    s += buf;
    while (s.back() == '0') s.pop_back();
  }
  return s + "%";
}

std::string describe_route(const Plan& p, uint32_t i) {
  const Route& r = p.routes()[i];
  std::string out;
  switch (r.path_kind) {
    case PathKind::Exact: out = "= " + std::string(p.str(r.pattern)); break;
    case PathKind::Regex: out = "~ " + quote(p.str(r.pattern)); break;
    default: out = std::string(p.str(r.pattern));
  }
  if (r.methods.count) {
    out += " method";
    std::string sep = " ";
    for (StrRef m : p.str_list(r.methods)) {
      out += sep + std::string(p.str(m));
      sep = ", ";
    }
  }
  for (const ValueTest& t : p.value_tests().subspan(r.tests.first, r.tests.count)) {
    static const char* kWhere[] = {"header", "cookie", "query"};
    static const char* kMatch[] = {"", " =", " prefix", " ~"};
    out += std::string(" ") + kWhere[static_cast<int>(t.where)] + " " + quote(p.str(t.name)) + kMatch[static_cast<int>(t.match)];
    if (t.match != TestMatch::Present) out += " " + quote(p.str(t.value));
  }
  return out;
}

std::string explain_text(const Plan& p) {
  const Header& h = p.header();
  std::string out = "plan format " + std::to_string(h.version) + ", " + std::to_string(p.size_bytes()) + " bytes, source sha256 " +
                    hex(h.source_sha256, 32) + "\n";
  out += std::to_string(p.sites().size()) + " site(s), " + std::to_string(p.routes().size()) + " route(s), " +
         std::to_string(p.nodes().size()) + " tree node(s), " + std::to_string(p.upstreams().size()) + " upstream(s), " +
         std::to_string(p.migrations().size()) + " migration(s)\n";
  for (const Listener& l : p.listeners()) {
    out += "\nlisten " + std::string(l.scheme == Scheme::Https ? "https " : "http ") + std::string(p.str(l.address));
    if (l.redirect_https) out += ", redirect https " + std::to_string(l.redirect_status);
  }
  if (!p.listeners().empty()) out += "\n";
  static const char* kVersion[] = {"TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"};
  for (const Tls& t : p.tls()) {
    out += "\ntls " + std::string(p.str(t.name)) + "\n  certificate " + quote(p.str(t.certificate)) + "\n  key " + quote(p.str(t.key)) +
           "\n  versions " + kVersion[static_cast<int>(t.min_version)] + " to " + kVersion[static_cast<int>(t.max_version)] + "\n";
    if (t.ciphers.length) out += "  ciphers " + quote(p.str(t.ciphers)) + "\n";
    if (t.hsts_max_age_ms >= 0)
      out += "  hsts " + duration(t.hsts_max_age_ms) + (t.hsts_include_subdomains ? " include_subdomains" : "") + (t.hsts_preload ? " preload" : "") + "\n";
  }
  static const char* kBalance[] = {"round_robin", "least_conn", "power_of_two", "random", "hash"};
  static const char* kHash[] = {"", " header", " cookie", " client_ip"};
  for (const Upstream& u : p.upstreams()) {
    out += "\nupstream " + std::string(p.str(u.name)) + " (" + kBalance[static_cast<int>(u.balance)] + kHash[static_cast<int>(u.hash_source)] +
           (u.hash_key.length ? " " + quote(p.str(u.hash_key)) : "") + ")\n";
    for (const Server& s : p.servers().subspan(u.servers.first, u.servers.count)) {
      out += "  server " + std::string(p.str(s.host)) + " port " + std::to_string(s.port) + " weight " + std::to_string(s.weight) +
             (s.backup ? " backup" : "") + (s.max_conns >= 0 ? " max_conns " + std::to_string(s.max_conns) : "") + "\n";
    }
    if (u.has_health) {
      out += "  health " + std::string(p.str(u.health_method)) + " " + std::string(p.str(u.health_path)) + " every " +
             duration(u.health_interval_ms) + " timeout " + duration(u.health_timeout_ms) + " fails " + std::to_string(u.health_fails) +
             " passes " + std::to_string(u.health_passes);
      for (uint32_t st : p.u32_list(u.health_expect)) out += " expect " + std::to_string(st);
      out += "\n";
    }
    if (u.has_passive_health)
      out += "  passive health " + std::to_string(u.passive_failures) + " failures in " + duration(u.passive_window_ms) + ", cool-down " +
             duration(u.passive_cooldown_ms) + "\n";
    if (u.sticky_cookie.length) out += "  sticky cookie " + quote(p.str(u.sticky_cookie)) + " ttl " + duration(u.sticky_ttl_ms) + "\n";
    if (u.resolve_every_ms > 0) out += "  resolve every " + duration(u.resolve_every_ms) + "\n";
    if (u.protocol == Protocol::H2c) out += "  protocol h2c (HTTP/2 with prior knowledge)\n";
    out += "  timeouts connect " + duration(u.connect_timeout_ms) + ", read " + duration(u.read_timeout_ms) + "; retries " +
           (u.retries < 0 ? std::string("default") : std::to_string(u.retries)) + "; keepalive " +
           (u.keepalive < 0 ? std::string("default") : std::to_string(u.keepalive)) + "\n";
  }
  for (const Cache& c : p.caches()) {
    out += "\ncache " + std::string(p.str(c.name)) + ": memory " + std::to_string(c.memory_bytes) + " bytes";
    if (c.disk_path.length) out += ", disk " + quote(p.str(c.disk_path)) + " " + std::to_string(c.disk_bytes) + " bytes";
    if (c.max_entry_bytes) out += ", max_entry " + std::to_string(c.max_entry_bytes) + " bytes";
    if (c.inactive_ms >= 0) out += ", inactive " + duration(c.inactive_ms);
    out += "\n";
  }
  for (size_t s = 0; s < p.sites().size(); ++s) {
    const Site& site = p.sites()[s];
    out += "\nsite " + std::to_string(s) + " " + quote(p.str(site.name)) + "\n  hosts";
    for (const Host& h : p.hosts()) {
      if (h.site != s) continue;
      out += h.kind == HostKind::Default ? " default" : h.kind == HostKind::Wildcard ? " *" + std::string(p.str(h.name)) : " " + std::string(p.str(h.name));
    }
    out += "\n";
    if (site.tls != kNone) out += "  tls " + std::string(p.str(p.tls()[site.tls].name)) + "\n";
    out += "  decision tree (at each node: the literal child the next segment names, then the entries in order):\n";
    tree(p, site.root_node, 4, "", out);
    out += "  routes:\n";
    for (uint32_t r = site.routes.first; r < site.routes.first + site.routes.count; ++r) out += route_block(p, r);
  }
  static const char* kBucket[] = {"cookie", "header", "query", "client_ip", "request_id"};
  static const char* kMetric[] = {"error_rate", "latency_p50", "latency_p99", "status_5xx_rate"};
  static const char* kCmp[] = {">", "<", ">=", "<="};
  for (const Migration& m : p.migrations()) {
    out += "\nmigration " + quote(p.str(m.name)) + ": from " + std::string(p.str(p.upstreams()[m.from].name)) + " to " +
           std::string(p.str(p.upstreams()[m.to].name)) + (m.on_host.length ? " on " + quote(p.str(m.on_host)) : "") + "\n  moves";
    for (const MovePattern& mp : p.move_patterns().subspan(m.moves.first, m.moves.count))
      out += std::string(" ") + (mp.kind == PathKind::Exact ? "= " : mp.kind == PathKind::Regex ? "~ " : "") + std::string(p.str(mp.pattern));
    out += "\n  start " + (m.start_ms < 0 ? std::string("when the plan is first loaded") : migrations::format_timestamp(m.start_ms)) + "\n";
    if (m.shadow_basis_points) {
      std::string parts;
      for (auto [bit, word] : {std::pair{kCompareStatus, "status"}, {kCompareHeaders, "headers"}, {kCompareJson, "json"},
                               {kCompareBody, "body"}, {kCompareNoise, "noise"}}) {
        if (!(m.compare & bit) || (bit == kCompareBody && (m.compare & kCompareJson))) continue;  // json is the body too
        parts += (parts.empty() ? " compare " : ", ") + std::string(word);
      }
      out += "  shadow " + percent(m.shadow_basis_points) +
             (m.shadow_duration_ms >= 0 ? " for " + duration(m.shadow_duration_ms) : "") + parts + "\n";
    }
    if (m.steps.count) {
      out += "  shift";
      for (const ShiftStep& st : p.shift_steps().subspan(m.steps.first, m.steps.count))
        out += " " + percent(st.basis_points) + (st.hold ? " hold" : st.duration_ms ? " for " + duration(st.duration_ms) : "");
      out += "\n";
    }
    out += "  bucket " + std::string(kBucket[static_cast<int>(m.bucket)]) + (m.bucket_key.length ? " " + quote(p.str(m.bucket_key)) : "") + "\n";
    if (m.compare_ignore.count) {
      out += "  compare ignores";
      for (StrRef r : p.str_list(m.compare_ignore)) out += " " + quote(p.str(r));
      out += "\n";
    }
    if (m.testers != TestersSource::None) {
      out += std::string("  testers ") + (m.testers == TestersSource::Cookie ? "cookie " : "header ") + quote(p.str(m.testers_name)) +
             " " + quote(p.str(m.testers_value)) + "\n";
    }
    if (m.has_rollback) {
      bool rate = m.rollback_metric == Metric::ErrorRate || m.rollback_metric == Metric::Status5xxRate;
      int64_t v = m.rollback_threshold < 0 ? -m.rollback_threshold : m.rollback_threshold;
      std::string value = rate ? percent(static_cast<uint32_t>(v)) : duration(v);
      out += "  rollback when " + std::string(kMetric[static_cast<int>(m.rollback_metric)]) + " " + kCmp[static_cast<int>(m.rollback_comparator)] +
             " " + (m.rollback_relative ? std::string(p.str(p.upstreams()[m.from].name)) + (m.rollback_threshold < 0 ? " - " : " + ") : "") +
             value + " over " + duration(m.rollback_window_ms) + "\n";
    }
    if (m.allow_unsafe_methods) out += "  allow unsafe_methods\n";
  }
  return out;
}

std::string explain_dot(const Plan& p) {
  std::string out = "digraph plan {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n";
  for (size_t s = 0; s < p.sites().size(); ++s) {
    const Site& site = p.sites()[s];
    out += "  subgraph cluster_site" + std::to_string(s) + " {\n    label=" + quote("site " + std::string(p.str(site.name))) + ";\n";
    // The site's nodes are those reachable from its root; they are numbered globally.
    // Literal edges are labelled with their segment; an edge into a Param or Rest
    // node with the number of the entry that descends into it.
    std::vector<uint32_t> stack{site.root_node};
    while (!stack.empty()) {
      uint32_t n = stack.back();
      stack.pop_back();
      const Node& node = p.nodes()[n];
      std::string label = position(p, n), edges;
      int k = 1;
      for (const Entry& e : p.entries(node.entries)) {
        std::string item = std::to_string(k++) + ". [" + test_name(e.test) + "]";
        if (e.test == EntryTest::Subtree) {
          label += "\n" + item + " " + edge(p, e.target);
          edges += "    n" + std::to_string(n) + " -> n" + std::to_string(e.target) + " [label=" + quote(std::to_string(k - 1) + ". " + edge(p, e.target)) +
                   ", style=dashed];\n";
          stack.push_back(e.target);
        } else if (e.test == EntryTest::Regexes) {
          label += "\n" + item;
          for (uint32_t r : p.u32_list({e.target, e.aux})) label += "\n  " + describe_route(p, r) + " -> " + action(p, p.routes()[r]);
        } else {
          label += "\n" + item + " " + describe_route(p, e.target) + " -> " + action(p, p.routes()[e.target]);
        }
      }
      for (uint32_t c = node.children.first; c < node.children.first + node.children.count; ++c) {
        edges += "    n" + std::to_string(n) + " -> n" + std::to_string(c) + " [label=" + quote(p.str(p.node_keys()[c].label)) + "];\n";
        stack.push_back(c);
      }
      out += "    n" + std::to_string(n) + " [label=" + dot_quote(label) + "];\n" + edges;
    }
    out += "  }\n";
  }
  return out + "}\n";
}

}  // namespace banyan::explain
