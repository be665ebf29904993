// The exchange's phases, in order (the list is exchange.h's), and the state they share.
#include "runtime/proxy/exchange/exchange.h"


#include <charconv>
#include <ctime>
#include <memory>

#include "runtime/proxy/clock.h"
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/gateway.h"
#include "runtime/proxy/io.h"
#include "runtime/proxy/watchdog.h"

namespace banyan::proxy {


ExchangeError::Source ExchangeError::source_of(Kind k) {
  switch (k) {
    case Kind::ClientGone:
    case Kind::MalformedBody:
    case Kind::BodyTooLarge: return Source::Client;
    case Kind::None:
    case Kind::Rewrite:
    case Kind::Compression: return Source::Gateway;
    default: return Source::Upstream;
  }
}

// The request head for the upstream is built in `out`: room for a typical one at once,
// not four doublings on every new connection's first request.
inline constexpr size_t kTypicalRequestHead = 512;

Exchange::Exchange(Worker& w, Downstream& d, Watchdog& c) : worker(w), gw(w.gateway()), down(d), clock(c) {
  out.reserve(kTypicalRequestHead);
}

// Not release(): a connection destroyed with its io_context (the process stopping
// with requests in flight) may outlive the worker's pools; its buffers just go back
// to the heap.
Exchange::~Exchange() { up.hold(nullptr); }

void Exchange::reset() {
  match.site = match.route = match.migration = plan::kNone;  // an early answer has no site
  route = nullptr;
  prepared = nullptr;
  local = {};
  side = {};
  if (cache.zone || cache.has_status || cache.fill) {  // a cached route's exchange: its strings keep their capacity
    cache.zone = nullptr;
    cache.policy = nullptr;
    cache.has_status = false;
    cache.entry.reset();
    cache.serve.reset();
    cache.validating = cache.updating = cache.filling = cache.streaming = cache.stood_in = cache.not_modified = false;
    cache.range = http::RangeAnswer::Whole;
    cache.encoded = false;
    cache.shared.reset();
    cache.fill.reset();
  }
  shadow.reset();
  up.pu = nullptr;
  up.index = plan::kNone;
  up.wu.reset();
  up.endpoint = balance::kNoEndpoint;
  up.addr = {};
  up.socket.reset();
  up.call.reset();
  up.reused = false;
  up.tried_count = 0;
  up.sticky_matched = false;
  up.clean = false;
  up.body_whole = false;
  up.hold(nullptr);
  std::construct_at(&start);  // in place: `start = {}` built a temporary and read it back in pieces (a stall)
  coding = compress::Coding::None;
  encoder.reset();
  may_compress = false;
  status = 0;
  upstream_status[0] = 0;
  grpc_status = -1;
  grpc_message.clear();
  retries = 0;
  std::destroy_at(&error);  // in place, as `start`: no temporary string
  std::construct_at(&error);
  error_text.clear();
  keep = true;
  responded = false;
}

void Exchange::release() {
  reset();  // lets go of what the last request held (its upstream's state, cache entries, an encoder)
  up.buf.release(worker.buffers());
  worker.fields().put(std::move(up.fields));
}

Task<bool> Exchange::run(std::shared_ptr<const Generation> g, const char* id, Clock::time_point t) {
  reset();
  gen = std::move(g);
  head = &down.request();
  request_id = {id, 32};
  started = t;

  Step s = route_request(*this);                // 1. route
  if (s == Step::Next) s = choose_side(*this);  // 2. split
  const bool caches = s == Step::Next && prepared->cache_zone;
  if (caches) s = co_await look_up_cache(*this);  // 3. cache lookup
  if (caches) cache.request_ms = unix_ms_now();
  if (s == Step::Next) s = up.pu->h2c ? co_await call_h2_upstream(*this) : co_await call_upstream(*this);  // 4.
  if (caches) s = use_upstream_answer(*this, s);  //    what the answer does to the cache
  if (s == Step::Cached) stored_head(*this);
  if (s == Step::Next || s == Step::Cached) s = build_response_head(*this);  // 5. response head
  if (s == Step::Next) s = co_await pipe_body(*this);                          // 6. body pipe
  if (s == Step::Local) co_await send_local(*this);
  if (s == Step::Failed) co_await answer_failure(*this);
  if (up.call) co_await finish_h2_call(*this);
  record_outcome(*this);  // 7. outcome
  gen.reset();
  co_return keep;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

void append_date(std::string& out) {
  struct Cached {
    time_t second = -1;
    char text[40] = {};
    size_t size = 0;
  };
  thread_local Cached c;
  const time_t now = ::time(nullptr);
  if (now != c.second) {
    struct tm t;
    gmtime_r(&now, &t);
    c.size = strftime(c.text, sizeof c.text, "%a, %d %b %Y %H:%M:%S GMT", &t);  // C locale: English names
    c.second = now;
  }
  out += "Date: ";
  out.append(c.text, c.size);
  out += "\r\n";
}

void append_hsts(const Exchange& x, std::string& out) {
  if (!x.down.client().https || x.match.site == plan::kNone) return;
  const plan::Plan& p = *x.gen->plan;
  const plan::Site& site = p.sites()[x.match.site];
  if (site.tls == plan::kNone || p.tls()[site.tls].hsts_max_age_ms < 0) return;
  const plan::Tls& t = p.tls()[site.tls];
  out += "Strict-Transport-Security: max-age=";
  append_number(out, static_cast<uint64_t>(t.hsts_max_age_ms / 1000));
  if (t.hsts_include_subdomains) out += "; includeSubDomains";
  if (t.hsts_preload) out += "; preload";
  out += "\r\n";
}

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace banyan::proxy
