// IP addresses and CIDR ranges (cidr.h): inet_pton/inet_ntop on bounded stack buffers
// for the address forms, and the prefix rules written out here, with the error for each.
#include "runtime/config/cidr.h"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>

namespace banyan::config {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// The number of leading bits of `a` that a prefix of `bits` covers, as a mask per byte.
bool prefix_equal(const IpAddress& a, const IpAddress& b, unsigned bits) {
  unsigned whole = bits / 8, rest = bits % 8;
  if (std::memcmp(a.bytes.data(), b.bytes.data(), whole) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff00u >> rest);
  return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

IpAddress masked(const IpAddress& a, unsigned bits) {
  IpAddress out;
  for (unsigned i = 0; i < 16; ++i) {
    unsigned covered = bits >= (i + 1) * 8 ? 8 : (bits > i * 8 ? bits - i * 8 : 0);
    out.bytes[i] = static_cast<uint8_t>(a.bytes[i] & (0xff00u >> covered));
  }
  return out;
}

}  // namespace

bool IpAddress::is_v4() const { return std::memcmp(bytes.data(), kV4MappedPrefix.data(), 12) == 0; }

IpAddress ipv4(uint32_t host_order) {
  IpAddress a;
  std::memcpy(a.bytes.data(), kV4MappedPrefix.data(), 12);
  for (int i = 0; i < 4; ++i) a.bytes[12 + i] = static_cast<uint8_t>(host_order >> (24 - 8 * i));
  return a;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  char buf[kIpTextMax];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (text.find(':') == std::string_view::npos) {
    uint8_t v4[4];
    if (inet_pton(AF_INET, buf, v4) != 1) return std::nullopt;
    std::memcpy(a.bytes.data(), kV4MappedPrefix.data(), 12);
    std::memcpy(a.bytes.data() + 12, v4, 4);
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  return a;
}

size_t format_ip(const IpAddress& a, std::span<char, kIpTextMax> out) {
  if (a.is_v4()) {  // every connection's: by hand (glibc's inet_ntop formats IPv4 with sprintf)
    char* p = out.data();
    for (int i = 12; i < 16; ++i) {
      if (i > 12) *p++ = '.';
      p = std::to_chars(p, out.data() + kIpTextMax, a.bytes[i]).ptr;
    }
    *p = '\0';
    return static_cast<size_t>(p - out.data());
  }
  const char* r = inet_ntop(AF_INET6, a.bytes.data(), out.data(), kIpTextMax);
  return r ? std::strlen(out.data()) : 0;  // cannot fail with a buffer of INET6_ADDRSTRLEN
}

std::string to_string(const IpAddress& a) {
  std::array<char, kIpTextMax> buf;
  return std::string(buf.data(), format_ip(a, buf));
}

bool Cidr::contains(const IpAddress& a) const { return prefix_equal(a, base, bits); }

std::optional<std::string> parse_cidr(std::string_view text, Cidr& out) {
  const std::string quoted = "'" + std::string(text.substr(0, 100)) + "'";
  size_t slash = text.find('/');
  std::string_view addr = text.substr(0, slash);
  std::optional<IpAddress> a = parse_ip(addr);
  if (!a) {
    bool v6 = addr.find(':') != std::string_view::npos;
    if (addr.empty()) return quoted + " has no address before the '/'; write a range like \"10.0.0.0/8\"";
    if (!addr.empty() && addr.front() == '[')
      return quoted + ": write an IPv6 range without brackets, like \"fd00::/8\"";
    return quoted + " is not an " + (v6 ? "IPv6" : "IPv4") + " address or range, like " +
           (v6 ? "\"fd00::/8\"" : "\"10.0.0.0/8\"");
  }
  // An IPv4 range's length counts the 32 bits of the IPv4 address, held after 96.
  bool v4_text = addr.find(':') == std::string_view::npos;
  unsigned max = v4_text ? 32 : 128;
  unsigned len = max;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    unsigned v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    bool ok = !digits.empty() && ec == std::errc() && end == digits.data() + digits.size() &&
              (digits.size() == 1 || digits[0] != '0');
    if (!ok)
      return quoted + ": the prefix length after '/' must be a number from 0 to " + std::to_string(max) +
             (digits.empty() ? "" : ", not '" + std::string(digits.substr(0, 20)) + "'");
    if (v > max)
      return quoted + ": the prefix length of an " + (v4_text ? "IPv4" : "IPv6") + " range is 0 to " +
             std::to_string(max) + ", not " + std::to_string(v);
    len = v;
  }
  unsigned bits = v4_text ? 96 + len : len;
  Cidr c{masked(*a, bits), static_cast<uint8_t>(bits)};
  if (!(c.base == *a)) {
    Cidr meant = c;
    return quoted + " has bits set after its /" + std::to_string(len) + " prefix; did you mean \"" +
           (v4_text ? to_string(meant.base) + "/" + std::to_string(len) : to_string(meant)) + "\"?";
  }
  out = c;
  return std::nullopt;
}

std::string to_string(const Cidr& c) {
  if (c.base.is_v4() && c.bits >= 96) return to_string(c.base) + "/" + std::to_string(c.bits - 96);
  // A v6 text of a v4-mapped base with a shorter prefix: inet_ntop would print it dotted.
  char buf[kIpTextMax];
  const char* r = inet_ntop(AF_INET6, c.base.bytes.data(), buf, sizeof buf);
  return std::string(r ? r : "?") + "/" + std::to_string(c.bits);
}

bool any_contains(std::span<const Cidr> ranges, const IpAddress& a) {
  for (const Cidr& c : ranges)
    if (c.contains(a)) return true;
  return false;
}

}  // namespace banyan::config
