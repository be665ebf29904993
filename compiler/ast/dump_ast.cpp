// The AST dump: one line per node or setting, two spaces per level, fields in
// declaration order. Not on any hot path; clarity over speed.
#include "compiler/ast/dump_ast.h"

namespace banyan::ast {
namespace {

class Dumper {
 public:
  explicit Dumper(const source::SourceManager* sm) : sm_(sm) {}

  std::string out;

  void line(int depth, const std::string& text, SourceRange r = {}) {
    out.append(static_cast<size_t>(depth) * 2, ' ');
    out += text;
    if (sm_ && r.valid()) {
      auto lc = sm_->file(r.file).line_col(r.begin);
      out += " @" + std::to_string(lc.line) + ":" + std::to_string(lc.column);
    }
    out += '\n';
  }

  static std::string q(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') o += '\\';
      if (c == '\n') {
        o += "\\n";
        continue;
      }
      o += c;
    }
    return o + "\"";
  }
  static std::string ms(const Duration& d) { return std::to_string(d.ms) + "ms"; }
  static std::string bytes(const Size& s) { return std::to_string(s.bytes) + "B"; }
  static std::string pct(const Percent& p) { return std::to_string(p.basis_points) + "bp"; }
  static std::string tlsv(TlsVersion v) {
    const char* names[] = {"1.0", "1.1", "1.2", "1.3"};
    return names[static_cast<int>(v)];
  }
  static std::string path(const PathMatcher& p) {
    const char* kinds[] = {"exact", "prefix", "glob", "regex"};
    return std::string(kinds[static_cast<int>(p.kind)]) + " " + q(p.pattern);
  }
  static std::string templ(const Template& t) {
    std::string s = q(t.text);
    for (const auto& v : t.variables) s += " $" + v.text;
    return s;
  }
  static std::string names(const std::vector<Name>& ns) {
    std::string s;
    for (const auto& n : ns) s += " " + n.text;
    return s;
  }

  void file(const File& f) {
    line(0, "file");
    for (const auto& i : f.includes) line(1, "include " + q(i.path.text), i.range);
    for (const auto& l : f.listens) {
      line(1, std::string("listen ") + (l.scheme == Scheme::Http ? "http " : "https ") + l.address.text +
                  " port=" + std::to_string(l.port),
           l.range);
      if (l.redirect_https) line(2, "redirect https " + std::to_string(l.redirect_https->value));
    }
    for (const auto& t : f.tls) tls(t);
    for (const auto& u : f.upstreams) upstream(u);
    for (const auto& c : f.caches) {
      line(1, "cache " + c.name.text, c.range);
      if (c.memory) line(2, "memory " + bytes(*c.memory));
      if (c.disk_path) line(2, "disk " + q(c.disk_path->text) + " " + bytes(*c.disk_size));
      if (c.max_entry) line(2, "max_entry " + bytes(*c.max_entry));
      if (c.inactive) line(2, "inactive " + ms(*c.inactive));
    }
    for (const auto& s : f.sites) site(s);
    for (const auto& m : f.migrations) migration(m);
  }

  void tls(const Tls& t) {
    line(1, "tls " + t.name.text, t.range);
    if (t.certificate) line(2, "certificate " + q(t.certificate->text));
    if (t.key) line(2, "key " + q(t.key->text));
    if (t.min_version) line(2, "min_version " + tlsv(t.min_version->version));
    if (t.max_version) line(2, "max_version " + tlsv(t.max_version->version));
    if (!t.protocols.empty()) {
      std::string s = "protocols";
      for (const auto& p : t.protocols) s += " " + tlsv(p.version);
      line(2, s);
    }
    if (t.ciphers) line(2, "ciphers " + q(t.ciphers->text));
    if (t.hsts_max_age)
      line(2, "hsts " + ms(*t.hsts_max_age) + (t.hsts_include_subdomains ? " include_subdomains" : "") +
                  (t.hsts_preload ? " preload" : ""));
    if (!t.allow.empty()) line(2, "allow" + names(t.allow));
  }

