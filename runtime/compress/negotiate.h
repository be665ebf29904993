// Whether a proxied response is compressed, and with what: the route's `compress`
// codings, the client's Accept-Encoding, and the response itself. Pure functions over
// the parsed fields; nothing allocates.
//
// A response is eligible (and then carries `Vary: Accept-Encoding`, whatever this
// client accepts) when all of these hold, as nginx's gzip filter and Traefik's
// compress middleware decide:
//   - the status is 200, 403 or 404 (nginx: the others are short, or partial content);
//   - there is a body, and the request is not HEAD;
//   - it has no Content-Encoding (other than identity) and no Content-Range;
//   - Cache-Control has no `no-transform` (RFC 9110 7.7: a proxy must not transform it);
//   - its Content-Type is text (not text/event-stream, which streams), JSON, XML,
//     JavaScript, SVG, WebAssembly or a font format that is not compressed already;
//   - a Content-Length, when there is one, is at least kMinCompressBytes.
// The request must be HTTP/1.1 (the compressed body is chunked; nginx's
// gzip_http_version 1.1 default).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "runtime/plan/matcher.h"

namespace banyan::compress {

enum class Coding : uint8_t { None, Gzip, Brotli };

// Traefik's default: below 1 KiB the coding's framing and the CPU outweigh the saving.
inline constexpr uint64_t kMinCompressBytes = 1024;

// The plan's Route::compress bits.
inline constexpr uint8_t kRouteGzip = 1, kRouteBrotli = 2;

std::string_view coding_name(Coding c);  // "gzip", "br"; "" for None

// The coding the client prefers among the route's (RFC 9110 12.5.3): the highest
// q-value wins, q=0 refuses, "*" stands for any coding not named, a missing
// Accept-Encoding accepts none here (identity is always fine). Brotli wins a tie.
Coding choose_coding(uint8_t route_codings, std::span<const plan::HeaderField> request_fields);

// The response rules above, for a response with a body to a request that is not HEAD.
// `content_length` is the response's, when it has one (framing Length).
bool eligible_response(int status, std::span<const plan::HeaderField> response_fields, bool has_length,
                       uint64_t content_length);

}  // namespace banyan::compress
