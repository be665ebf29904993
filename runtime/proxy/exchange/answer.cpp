// The answers the gateway makes itself: a LocalAnswer (phase 1), and the answer to a
// failure, mapped from its ExchangeError in one place. A client sees a short phrase,
// the status and the request id; the details (upstream, address, cause, route) go to
// the access log, and to the client only on a listener `[errors] show_details` names.
// A connection whose request was read whole stays open after an answer; one whose
// body the gateway did not read says `Connection: close`.
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/gateway.h"
#include "runtime/proxy/io.h"

namespace banyan::proxy {
namespace {

using K = ExchangeError::Kind;

// gRPC's code for an answer the gateway makes itself (the gRPC spec's HTTP mapping;
// a timeout is the call's deadline, DEADLINE_EXCEEDED).
int grpc_code(int status) {
  switch (status) {
    case 400: return 13;  // INTERNAL
    case 401: return 16;  // UNAUTHENTICATED
    case 403: return 7;   // PERMISSION_DENIED
    case 404: return 12;  // UNIMPLEMENTED
    case 413:
    case 431: return 8;   // RESOURCE_EXHAUSTED
    case 429:
    case 502:
    case 503: return 14;  // UNAVAILABLE
    case 504: return 4;   // DEADLINE_EXCEEDED
    case 500: return 13;  // INTERNAL
    default: return 2;    // UNKNOWN
  }
}

}  // namespace

void append_grpc_message(std::string& out, std::string_view text, bool encoded) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char ch : text) {
    if (ch >= 0x20 && ch < 0x7f && (ch != '%' || encoded)) {
      out += static_cast<char>(ch);
    } else if (ch != '\n') {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
}

namespace {

// A gRPC call's error, as gRPC clients read one: HTTP 200 with only a head carrying
// grpc-status and grpc-message (trailers-only), the message percent-encoded (and so
// kept for the access log).
void grpc_answer(Exchange& x, int status, std::string_view phrase, bool close) {
  x.grpc_status = grpc_code(status);
  x.grpc_message.clear();
  append_grpc_message(x.grpc_message, phrase, false);
  x.out.clear();
  append_date(x.out);
  x.out += "Content-Type: application/grpc\r\ngrpc-status: ";
  append_number(x.out, static_cast<uint64_t>(x.grpc_status));
  x.out += "\r\ngrpc-message: ";
  x.out += x.grpc_message;
  x.out += " (request id ";
  x.out += x.request_id;
  x.out += ")\r\n";
  x.start = {200, {}, x.out, ResponseStart::Body::None, 0, close};
}

// The answer's head and body. A gateway-made error (`error`) names the request on the
// body's second line; `details` follow it. On a gRPC call an error is gRPC's own.
Task<void> send_answer(Exchange& x, int status, std::string_view fields, std::string_view body,
                                         bool error, bool close, std::string_view details = {}) {
  if (status == 0) co_return;  // nothing to answer
  if (error && is_grpc(*x.head)) {
    bool whole = false;
    (void)x.down.buffered_body(whole);
    if (whole) x.down.consume_buffered_body();
    grpc_answer(x, status, body, close || x.down.body_unread());
    x.status = 200;
    x.responded = true;
    const std::string_view nothing;
    if (!co_await x.down.send_head(x.start, nothing, true) || x.start.close) x.keep = false;
    co_return;
  }
  x.status = status;
  x.out.assign(fields);
  append_date(x.out);
  append_hsts(x, x.out);
  if (!body.empty()) x.out += "Content-Type: text/plain; charset=utf-8\r\n";
  if (error) {
    x.scratch.assign(body);
    x.scratch += "request id: ";
    x.scratch += x.request_id;
    x.scratch += '\n';
    x.scratch += details;
    body = x.scratch;
  }
  bool whole = false;
  (void)x.down.buffered_body(whole);
  if (whole) x.down.consume_buffered_body();  // all of it is here: skip it, keep the connection
  close = close || x.down.body_unread();
  x.start = {status, {}, x.out, ResponseStart::Body::Length, body.size(), close};
  x.responded = true;
  bool ok = co_await x.down.send_head(x.start, x.head->method == "HEAD" ? std::string_view() : body, true);
  if (!ok || close) x.keep = false;
}

}  // namespace

int failure_status(const ExchangeError& e, bool head_sent) {
  if (head_sent) return 0;  // the response began: it can only be cut short
  switch (e.kind) {
    case K::None:
    case K::ClientGone: return 0;
    case K::MalformedBody: return 400;
    case K::BodyTooLarge: return 413;
    case K::NoEndpoint: return 503;
    case K::ConnectTimeout:
    case K::ResponseTimeout:
    case K::BodyTimeout: return 504;
    case K::Rewrite:
    case K::Compression: return 500;
    case K::Connect:
    case K::WriteRequest:
    case K::ResetBeforeResponse:
    case K::BadResponse:
    case K::BodyBrokenOff: return 502;
  }
  return 502;
}

std::string_view failure_phrase(K k) {
  switch (k) {
    case K::MalformedBody: return "bad request: malformed chunked body";
    case K::BodyTooLarge: return "content too large: the body exceeds this route's limit";
    case K::NoEndpoint: return "service unavailable: no upstream endpoint is available";
    case K::ConnectTimeout:
    case K::ResponseTimeout:
    case K::BodyTimeout: return "gateway timeout: the upstream did not answer in time";
    case K::Rewrite:
    case K::Compression: return "internal error: the gateway could not complete the response";
    default: return "bad gateway: the upstream failed";
  }
}

// Not a coroutine: it returns send_answer's, one frame fewer (Asio 1.74 recycles one).
Task<void> send_local(Exchange& x) {
  const LocalAnswer& a = x.local;
  if (!a.error.empty()) x.error_text.assign(a.error);
  return send_answer(x, a.status, a.fields, a.body, !a.error.empty() && a.status >= 400, a.close);
}

Task<void> answer_failure(Exchange& x) {
  const ExchangeError& e = x.error;
  const bool upstream = e.source == ExchangeError::Source::Upstream;
  // The access log: the cause, with the upstream's name and address when it is theirs.
  x.error_text.clear();
  if (upstream && e.kind != K::NoEndpoint) {
    x.error_text = "upstream ";
    x.error_text += x.up.pu->name;
    x.error_text += " (";
    x.error_text += x.up.addr;
    x.error_text += "): ";
  }
  x.error_text += e.detail;
  int status = failure_status(e, x.responded);
  x.fields.clear();  // the details, for a listener that shows them
  if (x.down.client().show_error_details) {
    x.fields = x.error_text + "\n";
    if (x.prepared) x.fields += "route: " + x.prepared->label + " (" + x.prepared->where + ")\n";
  }
  if (status == 0) x.keep = false;  // nothing can be answered: the connection ends
  x.text = failure_phrase(e.kind);
  x.text += '\n';
  const bool close = e.kind == K::MalformedBody || e.kind == K::BodyTooLarge;
  return send_answer(x, status, std::string_view(), x.text, true, close, x.fields);  // not a coroutine: one frame fewer
}

Task<void> Exchange::refuse(int st, std::string_view body, std::string_view why, const char* id,
                                              Clock::time_point t) {
  reset();
  head = &down.request();
  request_id = {id, 32};
  started = t;
  error_text.assign(why);
  const std::string_view no_fields;  // not `{}`: GCC 12 miscompiles braced temporaries in co_await
  co_await send_answer(*this, st, no_fields, body, true, true);
  keep = false;
  record_outcome(*this);
}

}  // namespace banyan::proxy
