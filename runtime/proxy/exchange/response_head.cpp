// Phase 5: the response head the client receives, re-serialised from the upstream's
// parsed head: its end-to-end fields (header_ops.h) and the route's response headers,
// a sticky cookie that pins a new client to the endpoint that answered, HSTS on an
// https listener whose site's tls block sets it, and for `compress`: Vary, the coding,
// and strong ETags made weak. The connection adds the framing (downstream.h). A stored
// response (the cache's) goes through the same steps, with its Age.
#include "runtime/balance/sticky.h"
#include "runtime/compress/negotiate.h"
#include "runtime/proxy/exchange/header_ops.h"
#include "runtime/proxy/gateway.h"

namespace banyan::proxy {
namespace {

// After a 101 on a route with `allow upgrade`: the upstream's fields, the route's
// response headers, and the Upgrade pair.
Step tunnel_head(Exchange& x) {
  const http::ResponseHead& r = x.up.head;
  std::span<const PreparedHeaderOp> ops = x.prepared->response_headers;
  x.status = 101;
  bump(x.up.pu->counters->by_class[1]);
  x.fields.clear();
  copy_end_to_end(r.fields, ops, x.fields, [](const plan::HeaderField&) { return true; });
  append_set_ops(x, ops, x.fields);
  std::string_view upgrade;
  if (plan::find_header(r.fields, "upgrade", upgrade)) append_field(x.fields, "Upgrade", upgrade);
  x.fields += "Connection: upgrade\r\n";
  x.start = {101, "Switching Protocols", x.fields, ResponseStart::Body::None, 0, false};
  return Step::Next;
}

void sticky_cookie(Exchange& x) {
  if (x.cache.serve) return;  // a stored answer pins no one to an endpoint
  const plan::Plan& p = *x.gen->plan;
  const plan::Upstream& u = *x.up.pu->record;
  if (p.str(u.sticky_cookie).empty() || x.up.sticky_matched) return;
  x.fields += "Set-Cookie: ";
  x.fields += p.str(u.sticky_cookie);
  x.fields += '=';
  x.fields += balance::sticky_value(x.up.wu->set->identities[x.up.endpoint]).view();
  x.fields += "; Path=/; HttpOnly";
  if (u.sticky_ttl_ms >= 0) {
    x.fields += "; Max-Age=";
    append_number(x.fields, static_cast<uint64_t>(u.sticky_ttl_ms / 1000));
  }
  x.fields += "\r\n";
}


// RFC 9110 15.4.5: what a 304 carries of the stored response.
bool validator_field(std::string_view n) {
  return http::iequals(n, "cache-control") || http::iequals(n, "content-location") || http::iequals(n, "date") ||
         http::iequals(n, "etag") || http::iequals(n, "expires") || http::iequals(n, "vary") ||
         http::iequals(n, "last-modified");
}

}  // namespace

bool compress_applies(const Exchange& x, const http::ResponseHead& r) {
  const http::RequestHead& h = *x.head;
  return x.route->compress != 0 && r.framing != http::Framing::None && !x.up.call &&
         (h.version_minor == 1 || h.version_major == 2) &&
         compress::eligible_response(r.status, r.fields, r.framing == http::Framing::Length, r.content_length);
}

Step build_response_head(Exchange& x) {
  const http::ResponseHead& r = x.up.head;
  if (r.status == 101) return tunnel_head(x);
  const http::RequestHead& h = *x.head;
  x.status = r.status;
  if (!x.cache.serve) {  // a stored answer: the upstream's status, if it was asked, is noted already
    x.upstream_status[0] = static_cast<char>('0' + r.status / 100);
    x.upstream_status[1] = static_cast<char>('0' + r.status / 10 % 10);
    x.upstream_status[2] = static_cast<char>('0' + r.status % 10);
    bump(x.up.pu->counters->by_class[r.status / 100]);
  }
  const bool no_body = r.framing == http::Framing::None;
  const bool is_head = h.method == "HEAD";

  // `compress`: an eligible response says it varies by Accept-Encoding, and is encoded
  // (whatever the upstream's framing) when this client accepts one of the route's codings.
  x.may_compress = compress_applies(x, r);
  if (x.may_compress) {
    x.coding = compress::choose_coding(x.route->compress, h.fields);
    if (x.coding != compress::Coding::None) x.encoder = x.worker.encoders().take(x.coding);
    if (!x.encoder) x.coding = compress::Coding::None;
  }

  std::span<const PreparedHeaderOp> ops = x.prepared->response_headers;
  bool vary_listed = false, has_date = false;
  x.fields.clear();
  copy_end_to_end(r.fields, ops, x.fields, [&](const plan::HeaderField& f) {
    std::string_view n = f.name;
    if (!has_date && http::iequals(n, "date")) has_date = true;
    // A HEAD or 304 response keeps the Content-Length that describes the entity.
    if (http::iequals(n, "content-length")) return no_body && (is_head || r.status == 304);
    if (x.cache.not_modified && !validator_field(n)) return false;
    if (x.may_compress && http::iequals(n, "vary")) {
      http::for_each_element(f.value, [&](std::string_view e) {
        return !(vary_listed = e == "*" || http::iequals(e, "accept-encoding"));
      });
    }
    if (x.encoder) {
      if (http::iequals(n, "accept-ranges")) return false;           // ranges of the encoded body are not offered
      if (http::iequals(n, "etag") && !f.value.starts_with("W/")) {  // other bytes now: a weak validator
        x.fields += "ETag: W/";
        x.fields += f.value;
        x.fields += "\r\n";
        return false;
      }
    }
    return true;
  });
  append_set_ops(x, ops, x.fields);
  sticky_cookie(x);
  if (x.cache.serve) append_stored_fields(x, x.fields);
  append_hsts(x, x.fields);
  if (!has_date) append_date(x.fields);  // RFC 9110 6.6.1: a forwarded response without one gets one
  if (x.may_compress && !vary_listed) x.fields += "Vary: Accept-Encoding\r\n";
  if (x.encoder) {
    x.fields += "Content-Encoding: ";
    x.fields += compress::coding_name(x.coding);
    x.fields += "\r\n";
  }

  using B = ResponseStart::Body;
  B body = no_body ? B::None : x.encoder || r.framing != http::Framing::Length ? B::Stream : B::Length;
  // The reason is copied: the head's views die when the body pipe compacts the buffer.
  x.reason.assign(r.reason);
  x.start = {r.status, x.reason, x.fields, body, r.content_length, false};
  return Step::Next;
}

}  // namespace banyan::proxy
