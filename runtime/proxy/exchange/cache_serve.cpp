// A stored response as the client's answer (RFC 9111 4 and 4.3.2, RFC 9110 14.2), for
// a hit found by phase 3 or a stale or refreshed entry chosen after phase 4: its head
// becomes the upstream's (phase 5 reads it), the client's conditional answers 304, one
// byte range 206 or 416; and the fields a stored answer adds (Age, Content-Range).
#include "runtime/compress/negotiate.h"
#include "runtime/http/fields.h"
#include "runtime/proxy/clock.h"
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/gateway.h"

namespace banyan::proxy {

Step serve_stored(Exchange& x, std::shared_ptr<const cache::Entry> e, cache::Status s) {
  x.cache.serve = std::move(e);
  x.cache.status = s;
  x.cache.has_status = true;
  x.shadow.reset();  // the client gets the stored answer: no upstream response to compare a copy with
  return Step::Cached;
}

namespace {

// RFC 9110 13.1.5: If-Range names the stored response by its strong entity tag (strong
// comparison) or its Last-Modified date (equal, as nginx compares it); a weak tag,
// another tag or another date asks for the whole response.
bool if_range_holds(std::span<const plan::HeaderField> fields, const cache::Entry& e) {
  std::string_view v;
  if (!plan::find_header(fields, "if-range", v)) return true;
  v = http::chars::trim_ws(v);
  if (v.starts_with('"')) return !e.etag.empty() && v == e.etag;  // a stored weak tag starts with W/
  if (v.starts_with("W/")) return false;
  std::optional<int64_t> date = cache::parse_http_date(v);
  std::optional<int64_t> modified = cache::parse_http_date(e.last_modified);
  return date && modified && *date == *modified;
}

// RFC 9110 14.2: one byte range of a whole stored 200 answers 206 (416 when it misses);
// several, an invalid field, a failed If-Range, or a response the route encodes for
// this client (as nginx's gzip does) answer with the whole. A response still arriving
// (another request's fill) answers whole too.
void stored_range(Exchange& x, const cache::Entry& e) {
  CacheLeg& c = x.cache;
  http::ResponseHead& r = x.up.head;
  const http::RequestHead& h = *x.head;
  std::string_view range;
  if (r.status != 200 || r.framing != http::Framing::Length || h.method != "GET" || c.streaming || c.encoded ||
      !plan::find_header(h.fields, "range", range) || !if_range_holds(h.fields, e))
    return;
  c.range = http::byte_range(range, e.body->size(), c.bytes);
  if (c.range == http::RangeAnswer::Partial) {
    r.status = 206;
    r.reason = {};
    r.content_length = c.bytes.length;
  } else if (c.range == http::RangeAnswer::Unsatisfiable) {
    r.status = 416;
    r.reason = {};
    r.fields = {};  // not the representation's: an empty body
    r.content_length = 0;
  }
}

}  // namespace

void stored_head(Exchange& x) {
  CacheLeg& c = x.cache;
  const cache::Entry& e = *c.serve;
  const http::RequestHead& h = *x.head;
  // 4.3.2: the client's own conditional, answered from the stored response.
  std::string_view inm, ims;
  if (plan::find_header(h.fields, "if-none-match", inm)) {
    const auto opaque = [](std::string_view t) { return t.starts_with("W/") ? t.substr(2) : t; };
    http::for_each_element(inm, [&](std::string_view t) {  // weak comparison (RFC 9110 8.8.3.2)
      if (t == "*" || (!e.etag.empty() && opaque(t) == opaque(e.etag))) c.not_modified = true;
      return !c.not_modified;
    });
  } else if (plan::find_header(h.fields, "if-modified-since", ims)) {
    std::optional<int64_t> since = cache::parse_http_date(ims);
    std::optional<int64_t> modified =
        cache::parse_http_date(e.last_modified.empty() ? std::string_view() : e.last_modified);
    if (since && modified && *modified <= *since) c.not_modified = true;
  }
  c.not_modified = c.not_modified && (e.status == 200);
  http::ResponseHead& r = x.up.head;
  r.status = static_cast<uint16_t>(c.not_modified ? 304 : e.status);
  r.reason = c.not_modified ? std::string_view() : std::string_view(e.reason);
  r.fields = e.fields;
  r.version_minor = 1;
  // A fill being read is still growing: its length is the upstream's (the body pointer
  // is set by the fill's holder when it ends, so it is not read here).
  r.content_length = c.streaming ? c.shared->length : e.body->size();
  // Would this client's GET of it be encoded? Asked with a GET's framing, so that a
  // HEAD says what the GET would (no Accept-Ranges for a client that would get gzip).
  r.framing = http::Framing::Length;
  c.encoded = compress_applies(x, r) && compress::choose_coding(x.route->compress, h.fields) != compress::Coding::None;
  const bool body = !c.not_modified && h.method != "HEAD" && e.status != 204;
  r.framing = body ? http::Framing::Length : http::Framing::None;
  stored_range(x, e);
  // A body the client sent with its GET is not read: skipped when it is here whole,
  // else the connection closes after the answer (pipe_stored).
  bool whole = false;
  (void)x.down.buffered_body(whole);
  if (whole) x.down.consume_buffered_body();
}

void append_stored_fields(Exchange& x, std::string& out) {
  const CacheLeg& c = x.cache;
  out += "Age: ";
  append_number(out, static_cast<uint64_t>(c.serve->stored(unix_ms_now()).age_ms / 1000));
  out += "\r\n";
  // A whole stored 200 in its own bytes says that ranges of it are answered (as nginx and
  // Varnish say of what they cache), unless the upstream said something itself.
  std::string_view said;
  const http::RequestHead& h = *x.head;
  if (x.up.head.status == 200 && c.range == http::RangeAnswer::Whole && !c.streaming && !c.encoded &&
      (h.method == "GET" || h.method == "HEAD") && !plan::find_header(c.serve->fields, "accept-ranges", said))
    out += "Accept-Ranges: bytes\r\n";
  if (c.range != http::RangeAnswer::Whole) {
    const uint64_t size = c.serve->body->size();
    out += "Content-Range: bytes ";
    if (c.range == http::RangeAnswer::Partial) {
      append_number(out, c.bytes.first);
      out += '-';
      append_number(out, c.bytes.first + c.bytes.length - 1);
    } else {
      out += '*';
    }
    out += '/';
    append_number(out, size);
    out += "\r\n";
  }
  if (x.up.head.framing == http::Framing::None && !c.not_modified && c.serve->status != 204) {
    out += "Content-Length: ";  // a HEAD's answer describes the stored body
    append_number(out, x.up.head.content_length);
    out += "\r\n";
  }
}

}  // namespace banyan::proxy
