// The request head the upstream receives, re-serialised from the parsed request (never
// the client's bytes): the normalised or rewritten path, the query as received, the
// end-to-end fields (header_ops.h), X-Forwarded-For/-Proto/-Host and Via, the route's
// request headers, and exactly one framing field for the body; when the cache validates
// a stored response, its validators. For an h2c upstream, the same head as HTTP/2
// fields.
#include "runtime/plan/rewrite.h"
#include "runtime/proxy/exchange/header_ops.h"

namespace banyan::proxy {
namespace {

// The request's Range asks for every byte from the first ("bytes=0-", or a last
// position past any size).
bool asks_from_start(std::span<const plan::HeaderField> fields) {
  std::string_view v;
  if (!plan::find_header(fields, "range", v)) return false;
  constexpr uint64_t kAny = ~uint64_t{0};
  http::ByteRange r;
  return http::byte_range(v, kAny, r) == http::RangeAnswer::Partial && r.first == 0 && r.length == kAny;
}

// A client's field the cache keeps from the upstream. A request the cache may answer
// asks the upstream for the whole response (to store it), or validates the stored one
// with the gateway's own conditional (append_validators); a client's conditional is
// answered from the stored response (cache_serve.cpp). A fill asked for from the first
// byte to the end (a browser's first request for a video, "bytes=0-") asks for the
// whole, which is stored; other ranges go to the upstream as they are (its 206 is not
// stored). `whole_range`: this request is such a fill.
bool cache_drops(const Exchange& x, std::string_view n, bool whole_range) {
  if (x.cache.has_status && x.cache.status != cache::Status::Bypass &&
      (http::iequals(n, "if-none-match") || http::iequals(n, "if-modified-since")))
    return true;
  return whole_range && (http::iequals(n, "range") || http::iequals(n, "if-range"));
}

// RFC 9111 4.3.1: the stored response's validators, when the cache validates it.
void append_validators(const Exchange& x, std::string& out) {
  if (!x.cache.validating) return;
  if (!x.cache.entry->etag.empty()) append_field(out, "If-None-Match", x.cache.entry->etag);
  if (!x.cache.entry->last_modified.empty()) append_field(out, "If-Modified-Since", x.cache.entry->last_modified);
}

// "METHOD TARGET HTTP/1.1": the normalised or rewritten path and the query as received;
// false when the route's rewrite cannot be made.
bool append_request_line(Exchange& x, std::string& out) {
  const http::RequestHead& h = *x.head;
  const plan::Route& route = *x.route;
  out += h.method;
  out += ' ';
  if (route.has_rewrite) {
    if (!plan::rewrite_path(x.gen->plan->str(route.rewrite), {x.match.captures.data(), x.match.capture_count}, out))
      return false;
  } else {
    out += x.path;
  }
  if (!h.query.empty()) {
    out += '?';
    out += h.query;
  }
  out += " HTTP/1.1\r\n";
  return true;
}

}  // namespace

bool write_request_head(Exchange& x, std::string_view upgrade_to) {
  const http::RequestHead& h = *x.head;
  const bool whole_range = x.cache.filling && asks_from_start(h.fields);
  std::span<const PreparedHeaderOp> ops = x.prepared->request_headers;
  std::string& out = x.out;
  out.clear();
  if (!append_request_line(x, out)) return false;

  // Host: the route's, when it sets one, else the client's.
  bool host_set = false;
  for (const PreparedHeaderOp& op : ops) {
    if (op.kind != plan::HeaderOpKind::Set || !http::iequals(op.name, "host")) continue;
    x.scratch.clear();
    expand(x, op.value, x.scratch);
    if (!x.scratch.empty()) {
      append_field(out, "Host", x.scratch);
      host_set = true;
    }
  }
  if (!host_set && !h.host.empty()) append_field(out, "Host", h.host);

  std::string_view via_prior;
  x.text.clear();  // the prior X-Forwarded-For values, joined
  copy_end_to_end(h.fields, ops, out, [&](const plan::HeaderField& f) {
    std::string_view n = f.name;
    if (http::iequals(n, "host") || http::iequals(n, "content-length") || http::iequals(n, "expect") ||
        http::iequals(n, "x-forwarded-proto") || http::iequals(n, "x-forwarded-host"))
      return false;
    if (http::iequals(n, "x-forwarded-for")) {
      if (!x.text.empty()) x.text += ", ";
      x.text += f.value;
      return false;
    }
    if (http::iequals(n, "via")) {
      via_prior = f.value;
      return false;
    }
    return !cache_drops(x, n, whole_range);
  });
  append_validators(x, out);
  if (!x.text.empty()) x.text += ", ";
  x.text += x.down.client().peer;  // the hop we saw; the derived client is already in the list
  append_field(out, "X-Forwarded-For", x.text);
  append_field(out, "X-Forwarded-Proto", x.down.client().https ? "https" : "http");
  if (!h.host.empty()) append_field(out, "X-Forwarded-Host", h.host);
  x.text.assign(via_prior);
  if (!x.text.empty()) x.text += ", ";
  x.text += h.version_major == 2 ? "2 banyan" : h.version_minor == 0 ? "1.0 banyan" : "1.1 banyan";
  append_field(out, "Via", x.text);
  append_set_ops(x, ops, out, "host");

  if (h.framing == http::Framing::Length) {
    out += "Content-Length: ";
    append_number(out, h.content_length);
    out += "\r\n";
  } else if (h.framing == http::Framing::Chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  }
  // `allow upgrade` (WebSocket): the one hop-by-hop pair a route may let through.
  if (!upgrade_to.empty()) {
    append_field(out, "Connection", "upgrade");
    append_field(out, "Upgrade", upgrade_to);
  }
  out += "\r\n";
  return true;
}

// The request head written for HTTP/1.1, as HTTP/2 fields (phases.h): the request
// line's method and target, Host as :authority, names lower-cased, the framing and
// connection-specific fields left out (HTTP/2 frames the body itself); `te: trailers`
// when the client asked for trailers (gRPC servers require it).
void h2_request_fields(Exchange& x, std::vector<nghttp2_nv>& nv, std::string& names) {
  std::string_view head = x.out;
  auto field = [](std::string_view n, std::string_view v) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE};
  };
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  nv.clear();
  nv.push_back(field(":method", line.substr(0, sp1)));
  nv.push_back(field(":scheme", "http"));
  nv.push_back(field(":authority", {}));  // Host's value, below
  nv.push_back(field(":path", line.substr(sp1 + 1, sp2 - sp1 - 1)));
  // The lower-cased names are views into `names`: room for all of them first, so that
  // appending never moves the ones already taken.
  names.clear();
  names.reserve(head.size());
  for (std::string_view rest = head.substr(eol + 2); !rest.empty();) {
    size_t e = rest.find("\r\n");
    std::string_view l = rest.substr(0, e);
    rest = rest.substr(e + 2);
    size_t colon = l.find(':');
    if (l.empty() || colon == std::string_view::npos) continue;
    std::string_view n = l.substr(0, colon), v = l.substr(colon + 2);
    if (http::iequals(n, "host")) {
      nv[2] = field(":authority", v);
      continue;
    }
    if (http::iequals(n, "content-length") || http::iequals(n, "transfer-encoding") || http::iequals(n, "connection") ||
        http::iequals(n, "upgrade") || http::iequals(n, "keep-alive"))
      continue;
    size_t at = names.size();
    for (char ch : n) names += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    nv.push_back(field(std::string_view(names).substr(at, n.size()), v));
  }
  std::string_view te;
  bool trailers = false;
  if (plan::find_header(x.head->fields, "te", te))
    http::for_each_element(te, [&](std::string_view e) { return !(trailers = http::iequals(e, "trailers")); });
  if (trailers) nv.push_back(field("te", "trailers"));
  const http::RequestHead& h = *x.head;
  if (h.framing == http::Framing::Length) {
    x.scratch.clear();
    append_number(x.scratch, h.content_length);
    nv.push_back(field("content-length", x.scratch));
  }
}

}  // namespace banyan::proxy
