#include "runtime/proxy/gateway.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <chrono>
#include <cstring>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "compiler/compile.h"
#include "runtime/http/fields.h"
#include "runtime/http/parse.h"
#include "runtime/http/status.h"
#include "runtime/proxy/access_log.h"
#include "runtime/proxy/client_address.h"
#include "runtime/proxy/clock.h"
#include "runtime/proxy/health_check.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/plan_watch.h"
#include "runtime/proxy/tls.h"

namespace banyan::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

std::string machine_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "banyan";
  return buf;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  append_json_escaped(out, s);
  out += '"';
  return out;
}

// `[admin] write_from` or `read_from` as the operator reads it in the start line.
std::string ranges_text(const std::vector<config::Cidr>& ranges, const char* none) {
  std::string s;
  for (const config::Cidr& c : ranges) s += (s.empty() ? "" : ", ") + config::to_string(c);
  return s.empty() ? std::string(none) : s;
}

}  // namespace

Gateway::Gateway(config::GatewayConfig config, std::string config_path)
    : config_(std::move(config)),
      config_path_(std::move(config_path)),
      migrations_(std::make_unique<MigrationControl>(make_state_store(config_.state_dir))),
      ticket_keys_(config_.tls_ticket_key_file, config_.tls_ticket_key_rotation_ms),
      hostname_(machine_hostname()) {}

Gateway::~Gateway() {
  for (auto& w : workers_) {
    w->stop();
    w->join();
  }
  if (log_fd_ > 2) ::close(log_fd_);
}

void Gateway::note(const std::string& line) const {
  // stderr (a terminal, or systemd's journal), never the access log: that file holds
  // one JSON object per line and nothing else.
  std::string s;
  size_t start = 0;
  while (start <= line.size()) {  // every line prefixed, so each reads alone in a journal
    size_t end = line.find('\n', start);
    if (end == std::string::npos) end = line.size();
    s += "banyan: " + line.substr(start, end - start) + "\n";
    start = end + 1;
  }
  (void)!::write(2, s.data(), s.size());
}

std::vector<ListenerInfo> Gateway::listeners_for(const plan::Plan& p, std::string& error) {
  std::vector<ListenerInfo> out;
  for (uint32_t i = 0; i < config_.listen.size(); ++i) {
    const config::ListenBinding& b = config_.listen[i];
    for (const plan::Listener& l : p.listeners()) {
      if (p.str(l.address) != b.plan_address) continue;
      ListenerInfo info{b.plan_address, b.bind, l.scheme == plan::Scheme::Https, i,
                        config_.shows_error_details(b.plan_address), config_.uses_proxy_protocol(b.plan_address),
                        config_.takes_h2c(b.plan_address)};
      if (info.https) {
        if (p.tls().empty()) {
          error = "listener " + b.plan_address + " is https but the plan has no `tls` block";
          return {};
        }
        https_port_ = b.bind.port;
      }
      out.push_back(std::move(info));
    }
  }
  return out;
}

