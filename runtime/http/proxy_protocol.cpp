// The PROXY protocol header, versions 1 (a text line) and 2 (binary), as HAProxy's
// proxy-protocol.txt specifies them; the section of each rule is beside it. Failures
// are found at the earliest byte that shows them, so a header that cannot be valid is
// refused without waiting for the rest (the header deadline is then not spent).
#include "runtime/http/proxy_protocol.h"

#include <arpa/inet.h>
#include <cstring>

namespace banyan::http {
namespace {

constexpr std::string_view kV1Sig = "PROXY ";
constexpr std::string_view kV2Sig{"\r\n\r\n\0\r\nQUIT\n", 12};  // section 2.2

// Whether `in`'s first bytes agree with `sig` (as far as either goes).
bool agrees(std::string_view in, std::string_view sig) {
  size_t n = std::min(in.size(), sig.size());
  return in.substr(0, n) == sig.substr(0, n);
}

ProxyParse fail(std::string_view& why, std::string_view reason) {
  why = reason;
  return ProxyParse::Failed;
}

bool v1_addr_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':';
}

// An address of the line: inet_pton's form for the family, copied to a bounded buffer.
bool v1_address(std::string_view text, bool v6, std::array<uint8_t, 16>& out) {
  char buf[48];
  if (text.empty() || text.size() >= sizeof buf) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (v6) return inet_pton(AF_INET6, buf, out.data()) == 1;
  out = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return inet_pton(AF_INET, buf, out.data() + 12) == 1;
}

// "0".."65535" in decimal, no leading zeros (section 2.1: "leading zeroes are not permitted").
bool v1_port(std::string_view text, uint16_t& out) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return false;
  uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

// The line after "PROXY " up to its CR: "TCP4 src dst sport dport", "TCP6 ..." or
// "UNKNOWN" with anything after it (section 2.1: the receiver ignores it).
ProxyParse v1_line(std::string_view line, ProxyHeader& out, std::string_view& why) {
  if (line == "UNKNOWN" || line.substr(0, 8) == "UNKNOWN ") return ProxyParse::Complete;
  bool v6 = line.substr(0, 5) == "TCP6 ";
  if (!v6 && line.substr(0, 5) != "TCP4 ") return fail(why, "v1: the protocol must be TCP4, TCP6 or UNKNOWN");
  std::string_view rest = line.substr(5), part[4];
  for (int i = 0; i < 4; ++i) {
    size_t sp = rest.find(' ');
    if ((i < 3) != (sp != std::string_view::npos))
      return fail(why, "v1: a line must have 4 fields after the protocol, separated by single spaces");
    part[i] = rest.substr(0, sp);
    rest = i < 3 ? rest.substr(sp + 1) : std::string_view();
  }
  if (!v1_address(part[0], v6, out.source))
    return fail(why, v6 ? "v1: the source is not an IPv6 address" : "v1: the source is not an IPv4 address");
  if (!v1_address(part[1], v6, out.destination))
    return fail(why, v6 ? "v1: the destination is not an IPv6 address" : "v1: the destination is not an IPv4 address");
  if (!v1_port(part[2], out.source_port) || !v1_port(part[3], out.destination_port))
    return fail(why, "v1: a port must be a number from 0 to 65535 without leading zeros");
  out.has_address = true;
  out.v6 = v6;
  return ProxyParse::Complete;
}

ProxyParse parse_v1(std::string_view in, ProxyHeader& out, std::string_view& why) {
  if (!agrees(in, kV1Sig)) return fail(why, "v1: a header must begin with \"PROXY \"");
  size_t limit = std::min(in.size(), kProxyV1MaxBytes);
  for (size_t i = 0; i < limit; ++i) {
    char c = in[i];
    if (c == '\n') return fail(why, "v1: a line feed without a carriage return before it");
    if (c == '\r') {
      if (i + 2 > kProxyV1MaxBytes) break;  // its LF would be the 108th byte
      if (i + 1 == in.size()) break;        // its LF may be next
      if (in[i + 1] != '\n') return fail(why, "v1: a carriage return not followed by a line feed");
      if (i < kV1Sig.size()) return fail(why, "v1: a header must begin with \"PROXY \"");
      out.version = 1;
      out.length = i + 2;
      return v1_line(in.substr(kV1Sig.size(), i - kV1Sig.size()), out, why);
    }
    // Early failures: the protocol word, then (for TCP4/TCP6) the characters of the fields.
    if (i >= kV1Sig.size()) {
      std::string_view proto = in.substr(kV1Sig.size(), std::min<size_t>(i + 1 - kV1Sig.size(), 7));
      bool unknown = agrees(proto, "UNKNOWN");
      if (!unknown && !agrees(proto, "TCP4 ") && !agrees(proto, "TCP6 "))
        return fail(why, "v1: the protocol must be TCP4, TCP6 or UNKNOWN");
      if (!unknown && i >= kV1Sig.size() + 5 && c != ' ' && !v1_addr_char(c))
        return fail(why, "v1: a byte that no address or port has");
    } else if (c == '\0' || static_cast<unsigned char>(c) >= 0x80) {
      return fail(why, "v1: a header must begin with \"PROXY \"");
    }
  }
  if (in.size() >= kProxyV1MaxBytes) return fail(why, "v1: no CRLF within 107 bytes, the longest a line may be");
  out.need = in.size() < kProxyMinBytes ? kProxyMinBytes - in.size() : 1;
  return ProxyParse::Incomplete;
}

uint16_t be16(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}

// Section 2.2: 12 bytes of signature, version and command, family and transport, and
// the length of what follows (addresses, then TLVs, which are skipped).
ProxyParse parse_v2(std::string_view in, ProxyHeader& out, std::string_view& why) {
  if (!agrees(in, kV2Sig)) return fail(why, "v2: the signature is wrong");
  if (in.size() > 12) {
    uint8_t vc = static_cast<uint8_t>(in[12]);
    if ((vc >> 4) != 2) return fail(why, "v2: the version must be 2");
    if ((vc & 0xf) > 1) return fail(why, "v2: the command must be LOCAL or PROXY");
  }
  if (in.size() > 13) {
    uint8_t ft = static_cast<uint8_t>(in[13]);
    if ((ft >> 4) > 3) return fail(why, "v2: the address family must be UNSPEC, INET, INET6 or UNIX");
    if ((ft & 0xf) > 2) return fail(why, "v2: the transport must be UNSPEC, STREAM or DGRAM");
  }
  if (in.size() < 16) {
    out.need = 16 - in.size();
    return ProxyParse::Incomplete;
  }
  bool proxy = (static_cast<uint8_t>(in[12]) & 0xf) == 1;
  uint8_t family = static_cast<uint8_t>(in[13]) >> 4;
  size_t len = be16(in.data() + 14);
  if (16 + len > kProxyV2MaxBytes) return fail(why, "v2: longer than 4096 bytes, the budget for a header");
  // Section 2.2: the address block's size for each family (UNIX: two 108-byte paths).
  static constexpr size_t kAddressBytes[4] = {0, 12, 36, 216};
  if (proxy && len < kAddressBytes[family])
    return fail(why, "v2: the length is shorter than the addresses of its family");
  if (in.size() < 16 + len) {
    out.need = 16 + len - in.size();
    return ProxyParse::Incomplete;
  }
  out.version = 2;
  out.length = 16 + len;
  // LOCAL: the balancer speaks for itself (a health check); its addresses are ignored.
  if (!proxy || family == 0 || family == 3) return ProxyParse::Complete;
  const char* a = in.data() + 16;
  out.has_address = true;
  out.v6 = family == 2;
  if (out.v6) {
    std::memcpy(out.source.data(), a, 16);
    std::memcpy(out.destination.data(), a + 16, 16);
    out.source_port = be16(a + 32);
    out.destination_port = be16(a + 34);
  } else {
    out.source = out.destination = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::memcpy(out.source.data() + 12, a, 4);
    std::memcpy(out.destination.data() + 12, a + 4, 4);
    out.source_port = be16(a + 8);
    out.destination_port = be16(a + 10);
  }
  return ProxyParse::Complete;
}

}  // namespace

ProxyParse parse_proxy_header(std::string_view in, ProxyHeader& out, std::string_view& why) {
  out = {};
  why = {};
  if (in.empty()) {
    out.need = kProxyMinBytes;
    return ProxyParse::Incomplete;
  }
  if (in[0] == 'P') return parse_v1(in, out, why);
  if (in[0] == '\r') return parse_v2(in, out, why);
  return fail(why, "not a PROXY protocol header: it begins with neither \"PROXY \" nor the v2 signature");
}

}  // namespace banyan::http
