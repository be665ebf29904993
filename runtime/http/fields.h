// What header fields mean for a proxy: names compared case-insensitively, the host
// rule, hop-by-hop fields, and the body framing that Content-Length and
// Transfer-Encoding decide (the rules are listed in parse.h). Pure functions over
// views; nothing allocates.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "runtime/http/chars.h"
#include "runtime/http/error.h"
#include "runtime/plan/matcher.h"

namespace banyan::http {

bool iequals(std::string_view a, std::string_view b);  // ASCII case-insensitive

// Calls f on each comma-separated element of a list-based field value (RFC 9110 5.6.1),
// trimmed of white space, empty ones included; stops early (returning false) when f does.
template <typename F>
bool for_each_element(std::string_view value, F f) {
  while (true) {
    const size_t comma = value.find(',');
    if (!f(chars::trim_ws(value.substr(0, comma)))) return false;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

// uri-host [":" port] (RFC 3986): reg-name (unreserved, sub-delims, %HH), an IPv4
// dotted quad (a name of digits and dots must be one), or "[" IPv6 "]"; the port, when
// there is a ':', is 1 to 5 digits with a value of 1 to 65535. No userinfo, no empty host.
bool valid_host(std::string_view host_port);

// The standard hop-by-hop fields: connection, keep-alive, proxy-connection, te,
// trailer, transfer-encoding, upgrade, proxy-authenticate, proxy-authorization. Fields
// that a Connection field names are hop-by-hop too: ask connection_lists.
bool is_hop_by_hop(std::string_view name);
// Does any Connection field list `name` (comma-separated tokens, any case)?
bool connection_lists(std::span<const plan::HeaderField> fields, std::string_view name);

// The framing that Content-Length and Transfer-Encoding give a message, before the
// status- or method-specific rules. error is None or one of BothLengthAndChunked,
// BadContentLength, BadTransferEncoding, UnsupportedTransferEncoding.
struct BodyFraming {
  Error error = Error::None;
  bool length = false;   // one valid Content-Length
  bool chunked = false;  // Transfer-Encoding: chunked
  uint64_t content_length = 0;
};
inline constexpr uint64_t kMaxContentLength = uint64_t{1} << 62;
BodyFraming read_framing(std::span<const plan::HeaderField> fields, uint8_t version_minor);

}  // namespace banyan::http