std::string Gateway::reload(const std::string& why, ReloadReport* report, bool dry_run) {
  auto fail = [&](std::string reason) {
    if (!dry_run) bump(metrics_.reloads_failed);
    note(std::string(dry_run ? "dry-run reload (" : "reload (") + why + ") refused" +
         (dry_run ? ": " : "; the previous plan keeps serving: ") + reason);
    return reason;
  };
  PlanLoad loaded = load_plan_or_routes(config_.plan_path);
  if (report) report->diagnostics = loaded.diagnostics;
  if (!loaded.diagnostics.empty() && !loaded.error.empty()) note(loaded.diagnostics);
  if (!loaded.plan) return fail(loaded.error);
  std::vector<config::ConfigError> errs = config::check_against_plan(config_, *loaded.plan, config_path_);
  if (!errs.empty()) {
    std::string all;
    for (const auto& e : errs) all += (all.empty() ? "" : "; ") + config::render(e);
    return fail(all);
  }
  // Listeners stay bound across reloads: a plan that changes a listener's scheme needs a restart.
  auto current = generation();
  for (const plan::Listener& l : loaded.plan->listeners()) {
    for (const plan::Listener& old : current->plan->listeners()) {
      if (loaded.plan->str(l.address) == current->plan->str(old.address) && l.scheme != old.scheme)
        return fail("listener " + std::string(loaded.plan->str(l.address)) +
                    " changes between http and https; that takes a restart");
    }
  }
  // What changes, as `banyanc diff` says it (routes files and plans alike: a plan
  // carries its routes), or why that is unknown.
  std::string changes, diff;
  if (current->routes_source && loaded.source) {
    ChangeReport c = diff_compiled(*current->routes_source, *loaded.source, unix_ms_now());
    changes = c.summary;
    diff = c.text;
  } else {
    changes = "what changes is unknown: " + (loaded.source ? std::string("the serving plan's routes did not read back")
                                                           : "the new plan's " + loaded.source_error);
  }
  if (report) {
    report->changes = changes;
    report->diff = diff;
  }
  if (dry_run) {
    note("dry-run reload (" + why + "): the plan would load; " + changes);
    return {};
  }
  std::shared_ptr<const RoutesSource> source = loaded.source;
  std::vector<std::string> files = std::move(loaded.files);
  Prepared prepared = prepare_generation(std::move(loaded.plan), config_, current.get(), metrics_, *migrations_, caches_,
                                         config_.plan_path, unix_ms_now());
  if (!prepared.generation) return fail(prepared.error);
  prepared.generation->routes_source = std::move(source);
  std::shared_ptr<const Generation> next = std::move(prepared.generation);
  std::string tls_error;
  if (tickets() && ticket_keys_.from_file())  // the operator's rotation: the file is read again
    if (std::string why = ticket_keys_.load(); !why.empty()) return fail(why);
  std::shared_ptr<const TlsContexts> tls = make_tls_contexts(next, tickets(), config_.http2_tls, tls_error);
  if (!tls_error.empty()) return fail(tls_error);
  if (https_port_ != 0 && !tls) return fail("the https listener needs a `tls` block");
  if (!prepared.warnings.empty()) note(prepared.warnings.substr(0, prepared.warnings.size() - 1));
  tls_.store(std::move(tls), std::memory_order_release);
  current_.store(std::move(next), std::memory_order_release);
  seq_.fetch_add(1, std::memory_order_acq_rel);
  wake_pollers();
  if (files != watched_) {  // an `include` came or went: watch what this plan was read from
    watched_ = std::move(files);
    seen_ = stamps_of(watched_);
    plan_watch_.watch(watched_);
  }
  bump(metrics_.reloads_ok);
  auto g = generation();
  note("reloaded (" + why + "): plan " + std::to_string(g->number) + " from " + g->source + ", " +
       std::to_string(g->plan->routes().size()) + " routes, sources sha256 " + g->sha256.substr(0, 16) + "; " + changes);
  return {};
}

std::string Gateway::plan_summary() const {
  auto g = generation();
  const plan::Plan& p = *g->plan;
  std::string o = "{\"generation\":" + std::to_string(g->number) + ",\"source\":" + json_string(g->source) +
                  ",\"sources_sha256\":\"" + g->sha256 + "\",\"loaded_unix_ms\":" + std::to_string(g->loaded_unix_ms) +
                  ",\"plan_bytes\":" + std::to_string(p.size_bytes()) + ",\"routes\":[";
  for (size_t i = 0; i < g->routes.size(); ++i) {
    const plan::Route& r = p.routes()[i];
    static constexpr const char* kAction[] = {"proxy", "redirect", "respond"};
    o += std::string(i ? "," : "") + "{\"route\":" + json_string(g->routes[i].label) + ",\"at\":" +
         json_string(g->routes[i].where) + ",\"action\":\"" + kAction[static_cast<int>(r.action)] + "\"";
    if (r.action == plan::ActionKind::Proxy) o += ",\"upstream\":" + json_string(p.str(p.upstreams()[r.upstream].name));
    o += "}";
  }
  o += "],\"upstreams\":[";
  int64_t now_ms = steady_ms();
  for (size_t i = 0; i < g->upstreams.size(); ++i) {
    const PreparedUpstream& u = g->upstreams[i];
    auto set = u.endpoints->current();
    o += std::string(i ? "," : "") + "{\"name\":" + json_string(u.name) + ",\"servers\":[";
    for (size_t s = 0; s < u.endpoints->servers().size(); ++s) {
      const ServerSpec& sv = u.endpoints->servers()[s];
      o += std::string(s ? "," : "") + json_string(sv.host + ":" + std::to_string(sv.port));
    }
    o += "],\"endpoints\":[";
    for (size_t e = 0; e < set->size(); ++e) {
      bool healthy = set->health[e].healthy(now_ms);
      o += std::string(e ? "," : "") + "{\"address\":" + json_string(set->identities[e]) + ",\"weight\":" +
           std::to_string(set->initial[e].weight) + ",\"backup\":" + (set->initial[e].backup ? "true" : "false") +
           ",\"healthy\":" + (healthy ? "true" : "false") + "}";
    }
    o += "]";
    if (!set->problem.empty()) o += ",\"problem\":" + json_string(set->problem);
    o += "}";
  }
  o += "],\"migrations\":[";
  for (size_t i = 0; i < g->migrations.size(); ++i) {
    const plan::Migration& m = p.migrations()[i];
    o += std::string(i ? "," : "") + "{\"name\":" + json_string(p.str(m.name)) + ",\"from\":" +
         json_string(p.str(p.upstreams()[m.from].name)) + ",\"to\":" + json_string(p.str(p.upstreams()[m.to].name)) +
         ",\"mode\":" + json_string(mode_name(g->migrations[i].runtime->mode.load())) + "}";
  }
  o += "]}\n";
  return o;
}

