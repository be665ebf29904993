// After phase 4, for a route with `cache`: what the upstream's answer does to the
// cache (RFC 9111).
//   - a 304 to a conditional request refreshes the stored response's fields (4.3.4)
//     and the refreshed entry answers (REVALIDATED);
//   - a failure, or a 5xx the route's `stale` names, is answered with a stale entry
//     when the route or the response's stale-if-error allows it (STALE);
//   - a storable response (freshness.h's may_store) begins a fill: the entry's head
//     now, its body as the body pipe relays it, stored whole at the end (outcome.cpp);
//   - a successful unsafe request invalidates its URI and its Location and
//     Content-Location on the same host (4.4).
// A stored response that answers becomes the client's head in cache_serve.cpp.
#include "runtime/compress/negotiate.h"
#include "runtime/http/fields.h"
#include "runtime/proxy/clock.h"
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/gateway.h"

namespace banyan::proxy {
namespace {

using cache::Status;
using K = ExchangeError::Kind;

bool is_safe(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE";
}

// Fields a stored response keeps: end-to-end ones, without the framing (the cache
// frames what it stores) and Age (recomputed on every use).
bool stored_field(std::span<const plan::HeaderField> all, std::string_view name, bool connection_field) {
  if (http::is_hop_by_hop(name) || http::iequals(name, "content-length") || http::iequals(name, "age")) return false;
  return !(connection_field && http::connection_lists(all, name));
}

bool has_connection_field(std::span<const plan::HeaderField> fields) {
  for (const plan::HeaderField& f : fields)
    if (http::iequals(f.name, "connection")) return true;
  return false;
}

int64_t route_ttl_s(const Exchange& x, int status) {
  const plan::Plan& p = *x.gen->plan;
  for (const plan::CacheValid& v : p.cache_valids().subspan(x.cache.policy->valid.first, x.cache.policy->valid.count)) {
    std::span<const uint32_t> statuses = p.u32_list(v.statuses);
    bool named = statuses.empty();
    for (uint32_t s : statuses) named = named || s == static_cast<uint32_t>(status);
    if (named) return v.ttl_ms / 1000;
  }
  return cache::kAbsent;
}

// The entry's freshness facts and timing from its (stored or merged) fields.
struct Facts {
  cache::ResponseDirectives d;
  int64_t explicit_s = cache::kAbsent;
  bool set_cookie = false, vary_star = false;
};

Facts facts_of(std::span<const plan::HeaderField> fields, cache::Timing& t) {
  Facts f;
  f.d = cache::response_directives(fields);
  std::string_view expires;
  bool has_expires = false;
  t.date_s = t.response_ms / 1000;
  t.age_s = 0;
  for (const plan::HeaderField& h : fields) {
    if (http::iequals(h.name, "date")) {
      if (std::optional<int64_t> d = cache::parse_http_date(h.value)) t.date_s = *d;
    } else if (http::iequals(h.name, "age")) {
      t.age_s = cache::delta_seconds(h.value).value_or(0);
    } else if (http::iequals(h.name, "expires") && !has_expires) {
      expires = h.value;
      has_expires = true;
    } else if (http::iequals(h.name, "set-cookie")) {
      f.set_cookie = true;
    } else if (http::iequals(h.name, "vary")) {
      http::for_each_element(h.value, [&](std::string_view e) {
        if (e == "*") f.vary_star = true;
        return true;
      });
    }
  }
  f.explicit_s = cache::explicit_lifetime_s(f.d, expires, has_expires, t.date_s);
  return f;
}

void set_flags(cache::Entry& e, const cache::ResponseDirectives& d) {
  e.no_cache = d.no_cache;
  e.revalidate = d.must_revalidate || d.proxy_revalidate || d.s_maxage != cache::kAbsent;
  e.while_revalidate_s = d.stale_while_revalidate;
  e.if_error_s = d.stale_if_error;
}

// The upstream's status for $upstream_status and the upstream's counters, when a
// stored response answers in place of the upstream's.
void note_upstream_status(Exchange& x) {
  const int st = x.up.head.status;
  x.upstream_status[0] = static_cast<char>('0' + st / 100);
  x.upstream_status[1] = static_cast<char>('0' + st / 10 % 10);
  x.upstream_status[2] = static_cast<char>('0' + st % 10);
  bump(x.up.pu->counters->by_class[st / 100]);
}

// 4.3.4: the 304's fields replace the stored ones of the same name; the body stays.
Step refresh(Exchange& x, int64_t now) {
  const cache::Entry& old = *x.cache.entry;
  const http::ResponseHead& r = x.up.head;
  std::vector<plan::HeaderField> merged;
  const bool conn = has_connection_field(r.fields);
  bool dated = false;
  for (const plan::HeaderField& n : r.fields) dated = dated || http::iequals(n.name, "date");
  for (const plan::HeaderField& f : old.fields) {
    bool replaced = !dated && http::iequals(f.name, "date");  // a 304 without Date: it is dated now, below
    for (const plan::HeaderField& n : r.fields) replaced = replaced || http::iequals(n.name, f.name);
    if (!replaced || !stored_field(r.fields, f.name, conn)) merged.push_back(f);
  }
  for (const plan::HeaderField& n : r.fields)
    if (stored_field(r.fields, n.name, conn)) merged.push_back(n);
  const std::string date = dated ? std::string() : cache::format_http_date(now / 1000);
  if (!dated) merged.push_back({"Date", date});
  auto e = std::make_shared<cache::Entry>();
  e->key = old.key;
  e->uri = old.uri;
  e->status = old.status;
  e->reason = old.reason;
  e->body = old.body;
  e->vary = old.vary;
  e->timing = {x.cache.request_ms, now, 0, 0};
  std::vector<plan::HeaderField> with_age = merged;  // the 304's Age counts for the new timing
  for (const plan::HeaderField& n : r.fields)
    if (http::iequals(n.name, "age")) with_age.push_back(n);
  Facts f = facts_of(with_age, e->timing);
  e->set_fields(merged);
  set_flags(*e, f.d);
  const int64_t ttl = route_ttl_s(x, e->status);
  e->lifetime_s = f.explicit_s != cache::kAbsent ? f.explicit_s : ttl != cache::kAbsent ? ttl : 0;
  e->stored_ms = now;
  note_upstream_status(x);
  x.up.clean = x.up.buf.size() == 0;  // a 304 has no body: the connection is done with
  x.up.body_whole = true;
  std::shared_ptr<const cache::Entry> stored = std::move(e);
  if (!f.d.no_store) x.cache.zone->insert(stored);
  return serve_stored(x, std::move(stored), Status::Revalidated);
}

// Which of the route's `stale` conditions a failure is.
uint32_t stale_bit(K k) {
  switch (k) {
    case K::ConnectTimeout:
    case K::ResponseTimeout: return plan::kStaleTimeout;
    case K::NoEndpoint:
    case K::Connect:
    case K::WriteRequest:
    case K::ResetBeforeResponse:
    case K::BadResponse: return plan::kStaleError;
    default: return 0;
  }
}

uint32_t stale_bit(int status) {
  switch (status) {
    case 500: return plan::kStaleHttp500 | plan::kStaleHttp5xx;
    case 502: return plan::kStaleHttp502 | plan::kStaleHttp5xx;
    case 503: return plan::kStaleHttp503 | plan::kStaleHttp5xx;
    case 504: return plan::kStaleHttp504 | plan::kStaleHttp5xx;
    default: return status >= 500 && status < 600 ? uint32_t{plan::kStaleHttp5xx} : 0u;
  }
}

bool may_stand_in(const Exchange& x, uint32_t bit, int64_t now) {
  const CacheLeg& c = x.cache;
  if (!c.entry || bit == 0) return false;
  return cache::stale_on_error(c.entry->stored(now), (c.policy->stale & bit) != 0);
}

// 4.4: the target, and a Location or Content-Location on the same host.
void invalidate(Exchange& x) {
  CacheLeg& c = x.cache;
  c.zone->invalidate(c.uri);
  const std::string_view host = variable(x, plan::TemplatePart{plan::Var::Host, {}});
  for (const plan::HeaderField& f : x.up.head.fields) {
    if (!http::iequals(f.name, "location") && !http::iequals(f.name, "content-location")) continue;
    std::string_view v = f.value;
    if (v.starts_with("http://") || v.starts_with("https://")) {
      v.remove_prefix(v.find("://") + 3);
      const size_t end = v.find_first_of("/?");
      std::string_view h = v.substr(0, end);  // host[:port]
      if (h.starts_with('[')) {
        h = h.substr(0, h.find(']') + 1);
      } else if (const size_t colon = h.rfind(':'); colon != std::string_view::npos) {
        h = h.substr(0, colon);
      }
      if (!http::iequals(h, host)) continue;  // another origin's resource: not ours to drop
      v = end == std::string_view::npos ? std::string_view("/") : v.substr(end);
    }
    if (!v.starts_with('/')) continue;
    x.scratch.assign(host);
    x.scratch += v;
    c.zone->invalidate(x.scratch);
  }
}

// A storable response: the entry's head now (the head's views die with the buffer).
void begin_fill(Exchange& x, int64_t now) {
  CacheLeg& c = x.cache;
  const http::ResponseHead& r = x.up.head;
  cache::Timing t{c.request_ms, now, 0, 0};
  Facts f = facts_of(r.fields, t);
  cache::StoreQuestion q;
  q.get = x.head->method == "GET";
  q.status = r.status;
  q.response = &f.d;
  q.request = &c.request;
  std::string_view credentials;
  q.authorization = plan::find_header(x.head->fields, "authorization", credentials);
  q.allow_authorized = c.policy->allow_authorized != 0;
  q.set_cookie = f.set_cookie;
  q.vary_star = f.vary_star;
  q.explicit_lifetime_s = f.explicit_s;
  q.valid_ttl_s = route_ttl_s(x, r.status);
  const cache::StoreAnswer a = cache::may_store(q);
  if (!a.store || r.status == 101 || (r.framing == http::Framing::Length && r.content_length > c.zone->max_entry())) {
    if (c.filling) c.zone->end_fill(c.key, true, now);  // the waiting misses go upstream themselves
    c.filling = false;
    return;
  }
  auto e = std::make_shared<cache::Entry>();
  e->key = c.key;
  e->uri = c.uri;
  e->status = r.status;
  e->reason.assign(r.reason);
  const bool conn = has_connection_field(r.fields);
  std::vector<plan::HeaderField> kept;
  bool dated = false;
  for (const plan::HeaderField& h : r.fields) {
    if (stored_field(r.fields, h.name, conn)) kept.push_back(h);
    dated = dated || http::iequals(h.name, "date");
    if (!http::iequals(h.name, "vary")) continue;
    http::for_each_element(h.value, [&](std::string_view name) {  // the request's values it varies on
      if (name.empty()) return true;
      std::string lower(name);
      for (char& ch : lower) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
      std::string value;
      bool any = false;
      for (const plan::HeaderField& rf : x.head->fields) {
        if (!http::iequals(rf.name, lower)) continue;
        if (any) value += ", ";
        value += rf.value;
        any = true;
      }
      e->vary.emplace_back(std::move(lower), any ? std::move(value) : cache::kVaryAbsent);
      return true;
    });
  }
  // RFC 9110 6.6.1: a response without Date gets one before it is stored, so every use
  // of it says when it was made.
  const std::string date = dated ? std::string() : cache::format_http_date(now / 1000);
  if (!dated) kept.push_back({"Date", date});
  e->set_fields(kept);
  e->timing = t;
  e->lifetime_s = a.lifetime_s;
  set_flags(*e, f.d);
  c.fill_body.clear();
  if (c.shared) {  // the requests waiting for this fill may read it now (immutable from here on)
    std::lock_guard lock(c.shared->mu);
    c.shared->body.clear();
    if (r.framing == http::Framing::Length) {  // a known length, within max_entry: never abandoned for its size
      c.shared->body.reserve(r.content_length);
      c.shared->head = e;
      c.shared->length = r.content_length;
      c.shared->state = cache::Filling::State::Streaming;
    }
  } else if (r.framing == http::Framing::Length) {
    c.fill_body.reserve(r.content_length);
  }
  c.fill = std::move(e);
}

}  // namespace

Step use_upstream_answer(Exchange& x, Step s) {
  CacheLeg& c = x.cache;
  if (c.has_status && c.status == Status::Bypass) return s;
  const int64_t now = unix_ms_now();
  if (!is_safe(x.head->method)) {
    if (s == Step::Next && x.up.head.status >= 200 && x.up.head.status < 400) invalidate(x);
    return s;
  }
  if (s == Step::Failed) {
    if (!may_stand_in(x, stale_bit(x.error.kind), now)) return s;
    x.error_text = "served stale: " + x.error.detail;  // the access log keeps the cause
    x.error = {};
    c.stood_in = true;
    return serve_stored(x, c.entry, Status::Stale);
  }
  if (s != Step::Next) return s;
  const int st = x.up.head.status;
  if (st == 304 && c.validating) return refresh(x, now);
  if (may_stand_in(x, stale_bit(st), now)) {
    note_upstream_status(x);
    x.up.clean = false;  // its body is not read: the connection closes
    c.stood_in = true;
    return serve_stored(x, c.entry, Status::Stale);
  }
  begin_fill(x, now);
  return s;
}

void cache_body(Exchange& x, std::string_view data) {
  CacheLeg& c = x.cache;
  if (!c.fill) return;
  std::unique_lock lock = c.shared ? std::unique_lock(c.shared->mu) : std::unique_lock<std::mutex>();
  std::string& body = c.shared ? c.shared->body : c.fill_body;
  if (body.size() + data.size() > c.zone->max_entry()) {  // too large to keep: it streams on, unstored
    if (c.shared) {
      c.shared->state = cache::Filling::State::Abandoned;
      c.shared->head.reset();
    }
    if (lock) lock.unlock();
    bump(c.zone->counters().too_large);
    c.fill.reset();
    if (c.filling) c.zone->end_fill(c.key, true, unix_ms_now());
    c.filling = false;
    return;
  }
  body.append(data);
}

void finish_cache(Exchange& x) {
  CacheLeg& c = x.cache;
  if (!c.zone) return;
  const int64_t now = unix_ms_now();
  const bool whole = c.fill && x.up.body_whole && x.error.kind == K::None;
  if (whole) {
    // A shared fill's body is the entry's (an aliasing pointer keeps the fill alive).
    c.fill->body = c.shared ? std::shared_ptr<const std::string>(c.shared, &c.shared->body)
                            : std::make_shared<const std::string>(std::move(c.fill_body));
    c.fill->stored_ms = now;
    c.zone->insert(std::shared_ptr<const cache::Entry>(std::move(c.fill)));
  }
  if (c.shared && c.filling) {  // readers of the fill: it is whole, or it never will be
    std::lock_guard lock(c.shared->mu);
    if (c.shared->state == cache::Filling::State::Streaming)
      c.shared->state = whole ? cache::Filling::State::Complete : cache::Filling::State::Abandoned;
    c.shared->head.reset();  // the entry's body points at the fill: no cycle back (readers hold their own)
  }
  c.fill.reset();
  c.fill_body = std::string();  // a large body's buffer is not kept by the connection
  if (c.filling) c.zone->end_fill(c.key, false, now);
  if (c.updating && c.entry) c.entry->updating_until_ms.store(0, std::memory_order_release);
  if (c.has_status) bump(c.zone->counters().requests[static_cast<size_t>(c.status)]);
}

}  // namespace banyan::proxy
