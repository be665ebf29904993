// The HTTP/1.1 message head (RFC 9112), read strictly: the gateway's defence against
// request smuggling is to refuse every message that two parsers could frame
// differently. Parsing allocates nothing and throws nothing: results are views into
// the caller's buffer and a caller-provided HeaderField array.
//
// The rules, beyond the grammar:
//  - every line ends in CRLF; a bare LF or a CR not followed by LF is refused, in
//    requests and in responses; a line starting with SP/HT (obs-fold, or whitespace
//    before the first field) is refused.
//  - Content-Length is 1*DIGIT, at most 2^62, and appears at most once (even "5, 5"
//    or an identical repeat is refused); Content-Length with Transfer-Encoding is
//    refused; Transfer-Encoding in an HTTP/1.0 message is refused (RFC 9112 6.1).
//  - Transfer-Encoding (all fields, as one list) must end in "chunked" (any case),
//    else BadTransferEncoding, as are an empty element, chunked twice or chunked
//    with parameters; a coding before the final chunked (gzip, identity...) is
//    UnsupportedTransferEncoding. Responses follow the same rules: RFC 9112 6.3 would
//    read "gzip" alone until close, but Transfer-Encoding is hop-by-hop and we could
//    not forward the coding, so we refuse instead.
//  - the request line is exactly METHOD SP target SP version: the method any token
//    (which methods to allow is the proxy's business), the target non-empty, without
//    CTL, SP, '#' or bytes >= 0x80; origin-form starts with '/', absolute-form is
//    http or https (any case) without userinfo, '*' only with OPTIONS, authority-form
//    (host:port) only with CONNECT. No empty line may come before it.
//  - field names are tokens; values are VCHAR, obs-text, SP and HT, OWS-trimmed.
//  - only HTTP/1.0 and HTTP/1.1; another well-formed "HTTP/d.d" in a request is
//    BadVersion (505), anything else is BadRequestLine (400); in a response every
//    version problem is BadStatusLine. The status line needs both SPs, even with an
//    empty reason.
//  - the host (valid_host) is the absolute-form or CONNECT authority when there is
//    one, and the Host field must then be a valid host naming the same authority as
//    RFC 9110 4.2.3 normalises it: the host compared case-insensitively, the port by
//    its value, and the scheme's default port (80 for http, 443 for https; none for
//    CONNECT) the same as no port, so "http://Example.com:80/" goes with
//    "Host: example.com". (An empty port, "a:", is refused by valid_host in both.)
//    HTTP/1.1 requests need exactly one Host, HTTP/1.0 may have none.
//  - Incomplete means: the head has not ended yet AND no byte so far breaks a rule or
//    a limit. A verdict depends only on the bytes up to the offending one, so a
//    slowloris or oversized head fails as soon as the byte crossing a limit arrives,
//    and a longer buffer never turns Failed or Complete into something else.
//    request_line bounds the request line without its CRLF; header_bytes bounds the
//    whole head including the final CRLF CRLF.
// Cost: one pass over the head per call. The parser keeps no state between calls, so
// call it again when more bytes have arrived, not once per byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "runtime/http/error.h"
#include "runtime/http/fields.h"
#include "runtime/plan/matcher.h"

namespace banyan::http {

struct Limits {
  size_t request_line = 8192;
  size_t header_bytes = 32768;
  size_t header_count = 100;
};

enum class Framing : uint8_t { None, Length, Chunked, UntilClose };  // UntilClose: responses only

// The scheme of an absolute-form target ("http://h/p", any case); None for origin-form
// ("/p"), authority-form (CONNECT) and asterisk-form ("*"). The parser accepts both
// schemes on any connection: whether an https target may arrive on a plain listener
// is the proxy's business.
enum class TargetScheme : uint8_t { None, Http, Https };

struct RequestHead {
  std::string_view method, target;  // target as received
  std::string_view path, query;     // origin- or absolute-form: path starts with '/' ("/" is a static
                                    // string when an absolute-form has an empty path), query without '?'
  std::string_view host;            // the validated host, may include :port (empty: HTTP/1.0 without Host);
                                    // the target's authority, as written, when it has one
  TargetScheme scheme = TargetScheme::None;
  uint8_t version_major = 1;  // 2: a stream of an HTTP/2 connection (never set by this parser)
  uint8_t version_minor = 1;
  std::span<plan::HeaderField> fields;  // every field in order, names as received, values OWS-trimmed
  Framing framing = Framing::None;      // None = no body; Length includes "Content-Length: 0"
  uint64_t content_length = 0;
  bool keep_alive = true;  // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "keep-alive"
  bool expect_continue = false;
  bool upgrade = false;
  size_t head_bytes = 0;  // including the final CRLF CRLF
};

struct ResponseHead {
  uint16_t status = 0;
  std::string_view reason;
  uint8_t version_minor = 1;
  std::span<const plan::HeaderField> fields;
  Framing framing = Framing::None;  // None for 1xx (101 too), 204, 304 and responses to HEAD
  uint64_t content_length = 0;      // also set (but framing None) for HEAD and 304 responses
  bool keep_alive = true;           // false when framing is UntilClose
  size_t head_bytes = 0;
};

enum class Parse : uint8_t { Complete, Incomplete, Failed };

// `storage` needs room for limits.header_count fields (fewer: the limit is storage.size()).
// On Failed, `error` says why; otherwise it is None. `out` is meaningful only on Complete.
Parse parse_request(std::string_view buf, const Limits& limits, std::span<plan::HeaderField> storage, RequestHead& out,
                    Error& error);
Parse parse_response(std::string_view buf, bool request_was_head, const Limits& limits,
                     std::span<plan::HeaderField> storage, ResponseHead& out, Error& error);

}  // namespace banyan::http