namespace {

// A path segment with its %XX escapes decoded (a migration's name may hold spaces).
std::string percent_decoded(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1; };
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

int Gateway::migrations_request(const http::RequestHead& head, std::string& body, std::string& type) {
  if (head.path == "/migrations") {
    if (head.method != "GET" && head.method != "HEAD") {
      body = "use GET /migrations, or POST /migrations/NAME/ACTION\n";
      return 405;
    }
    body = migrations_->json(*generation(), unix_ms_now());
    type = "application/json";
    return 200;
  }
  std::string_view rest = head.path.substr(std::string_view("/migrations/").size());
  size_t slash = rest.rfind('/');
  if (slash != std::string_view::npos && rest.substr(slash + 1) == "diffs" && head.method == "GET") {
    std::string name = percent_decoded(rest.substr(0, slash));
    auto g = generation();
    for (size_t i = 0; i < g->migrations.size(); ++i) {
      if (g->plan->str(g->plan->migrations()[i].name) != name) continue;
      body = g->migrations[i].runtime->diffs_json();
      type = "application/json";
      return 200;
    }
    body = "no migration named \"" + name + "\" in the serving plan\n";
    return 404;
  }
  if (slash == std::string_view::npos || head.method != "POST") {
    body = "use POST /migrations/NAME/ACTION, ACTION one of pause, resume, rollback, promote\n";
    return head.method != "POST" ? 405 : 404;
  }
  std::string name = percent_decoded(rest.substr(0, slash));
  std::string action(rest.substr(slash + 1));
  std::string why = migrations_->act(*generation(), name, action, unix_ms_now());
  if (!why.empty() && !why.starts_with("done")) {
    body = why + "\n";
    return why.starts_with("no migration") ? 404 : 400;
  }
  note("migration \"" + name + "\": " + action + " (admin API)" + (why.empty() ? "" : "; " + why));
  body = action + ": migration \"" + name + "\" is now " +
         std::string(mode_name(migrations_->runtime(name)->mode.load())) + (why.empty() ? "" : "; " + why) + "\n";
  return 200;
}

// --- admin ------------------------------------------------------------------

Task<void> Gateway::admin_loop(Acceptor& acceptor) {
  for (;;) {
    error_code ec;
    Socket s = co_await acceptor.async_accept(asio::redirect_error(use_task, ec));
    if (ec) {
      if (!acceptor.is_open()) co_return;
      continue;
    }
    if (admin_open_ >= kMaxAdminConnections) {
      bump(metrics_.admin_refused_busy);
      s.close(ec);
      continue;
    }
    ++admin_open_;
    asio::co_spawn(main_io_, admin_session(std::move(s)), [this](std::exception_ptr) { --admin_open_; });
  }
}

// POST /cache/purge?zone=NAME[&key=KEY | &prefix=PREFIX]: the entries of a zone whose
// key is KEY, or starts with PREFIX, or all of them. Keys are %-decoded.
int Gateway::purge_request(const http::RequestHead& head, std::string& body, std::string& type) {
  if (head.method != "POST") {
    body = "use POST /cache/purge?zone=NAME[&key=KEY|&prefix=PREFIX]\n";
    return 405;
  }
  auto decoded = [](std::string_view v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '%' && i + 2 < v.size() && std::isxdigit(static_cast<unsigned char>(v[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(v[i + 2]))) {
        out += static_cast<char>(std::stoi(std::string(v.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += v[i] == '+' ? ' ' : v[i];
      }
    }
    return out;
  };
  std::string_view zone_arg, key_arg, prefix_arg;
  const bool has_zone = plan::find_query(head.query, "zone", zone_arg);
  const bool has_key = plan::find_query(head.query, "key", key_arg);
  const bool has_prefix = plan::find_query(head.query, "prefix", prefix_arg);
  if (!has_zone || (has_key && has_prefix)) {
    body = "purge needs zone=NAME, and at most one of key=KEY and prefix=PREFIX\n";
    return 400;
  }
  const std::string zone_name = decoded(zone_arg);
  for (const std::shared_ptr<cache::Zone>& z : caches_.all()) {
    if (z->name() != zone_name) continue;
    const size_t n = has_key ? z->purge(decoded(key_arg), false) : z->purge(decoded(prefix_arg), true);
    type = "application/json";
    body = "{\"zone\":\"" + zone_name + "\",\"purged\":" + std::to_string(n) + "}\n";
    note("cache purge: zone " + zone_name + (has_key ? ", key " : has_prefix ? ", prefix " : ", all") +
         (has_key ? decoded(key_arg) : has_prefix ? decoded(prefix_arg) : "") + ": " + std::to_string(n) + " entries");
    return 200;
  }
  body = "no cache zone named '" + zone_name + "'\n";
  return 404;
}

// Whether the admin answers this peer: a change (any request but GET and HEAD) only
// from `[admin] write_from`, a read of the plan or the migrations only from
// `[admin] read_from`; else `body` says why, for a 403.
bool Gateway::admits(const Socket& socket, const http::RequestHead& head, Access access, std::string& body) {
  const bool change = access == Access::Change;
  error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  const config::IpAddress ip = ec ? config::IpAddress{} : ip_of(peer.address());
  if (!ec && config::any_contains(change ? config_.admin_write_from : config_.admin_read_from, ip)) return true;
  const std::string who = ec ? std::string("an unknown peer") : config::to_string(ip);
  const char* key = change ? "write_from" : "read_from";
  body = std::string(change ? "changes are taken from" : "the plan and the migrations are shown to") +
         " the addresses in [admin] " + key + " only, and " + who + " is not one of them\n";
  // Logged at the 1st, 2nd, 4th, 8th... refusal: a flood of them cannot flood the log
  // (banyan_admin_refused_total counts every one).
  std::atomic<uint64_t>& refused = change ? metrics_.admin_refused_writes : metrics_.admin_refused_reads;
  const uint64_t n = refused.fetch_add(1, std::memory_order_relaxed) + 1;
  if (std::has_single_bit(n))
    note("admin: refused " + std::string(head.method) + " " + std::string(head.path) + " from " + who +
         " (not in [admin] " + key + "; " + std::to_string(n) + " refused so far)");
  return false;
}

// POST /reload[?dry_run=1]. The admin listener is the operator's: the compiler's
// diagnostics and the diff go in the answer, as they go to the log.
int Gateway::reload_request(const http::RequestHead& head, std::string& body) {
  if (head.method != "POST") {
    body = "use POST /reload\n";
    return 405;
  }
  bool dry_run = head.query == "dry_run=1" || head.query == "dry_run=true" || head.query == "dry_run";
  ReloadReport report;
  std::string why = reload(dry_run ? "POST /reload?dry_run" : "POST /reload", &report, dry_run);
  if (!why.empty()) {
    body = std::string(dry_run ? "dry run: the plan would be refused: " : "reload refused; the previous plan keeps serving: ") +
           why + "\n" + report.diagnostics;
    return 422;
  }
  body = dry_run ? "dry run: the plan would load; nothing was swapped\n"
                 : "reloaded: plan " + std::to_string(generation()->number) + "\n";
  body += "changes: " + report.changes + "\n" + report.diff;
  return 200;
}

// One request per connection, parsed as strictly as the data plane's; answered with
// Connection: close. Bounded: 8 KiB of head, 5 seconds.
Task<void> Gateway::admin_session(Socket socket) {
  char buf[8192];
  size_t have = 0;
  std::array<plan::HeaderField, 32> fields;
  http::RequestHead head;
  http::Error err = http::Error::None;
  http::Limits limits{2048, sizeof buf, fields.size()};
  Timer deadline(main_io_, std::chrono::seconds(5));
  deadline.async_wait([&socket](error_code ec) {
    if (!ec) socket.close(ec);
  });
  http::Parse r = http::Parse::Incomplete;
  while (r == http::Parse::Incomplete && have < sizeof buf) {
    error_code ec;
    size_t n = co_await socket.async_read_some(asio::buffer(buf + have, sizeof buf - have),
                                               asio::redirect_error(use_task, ec));
    if (ec) co_return;
    have += n;
    r = http::parse_request({buf, have}, limits, fields, head, err);
  }
  int status = 200;
  std::string body, type = "text/plain; charset=utf-8";
  if (r != http::Parse::Complete) {
    status = 400;
    body = std::string("bad request: ") + std::string(http::describe(err)) + "\n";
  } else if (head.method != "GET" && head.method != "HEAD" && !admits(socket, head, Access::Change, body)) {
    status = 403;
  } else if ((head.path == "/plan" || head.path == "/migrations" || head.path.starts_with("/migrations/")) &&
             (head.method == "GET" || head.method == "HEAD") && !admits(socket, head, Access::Read, body)) {
    status = 403;
  } else if (head.path == "/healthz" && (head.method == "GET" || head.method == "HEAD")) {
    body = stopping_ ? "draining\n" : "ok\n";
    if (stopping_) status = 503;
  } else if (head.path == "/metrics" && (head.method == "GET" || head.method == "HEAD")) {
    body = metrics_.render(*generation()) + Metrics::render_caches(caches_);
    if (tickets() && !ticket_keys_.from_file())
      body += "# HELP banyan_tls_ticket_key_rotations_total Session ticket keys made since the start, after the first.\n"
              "# TYPE banyan_tls_ticket_key_rotations_total counter\nbanyan_tls_ticket_key_rotations_total " +
              std::to_string(ticket_keys_.rotations()) + "\n";
    type = "text/plain; version=0.0.4";
  } else if (head.path == "/plan" && (head.method == "GET" || head.method == "HEAD")) {
    body = plan_summary();
    type = "application/json";
  } else if (head.path == "/migrations" || head.path.starts_with("/migrations/")) {
    status = migrations_request(head, body, type);
  } else if (head.path == "/cache/purge") {
    status = purge_request(head, body, type);
  } else if (head.path == "/reload") {
    status = reload_request(head, body);
  } else {
    status = 404;
    body = "not found; the admin listener serves /metrics, /healthz, /plan, /migrations, POST /reload and POST /cache/purge\n";
  }
  const std::string_view reason = http::reason_phrase(status);
  std::string head_out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\nContent-Type: " + type +
                         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  if (r == http::Parse::Complete && head.method == "HEAD") body.clear();
  error_code ec;
  std::array<asio::const_buffer, 2> b{asio::buffer(head_out), asio::buffer(body)};
  co_await asio::async_write(socket, b, asio::redirect_error(use_task, ec));
  socket.shutdown(Socket::shutdown_both, ec);
  deadline.cancel();
}

// --- background work on the main thread ---------------------------------------

void Gateway::wake_pollers() {
  resolve_tick_.cancel();
  health_tick_.cancel();
  migrations_tick_.cancel();
}

// Every kEvaluateEveryMs: the migrations' counters and rollback rules (migration_control.h).
Task<void> Gateway::watch_migrations() {
  Timer& t = migrations_tick_;
  while (!stopping_) {
    if (generation()->migrations.empty())
      t.expires_at(std::chrono::steady_clock::time_point::max());  // until a plan with one
    else
      t.expires_after(std::chrono::milliseconds(kEvaluateEveryMs));
    error_code ec;
    co_await t.async_wait(asio::redirect_error(use_task, ec));
    if (stopping_) break;
    migrations_->tick(*generation(), unix_ms_now(), [this](const std::string& line) { note(line); });
  }
}

// A new session ticket key when the rotation is due (ticket_keys.h), and no wake
// before: at least a second apart (a key that could not be made is tried again then),
// at most a day (a file's keys are never rotated here).
Task<void> Gateway::rotate_ticket_keys() {
  Timer t(main_io_);
  while (!stopping_) {
    t.expires_after(std::chrono::milliseconds(std::clamp<int64_t>(ticket_keys_.due_ms() - steady_ms(), 1000, 86'400'000)));
    error_code ec;
    co_await t.async_wait(asio::redirect_error(use_task, ec));
    if (stopping_) break;
    ticket_keys_.tick(steady_ms());
  }
}

// The plan's watch (plan_watch.h): an event, then kPlanSettle with no other, then the
// files' stamps decide. The settle is what keeps a file being written from being read
// half way (a write in place comes as several events).
Task<void> Gateway::watch_plan_files() {
  // The descriptor Asio waits on is a copy of the inotify descriptor: both read one
  // queue, and each closes its own.
  const int copy = plan_watch_.ok() ? ::fcntl(plan_watch_.fd(), F_DUPFD_CLOEXEC, 0) : -1;
  if (copy < 0) {
    note("the plan file " + config_.plan_path + " is polled every " + std::to_string(kPlanPoll.count()) +
         " ms: no inotify (" + (plan_watch_.ok() ? std::string("dup: ") + std::strerror(errno) : plan_watch_.error()) + ")");
    co_await poll_plan_files(kPlanPoll, "");
    co_return;
  }
  asio::co_spawn(main_io_, poll_plan_files(kPlanBackstop, "; seen by the periodic check"), asio::detached);
  asio::posix::stream_descriptor events(main_io_, copy);
  Timer settle(main_io_);
  while (!stopping_) {
    error_code ec;
    co_await events.async_wait(asio::posix::descriptor_base::wait_read, asio::redirect_error(use_task, ec));
    if (stopping_ || (ec && ec != asio::error::interrupted)) break;
    if (!plan_watch_.drain()) continue;
    do {
      settle.expires_after(kPlanSettle);
      co_await settle.async_wait(asio::redirect_error(use_task, ec));
    } while (!stopping_ && plan_watch_.drain());
    if (!stopping_) plan_files_changed(stamps_of(watched_), "", true);
  }
}

// A poll of the watched files every `every`: a change is looked at once it has been
// still for a poll. Without inotify, the watch; with it, the backstop for what inotify
// does not see (a network file system changed from another machine).
Task<void> Gateway::poll_plan_files(std::chrono::milliseconds every, const char* how) {
  Timer t(main_io_);
  std::vector<FileStamp> pending = seen_;
  while (!stopping_) {
    t.expires_after(every);
    error_code ec;
    co_await t.async_wait(asio::redirect_error(use_task, ec));
    if (stopping_) break;
    std::vector<FileStamp> now = stamps_of(watched_);
    const bool still = now == pending;
    pending = now;
    if (still) plan_files_changed(std::move(now), how, false);
  }
}

void Gateway::plan_files_changed(std::vector<FileStamp> now, const char* how, bool event) {
  // A refused reload is tried again at the next event, the files' stamps unchanged: a
  // routes file may have been refused for an `include` of a file not yet written, and
  // the event is that file's creation.
  if (now.size() != watched_.size() || (now == seen_ && !(event && refused_))) return;
  size_t first = 0;  // the first file that changed names the reload
  while (first < now.size() && now[first] == seen_[first]) ++first;
  seen_ = std::move(now);
  if (seen_[0].size < 0) {
    note("the plan file " + config_.plan_path + " is gone; the loaded plan keeps serving");
    return;
  }
  const std::string why = first == 0 ? "the plan file changed"
                          : first < watched_.size() ? "the included file " + watched_[first] + " changed"
                                                    : "a file beside the plan came or went";
  refused_ = !reload(why + how).empty();
}

Task<void> Gateway::re_resolve() {
  Timer& t = resolve_tick_;
  std::vector<int64_t> due;  // steady ms per upstream of the generation we last looked at
  uint64_t seen = 0;
  while (!stopping_) {
    bool names = false;  // a server named by a DNS name: something to re-resolve
    for (const auto& u : generation()->upstreams) names = names || u.endpoints->resolve_every_ms() > 0;
    if (names)
      t.expires_after(std::chrono::milliseconds(250));
    else
      t.expires_at(std::chrono::steady_clock::time_point::max());  // until a plan with one
    error_code ec;
    co_await t.async_wait(asio::redirect_error(use_task, ec));
    if (stopping_) break;
    auto g = generation();
    int64_t now = steady_ms();
    if (g->number != seen) {
      seen = g->number;
      due.assign(g->upstreams.size(), 0);
      for (size_t i = 0; i < g->upstreams.size(); ++i)
        if (int64_t every = g->upstreams[i].endpoints->resolve_every_ms(); every > 0) due[i] = now + every;
    }
    for (size_t i = 0; i < g->upstreams.size(); ++i) {
      EndpointSource& src = *g->upstreams[i].endpoints;
      if (src.resolve_every_ms() <= 0 || now < due[i]) continue;
      due[i] = now + src.resolve_every_ms();
      auto before = src.current();
      std::string problem = src.resolve();
      auto after = src.current();
      if (after != before) {
        std::string list;
        for (const auto& id : after->identities) list += (list.empty() ? "" : ", ") + id;
        note("upstream " + src.upstream() + " now resolves to " + (list.empty() ? "nothing" : list) +
             (problem.empty() ? "" : " (" + problem + ")"));
      }
    }
  }
}

void Gateway::shutdown(const char* why) {
  if (stopping_) return;
  stopping_ = true;
  note(std::string("shutting down (") + why + "): draining for up to " +
       std::to_string(config_.limits.drain_timeout_ms) + " ms");
  for (auto& w : workers_) w->begin_drain();
}

int Gateway::start(std::vector<ListenerInfo>& listeners) {
  if (config_.log_destination == config::LogDestination::Off) {
    log_fd_ = -1;  // no access log: every worker's AccessLog skips its lines
  } else if (config_.log_destination == config::LogDestination::Stdout) {
    log_fd_ = 1;
  } else if (config_.log_destination == config::LogDestination::File) {
    log_fd_ = ::open(config_.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd_ < 0) {
      std::cerr << "banyan: cannot open the log file '" << config_.log_file << "': " << strerror(errno) << "\n";
      return 2;
    }
  }

  if (!config_.shadow_diffs_file.empty()) {
    int fd = ::open(config_.shadow_diffs_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      std::cerr << "banyan: cannot open the shadow diffs file '" << config_.shadow_diffs_file << "': " << strerror(errno) << "\n";
      return 2;
    }
    migrations_->set_diffs_fd(fd);
  }

  const FileStamp before = stamp_of(config_.plan_path);  // before the load: a change during it is seen
  PlanLoad loaded = load_plan_or_routes(config_.plan_path);
  if (!loaded.diagnostics.empty()) std::cerr << loaded.diagnostics;
  if (!loaded.plan) {
    std::cerr << "banyan: " << loaded.error << "\n";
    return 1;
  }
  std::vector<config::ConfigError> errs = config::check_against_plan(config_, *loaded.plan, config_path_);
  if (!errs.empty()) {
    for (const auto& e : errs) std::cerr << config::render(e) << "\n";
    return 2;
  }
  std::string error;
  listeners = listeners_for(*loaded.plan, error);
  if (!error.empty()) {
    std::cerr << "banyan: " << error << "\n";
    return 1;
  }
  if (std::string why = migrations_->load(); !why.empty())
    note("migration state could not be read (" + why + "); migrations start afresh, and decisions are kept in memory");
  Prepared prepared =
      prepare_generation(std::move(loaded.plan), config_, nullptr, metrics_, *migrations_, caches_,
                         config_.plan_path, unix_ms_now());
  if (!prepared.generation) {
    std::cerr << "banyan: " << prepared.error << "\n";
    return 1;
  }
  if (!prepared.warnings.empty()) note(prepared.warnings.substr(0, prepared.warnings.size() - 1));
  prepared.generation->routes_source = std::move(loaded.source);
  watched_ = std::move(loaded.files);
  seen_ = stamps_of(watched_);
  seen_[0] = before;
  plan_watch_.watch(watched_);
  std::shared_ptr<const Generation> first = std::move(prepared.generation);
  if (tickets())
    if (std::string why = ticket_keys_.load(); !why.empty()) {
      std::cerr << "banyan: " << why << "\n";
      return 2;
    }
  tls_.store(make_tls_contexts(first, tickets(), config_.http2_tls, error));
  if (!error.empty()) {
    std::cerr << "banyan: " << error << "\n";
    return 1;
  }
  current_.store(std::move(first));
  seq_.store(1);
  return 0;
}

int Gateway::run() {
  std::vector<ListenerInfo> listeners;
  if (int status = start(listeners)) return status;

  std::optional<Acceptor> admin;
  try {
    check_listeners_free(listeners);
    for (uint32_t i = 0; i < config_.workers; ++i) {
      workers_.push_back(std::make_unique<Worker>(*this, i));
      workers_.back()->listen(listeners);
    }
    if (config_.admin) {
      tcp::endpoint ep(config_.admin->host.empty() ? asio::ip::address(asio::ip::address_v4::any())
                                                   : asio::ip::make_address(config_.admin->host),
                       config_.admin->port);
      admin.emplace(main_io_, ep, true);
    }
  } catch (const std::exception& e) {  // start-up, not the data plane: a bind failure is fatal and said plainly
    std::cerr << "banyan: cannot listen: " << e.what() << "\n";
    return 1;
  }

  asio::signal_set signals(main_io_, SIGHUP, SIGTERM, SIGINT);
  std::function<void(error_code, int)> on_signal = [&](error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload("SIGHUP");
      signals.async_wait(on_signal);
      return;
    }
    if (stopping_) {  // a second SIGTERM/SIGINT: stop now, whatever is in flight
      note("stopping now (second signal)");
      for (auto& w : workers_) w->stop();
      main_io_.stop();
      return;
    }
    shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
    signals.async_wait(on_signal);
    if (admin) admin->close(ec);
    // Drain: stop when every connection has closed or the deadline passes.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.limits.drain_timeout_ms);
    asio::co_spawn(
        main_io_,
        [this, deadline]() -> Task<void> {
          Timer t(main_io_);
          while (open_connections_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
            t.expires_after(std::chrono::milliseconds(20));
            error_code e;
            co_await t.async_wait(asio::redirect_error(use_task, e));
          }
          if (open_connections_.load() > 0)
            note("drain deadline passed with " + std::to_string(open_connections_.load()) + " connection(s) open; closing them");
          for (auto& w : workers_) w->stop();
          main_io_.stop();
        },
        asio::detached);
  };
  signals.async_wait(on_signal);

  for (auto& w : workers_) w->start();
  if (admin) asio::co_spawn(main_io_, admin_loop(*admin), asio::detached);
  asio::co_spawn(main_io_, watch_plan_files(), asio::detached);
  asio::co_spawn(main_io_, re_resolve(), asio::detached);
  asio::co_spawn(main_io_, watch_migrations(), asio::detached);
  if (tickets()) asio::co_spawn(main_io_, rotate_ticket_keys(), asio::detached);
  asio::co_spawn(main_io_, run_health_checks(*this, main_io_, health_tick_, stopping_), asio::detached);

  std::string where;
  for (const ListenerInfo& l : listeners)
    where += (where.empty() ? "" : ", ") + std::string(l.https ? "https://" : "http://") + config::to_string(l.bind) +
             " (" + l.plan_address + ")";
  if (where.empty()) where = "no listener (the routes file has no `listen`: no client can connect)";
  const std::string writers = ranges_text(config_.admin_write_from, "no one: read-only");
  const std::string readers = ranges_text(config_.admin_read_from, "no one");
  auto g = generation();
  note("serving " + g->source + " (" + std::to_string(g->plan->routes().size()) + " routes) on " + where + " with " +
       std::to_string(config_.workers) + " worker(s)" +
       (config_.admin ? "; admin on http://" + config::to_string(*config_.admin) + " (changes from " + writers +
                            "; the plan and the migrations shown to " + readers + ")"
                      : ""));

  main_io_.run();
  for (auto& w : workers_) w->join();
  note("stopped");
  return 0;
}

}  // namespace banyan::proxy
