// Banyan's own syntax tree: plain structs, each carrying the source range it came
// from. Built from the ANTLR parse tree by compiler/parse/build_ast.cpp; nothing here
// knows ANTLR. Values are already typed (durations in ms, sizes in bytes, percentages
// in basis points); names are not yet resolved (compiler/sema/ does that).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/source/source_file.h"

namespace banyan::ast {

using source::SourceRange;

struct Name {
  std::string text;
  SourceRange range;
};

struct Duration {
  int64_t ms = 0;
  SourceRange range;
};

struct Size {
  uint64_t bytes = 0;
  SourceRange range;
};

// 0..10000 basis points (so 1% is 100, 0.5% is 50): exact in integers.
struct Percent {
  uint32_t basis_points = 0;
  SourceRange range;
};

struct Int {
  int64_t value = 0;
  SourceRange range;
};

struct Text {  // a string literal, unquoted and unescaped, or a bare word or path
  std::string text;
  SourceRange range;
};

// A header value or redirect target: literal text with `$variables` inside.
struct Template {
  std::string text;  // as written, unescaped
  std::vector<Name> variables;  // each `$name` found in it, name without the '$'
  SourceRange range;
};

enum class Scheme { Http, Https };

struct Listen {
  Scheme scheme = Scheme::Http;
  Text address;  // ":80", "127.0.0.1:8443", "[::1]:443"
  uint16_t port = 0;
  std::optional<Int> redirect_https;  // status of the redirect to https (default 308)
  SourceRange range;
};

enum class TlsVersion { V1_0, V1_1, V1_2, V1_3 };

struct TlsVersionRef {
  TlsVersion version = TlsVersion::V1_2;
  SourceRange range;
};

struct Tls {
  Name name;
  std::optional<Text> certificate;
  std::optional<Text> key;
  std::optional<TlsVersionRef> min_version;
  std::optional<TlsVersionRef> max_version;
  std::vector<TlsVersionRef> protocols;  // nginx-style explicit list
  std::optional<Text> ciphers;
  std::optional<Duration> hsts_max_age;
  bool hsts_include_subdomains = false;
  bool hsts_preload = false;
  std::vector<Name> allow;  // opt-ins: legacy_protocols
  SourceRange range;
};

struct Server {
  Text address;  // "image-gallery:80": a DNS name or IP literal with a port
  std::string host;
  uint16_t port = 0;
  Int weight{1, {}};
  bool backup = false;
  std::optional<Int> max_conns;
  SourceRange range;
};

enum class BalanceKind { RoundRobin, LeastConn, PowerOfTwo, Random, Hash };
enum class HashSource { None, Header, Cookie, ClientIp };

struct Balance {
  BalanceKind kind = BalanceKind::RoundRobin;
  HashSource hash_source = HashSource::None;
  Text hash_key;  // header or cookie name
  SourceRange range;
};

struct HealthCheck {
  std::string method = "GET";
  Text path;
  Duration interval{5000, {}};
  Duration timeout{2000, {}};
  std::vector<Int> expect;  // statuses counted healthy; empty: 2xx and 3xx
  Int fails{3, {}};
  Int passes{2, {}};
  SourceRange range;
};

struct Sticky {
  Text cookie;
  std::optional<Duration> ttl;
  SourceRange range;
};

struct PassiveHealth {
  Int failures;
  Duration window;
  Duration cooldown;
  SourceRange range;
};

// `protocol http1 | h2c`: how the gateway speaks to the servers (h2c: HTTP/2 with prior
// knowledge, as gRPC servers take it).
struct UpstreamProtocol {
  enum class Kind { Http1, H2c } kind = Kind::Http1;
  SourceRange range;
};

struct Upstream {
  Name name;
  std::vector<Server> servers;
  std::optional<Balance> balance;
  std::optional<HealthCheck> health;
  std::optional<Sticky> sticky;
  std::optional<Duration> connect_timeout;
  std::optional<Duration> read_timeout;
  std::optional<Int> retries;
  std::optional<Duration> resolve_every;
  std::optional<Int> keepalive;
  std::optional<UpstreamProtocol> protocol;  // absent: HTTP/1.1
  std::optional<PassiveHealth> passive_health;
  SourceRange range;
};

struct CacheZone {
  Name name;
  std::optional<Size> memory;
  std::optional<Text> disk_path;
  std::optional<Size> disk_size;
  std::optional<Size> max_entry;
  std::optional<Duration> inactive;
  SourceRange range;
};

enum class PathKind { Exact, Prefix, Glob, Regex };

struct PathMatcher {
  PathKind kind = PathKind::Prefix;
  std::string pattern;  // the path, glob or regex source as written (regex unquoted)
  SourceRange range;
};

enum class ValueMatchKind { Present, Equals, Prefix, Regex };

// header "X-Beta" = "1", cookie "session", query "v" ~ "^2"
struct Predicate {
  enum class Kind { Header, Cookie, Query } kind = Kind::Header;
  Text name;
  ValueMatchKind match = ValueMatchKind::Present;
  Text value;
  SourceRange range;
};

struct HeaderOp {
  enum class Kind { Set, Remove } kind = Kind::Set;
  Text name;
  Template value;
  SourceRange range;
};

enum class StaleCondition { Error, Timeout, Updating, Http5xx, Http500, Http502, Http503, Http504 };

struct CacheValid {
  std::vector<Int> statuses;  // empty means `any`
  Duration ttl;
  SourceRange range;
};

struct CachePolicy {
  Name zone;
  std::vector<CacheValid> valid;
  std::vector<StaleCondition> stale;
  std::optional<SourceRange> stale_range;
  std::vector<Template> key;
  std::vector<Name> allow;  // opt-ins: authorized
  SourceRange range;
};

enum class ActionKind { None, Proxy, Redirect, Respond };

struct Action {
  ActionKind kind = ActionKind::None;
  Name upstream;        // Proxy
  Int status;           // Redirect (default 302) and Respond
  Template target;      // Redirect target, Respond body
  SourceRange range;
};

enum class Compression { Gzip, Brotli };

struct Route {
  PathMatcher path;
  std::vector<Name> methods;  // empty: any method
  std::vector<Predicate> predicates;
  Action action;
  std::vector<Action> extra_actions;  // any action past the first (an error, kept for notes)
  std::optional<Text> rewrite;
  std::vector<HeaderOp> request_headers;
  std::vector<HeaderOp> response_headers;
  std::optional<CachePolicy> cache;
  std::vector<Compression> compress;
  std::optional<Duration> connect_timeout;
  std::optional<Duration> read_timeout;
  std::optional<Int> retries;
  std::optional<Size> max_body;
  std::vector<Name> allow;  // opt-ins: upgrade
  SourceRange range;
};

struct HostPattern {
  bool is_default = false;
  std::string host;  // lower-cased; "*.example.com" for a wildcard
  SourceRange range;
};

struct Site {
  std::vector<HostPattern> hosts;
  std::optional<Name> tls;
  std::vector<Route> routes;
  SourceRange range;
};

struct ShiftStep {
  Percent percent;
  std::optional<Duration> duration;  // absent on the last step
  bool hold = false;
  SourceRange range;
  bool duration_written = false;     // `for X` was written, even when X did not parse
};

enum class BucketSource { Cookie, Header, Query, ClientIp, RequestId };

struct Migration {
  Text name;
  std::vector<PathMatcher> paths;
  std::optional<Text> on_host;
  Name from;
  Name to;
  SourceRange move_range;
  std::optional<Percent> shadow_percent;
  std::optional<Duration> shadow_duration;
  std::vector<Name> shadow_compare;  // status, headers, body
  std::vector<Text> shadow_ignore;   // header names left out of the headers comparison
  SourceRange shadow_range;
  std::vector<ShiftStep> shift;
  SourceRange shift_range;
  BucketSource bucket = BucketSource::ClientIp;
  Text bucket_key;
  SourceRange bucket_range;
  struct Rollback {
    Name metric;           // error_rate, latency_p99, ...
    std::string comparator;  // > < >= <=
    std::optional<Name> baseline;  // `monolith +`: relative to the from-upstream
    char sign = '+';
    std::string threshold_text;  // as written: 1%, 500ms, 3
    SourceRange threshold_range;
    Duration window;
    SourceRange range;
  };
  std::optional<Rollback> rollback;
  // `testers header "NAME" "VALUE"` (or cookie): a request carrying it goes to the new
  // upstream whatever the share, for testing the new side before users see it.
  struct Testers {
    bool cookie = false;  // else a header
    Text name, value;
    SourceRange range;
  };
  std::optional<Testers> testers;
  std::optional<Text> start;
  std::vector<Name> allow;  // opt-ins: unsafe_methods
  SourceRange range;
};

struct Include {
  Text path;
  SourceRange range;
};

// One routes file after includes are spliced in: declarations keep the ranges of the
// file they were written in.
struct File {
  std::vector<Include> includes;
  std::vector<Listen> listens;
  std::vector<Tls> tls;
  std::vector<Upstream> upstreams;
  std::vector<CacheZone> caches;
  std::vector<Site> sites;
  std::vector<Migration> migrations;
};

}  // namespace banyan::ast
