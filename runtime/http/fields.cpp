// Field semantics shared by requests and responses: the host grammar, hop-by-hop
// fields, and Content-Length / Transfer-Encoding framing (RFC 9112 6.1-6.3).
#include "runtime/http/fields.h"

#include <array>

#include "runtime/http/chars.h"

namespace banyan::http {
namespace {

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  uint32_t v = 0;
  for (char c : port) {
    if (!chars::is_digit(c)) return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v >= 1 && v <= 65535;
}

bool valid_ipv4(std::string_view s) {
  int parts = 0;
  while (true) {
    const size_t dot = s.find('.');
    const std::string_view part = s.substr(0, dot);
    if (part.empty() || part.size() > 3) return false;
    int v = 0;
    for (char c : part) {
      if (!chars::is_digit(c)) return false;
      v = v * 10 + (c - '0');
    }
    if (v > 255 || ++parts > 4) return false;
    if (dot == std::string_view::npos) return parts == 4;
    s.remove_prefix(dot + 1);
  }
}

// RFC 3986 IPv6address: up to 8 groups of 1-4 HEXDIG, one "::" standing for at least
// one zero group, an IPv4 dotted quad as the last two groups. (No zone ids, no IPvFuture.)
bool valid_ipv6(std::string_view s) {
  int groups = 0;
  bool elided = false;
  if (s.starts_with("::")) {
    elided = true;
    s.remove_prefix(2);
    if (s.empty()) return true;
  }
  while (true) {
    const size_t colon = s.find(':');
    const std::string_view group = s.substr(0, colon);
    if (colon == std::string_view::npos && group.find('.') != std::string_view::npos) {
      if (!valid_ipv4(group)) return false;
      groups += 2;
      break;
    }
    if (group.empty() || group.size() > 4) return false;
    for (char c : group)
      if (!chars::is(c, chars::kHex)) return false;
    ++groups;
    if (colon == std::string_view::npos) break;
    s.remove_prefix(colon + 1);
    if (s.starts_with(":")) {  // "::" in the middle or at the end
      if (elided) return false;
      elided = true;
      s.remove_prefix(1);
      if (s.empty()) break;
    } else if (s.empty()) {
      return false;  // a single trailing ':'
    }
  }
  return elided ? groups <= 7 : groups == 8;
}

bool valid_reg_name(std::string_view s) {
  if (s.empty()) return false;
  bool digits_and_dots = true;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    digits_and_dots = digits_and_dots && (chars::is_digit(c) || c == '.');
    if (c == '%') {
      if (i + 2 >= s.size() || !chars::is(s[i + 1], chars::kHex) || !chars::is(s[i + 2], chars::kHex)) return false;
      i += 2;
    } else if (!chars::is(c, chars::kRegName)) {
      return false;
    }
  }
  // "1.2.3.999" is a reg-name by the grammar, but a numeric name that is not an IPv4
  // address is a trap for whatever resolves it next.
  return !digits_and_dots || valid_ipv4(s);
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (chars::lower(a[i]) != chars::lower(b[i])) return false;
  return true;
}

bool valid_host(std::string_view host_port) {
  std::string_view host = host_port, port;
  bool has_port = false;
  if (host_port.starts_with('[')) {
    const size_t close = host_port.find(']');
    if (close == std::string_view::npos || !valid_ipv6(host_port.substr(1, close - 1))) return false;
    host = host_port.substr(0, close + 1);
    if (close + 1 < host_port.size()) {
      if (host_port[close + 1] != ':') return false;
      has_port = true;
      port = host_port.substr(close + 2);
    }
  } else {
    const size_t colon = host_port.find(':');
    if (colon != std::string_view::npos) {
      has_port = true;
      host = host_port.substr(0, colon);
      port = host_port.substr(colon + 1);
    }
    if (!valid_reg_name(host)) return false;
  }
  return !has_port || valid_port(port);
}

bool is_hop_by_hop(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kHopByHop = {
      "connection", "keep-alive",         "proxy-connection",   "te", "trailer", "transfer-encoding",
      "upgrade",    "proxy-authenticate", "proxy-authorization"};
  for (std::string_view h : kHopByHop)
    if (iequals(name, h)) return true;
  return false;
}

bool connection_lists(std::span<const plan::HeaderField> fields, std::string_view name) {
  for (const plan::HeaderField& f : fields) {
    if (!iequals(f.name, "connection")) continue;
    if (!for_each_element(f.value, [&](std::string_view e) { return !iequals(e, name); })) return true;
  }
  return false;
}

BodyFraming read_framing(std::span<const plan::HeaderField> fields, uint8_t version_minor) {
  BodyFraming out;
  int lengths = 0;
  bool has_te = false, chunked_last = false, chunked_seen = false, other = false, malformed = false;
  for (const plan::HeaderField& f : fields) {
    if (iequals(f.name, "content-length")) {
      ++lengths;
      out.content_length = 0;
      bool ok = !f.value.empty();
      for (char c : f.value) {
        const uint64_t d = static_cast<uint64_t>(c - '0');
        ok = ok && chars::is_digit(c) && out.content_length <= (kMaxContentLength - d) / 10;
        if (!ok) break;
        out.content_length = out.content_length * 10 + d;
      }
      if (!ok) out.error = Error::BadContentLength;
    } else if (iequals(f.name, "transfer-encoding")) {
      has_te = true;
      for_each_element(f.value, [&](std::string_view e) {
        size_t n = 0;
        while (n < e.size() && chars::is_token(e[n])) ++n;
        const std::string_view coding = e.substr(0, n), rest = chars::trim_ws(e.substr(n));
        if (coding.empty() || (!rest.empty() && rest.front() != ';')) {
          malformed = true;
        } else if (iequals(coding, "chunked")) {
          malformed = malformed || chunked_seen || !rest.empty();
          chunked_seen = chunked_last = true;
        } else {
          other = true;
          chunked_last = false;
        }
        return true;
      });
    }
  }
  if (lengths > 0 && has_te) return {.error = Error::BothLengthAndChunked};
  if (has_te) {
    // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
    if (version_minor == 0 || malformed || !chunked_last) return {.error = Error::BadTransferEncoding};
    if (other) return {.error = Error::UnsupportedTransferEncoding};
    return {.chunked = true};
  }
  if (lengths > 1) return {.error = Error::BadContentLength};
  if (out.error != Error::None) return {.error = out.error};
  out.length = lengths == 1;
  return out;
}

}  // namespace banyan::http