  void upstream(const Upstream& u) {
    line(1, "upstream " + u.name.text, u.range);
    for (const auto& s : u.servers)
      line(2, "server " + q(s.address.text) + " host=" + s.host + " port=" + std::to_string(s.port) +
                  " weight=" + std::to_string(s.weight.value) + (s.backup ? " backup" : "") +
                  (s.max_conns ? " max_conns=" + std::to_string(s.max_conns->value) : ""),
           s.range);
    if (u.balance) {
      const char* kinds[] = {"round_robin", "least_conn", "p2c", "random", "hash"};
      const char* sources[] = {"", " header", " cookie", " client_ip"};
      line(2, std::string("balance ") + kinds[static_cast<int>(u.balance->kind)] +
                  sources[static_cast<int>(u.balance->hash_source)] +
                  (u.balance->hash_key.text.empty() ? "" : " " + q(u.balance->hash_key.text)));
    }
    if (u.health) {
      std::string s = "health " + u.health->method + " " + u.health->path.text + " every=" + ms(u.health->interval) +
                      " timeout=" + ms(u.health->timeout) + " fails=" + std::to_string(u.health->fails.value) +
                      " passes=" + std::to_string(u.health->passes.value);
      for (const auto& e : u.health->expect) s += " expect=" + std::to_string(e.value);
      line(2, s);
    }
    if (u.sticky) line(2, "sticky cookie " + q(u.sticky->cookie.text) + (u.sticky->ttl ? " ttl=" + ms(*u.sticky->ttl) : ""));
    if (u.connect_timeout) line(2, "connect_timeout " + ms(*u.connect_timeout));
    if (u.read_timeout) line(2, "read_timeout " + ms(*u.read_timeout));
    if (u.retries) line(2, "retries " + std::to_string(u.retries->value));
    if (u.resolve_every) line(2, "resolve every " + ms(*u.resolve_every));
    if (u.keepalive) line(2, "keepalive " + std::to_string(u.keepalive->value));
    if (u.protocol) line(2, u.protocol->kind == ast::UpstreamProtocol::Kind::H2c ? "protocol h2c" : "protocol http1");
    if (u.passive_health)
      line(2, "fail " + std::to_string(u.passive_health->failures.value) + " within " + ms(u.passive_health->window) +
                  " cooldown " + ms(u.passive_health->cooldown));
  }

  void site(const Site& s) {
    std::string hosts;
    for (const auto& h : s.hosts) hosts += h.is_default ? " default" : " " + q(h.host);
    line(1, "site" + hosts, s.range);
    if (s.tls) line(2, "tls " + s.tls->text);
    for (const auto& r : s.routes) route(r);
  }

  void route(const Route& r) {
    line(2, "route " + path(r.path), r.range);
    if (!r.methods.empty()) line(3, "method" + names(r.methods));
    for (const auto& p : r.predicates) {
      const char* kinds[] = {"header", "cookie", "query"};
      const char* ops[] = {"present", "=", "prefix", "~"};
      line(3, std::string(kinds[static_cast<int>(p.kind)]) + " " + q(p.name.text) + " " + ops[static_cast<int>(p.match)] +
                  (p.match == ValueMatchKind::Present ? "" : " " + q(p.value.text)));
    }
    action(r.action, 3);
    for (const auto& a : r.extra_actions) action(a, 3);
    if (r.rewrite) line(3, "rewrite " + q(r.rewrite->text));
    for (const auto& h : r.request_headers)
      line(3, std::string(h.kind == HeaderOp::Kind::Set ? "request_header " : "remove_request_header ") + h.name.text +
                  (h.kind == HeaderOp::Kind::Set ? " " + templ(h.value) : ""));
    for (const auto& h : r.response_headers)
      line(3, std::string(h.kind == HeaderOp::Kind::Set ? "response_header " : "remove_response_header ") + h.name.text +
                  (h.kind == HeaderOp::Kind::Set ? " " + templ(h.value) : ""));
    if (r.cache) cache(*r.cache);
    if (!r.compress.empty()) {
      std::string s = "compress";
      for (auto c : r.compress) s += c == Compression::Gzip ? " gzip" : " br";
      line(3, s);
    }
    if (r.connect_timeout) line(3, "connect_timeout " + ms(*r.connect_timeout));
    if (r.read_timeout) line(3, "read_timeout " + ms(*r.read_timeout));
    if (r.retries) line(3, "retries " + std::to_string(r.retries->value));
    if (r.max_body) line(3, "max_body " + bytes(*r.max_body));
    if (!r.allow.empty()) line(3, "allow" + names(r.allow));
  }

