// One request and its response: an exchange, run as a fixed list of phases
// (run_exchange in exchange.cpp, each phase in its own file of this folder):
//
//   1. route         normalise the path, match the plan; local answers (redirect, respond)
//   2. split         a migration's side (share and bucket)
//   3. cache lookup  a stored response that answers (fresh, or stale as allowed), one to
//                    validate, or a miss; concurrent misses of a key wait for one fill
//   4. upstream call pick, pooled or new connection, send, read the response head; retries
//      cache answer  a 304 refreshes the stored response, a failure may be answered stale,
//                    a storable response begins a fill
//   5. response head the client's head: header operations, sticky cookie, HSTS, Vary, ETag
//   6. body pipe     the upstream's body (or the stored one), through the compression
//                    filter and into the cache's fill, to the client
//   7. outcome       passive health, metrics, the access log, the connection back to its pool
//
// The exchange talks to the client only through Downstream (no framing here) and is
// owned by the connection, which reuses it for every request: its buffers and strings
// keep their capacity, so a keep-alive request allocates none of them again.
// A phase returns a Step; a failure is an ExchangeError value in `error` (kind,
// source, whether a retry may follow, the endpoint), mapped to an answer in one place
// (answer.cpp). Nothing here throws.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "runtime/balance/endpoint.h"
#include "runtime/cache/zone.h"
#include "runtime/compress/encoder.h"
#include "runtime/http/parse.h"
#include "runtime/http/range.h"
#include "runtime/plan/matcher.h"
#include "runtime/proxy/buffer.h"
#include "runtime/proxy/downstream.h"
#include "runtime/proxy/generation.h"
#include "runtime/proxy/io.h"

namespace banyan::proxy {

class Gateway;
class Watchdog;
class Worker;
struct ShadowPair;
struct WorkerUpstream;
struct H2Call;

struct ExchangeError {
  enum class Kind : uint8_t {
    None,
    // the client
    ClientGone,     // closed, or stopped sending the body: nothing to answer
    MalformedBody,  // 400
    BodyTooLarge,   // 413
    // the upstream
    NoEndpoint,           // 503: none usable (down, cooling down, at max_conns, or all tried)
    Connect,              // 502
    ConnectTimeout,       // 504
    WriteRequest,         // 502: the head or the body could not be sent
    ResetBeforeResponse,  // 502: closed before or inside the response head
    ResponseTimeout,      // 504
    BadResponse,          // 502: a head or framing the parser refuses
    BodyBrokenOff,        // the upstream stopped inside its body (502 only before the head left)
    BodyTimeout,          // the same, by the read timeout (504 before the head left)
    // the gateway
    Rewrite,      // 500: a rewrite names a capture the route did not make (an inconsistent plan)
    Compression,  // the encoder failed: the response is cut short
  };
  enum class Source : uint8_t { Client, Upstream, Gateway };

  Kind kind = Kind::None;
  Source source = Source::Gateway;
  bool retryable = false;                    // another endpoint may be tried (retry_policy.h decides)
  uint32_t endpoint = balance::kNoEndpoint;  // the endpoint at fault, for passive health
  std::string detail;                        // for operators: "connect: Connection refused"

  static Source source_of(Kind k);
};

// What a phase says: go on, the gateway answers itself (`local`), the response went
// out (or cannot any more), `error` holds why the exchange failed, or a stored
// response answers (CacheLeg::serve).
enum class Step : uint8_t { Next, Local, Answered, Failed, Cached };

// A response the gateway makes itself.
struct LocalAnswer {
  int status = 0;
  std::string_view body;    // a view of Exchange::text, or a literal
  std::string_view fields;  // e.g. "Location: ...\r\n"
  std::string_view error;   // for the access log: why the gateway answered, if not a success
  bool close = false;       // close the connection after it (a request the gateway will not read)
};

// The endpoint side of an exchange: the upstream, the chosen endpoint and its
// connection, the response head.
struct UpstreamLeg {
  const PreparedUpstream* pu = nullptr;
  uint32_t index = plan::kNone;        // in the plan's upstreams
  std::shared_ptr<WorkerUpstream> wu;  // this worker's state of it, held for the exchange
  uint32_t endpoint = balance::kNoEndpoint;
  std::string_view addr;  // the endpoint's identity, "127.0.0.1:9001" (kept by `wu`)
  std::optional<Socket> socket;
  std::shared_ptr<H2Call> call;  // an h2c upstream: the stream of its connection (h2_upstream.cpp)
  bool reused = false;  // the connection came from the idle pool
  Buffer buf;
  std::unique_ptr<plan::HeaderField[]> fields;
  http::ResponseHead head;
  std::array<uint32_t, 16> tried{};  // endpoints this request tried
  uint32_t tried_count = 0;
  bool sticky_matched = false;
  int64_t connect_ms = 0, read_ms = 0;  // the route's, or the upstream's
  balance::Endpoint* active = nullptr;  // the endpoint's in-flight count this exchange holds
  std::chrono::steady_clock::time_point started;
  bool clean = false;  // the response ended cleanly: the connection may be pooled
  bool body_whole = false;  // the upstream's body arrived whole

