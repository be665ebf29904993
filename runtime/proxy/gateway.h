// The gateway process: the serving generation, the workers, and the main thread's
// work (signals, the admin listener, plan reloads, DNS re-resolution, the plan-file
// watch). A reload loads and prepares the new plan here, off every worker's request
// path, and swaps one pointer; workers pick the new generation up at their next
// request, and requests in flight finish on the one they started with.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <utility>
#include <boost/asio/io_context.hpp>

#include "runtime/config/config.h"
#include "runtime/http/parse.h"
#include "runtime/proxy/generation.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/metrics.h"
#include "runtime/proxy/migration_control.h"
#include "runtime/proxy/plan_watch.h"
#include "runtime/proxy/ticket_keys.h"
#include "runtime/proxy/tls.h"
#include "runtime/proxy/worker.h"

namespace banyan::proxy {

// Admin connections answered at once; one more is closed as it is accepted. Each is one
// request, 8 KiB of head and 5 seconds at most, so this bounds what the admin listener
// holds (file descriptors the data plane needs too) when it is reachable from a network
// and flooded. A scrape, the CLI and a person need a few.
inline constexpr uint32_t kMaxAdminConnections = 16;

class Gateway {
 public:
  // `config_path` is for messages (empty when the configuration was made in memory).
  Gateway(config::GatewayConfig config, std::string config_path);
  ~Gateway();

  // Loads the plan, binds, serves until SIGTERM/SIGINT; the process's exit status.
  int run();
  // run()'s first part: opens the access log, loads, checks and prepares the first
  // plan, and says which listeners to open. 0, or the exit status after saying why on
  // stderr. Tests that drive workers without listening call it alone.
  int start(std::vector<ListenerInfo>& listeners);

  std::shared_ptr<const Generation> generation() const { return current_.load(std::memory_order_acquire); }
  // The TLS contexts of the serving plan (null without `tls` blocks); swapped with it.
  std::shared_ptr<const TlsContexts> tls() const { return tls_.load(std::memory_order_acquire); }
  uint64_t generation_seq() const { return seq_.load(std::memory_order_acquire); }
  const config::GatewayConfig& config() const { return config_; }
  Metrics& metrics() { return metrics_; }
  MigrationControl& migrations() { return *migrations_; }
  cache::Zones& caches() { return caches_; }
  const std::string& hostname() const { return hostname_; }
  int log_fd() const { return log_fd_; }
  bool log_json() const { return config_.log_format == config::LogFormat::Json; }
  std::atomic<uint32_t>& open_connections() { return open_connections_; }
  // The port clients reach the plan's https listener on in this environment (for
  // `redirect https`): 0 when the plan has none.
  uint16_t https_port() const { return https_port_; }

  // What a reload found, for the admin's answer: the compiler's diagnostics of a
  // refused routes file, and what the new plan changes (`banyanc diff`'s text).
  struct ReloadReport {
    std::string diagnostics;
    std::string changes;  // one line: "2 changes (1 destination, 1 policy)"
    std::string diff;     // the diff in full; empty for compiled plan files
  };
  // Loads, prepares and swaps in the plan file; "" on success, else why the old plan
  // stays. A dry run stops before preparing (nothing is resolved, recorded or
  // swapped) and only reports. Main thread only.
  std::string reload(const std::string& why, ReloadReport* report = nullptr, bool dry_run = false);
  // /plan: the serving plan in JSON.
  std::string plan_summary() const;
  // A line for the operator, on stderr (never in the access log).
  void note(const std::string& line) const;

 private:
  Task<void> admin_loop(Acceptor& acceptor);
  Task<void> admin_session(Socket socket);
  Task<void> watch_plan_files();
  Task<void> poll_plan_files(std::chrono::milliseconds every, const char* how);
  // Reloads when `now` (the stamps of watched_) differs from seen_, or after a refused
  // reload on an inotify `event`; `how` ends the reload's reason.
  void plan_files_changed(std::vector<FileStamp> now, const char* how, bool event);
  Task<void> re_resolve();
  Task<void> watch_migrations();
  Task<void> rotate_ticket_keys();
  const TicketKeys* tickets() const { return config_.tls_session_tickets ? &ticket_keys_ : nullptr; }
  // The admin's /migrations: GET lists them; POST /migrations/NAME/ACTION acts.
  int migrations_request(const http::RequestHead& head, std::string& body, std::string& type);
  // The admin's POST /cache/purge.
  int purge_request(const http::RequestHead& head, std::string& body, std::string& type);
  // The admin's POST /reload.
  int reload_request(const http::RequestHead& head, std::string& body);
  // Whether the admin answers the peer of `socket`: a change ([admin] write_from), or a
  // read of the plan or the migrations ([admin] read_from); else `body` says why.
  enum class Access { Change, Read };
  bool admits(const Socket& socket, const http::RequestHead& head, Access access, std::string& body);
  void shutdown(const char* why);
  std::vector<ListenerInfo> listeners_for(const plan::Plan& plan, std::string& error);

  config::GatewayConfig config_;
  std::string config_path_;
  Metrics metrics_;
  cache::Zones caches_;  // before the generations that hold its zones
  std::unique_ptr<MigrationControl> migrations_;
  std::atomic<std::shared_ptr<const Generation>> current_;
  std::atomic<std::shared_ptr<const TlsContexts>> tls_;
  TicketKeys ticket_keys_;
  std::atomic<uint64_t> seq_{0};
  std::atomic<uint32_t> open_connections_{0};
  std::string hostname_;
  int log_fd_ = 2;
  uint16_t https_port_ = 0;
  boost::asio::io_context main_io_{1};
  std::vector<std::unique_ptr<Worker>> workers_;
  bool stopping_ = false;
  uint32_t admin_open_ = 0;  // admin connections being answered (main thread)
  // The files the serving plan was read from (the plan file first, then a routes
  // file's includes), their stamps as last looked at, and their inotify watch.
  std::vector<std::string> watched_;
  std::vector<FileStamp> seen_;
  PlanWatch plan_watch_;
  bool refused_ = false;  // the watch's last reload was refused
  // The timers of the main thread's pollers that have nothing to do on some plans (no
  // DNS name to re-resolve, no health check, no migration): such a poller sleeps until
  // a new plan is swapped in (wake_pollers), so an idle gateway does not wake for them.
  Timer resolve_tick_{main_io_}, health_tick_{main_io_}, migrations_tick_{main_io_};
  void wake_pollers();
};

}  // namespace banyan::proxy