  void action(const Action& a, int depth) {
    switch (a.kind) {
      case ActionKind::None: line(depth, "action none"); break;
      case ActionKind::Proxy: line(depth, "action proxy " + a.upstream.text); break;
      case ActionKind::Redirect: line(depth, "action redirect " + std::to_string(a.status.value) + " " + templ(a.target)); break;
      case ActionKind::Respond: line(depth, "action respond " + std::to_string(a.status.value) + " " + templ(a.target)); break;
    }
  }

  void cache(const CachePolicy& c) {
    line(3, "cache " + c.zone.text);
    for (const auto& v : c.valid) {
      std::string s = "valid";
      if (v.statuses.empty()) s += " any";
      for (const auto& st : v.statuses) s += " " + std::to_string(st.value);
      line(4, s + " " + ms(v.ttl));
    }
    if (!c.stale.empty()) {
      const char* names[] = {"error", "timeout", "updating", "http_5xx", "http_500", "http_502", "http_503", "http_504"};
      std::string s = "stale";
      for (auto st : c.stale) s += std::string(" ") + names[static_cast<int>(st)];
      line(4, s);
    }
    if (!c.key.empty()) {
      std::string s = "key";
      for (const auto& k : c.key) s += " " + templ(k);
      line(4, s);
    }
    if (!c.allow.empty()) line(4, "allow" + names(c.allow));
  }

  void migration(const Migration& m) {
    line(1, "migration " + q(m.name.text), m.range);
    std::string paths;
    for (const auto& p : m.paths) paths += " " + path(p);
    line(2, "move" + paths + (m.on_host ? " on " + q(m.on_host->text) : "") + " from " + m.from.text + " to " + m.to.text);
    if (m.shadow_percent)
      line(2, "shadow " + pct(*m.shadow_percent) + (m.shadow_duration ? " for " + ms(*m.shadow_duration) : "") +
                  (m.shadow_compare.empty() ? "" : " compare" + names(m.shadow_compare)) +
                  [&] {
                    std::string s;
                    for (const auto& t : m.shadow_ignore) s += (s.empty() ? " ignore " : ", ") + q(t.text);
                    return s;
                  }());
    if (!m.shift.empty()) {
      std::string s = "shift";
      for (const auto& st : m.shift)
        s += " " + pct(st.percent) + (st.duration ? "/" + ms(*st.duration) : "") + (st.hold ? "/hold" : "");
      line(2, s);
    }
    const char* buckets[] = {"cookie", "header", "query", "client_ip", "request_id"};
    line(2, std::string("bucket ") + buckets[static_cast<int>(m.bucket)] +
                (m.bucket_key.text.empty() ? "" : " " + q(m.bucket_key.text)));
    if (m.rollback)
      line(2, "rollback " + m.rollback->metric.text + " " + m.rollback->comparator + " " +
                  (m.rollback->baseline ? m.rollback->baseline->text + " " + m.rollback->sign + " " : "") +
                  m.rollback->threshold_text + " over " + ms(m.rollback->window));
    if (m.testers)
      line(2, std::string("testers ") + (m.testers->cookie ? "cookie " : "header ") + q(m.testers->name.text) + " " +
                  q(m.testers->value.text));
    if (m.start) line(2, "start " + q(m.start->text));
    if (!m.allow.empty()) line(2, "allow" + names(m.allow));
  }

 private:
  const source::SourceManager* sm_;
};

}  // namespace

std::string dump_ast(const File& file, const source::SourceManager* sm) {
  Dumper d(sm);
  d.file(file);
  return d.out;
}

std::string dump_route(const Route& r) {
  Dumper d(nullptr);
  d.route(r);
  return d.out;
}

std::string dump_upstream(const Upstream& u) {
  Dumper d(nullptr);
  d.upstream(u);
  return d.out;
}

std::string dump_tls(const Tls& t) {
  Dumper d(nullptr);
  d.tls(t);
  return d.out;
}

std::string dump_migration(const Migration& m) {
  Dumper d(nullptr);
  d.migration(m);
  return d.out;
}

}  // namespace banyan::ast
