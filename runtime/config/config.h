// The gateway's TOML configuration: it binds a plan (the same in every environment)
// to one environment: where the plan's listeners bind, how many workers, the admin
// address, logging, per-environment upstream servers, and the named limits. The
// schema is in docs/gateway-config.md.
//
// Parsing never throws and never stops at the first mistake: every error found is
// returned, each with the file, line, column and dotted key, like the compiler's
// diagnostics. The file is untrusted input: it has a size budget (kMaxConfigBytes)
// and toml++ bounds nesting.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/config/cidr.h"

namespace banyan::plan {
class Plan;
}

namespace banyan::config {

// A configuration is a few hundred bytes; a megabyte is a mistake (a plan or a log
// named as the config), refused before toml++ sees it.
inline constexpr size_t kMaxConfigBytes = 1 << 20;

struct HostPort {
  std::string host;  // a DNS name or an IP literal (IPv6 without brackets); empty: every interface
  uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};

// One `[listen]` entry: the plan's listener, by the address written in the routes
// file, and where it binds in this environment.
struct ListenBinding {
  std::string plan_address;  // ":80"
  HostPort bind;             // 127.0.0.1:8080
  uint32_t line = 0, column = 0;
};

// `[upstreams.NAME]`: these servers replace the plan's for NAME.
struct UpstreamOverride {
  std::string name;
  std::vector<HostPort> servers;            // at least one
  std::optional<int64_t> resolve_every_ms;  // re-resolve DNS names this often
  uint32_t line = 0, column = 0;
};

enum class LogFormat : uint8_t { Json, Text };
// Off: no access log at all (the lines are not even formatted), as the peers of the
// shared benchmark harness run.
enum class LogDestination : uint8_t { Stderr, Stdout, File, Off };

// One `[errors] show_details` entry: a plan listener (by the address written in the
// routes file, like a `[listen]` key) whose clients get error details.
struct ListenerRef {
  std::string plan_address;  // ":80"
  uint32_t line = 0, column = 0;
};

// Named limits. The defaults follow nginx (and Envoy where nginx has none); the
// reason for each is in docs/gateway-config.md.
struct Limits {
  uint64_t request_line = 8 << 10;     // nginx large_client_header_buffers: 8k
  uint64_t header_bytes = 32 << 10;    // nginx: 4 buffers of 8k
  uint32_t header_count = 100;         // Envoy max_headers_count
  uint64_t body = 1 << 20;             // nginx client_max_body_size: 1m (when a route sets none)
  int64_t header_timeout_ms = 60'000;  // nginx client_header_timeout
  int64_t body_timeout_ms = 60'000;    // nginx client_body_timeout (between two reads)
  int64_t idle_timeout_ms = 75'000;    // nginx keepalive_timeout
  int64_t drain_timeout_ms = 30'000;   // SIGTERM: requests in flight get this long (Envoy drain_time_s is 600; k8s grace 30s)
  uint32_t connections = 10'000;       // open client connections, whole gateway
};

inline constexpr uint32_t kMaxWorkers = 256;
// More concurrent streams per HTTP/2 connection than this is a configuration mistake
// (each is an exchange with its buffers); nginx's default is 128.
inline constexpr uint32_t kMaxHttp2Streams = 1024;

// 127.0.0.0/8 and ::1/128: this machine.
std::vector<Cidr> loopback_ranges();

struct GatewayConfig {
  std::string plan_path;              // resolved against the config file's directory
  uint32_t workers = 1;               // default: the hardware threads (1 when unknown), at most kMaxWorkers
  std::vector<ListenBinding> listen;  // sorted by plan_address
  std::optional<HostPort> admin;      // absent: no admin listener
  // `[admin] write_from`: the peers whose changes the admin listener takes (POST /reload,
  // /cache/purge, /migrations/NAME/ACTION); anyone who reaches it may read. The API has
  // no authentication, and an admin address on every interface (for a Prometheus in
  // another pod) must not also let the network reload, purge or promote.
  std::vector<Cidr> admin_write_from = loopback_ranges();  // in file order, each once
  // `[admin] read_from`: the peers that may read the plan and the migrations (GET /plan,
  // /migrations and below: upstream addresses, every route, excerpts of shadowed
  // responses). /metrics and /healthz answer anyone who reaches the address.
  std::vector<Cidr> admin_read_from = loopback_ranges();
  LogFormat log_format = LogFormat::Json;
  LogDestination log_destination = LogDestination::Stderr;
  std::string log_file;                     // when File: resolved against the config file's directory
  std::string shadow_diffs_file;            // `[log] shadow_diffs`: each shadow mismatch appended as a JSON line
  std::vector<UpstreamOverride> upstreams;  // sorted by name
  // A hosts(5)-format file consulted before DNS, re-read on every resolution: names
  // this environment maps itself (and the tests' way to move a name between addresses).
  std::string hosts_file;
  // `[state] dir`: where migration progress and decisions are kept across restarts
  // (runtime/proxy/state_store.h); empty: in memory only.
  std::string state_dir;
  // TLS 1.3 session tickets (resumption without a shared cache), as nginx's
  // ssl_session_tickets: on unless this environment turns them off (replicas that do
  // not share a ticket key gain little from them).
  bool tls_session_tickets = true;
  std::string tls_ticket_key_file;                  // `[tls] ticket_key_file`: a fleet's keys; empty: random, rotated
  int64_t tls_ticket_key_rotation_ms = 3600 * 1000;  // `[tls] ticket_key_rotation`
  // `[errors] show_details`: the listeners whose clients get the details of an error
  // the gateway answers itself (upstream name and address, the cause, the route and
  // its file:line), for development. Every other client gets a short phrase, the
  // status and the request id: the details name internal addresses and paths.
  std::vector<ListenerRef> show_error_details;  // in file order, each once
  // `[clients]`: who may tell the gateway the client's address (docs/gateway-config.md,
  // "The client's address"). A peer in `trusted_proxies` has its X-Forwarded-For read
  // from the right; a listener in `proxy_protocol` reads a PROXY protocol header first.
  std::vector<Cidr> trusted_proxies;    // in file order, each once
  bool proxy_protocol_everywhere = false;     // proxy_protocol = true
  std::vector<ListenerRef> proxy_protocol;    // proxy_protocol = [":80"]: these listeners only
  // `[http2]`: https listeners offer HTTP/2 by ALPN unless `tls = false`; a plain
  // listener speaks it only to clients with prior knowledge, and only when listed in
  // `prior_knowledge` (h2c; there is no Upgrade: h2c). Each stream is an exchange.
  bool http2_tls = true;
  std::vector<ListenerRef> http2_prior_knowledge;
  uint32_t http2_max_streams = 128;  // SETTINGS_MAX_CONCURRENT_STREAMS (nginx http2_max_concurrent_streams)
  Limits limits;

