// The phases of an exchange and their helpers, for this folder only. exchange.cpp
// runs the phases in order; each phase reads and writes the Exchange and says what
// comes next.
#pragma once

#include <nghttp2/nghttp2.h>

#include <string>
#include <string_view>
#include <vector>

#include "runtime/http/fields.h"
#include "runtime/proxy/exchange/exchange.h"
#include "runtime/proxy/io.h"

namespace banyan::proxy {

// 1. route.cpp: normalise, match, and the answers the gateway gives itself.
Step route_request(Exchange& x);
// 2. split.cpp: which upstream, the route's or a migration's new one.
Step choose_side(Exchange& x);
// 3. cache_lookup.cpp: a stored response that answers (Step::Cached), or the upstream.
Task<Step> look_up_cache(Exchange& x);
// 4. call_upstream.cpp: endpoints, connections, the request, the response head, retries.
Task<Step> call_upstream(Exchange& x);
// cache_answer.cpp: what phase 4's outcome `s` does with the cache (a refresh, a stale
// answer, a fill, an invalidation); Step::Cached when a stored response answers.
Step use_upstream_answer(Exchange& x, Step s);
// cache_serve.cpp: the stored response `e` answers (cache status `s`): Step::Cached.
// Then the stored response as the upstream's head (phase 5 reads it), answering the
// client's conditional with a 304 and one byte range with a 206 or 416; and the fields
// a stored answer adds (Age, Accept-Ranges, Content-Range).
Step serve_stored(Exchange& x, std::shared_ptr<const cache::Entry> e, cache::Status s);
void stored_head(Exchange& x);
void append_stored_fields(Exchange& x, std::string& out);
// Phase 6: each piece of the upstream's body, into the fill; phase 7: the fill stored,
// the marks released, the zone's counters.
void cache_body(Exchange& x, std::string_view data);
void finish_cache(Exchange& x);
// The URI of the request as the cache names it: host and normalised target.
void cache_uri(Exchange& x);
// h2_upstream.cpp: phases 4 and 6 for an upstream with `protocol h2c` (HTTP/2 with
// prior knowledge): one stream of the worker's connection to the endpoint, the
// client's body pumped up while the response comes down, trailers passed on; and the
// stream's end (cancelled if unfinished, the body pump awaited) before phase 7.
Task<Step> call_h2_upstream(Exchange& x);
Task<Step> pipe_h2_body(Exchange& x);
Task<void> finish_h2_call(Exchange& x);
// 5. response_head.cpp: the client's response head (fields in Exchange::fields).
Step build_response_head(Exchange& x);
// The route's `compress` applies to response `r` (the client may still accept none of
// its codings).
bool compress_applies(const Exchange& x, const http::ResponseHead& r);
// 6. body_pipe.cpp: the upstream's body to the client (and a tunnel after a 101).
Task<Step> pipe_body(Exchange& x);
// 7. outcome.cpp: health, metrics, the pool, the access log.
void record_outcome(Exchange& x);

// answer.cpp: a LocalAnswer, and the answer to a failure (ExchangeError -> status).
Task<void> send_local(Exchange& x);
Task<void> answer_failure(Exchange& x);
// What a failure answers: 0 when nothing can be answered (the client is gone, or the
// response already started); the phrase starts the body.
int failure_status(const ExchangeError& e, bool head_sent);
std::string_view failure_phrase(ExchangeError::Kind k);

// variables.cpp: `$variables` of the request, its route and its upstream.
std::string_view variable(Exchange& x, const plan::TemplatePart& p);
void expand(Exchange& x, const std::vector<plan::TemplatePart>& parts, std::string& out);

// request_head.cpp: the upstream request head in Exchange::out; false when a rewrite
// cannot be applied.
bool write_request_head(Exchange& x, std::string_view upgrade_to);
// That head as HTTP/2 fields for an h2c upstream: the request line's method and target,
// Host as :authority, names lower-cased (in `names`), no framing or connection fields,
// `te: trailers` when the client asked for trailers. The fields point into Exchange::out,
// `names` and Exchange::scratch.
void h2_request_fields(Exchange& x, std::vector<nghttp2_nv>& nv, std::string& names);

// call_upstream.cpp: the leg's timeouts (the route's, else the upstream's), this
// worker's state of the upstream, the start time; returns the retry budget.
int32_t begin_upstream_leg(Exchange& x);

// upstream_connection.cpp: the chosen endpoint and its connection.
uint32_t pick_endpoint(Exchange& x);
// An attempt on endpoint `ep`: counted as a retry unless it is the first, noted as
// tried, its in-flight count held.
void begin_attempt(Exchange& x, uint32_t ep, bool retry);
// An idle pooled connection to up.endpoint that is still open; true when taken.
bool take_pooled(Exchange& x);
// A new connection to up.endpoint; false with `error` set.
Task<bool> connect_new(Exchange& x);
// Passive health: one failure of `endpoint`; after the upstream's count, a cool-down.
void record_failure(Exchange& x, uint32_t endpoint, std::string_view why);
// The connection back to the endpoint's idle pool (when `reuse`), or closed.
void finish_connection(Exchange& x, bool reuse);
// Closes the idle connections this worker keeps to `endpoint`: one of them failed.
void drop_idle_connections(Exchange& x, uint32_t endpoint);

// A gRPC call: Content-Type application/grpc (or application/grpc+proto, ...).
inline bool is_grpc(const http::RequestHead& h) {
  std::string_view ct;
  return plan::find_header(h.fields, "content-type", ct) && ct.size() >= 16 &&
         http::iequals(ct.substr(0, 16), "application/grpc");
}
// gRPC's percent-encoding of a grpc-message: printable ASCII as is, '%' and the rest
// as %XX, a newline dropped. An upstream's message is encoded already (`encoded`): its
// '%' stay, and only bytes a sloppy server sent raw are encoded.
void append_grpc_message(std::string& out, std::string_view text, bool encoded);
// A gRPC status that says the server failed (UNKNOWN, DEADLINE_EXCEEDED, INTERNAL,
// UNAVAILABLE, DATA_LOSS), not the request: it counts against the endpoint's passive
// health and a migration's error rate, whatever the HTTP status.
inline bool grpc_server_failure(int code) { return code == 2 || code == 4 || code == 13 || code == 14 || code == 15; }

// Field helpers shared by the writers.
void append_field(std::string& out, std::string_view name, std::string_view value);
void append_number(std::string& out, uint64_t v);
// `Date: <now, IMF-fixdate>` (RFC 9110 6.6.1), formatted once a second per thread.
void append_date(std::string& out);
// `Strict-Transport-Security` when the request came over https to a site whose tls
// block sets hsts: on every answer, the gateway's own ones too (nginx's `always`).
void append_hsts(const Exchange& x, std::string& out);

}  // namespace banyan::proxy
