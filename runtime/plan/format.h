// The plan format: what banyanc writes and the runtime loads. docs/plan-format.md
// describes it in words; this header is the definition.
//
// A plan is one little-endian byte string:
//
//   Header (64 bytes)  magic, format version, section count, XXH3-64 checksum of
//                      every byte from offset 24, file size, SHA-256 of the sources
//   Section table      kSectionCount entries {offset, count, record size}
//   Sections           arrays of the fixed-size records below, each 8-byte aligned
//
// Records are trivially copyable and refer to each other by index (uint32_t, kNone
// for "none") and to text by StrRef into the Strings section, where every distinct
// string is stored once. The loader (loader.h) checks every offset, count, index,
// enum and string before anything reads a record, so the matcher can index without
// checks. Version policy: a reader accepts [kMinVersion, kFormatVersion]; a plan from
// a newer compiler is refused by name, never half-read.
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>

namespace banyan::plan {

static_assert(std::endian::native == std::endian::little, "plans are little-endian; this host is not");

inline constexpr char kMagic[8] = {'B', 'A', 'N', 'Y', 'A', 'N', 'P', 'L'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint32_t kMinVersion = 1;
inline constexpr uint32_t kNone = 0xFFFFFFFFu;
inline constexpr uint64_t kChecksumFrom = 24;  // the checksum covers [24, file_size)

// Budgets the loader enforces (a plan beyond them is refused, whatever its checksum).
inline constexpr uint64_t kMaxPlanBytes = 1ULL << 30;  // 1 GiB
inline constexpr uint32_t kMaxCaptures = 16;           // `:param`/`*` captured per glob
// An RE2 program larger than this is refused: by the checker (B0405), so one route
// cannot dominate the matcher, and by the loader, since banyanc never writes one.
inline constexpr int kMaxRegexProgramSize = 2000;

struct StrRef {
  uint32_t offset = 0;
  uint32_t length = 0;
};

// A slice of another section: records [first, first + count).
struct Slice {
  uint32_t first = 0;
  uint32_t count = 0;
};

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t section_count;  // kSectionCount
  uint64_t checksum;       // XXH3-64 (libxxhash) of bytes [24, file_size)
  uint64_t file_size;
  uint8_t source_sha256[32];
};
static_assert(sizeof(Header) == 64);

enum class Section : uint32_t {
  Strings,        // bytes
  StrLists,       // StrRef: method lists, cache keys
  U32Lists,       // uint32_t: statuses, candidate lists, split lists
  Listeners,
  Tls,
  Upstreams,
  Servers,
  Caches,
  Sites,
  Hosts,
  Nodes,
  Candidates,
  Routes,
  GlobSegments,
  ValueTests,
  HeaderOps,
  CachePolicies,
  CacheValids,
  Migrations,
  MovePatterns,
  ShiftSteps,
  Count
};
inline constexpr uint32_t kSectionCount = static_cast<uint32_t>(Section::Count);

struct SectionEntry {
  uint32_t offset;       // from the start of the plan, a multiple of 8
  uint32_t count;        // records
  uint32_t record_size;  // must equal the reader's sizeof(record)
  uint32_t reserved;
};

enum class Scheme : uint8_t { Http, Https };

struct Listener {
  StrRef address;  // as written: ":80", "127.0.0.1:8443"
  uint16_t port;
  Scheme scheme;
  uint8_t redirect_https;    // 0 or 1
  uint16_t redirect_status;  // 301, 302, 307, 308
  uint16_t pad;
};

enum class TlsVersion : uint8_t { V1_0, V1_1, V1_2, V1_3 };

struct Tls {
  StrRef name;
  StrRef certificate;  // an absolute path
  StrRef key;
  StrRef ciphers;      // OpenSSL cipher list; empty: OpenSSL's defaults
  TlsVersion min_version;
  TlsVersion max_version;
  uint8_t hsts_include_subdomains;
  uint8_t hsts_preload;
  uint32_t pad;
  int64_t hsts_max_age_ms;  // -1: no HSTS
};

enum class Balance : uint8_t { RoundRobin, LeastConn, PowerOfTwo, Random, Hash };
enum class HashSource : uint8_t { None, Header, Cookie, ClientIp };

struct Upstream {
  StrRef name;
  Slice servers;  // Servers
  Balance balance;
  HashSource hash_source;
  uint8_t has_health;
  uint8_t has_passive_health;
  uint32_t pad;
  StrRef hash_key;       // header or cookie name
  StrRef sticky_cookie;  // empty: no sticky sessions
  int64_t sticky_ttl_ms;     // -1: a session cookie
  int64_t connect_timeout_ms;  // -1: the runtime's default
  int64_t read_timeout_ms;     // -1: the runtime's default
  int32_t retries;             // -1: the runtime's default
  int32_t keepalive;           // -1: the runtime's default
  int64_t resolve_every_ms;    // 0: resolve once
  StrRef health_method;
  StrRef health_path;
  int64_t health_interval_ms;
  int64_t health_timeout_ms;
  Slice health_expect;  // U32Lists: statuses; empty: 2xx and 3xx
  int32_t health_fails;
  int32_t health_passes;
  int32_t passive_failures;
  uint32_t pad2;
  int64_t passive_window_ms;
  int64_t passive_cooldown_ms;
};

struct Server {
  StrRef host;  // a DNS name or an IP literal (IPv6 without brackets)
  uint16_t port;
  uint8_t backup;
  uint8_t pad;
  uint32_t weight;
  int32_t max_conns;  // -1: no limit
  uint32_t pad2;
};

struct Cache {
  StrRef name;
  StrRef disk_path;  // empty: memory only
  uint64_t memory_bytes;
  uint64_t disk_bytes;
  uint64_t max_entry_bytes;  // 0: the runtime's default
  int64_t inactive_ms;       // -1: the runtime's default
};

struct Site {
  Slice routes;        // Routes, in source order
  uint32_t root_node;  // Nodes: the trie root (literal "")
  uint32_t tls;        // Tls or kNone
  Slice regex_routes;  // U32Lists: the site's regex routes, for its RE2::Set
  StrRef name;         // its first host as written, for messages
};

enum class HostKind : uint8_t { Exact, Wildcard, Default };

struct Host {
  StrRef name;  // lower-case; a wildcard is stored as its suffix ".example.com"
  uint32_t site;
  HostKind kind;
  uint8_t pad[3];
};

// The decision tree: a radix trie over the routes' literal prefixes. A node's literal
// is its parent's plus `label`; `candidates` are the routes whose literal prefix is
// exactly the node's literal, greatest rank first (route_model.h defines the rank).
struct Node {
  StrRef label;        // bytes from the parent's literal to this node's
  uint32_t parent;     // kNone at the root
  uint32_t depth;      // the length of this node's literal
  Slice children;      // Nodes, sorted by the first byte of their label
  Slice candidates;    // Candidates
  // The label's first kNodeHead bytes, zero-padded: the walk compares labels this
  // long without leaving the node (head[0] orders the children).
  char head[16];
};
inline constexpr uint32_t kNodeHead = 16;

enum class PathKind : uint8_t { Fallback, Regex, Glob, Prefix, Exact };  // route_model.h's PathClass

// A route as a trie node lists it: what the lookup needs to decide without reading
// the route's record (which only the winner's lookup touches, unless the route has a
// glob, regex or predicates to test).
struct Candidate {
  uint32_t route;
  PathKind kind;           // the route's
  uint8_t has_predicates;  // the route has methods or value tests
  uint8_t pad[2];
};
enum class ActionKind : uint8_t { Proxy, Redirect, Respond };

struct Source {
  StrRef file;
  uint32_t line;
  uint32_t column;
};

struct Route {
  uint32_t site;
  PathKind path_kind;
  uint8_t allow_upgrade;
  ActionKind action;
  uint8_t compress;  // bit 0 gzip, bit 1 brotli
  StrRef pattern;    // path, glob or regex source
  StrRef literal;    // the literal prefix
  Slice glob;        // GlobSegments
  Slice methods;     // StrLists; empty: any method
  Slice tests;       // ValueTests
  uint32_t upstream;         // Proxy: Upstreams
  uint16_t status;           // Redirect, Respond
  uint16_t has_rewrite;
  StrRef target;             // Redirect target or Respond body (a template)
  StrRef rewrite;            // a template
  Slice request_headers;     // HeaderOps
  Slice response_headers;    // HeaderOps
  uint32_t cache_policy;     // CachePolicies or kNone
  int32_t retries;           // -1: the upstream's
  int64_t connect_timeout_ms;  // -1: the upstream's
  int64_t read_timeout_ms;     // -1: the upstream's
  uint64_t max_body_bytes;     // 0: the runtime's default
  Slice splits;              // U32Lists: migrations that may move this route's requests
  Source source;
};

enum class SegmentKind : uint8_t { Literal, Param, Star, DoubleStar };

struct GlobSegment {
  StrRef text;  // literal text, or the parameter name
  SegmentKind kind;
  uint8_t pad[3];
};

enum class TestWhere : uint8_t { Header, Cookie, Query };
enum class TestMatch : uint8_t { Present, Equals, Prefix, Regex };

struct ValueTest {
  StrRef name;   // header names lower-case
  StrRef value;
  TestWhere where;
  TestMatch match;
  uint8_t pad[6];
};

enum class HeaderOpKind : uint8_t { Set, Remove };

struct HeaderOp {
  StrRef name;
  StrRef value;  // a template
  HeaderOpKind kind;
  uint8_t pad[7];
};

// Stale conditions, as bits of CachePolicy::stale.
enum StaleBit : uint32_t {
  kStaleError = 1, kStaleTimeout = 2, kStaleUpdating = 4, kStaleHttp5xx = 8,
  kStaleHttp500 = 16, kStaleHttp502 = 32, kStaleHttp503 = 64, kStaleHttp504 = 128
};

struct CachePolicy {
  uint32_t zone;      // Caches
  uint32_t stale;     // StaleBit
  Slice valid;        // CacheValids
  Slice key;          // StrLists: templates; empty: the default key
  uint8_t allow_authorized;
  uint8_t pad[7];
};

struct CacheValid {
  Slice statuses;  // U32Lists; empty: any status
  int64_t ttl_ms;
};

enum class BucketSource : uint8_t { Cookie, Header, Query, ClientIp, RequestId };
enum class Metric : uint8_t { ErrorRate, LatencyP50, LatencyP99, Status5xxRate };
enum class Comparator : uint8_t { Greater, Less, GreaterEqual, LessEqual };

// Parts of a shadowed response to compare, as bits.
enum CompareBit : uint8_t { kCompareStatus = 1, kCompareHeaders = 2, kCompareBody = 4 };

struct Migration {
  StrRef name;
  StrRef on_host;           // empty: every host
  uint32_t from;            // Upstreams
  uint32_t to;              // Upstreams
  Slice moves;              // MovePatterns
  Slice steps;              // ShiftSteps; empty: shadow only
  int64_t start_ms;         // Unix ms; -1: when the runtime first loads the plan
  int64_t shadow_duration_ms;  // -1: shadow without end (or no shadow)
  uint32_t shadow_basis_points;  // 0: no shadow
  BucketSource bucket;
  uint8_t compare;          // CompareBit
  uint8_t allow_unsafe_methods;
  uint8_t has_rollback;
  StrRef bucket_key;
  Metric rollback_metric;
  Comparator rollback_comparator;
  uint8_t rollback_relative;  // compared with the `from` upstream's value
  uint8_t pad;
  uint32_t pad2;
  int64_t rollback_threshold;  // basis points (rates) or ms (latencies); may be negative when relative
  int64_t rollback_window_ms;
};

// A `move` path pattern: the same matching as a route's path.
struct MovePattern {
  StrRef pattern;
  Slice glob;  // GlobSegments
  PathKind kind;
  uint8_t pad[7];
};

struct ShiftStep {
  uint32_t basis_points;
  uint8_t hold;
  uint8_t pad[3];
  int64_t duration_ms;  // 0 on a hold step and on the last
};

// No record has padding the compiler inserted, so equal plans are equal bytes.
template <typename... T>
inline constexpr bool kPlainRecords = ((std::is_trivially_copyable_v<T> && std::has_unique_object_representations_v<T>) && ...);
static_assert(kPlainRecords<Header, SectionEntry, StrRef, Slice, Listener, Tls, Upstream, Server, Cache, Site, Host, Node,
                            Candidate, Route, GlobSegment, ValueTest, HeaderOp, CachePolicy, CacheValid, Migration, MovePattern,
                            ShiftStep>);

}  // namespace banyan::plan
