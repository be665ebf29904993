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
#include <span>
#include <string_view>
#include <type_traits>

namespace banyan::plan {

static_assert(std::endian::native == std::endian::little, "plans are little-endian; this host is not");

inline constexpr char kMagic[8] = {'B', 'A', 'N', 'Y', 'A', 'N', 'P', 'L'};
// Version 2: the decision tree branches on every path segment (Nodes, NodeKeys,
// Entries, ChildSlots and CaptureRefs replace version 1's byte trie and its candidate
// lists). Version 3: the plan carries its routes sources (Sources), so `banyanc diff`
// reads a plan as it reads a routes file. Version 4: a migration's `testers`. Version
// 5: the header names a shadow's comparison ignores. Version 6: a shadow may compare
// bodies as JSON and leave out the old side's noise (two more CompareBits; a version 5
// plan has neither, so it is still read). Version 7: an upstream's `protocol` (h2c) in
// what was padding (a version 5 or 6 plan has zero there: HTTP/1.1). Version 8: a node
// names what a lookup reads after its own entries (Node::prefetch_node, in what was
// padding; a version 5 to 7 plan has zero there, and is still read). Older plans are
// refused with "recompile the routes".
inline constexpr uint32_t kFormatVersion = 8;
inline constexpr uint32_t kMinVersion = 5;
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
  NodeKeys,
  Entries,
  ChildSlots,
  CaptureRefs,
  Routes,
  GlobSegments,
  ValueTests,
  HeaderOps,
  CachePolicies,
  CacheValids,
  Migrations,
  MovePatterns,
  ShiftSteps,
  Sources,
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
enum class Protocol : uint8_t { Http1, H2c };  // how the gateway speaks to an upstream's servers

struct Upstream {
  StrRef name;
  Slice servers;  // Servers
  Balance balance;
  HashSource hash_source;
  uint8_t has_health;
  uint8_t has_passive_health;
  Protocol protocol;  // format 7; 0 (Http1) in older plans
  uint8_t pad[3];
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
  StrRef disk_path;  // empty: memory only; else an absolute path (from the routes file's directory)
  uint64_t memory_bytes;
  uint64_t disk_bytes;
  uint64_t max_entry_bytes;  // 0: the runtime's default
  int64_t inactive_ms;       // -1: the runtime's default
};

struct Site {
  Slice routes;        // Routes, in source order
  uint32_t root_node;  // Nodes: the root of the site's decision tree
  uint32_t tls;        // Tls or kNone
  StrRef name;         // its first host as written, for messages
};

enum class HostKind : uint8_t { Exact, Wildcard, Default };

struct Host {
  StrRef name;  // lower-case; a wildcard is stored as its suffix ".example.com"
  uint32_t site;
  HostKind kind;
  uint8_t pad[3];
};

enum class PathKind : uint8_t { Fallback, Regex, Glob, Prefix, Exact };  // route_model.h's PathClass

// The decision tree of a site (docs/plan-format.md, "The decision tree"): one node per
// path segment a route's pattern names. The root stands for the empty path; a Literal
// node for one more segment equal to its label; a Param node for one more non-empty
// segment (`:name` and `*`); a Rest node for the rest of the path (`**`), so it is a
// leaf. A node's literal children are tried first (the one whose label is the
// request's next segment), then its entries in order; an entry is a route to test or
// a Param or Rest child to descend into. Finished with a node, the lookup returns to
// its parent's entries at `resume`. The emitter orders entries so that this walk
// meets routes in rank order (route_model.h), and the first that matches wins.
enum class NodeKind : uint8_t { Root, Literal, Param, Rest };

// A wide node's literal children by hash and displace (child_table.h), kept inside
// the node so a lookup reads no other record to find them: with h the label's hash
// under `seed`, d = U32Lists[displacements + bucket(h)], the child is in
// ChildSlots[slots + ((h ^ d) mod 2^slot_bits)], or no child has the label.
struct ChildTable {
  uint32_t seed;
  uint32_t displacements;  // U32Lists: the first of 2^bucket_bits
  uint32_t slots;          // ChildSlots: the first of 2^slot_bits
  uint8_t bucket_bits;
  uint8_t slot_bits;
  uint8_t present;         // 0: no table (at most kMaxScannedChildren children)
  uint8_t pad;
};
static_assert(sizeof(ChildTable) == 16);

struct Node {
  uint32_t parent;  // kNone at the root
  // Where the parent's entries continue once this node is done: 0 for a literal
  // child (the parent's entries have not been tried yet), else the position after
  // the parent's entry that leads here.
  uint32_t resume;
  Slice children;    // Nodes: the literal children, adjacent, sorted by (label length, label bytes)
  Slice entries;     // Entries, in the order the lookup tries them
  ChildTable table;  // the children by perfect hash, when there are more than kMaxScannedChildren
  NodeKind kind;
  uint8_t pad[3];
  // What the walk reads next when no literal child takes the path's next segment: the
  // node its first Subtree entry enters (itself when it has none) and that node's first
  // entry, named here so both are fetched while this node's entries are tested. Only a
  // prefetch: the walk is correct whatever they say (the loader still checks them).
  // Zero in a plan older than version 8.
  uint32_t prefetch_entries;
  // A node with exactly one literal child keeps that child's head and label length
  // here (zero otherwise), so testing it reads no other record.
  uint64_t only_head;
  uint32_t only_length;
  uint32_t prefetch_node;
};
// One cache line: the Nodes section starts on a 64-byte boundary (kNodeAlign), so a
// node's fields never span two lines.
static_assert(sizeof(Node) == 64);
inline constexpr uint32_t kNodeAlign = 64;

// A node's label, kept beside the nodes (NodeKeys[i] is node i's): the length and
// first 8 bytes decide a comparison without the string table.
struct NodeKey {
  uint64_t head;  // the label's first 8 bytes, zero-padded, loaded little-endian
  StrRef label;   // Literal nodes: the segment; empty for the others
};
static_assert(sizeof(NodeKey) == 16);
inline constexpr uint32_t kNodeHead = 8;
// A node with more literal children than this has a ChildTable: one hash and one
// probe; one child is compared with the key the node keeps. (Scanning up to eight
// children was measured 20% slower per lookup on an API-shaped table: the scan's
// exit is a branch the CPU cannot predict.)
inline constexpr uint32_t kMaxScannedChildren = 1;

// What an entry asks. Exact, Prefix, Regex and Glob test the route's path; End and
// Rest are a glob's last segment, reached through the tree, so the path has matched.
enum class EntryTest : uint8_t {
  Exact,    // the path is `aux` bytes long (it begins with the node's text)
  Prefix,   // the path is at least `aux` bytes long; the rest after them is `**`
  End,      // the path ends at this node
  Rest,     // always (this node is a `**`)
  Glob,     // the route's whole glob is tested (a `**` after an empty segment)
  Regex,    // the route's regex searches the path
  Regexes,  // U32Lists [target, target + aux): regex routes, asked through one RE2::Set tree
  Subtree,  // descend into node `target`, a Param or Rest child of this node
};

// Methods as bits, so a node's routes form a method table: the request's method is
// mapped once per lookup and a route that does not take it costs one AND.
enum MethodBit : uint16_t {
  kMethodGet = 1, kMethodHead = 2, kMethodPost = 4, kMethodPut = 8, kMethodDelete = 16, kMethodPatch = 32,
  kMethodOptions = 64, kMethodConnect = 128, kMethodTrace = 256, kMethodOther = 512
};
inline constexpr uint16_t kAnyMethod = 1023;

// The bit of a method as the request spells it (methods are case-sensitive); any
// extension method is kMethodOther.
constexpr uint16_t method_bit(std::string_view m) {
  switch (m.size()) {
    case 3: return m == "GET" ? kMethodGet : m == "PUT" ? kMethodPut : kMethodOther;
    case 4: return m == "HEAD" ? kMethodHead : m == "POST" ? kMethodPost : kMethodOther;
    case 5: return m == "PATCH" ? kMethodPatch : m == "TRACE" ? kMethodTrace : kMethodOther;
    case 6: return m == "DELETE" ? kMethodDelete : kMethodOther;
    case 7: return m == "OPTIONS" ? kMethodOptions : m == "CONNECT" ? kMethodConnect : kMethodOther;
    default: return kMethodOther;
  }
}

enum EntryFlag : uint8_t {
  kEntryTests = 1,         // the route has header, cookie or query tests
  kEntryOtherMethods = 2,  // its method list names an extension method: compare the names
  kEntrySplits = 4,        // a migration may move its requests
};

struct Entry {
  uint32_t target;   // a route; Subtree: a node; Regexes: the first of its U32Lists
  uint32_t aux;      // Exact, Prefix: the literal prefix's length; End, Rest: the first of
                     // its CaptureRefs; Regexes: how many routes; Subtree: the child's
                     // NodeKind (so the walk need not read the child to know)
  uint16_t methods;  // MethodBit: the methods the route takes (kAnyMethod: any)
  EntryTest test;
  uint8_t flags;     // EntryFlag
  uint8_t captures;  // End, Rest: how many CaptureRefs (at most kMaxCaptures + 1)
  uint8_t pad[3];
};
static_assert(sizeof(Entry) == 16);

// Node::prefetch_node of node `self` whose entries are `entries`: the node its first
// Subtree entry enters, else `self`. (The emitter writes it; the loader checks it.)
inline uint32_t prefetch_node_of(std::span<const Entry> entries, uint32_t self) {
  for (const Entry& e : entries)
    if (e.test == EntryTest::Subtree) return e.target;
  return self;
}

// What a glob won through the tree captures: a parameter's name (`*` for a star,
// `**` for the rest) and the path segment it is. A glob matches segment by segment
// from the path's start, so a glob's segment i is the path's segment i (0 is the one
// after the leading '/'); the walk knows where each segment it consumed starts, so
// captures cost no second pass over the path.
struct CaptureRef {
  StrRef name;
  uint32_t segment;  // kRestSegment: the rest of the path after the last consumed segment
};
static_assert(sizeof(CaptureRef) == 12);
inline constexpr uint32_t kRestSegment = 0xFFFFFFFFu;

// A slot of a ChildTable. It carries the label's head and length, so a probe reads
// one slot, not the child's key: a lookup is one multiply and two dependent reads
// (displacement, slot), plus the label's tail for a label over 8 bytes.
struct ChildSlot {
  uint64_t head;    // NodeKey::head of the child in it
  uint32_t length;  // its label's length
  uint32_t node;    // kNone: a free slot
};
static_assert(sizeof(ChildSlot) == 16);

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
enum class TestersSource : uint8_t { None, Header, Cookie };
enum class Metric : uint8_t { ErrorRate, LatencyP50, LatencyP99, Status5xxRate };
enum class Comparator : uint8_t { Greater, Less, GreaterEqual, LessEqual };

// Parts of a shadowed response to compare, as bits. kCompareJson comes with
// kCompareBody (the body, structurally when both are JSON); kCompareNoise asks the old
// side a second time and leaves out what its two answers disagree on.
enum CompareBit : uint8_t {
  kCompareStatus = 1,
  kCompareHeaders = 2,
  kCompareBody = 4,
  kCompareJson = 8,
  kCompareNoise = 16,
  kCompareAll = 31,
};

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
  TestersSource testers;      // a request whose testers_name carries testers_value goes to `to`
  uint32_t pad2;
  StrRef testers_name;
  StrRef testers_value;
  Slice compare_ignore;  // StrLists: header names (lower case) the headers comparison leaves out
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

// One file of the routes the plan was compiled from, in load order (the root first,
// then its includes as the loader read them): the path banyanc read it under and its
// text. The header's source_sha256 hashes these texts. The runtime never reads them;
// `banyanc diff` and a gateway's reload parse them again (compiler/plan_sources.h).
struct SourceFile {
  StrRef path;
  StrRef text;
};

// No record has padding the compiler inserted, so equal plans are equal bytes.
template <typename... T>
inline constexpr bool kPlainRecords = ((std::is_trivially_copyable_v<T> && std::has_unique_object_representations_v<T>) && ...);
static_assert(kPlainRecords<Header, SectionEntry, StrRef, Slice, Listener, Tls, Upstream, Server, Cache, Site, Host, Node,
                            NodeKey, Entry, ChildTable, ChildSlot, CaptureRef, Route, GlobSegment, ValueTest, HeaderOp, CachePolicy, CacheValid, Migration, MovePattern,
                            ShiftStep, SourceFile>);

}  // namespace banyan::plan
