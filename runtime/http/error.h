// Why a message head was refused, and what the gateway answers: one catalog
// (error.cpp) maps each Error to its status and a short phrase for logs.
#pragma once

#include <cstdint>
#include <string_view>

namespace banyan::http {

enum class Error : uint8_t {
  None,
  BadRequestLine,               // 400: not METHOD SP request-target SP HTTP/1.x CRLF
  BadVersion,                   // 505: a well-formed HTTP/d.d other than 1.0 and 1.1
  UriTooLong,                   // 414: request line longer than limits.request_line
  HeadersTooLarge,              // 431: head longer than limits.header_bytes
  TooManyHeaders,               // 431: more than limits.header_count fields
  BadHeaderName,                // 400: empty name or non-token char
  SpaceBeforeColon,             // 400: "Name : v"
  ObsFold,                      // 400: a line starting with SP/HT
  BadHeaderValue,               // 400: NUL, bare CR, other CTL (except HT) in a value
  BareLF,                       // 400: a line ending in LF without CR
  BothLengthAndChunked,         // 400: Content-Length and Transfer-Encoding both present
  BadContentLength,             // 400: not 1*DIGIT, > 2^62, or more than one
  UnsupportedTransferEncoding,  // 501: a coding other than chunked
  BadTransferEncoding,          // 400: chunked not last/twice, empty element, TE in HTTP/1.0
  MissingHost,                  // 400: HTTP/1.1 request without Host
  DuplicateHost,                // 400: more than one Host field
  BadHost,                      // 400: not a valid host, userinfo, or authority != Host
  BadStatusLine,                // responses: not HTTP/1.x SP 3DIGIT SP reason CRLF (502)
};

// The status the gateway answers a client with. For a response from upstream, any
// failure is a 502, whatever the error; status_for(BadStatusLine) is 502.
int status_for(Error e);
std::string_view describe(Error e);  // a short phrase: "both Content-Length and Transfer-Encoding"

}  // namespace banyan::http