  void hold(balance::Endpoint* e) {
    if (active) active->active--;
    active = e;
    if (active) active->active++;
  }
};

// The response cache's side of an exchange (cache_lookup.cpp, cache_answer.cpp, cache_serve.cpp).
struct CacheLeg {
  cache::Zone* zone = nullptr;  // the route's zone; null: the route does not cache
  const plan::CachePolicy* policy = nullptr;
  cache::Status status = cache::Status::Miss;
  bool has_status = false;  // $upstream_cache_status is set
  std::string key, uri;     // the cache key, and host + target (what invalidation names)
  cache::RequestDirectives request;
  std::shared_ptr<const cache::Entry> entry;  // a stored response the upstream may refresh or stand in for
  std::shared_ptr<const cache::Entry> serve;  // the stored response that answers (Step::Cached)
  bool validating = false;   // the upstream request is conditional on `entry`'s validators
  bool updating = false;     // this exchange holds `entry`'s updating mark
  bool filling = false;      // this exchange holds the zone's fill of `key` (collapsing)
  bool streaming = false;    // this exchange answers from another's fill as it arrives
  bool stood_in = false;     // a stale entry answers for an upstream that failed (or sent a 5xx)
  bool not_modified = false;  // `serve` answers the client's conditional with a 304
  http::RangeAnswer range = http::RangeAnswer::Whole;  // `serve` answers the client's Range: 206 or 416
  bool encoded = false;  // the route encodes `serve` for this client's GET (`compress`): no ranges of it
  http::ByteRange bytes;                                // the range a 206 sends
  std::shared_ptr<cache::Filling> shared;  // the fill's state others read (holder and readers)
  std::shared_ptr<cache::Entry> fill;  // the response being stored (its body: `shared`'s, or fill_body)
  std::string fill_body;
  int64_t request_ms = 0;  // when the request went upstream (RFC 9111 4.2.3)
};

// A migration's decision for this request (phase 2).
struct SideChoice {
  uint32_t migration = plan::kNone;
  bool moved = false;   // to the new upstream
  bool tester = false;  // moved because it carries the migration's `testers` header or cookie
  uint32_t bucket = 0;  // 0..9999; kNoBucket when drawn per request or a tester's
};

class Exchange {
 public:
  using Clock = std::chrono::steady_clock;

  Exchange(Worker& worker, Downstream& down, Watchdog& clock);
  ~Exchange();

  // Serves the request the connection has read, on `gen` (held until the end, whatever
  // reloads do). True when the connection may serve another request.
  Task<bool> run(std::shared_ptr<const Generation> gen, const char* request_id,
                                   Clock::time_point started);
  // Gives back what a request borrowed (buffers, field arrays) and lets go of what it
  // held: an idle or spare session holds none of it.
  void release();
  // The connection's own refusals of a request that never became an exchange (a head
  // that does not parse, a slow head): the answer, which closes the connection, and
  // its access-log line.
  Task<void> refuse(int status, std::string_view body, std::string_view error, const char* request_id,
                                      Clock::time_point started);

  // --- for the phases (this folder) --------------------------------------------
  Worker& worker;
  Gateway& gw;
  Downstream& down;
  Watchdog& clock;
  std::shared_ptr<const Generation> gen;
  const http::RequestHead* head = nullptr;
  std::string_view request_id;
  Clock::time_point started;

  std::string path;  // phase 1: the normalised path
  plan::MatchResult match;
  const plan::Route* route = nullptr;
  const PreparedRoute* prepared = nullptr;
  LocalAnswer local;
  SideChoice side;      // phase 2
  CacheLeg cache;       // phase 3
  std::shared_ptr<ShadowPair> shadow;  // phase 2: a copy goes to the new side (shadow.h)
  UpstreamLeg up;       // phase 4
  ResponseStart start;  // phase 5
  compress::Coding coding = compress::Coding::None;
  compress::EncoderPool::Lease encoder{nullptr, {nullptr}};
  bool may_compress = false;

  // The outcome, for phase 7.
  int status = 0;
  char upstream_status[4] = {0, 0, 0, 0};
  int grpc_status = -1;  // a gRPC call's status (the upstream's trailers, or the gateway's own); -1: none
  std::string grpc_message;  // its grpc-message as sent (percent-encoded), at most kGrpcMessageLogged bytes
  uint32_t retries = 0;
  ExchangeError error;
  std::string error_text;  // the access log's `error`
  bool keep = true;        // the connection may serve another request
  bool responded = false;  // a response head went to the client: a failure can no longer be answered

  // Reused text buffers: the upstream request head, the response head's fields, and scratch.
  std::string out, fields, text, scratch, host_lower, reason;

 private:
  void reset();
};

inline constexpr uint32_t kNoBucket = 0xffffffff;
// How much of a gRPC call's grpc-message the access log keeps.
inline constexpr size_t kGrpcMessageLogged = 256;

}  // namespace banyan::proxy