  // Whether the plan listener `plan_address` reads a PROXY protocol header first.
  bool uses_proxy_protocol(std::string_view plan_address) const;
  // Whether the plain listener `plan_address` takes HTTP/2 with prior knowledge.
  bool takes_h2c(std::string_view plan_address) const;
  // Whether clients of the plan listener `plan_address` (":80") get error details.
  bool shows_error_details(std::string_view plan_address) const;
};

struct ConfigError {
  std::string file;
  uint32_t line = 0, column = 0;  // 0: the error is about the file as a whole
  std::string key;                // dotted, e.g. "limits.header_timeout"; empty for syntax errors
  std::string message;
};
// "gateway.toml:12:3: limits.header_timeout: must be ..." (parts that are unknown are left out).
std::string render(const ConfigError& e);

struct LoadedConfig {
  std::optional<GatewayConfig> config;  // set exactly when errors is empty
  std::vector<ConfigError> errors;      // in file order
};

// Reads and parses the file; relative paths inside are resolved against its directory.
LoadedConfig load_config(const std::string& path);
// The same on text in memory; `name` is the file's path (for messages and resolving).
LoadedConfig parse_config(std::string_view text, const std::string& name);

// What parsing alone cannot know: every `[listen]` key is a listener of the plan and
// every listener of the plan is bound; every `[upstreams.X]` names an upstream of it;
// every `[errors] show_details`, `[clients] proxy_protocol` and `[http2] prior_knowledge`
// entry is a listener of it.
std::vector<ConfigError> check_against_plan(const GatewayConfig& config, const plan::Plan& plan,
                                            const std::string& file);

// "host:port", "[v6]:port", and (when `host_optional`) ":port"; port 1..65535.
// Returns the error in words, or nullopt when `out` is set.
std::optional<std::string> parse_host_port(std::string_view text, bool host_optional, HostPort& out);
// For messages: "127.0.0.1:8080", "[::1]:8080", ":8080".
std::string to_string(const HostPort& a);

}  // namespace banyan::config
