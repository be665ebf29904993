// Reads the gateway's TOML file into a GatewayConfig: toml++ parses (its exceptions
// stop here), then one reader walks the tables, checks every key against the schema
// and collects every mistake with its line, column and dotted key.
#include "runtime/config/config.h"

#include <toml++/toml.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <tuple>

#include "runtime/plan/names.h"
#include "runtime/plan/units.h"

namespace banyan::config {
namespace {

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

// A key as TOML would write it: bare when it can be, quoted otherwise (":80").
std::string key_part(std::string_view k) {
  bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (bare) return std::string(k);
  std::string out = "\"";
  for (char c : k.substr(0, 200)) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

std::string join(const std::string& prefix, std::string_view k) {
  return prefix.empty() ? key_part(k) : prefix + "." + key_part(k);
}

class Reader {
 public:
  Reader(std::string file, std::filesystem::path dir) : file_(std::move(file)), dir_(std::move(dir)) {}

  std::vector<ConfigError> errors;

  void error(const toml::source_region& at, std::string key, std::string message) {
    errors.push_back({file_, at.begin.line, at.begin.column, std::move(key), std::move(message)});
  }

  std::string resolve(const std::string& path) const {
    std::filesystem::path p(path);
    if (p.is_absolute() || dir_.empty()) return path;
    return (dir_ / p).string();
  }

  // Reports every key of `t` that is not in `allowed`, with the closest allowed one.
  void only_keys(const toml::table& t, const std::string& prefix, const std::vector<std::string>& allowed) {
    for (auto&& [k, v] : t) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
      std::string msg = "unknown key '" + std::string(k.str().substr(0, 200)) + "'";
      if (auto c = names::closest(k.str(), allowed)) msg += "; did you mean '" + *c + "'?";
      msg += " (the keys " + (prefix.empty() ? std::string("at the top") : "in [" + prefix + "]") + " are " +
             names::list_names(allowed) + ")";
      error(k.source(), join(prefix, k.str()), msg);
    }
  }

  const toml::table* table(const toml::node& n, const std::string& key, std::string_view like) {
    if (auto t = n.as_table()) return t;
    error(n.source(), key, "must be a table, like " + std::string(like) + ", not " + type_name(n));
    return nullptr;
  }

  // A path (a file or a directory, `what`), not empty, relative to the config file.
  std::optional<std::string> path(const toml::node& n, const std::string& key, std::string_view like,
                                  std::string_view what) {
    auto s = string(n, key, like);
    if (!s) return std::nullopt;
    if (s->empty()) {
      error(n.source(), key, "must name " + std::string(what) + ", not be empty");
      return std::nullopt;
    }
    return resolve(*s);
  }

  std::optional<std::string> string(const toml::node& n, const std::string& key, std::string_view like) {
    if (auto s = n.as_string()) return s->get();
    error(n.source(), key, "must be a string like " + std::string(like) + ", not " + type_name(n));
    return std::nullopt;
  }

  std::optional<bool> boolean(const toml::node& n, const std::string& key) {
    if (auto b = n.as_boolean()) return b->get();
    error(n.source(), key, "must be true or false, not " + type_name(n));
    return std::nullopt;
  }

  std::optional<int64_t> integer(const toml::node& n, const std::string& key, int64_t lo, int64_t hi) {
    auto i = n.as_integer();
    if (i && i->get() >= lo && i->get() <= hi) return i->get();
    error(n.source(), key,
          "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
              (i ? ", not " + std::to_string(i->get()) : ", not " + type_name(n)));
    return std::nullopt;
  }

  std::optional<int64_t> duration(const toml::node& n, const std::string& key, int64_t min_ms,
                                  std::string_view min_text) {
    auto s = string(n, key, "\"10s\"");
    if (!s) return std::nullopt;
    auto d = units::parse_duration(*s);
    if (!d.ok) {
      error(n.source(), key, d.error);
      return std::nullopt;
    }
    if (d.value < min_ms) {
      error(n.source(), key, "must be at least " + std::string(min_text));
      return std::nullopt;
    }
    return d.value;
  }

  std::optional<uint64_t> size(const toml::node& n, const std::string& key) {
    auto s = string(n, key, "\"8KiB\"");
    if (!s) return std::nullopt;
    auto b = units::parse_size(*s);
    if (!b.ok) {
      error(n.source(), key, b.error);
      return std::nullopt;
    }
    if (b.value == 0) {
      error(n.source(), key, "must be more than 0B");
      return std::nullopt;
    }
    return b.value;
  }

  std::optional<HostPort> address(const toml::node& n, const std::string& key, bool host_optional) {
    auto s = string(n, key, host_optional ? "\"127.0.0.1:8080\"" : "\"backend:8080\"");
    if (!s) return std::nullopt;
    HostPort a;
    if (auto why = parse_host_port(*s, host_optional, a)) {
      error(n.source(), key, *why);
      return std::nullopt;
    }
    return a;
  }

  void read(const toml::table& root, GatewayConfig& c);

 private:
  void read_listen(const toml::table& t, GatewayConfig& c);
  void read_log(const toml::table& t, GatewayConfig& c);
  void read_errors(const toml::table& t, GatewayConfig& c);
  void read_upstreams(const toml::table& t, GatewayConfig& c);
  void read_clients(const toml::table& t, GatewayConfig& c);
  void read_admin(const toml::table& t, GatewayConfig& c);
  void read_ranges(const toml::node& n, const std::string& key, std::vector<Cidr>& out);
  void read_listener_list(const toml::node& n, const std::string& key, std::string_view what,
                          std::vector<ListenerRef>& out);
  void read_limits(const toml::table& t, Limits& l);

  std::string file_;
  std::filesystem::path dir_;
};

// Two bind addresses collide when they share a port and a host, or one binds every interface.
bool overlaps(const HostPort& a, const HostPort& b) {
  return a.port == b.port && (a.host == b.host || a.host.empty() || b.host.empty());
}

void Reader::read(const toml::table& root, GatewayConfig& c) {
  only_keys(root, "",
            {"plan", "workers", "listen", "admin", "log", "errors", "clients", "upstreams", "resolver", "state", "tls", "http2",
             "limits"});

  if (auto n = root.get("plan")) {
    if (auto s = string(*n, "plan", "\"gallery.plan\"")) {
      std::string ext = std::filesystem::path(*s).extension().string();
      if (ext != ".plan" && ext != ".routes")
        error(n->source(), "plan", "must name a compiled .plan file or a .routes file");
      else
        c.plan_path = resolve(*s);
    }
  } else {
    errors.push_back({file_, 0, 0, "plan", "missing; name the plan to serve, like plan = \"gallery.plan\""});
  }

  unsigned hw = std::thread::hardware_concurrency();
  c.workers = std::clamp<uint32_t>(hw == 0 ? 1 : hw, 1, kMaxWorkers);
  if (auto n = root.get("workers"))
    if (auto w = integer(*n, "workers", 1, kMaxWorkers)) c.workers = static_cast<uint32_t>(*w);

  if (auto n = root.get("listen"))
    if (auto t = table(*n, "listen", "[listen] \":80\" = \"127.0.0.1:8080\"")) read_listen(*t, c);

  if (auto n = root.get("admin"))
    if (auto t = table(*n, "admin", "[admin] address = \"127.0.0.1:9901\"")) read_admin(*t, c);

  if (auto n = root.get("log"))
    if (auto t = table(*n, "log", "[log] format = \"json\"")) read_log(*t, c);
  if (auto n = root.get("errors"))
    if (auto t = table(*n, "errors", "[errors] show_details = [\":80\"]")) read_errors(*t, c);
  if (auto n = root.get("clients"))
    if (auto t = table(*n, "clients", "[clients] trusted_proxies = [\"10.0.0.0/8\"]")) read_clients(*t, c);
  if (auto n = root.get("upstreams"))
    if (auto t = table(*n, "upstreams", "[upstreams.NAME] servers = [\"backend:80\"]")) read_upstreams(*t, c);
  if (auto n = root.get("state")) {
    if (auto t = table(*n, "state", "[state] dir = \"/var/lib/banyan\"")) {
      only_keys(*t, "state", {"dir"});
      if (auto d = t->get("dir"))
        if (auto p = path(*d, "state.dir", "\"/var/lib/banyan\"", "a directory")) c.state_dir = *p;
    }
  }
  if (auto n = root.get("resolver")) {
    if (auto t = table(*n, "resolver", "[resolver] hosts_file = \"hosts\"")) {
      only_keys(*t, "resolver", {"hosts_file"});
      if (auto h = t->get("hosts_file"))
        if (auto s = path(*h, "resolver.hosts_file", "\"hosts\"", "a hosts(5) file")) c.hosts_file = *s;
    }
  }
  if (auto n = root.get("tls")) {
    if (auto t = table(*n, "tls", "[tls] session_tickets = false")) {
      only_keys(*t, "tls", {"session_tickets", "ticket_key_file", "ticket_key_rotation"});
      if (auto b = t->get("session_tickets"))
        if (auto v = boolean(*b, "tls.session_tickets")) c.tls_session_tickets = *v;
      if (auto f = t->get("ticket_key_file"))
        if (auto p = path(*f, "tls.ticket_key_file", "\"tickets.key\"", "a file")) c.tls_ticket_key_file = *p;
      if (auto r = t->get("ticket_key_rotation"))
        if (auto d = duration(*r, "tls.ticket_key_rotation", 1000, "1s")) c.tls_ticket_key_rotation_ms = *d;
      if (t->get("ticket_key_file") && t->get("ticket_key_rotation"))
        error(t->get("ticket_key_rotation")->source(), "tls.ticket_key_rotation",
              "a ticket_key_file's keys are rotated by rewriting the file and reloading, not by the gateway");
    }
  }
  if (auto n = root.get("http2")) {
    if (auto t = table(*n, "http2", "[http2] prior_knowledge = [\":80\"]")) {
      only_keys(*t, "http2", {"tls", "prior_knowledge", "max_concurrent_streams"});
      if (auto b = t->get("tls"))
        if (auto v = boolean(*b, "http2.tls")) c.http2_tls = *v;
      if (auto l = t->get("prior_knowledge"))
        read_listener_list(*l, "http2.prior_knowledge", "an array of the plan's plain listeners",
                           c.http2_prior_knowledge);
      if (auto m = t->get("max_concurrent_streams"))
        if (auto v = integer(*m, "http2.max_concurrent_streams", 1, kMaxHttp2Streams))
          c.http2_max_streams = static_cast<uint32_t>(*v);
    }
  }
  if (auto n = root.get("limits"))
    if (auto t = table(*n, "limits", "[limits] body = \"1MiB\"")) read_limits(*t, c.limits);
}

void Reader::read_listen(const toml::table& t, GatewayConfig& c) {
  for (auto&& [k, v] : t) {
    std::string key = join("listen", k.str());
    auto a = address(v, key, true);
    if (!a) continue;
    c.listen.push_back({std::string(k.str()), *a, v.source().begin.line, v.source().begin.column});
  }
  // Collisions are reported at the later line, naming the earlier one.
  std::vector<ListenBinding> by_line = c.listen;
  std::stable_sort(by_line.begin(), by_line.end(), [](const auto& a, const auto& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  for (size_t i = 0; i < by_line.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (!overlaps(by_line[i].bind, by_line[j].bind)) continue;
      errors.push_back({file_, by_line[i].line, by_line[i].column, join("listen", by_line[i].plan_address),
                        to_string(by_line[i].bind) + " is already where " + key_part(by_line[j].plan_address) +
                            " binds (line " + std::to_string(by_line[j].line) + "); give each listener its own"});
      break;
    }
  }
}

void Reader::read_log(const toml::table& t, GatewayConfig& c) {
  only_keys(t, "log", {"format", "destination", "shadow_diffs"});
  if (auto n = t.get("shadow_diffs"))
    if (auto p = path(*n, "log.shadow_diffs", "\"shadow-diffs.jsonl\"", "a file")) c.shadow_diffs_file = *p;
  if (auto n = t.get("format")) {
    if (auto s = string(*n, "log.format", "\"json\"")) {
      if (*s == "json")
        c.log_format = LogFormat::Json;
      else if (*s == "text")
        c.log_format = LogFormat::Text;
      else
        error(n->source(), "log.format", "must be \"json\" or \"text\"");
    }
  }
  if (auto n = t.get("destination")) {
    if (auto s = string(*n, "log.destination", "\"stderr\"")) {
      if (*s == "stderr")
        c.log_destination = LogDestination::Stderr;
      else if (*s == "stdout")
        c.log_destination = LogDestination::Stdout;
      else if (*s == "off")  // a file named "off" is written "./off"
        c.log_destination = LogDestination::Off;
      else if (s->empty())
        error(n->source(), "log.destination", "must be \"stderr\", \"stdout\", \"off\" or a file path");
      else {
        c.log_destination = LogDestination::File;
        c.log_file = resolve(*s);
      }
    }
  }
}

// The listeners are checked against the plan later (check_against_plan), as [listen]'s keys are.
void Reader::read_errors(const toml::table& t, GatewayConfig& c) {
  only_keys(t, "errors", {"show_details"});
  if (const toml::node* n = t.get("show_details"))
    read_listener_list(*n, "errors.show_details", "an array of the plan's listeners", c.show_error_details);
}

// An array of plan listeners (":80"), each once, in file order.
void Reader::read_listener_list(const toml::node& n, const std::string& key, std::string_view what,
                                std::vector<ListenerRef>& out) {
  const toml::array* a = n.as_array();
  if (!a) {
    error(n.source(), key, "must be " + std::string(what) + ", like [\":80\", \":443\"], not " + type_name(n));
    return;
  }
  for (const auto& e : *a) {
    auto s = string(e, key, "\":80\"");
    if (!s) continue;
    bool twice = std::any_of(out.begin(), out.end(), [&](const ListenerRef& r) { return r.plan_address == *s; });
    if (twice) {
      error(e.source(), key, key_part(*s) + " is listed twice");
      continue;
    }
    out.push_back({*s, e.source().begin.line, e.source().begin.column});
  }
}

// `[clients]`: trusted_proxies (CIDR ranges) and proxy_protocol (true, false, or the
// listeners that read a PROXY protocol header).
void Reader::read_clients(const toml::table& t, GatewayConfig& c) {
  only_keys(t, "clients", {"trusted_proxies", "proxy_protocol"});
  if (const toml::node* n = t.get("trusted_proxies")) read_ranges(*n, "clients.trusted_proxies", c.trusted_proxies);
  if (const toml::node* n = t.get("proxy_protocol")) {
    if (auto b = n->as_boolean())
      c.proxy_protocol_everywhere = b->get();
    else if (n->as_array())
      read_listener_list(*n, "clients.proxy_protocol", "true, false or an array of the plan's listeners",
                         c.proxy_protocol);
    else
      error(n->source(), "clients.proxy_protocol",
            "must be true, false or an array of the plan's listeners, like [\":80\"], not " + type_name(*n));
  }
}

// `[admin]`: address (not where a listener binds), write_from and read_from. After `[listen]`.
void Reader::read_admin(const toml::table& t, GatewayConfig& c) {
  only_keys(t, "admin", {"address", "write_from", "read_from"});
  if (const toml::node* w = t.get("write_from")) {
    c.admin_write_from.clear();
    read_ranges(*w, "admin.write_from", c.admin_write_from);
  }
  if (const toml::node* r = t.get("read_from")) {
    c.admin_read_from.clear();
    read_ranges(*r, "admin.read_from", c.admin_read_from);
  }
  const toml::node* a = t.get("address");
  if (!a) return;
  c.admin = address(*a, "admin.address", true);
  for (const auto& l : c.listen)
    if (c.admin && overlaps(*c.admin, l.bind))
      error(a->source(), "admin.address", to_string(*c.admin) + " is also where listener " + key_part(l.plan_address) + " binds");
}

// An array of CIDR ranges (or single addresses), each once.
void Reader::read_ranges(const toml::node& n, const std::string& key, std::vector<Cidr>& out) {
  const toml::array* a = n.as_array();
  if (!a) {
    error(n.source(), key, "must be an array of address ranges, like [\"10.0.0.0/8\", \"::1/128\"], not " + type_name(n));
    return;
  }
  for (const auto& e : *a) {
    auto s = string(e, key, "\"10.0.0.0/8\"");
    if (!s) continue;
    Cidr range;
    if (auto why = parse_cidr(*s, range)) {
      error(e.source(), key, *why);
      continue;
    }
    if (std::find(out.begin(), out.end(), range) != out.end()) {
      error(e.source(), key, "\"" + to_string(range) + "\" is listed twice");
      continue;
    }
    out.push_back(range);
  }
}

void Reader::read_upstreams(const toml::table& t, GatewayConfig& c) {
  for (auto&& [k, v] : t) {
    std::string prefix = join("upstreams", k.str());
    auto u = table(v, prefix, "[upstreams.NAME] servers = [\"backend:80\"]");
    if (!u) continue;
    UpstreamOverride o{std::string(k.str()), {}, std::nullopt, k.source().begin.line, k.source().begin.column};
    only_keys(*u, prefix, {"servers", "resolve_every"});
    bool ok = true;
    if (auto n = u->get("servers")) {
      const std::string key = prefix + ".servers";
      if (auto a = n->as_array(); a && !a->empty()) {
        for (const auto& s : *a) {
          auto hp = address(s, key, false);
          if (!hp) {
            ok = false;
            continue;
          }
          if (std::find(o.servers.begin(), o.servers.end(), *hp) != o.servers.end()) {
            error(s.source(), key, to_string(*hp) + " is listed twice");
            ok = false;
            continue;
          }
          o.servers.push_back(*hp);
        }
      } else {
        error(n->source(), key, "must be a non-empty array of \"host:port\" strings, like [\"backend:80\"]");
        ok = false;
      }
    } else {
      errors.push_back({file_, o.line, o.column, prefix + ".servers",
                        "missing; list this environment's servers, like servers = [\"backend:80\"]"});
      ok = false;
    }
    if (auto n = u->get("resolve_every")) {
      // Re-resolving more than once a second is load on the resolver, not freshness.
      if (auto d = duration(*n, prefix + ".resolve_every", 1000, "1s"))
        o.resolve_every_ms = *d;
      else
        ok = false;
    }
    if (ok) c.upstreams.push_back(std::move(o));
  }
}

void Reader::read_limits(const toml::table& t, Limits& l) {
  only_keys(t, "limits",
            {"request_line", "header_bytes", "header_count", "body", "header_timeout", "body_timeout", "idle_timeout",
             "drain_timeout", "connections"});
  auto size_at = [&](const char* name, uint64_t& out) {
    if (auto n = t.get(name))
      if (auto v = size(*n, std::string("limits.") + name)) out = *v;
  };
  auto duration_at = [&](const char* name, int64_t& out) {
    if (auto n = t.get(name))
      if (auto v = duration(*n, std::string("limits.") + name, 1, "1ms")) out = *v;
  };
  auto count_at = [&](const char* name, uint32_t& out, int64_t hi) {
    if (auto n = t.get(name))
      if (auto v = integer(*n, std::string("limits.") + name, 1, hi)) out = static_cast<uint32_t>(*v);
  };
  size_at("request_line", l.request_line);
  size_at("header_bytes", l.header_bytes);
  count_at("header_count", l.header_count, 10'000);
  size_at("body", l.body);
  duration_at("header_timeout", l.header_timeout_ms);
  duration_at("body_timeout", l.body_timeout_ms);
  duration_at("idle_timeout", l.idle_timeout_ms);
  duration_at("drain_timeout", l.drain_timeout_ms);
  count_at("connections", l.connections, 10'000'000);
}

// toml++ says "Error while parsing key-value pair: ..."; the position already says where.
std::string syntax_message(std::string_view description) {
  std::string m(description.substr(0, 400));
  if (m.rfind("Error while parsing ", 0) == 0) m = "syntax error in " + m.substr(20);
  return m;
}

}  // namespace

std::vector<Cidr> loopback_ranges() {
  IpAddress v6_loopback;
  v6_loopback.bytes[15] = 1;
  return {Cidr{ipv4(0x7F000000u), 104}, Cidr{v6_loopback, 128}};
}

bool GatewayConfig::shows_error_details(std::string_view plan_address) const {
  return std::any_of(show_error_details.begin(), show_error_details.end(),
                     [&](const ListenerRef& r) { return r.plan_address == plan_address; });
}

bool GatewayConfig::takes_h2c(std::string_view plan_address) const {
  return std::any_of(http2_prior_knowledge.begin(), http2_prior_knowledge.end(),
                     [&](const ListenerRef& r) { return r.plan_address == plan_address; });
}

bool GatewayConfig::uses_proxy_protocol(std::string_view plan_address) const {
  return proxy_protocol_everywhere || std::any_of(proxy_protocol.begin(), proxy_protocol.end(),
                                                  [&](const ListenerRef& r) { return r.plan_address == plan_address; });
}

std::string render(const ConfigError& e) {
  std::string out = e.file;
  if (e.line) out += ":" + std::to_string(e.line) + ":" + std::to_string(e.column);
  out += ": ";
  if (!e.key.empty()) out += e.key + ": ";
  return out + e.message;
}

LoadedConfig parse_config(std::string_view text, const std::string& name) {
  LoadedConfig out;
  if (text.size() > kMaxConfigBytes) {
    out.errors.push_back({name, 0, 0, "",
                          "is larger than " + std::to_string(kMaxConfigBytes) +
                              " bytes, the budget for a configuration (is this the right file?)"});
    return out;
  }
  try {
    toml::table root = toml::parse(text, name);
    Reader reader(name, std::filesystem::path(name).parent_path());
    GatewayConfig c;
    reader.read(root, c);
    std::sort(c.listen.begin(), c.listen.end(),
              [](const auto& a, const auto& b) { return a.plan_address < b.plan_address; });
    std::sort(c.upstreams.begin(), c.upstreams.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    out.errors = std::move(reader.errors);
    if (out.errors.empty()) out.config = std::move(c);
  } catch (const toml::parse_error& e) {
    out.errors.push_back({name, e.source().begin.line, e.source().begin.column, "", syntax_message(e.description())});
  } catch (const std::exception& e) {
    out.errors.push_back({name, 0, 0, "", std::string("cannot be read: ") + e.what()});
  }
  // File order; errors about the file as a whole (missing keys) last.
  auto line_of = [](const ConfigError& e) { return e.line ? e.line : UINT32_MAX; };
  std::stable_sort(out.errors.begin(), out.errors.end(), [&](const ConfigError& a, const ConfigError& b) {
    return std::make_pair(line_of(a), a.column) < std::make_pair(line_of(b), b.column);
  });
  return out;
}

LoadedConfig load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadedConfig out;
    out.errors.push_back({path, 0, 0, "", std::string("cannot be opened: ") + std::strerror(errno)});
    return out;
  }
  // Read one byte past the budget: enough to know the file is too large.
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) {
    LoadedConfig out;
    out.errors.push_back({path, 0, 0, "", "cannot be read"});
    return out;
  }
  return parse_config(text, path);
}

}  // namespace banyan::config
