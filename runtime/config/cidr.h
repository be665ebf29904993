// IP addresses and CIDR ranges, for `[clients] trusted_proxies` and `[admin] write_from` (docs/gateway-config.md,
// "The client's address"). Every address is held as 16 bytes: an IPv4 address as its
// v4-mapped IPv6 form (::ffff:a.b.c.d, RFC 4291 2.5.5.2), so a v4 range also holds the
// v4-mapped peers a dual-stack socket reports, and one membership test serves both.
//
// Parsing never throws and allocates only for its error message; a membership test
// and `parse_ip` allocate nothing (they run on the request path, once per hop).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace banyan::config {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 as ::ffff:a.b.c.d
  bool operator==(const IpAddress&) const = default;
  bool is_v4() const;  // v4-mapped
};

// "10.1.2.3", "::1", "2001:db8::1", "::ffff:10.1.2.3" (inet_pton's forms; no brackets,
// no zone, no port, no spaces). nullopt for anything else, and for texts longer than
// an address can be.
std::optional<IpAddress> parse_ip(std::string_view text);
// The IPv4 address `a.b.c.d` (host order), v4-mapped.
IpAddress ipv4(uint32_t host_order);

// The longest text `format_ip` writes (INET6_ADDRSTRLEN), and the text itself: an IPv4
// (or v4-mapped) address in dotted form, others in RFC 5952's form. Returns the length.
inline constexpr size_t kIpTextMax = 46;
size_t format_ip(const IpAddress& a, std::span<char, kIpTextMax> out);
std::string to_string(const IpAddress& a);

// A range: the addresses whose first `bits` bits (of the 128-bit form) are `base`'s.
// An IPv4 range "10.0.0.0/8" is held as ::ffff:10.0.0.0/104.
struct Cidr {
  IpAddress base;    // its bits after the prefix are zero
  uint8_t bits = 0;  // 0..128
  bool operator==(const Cidr&) const = default;
  bool contains(const IpAddress& a) const;
};

// "10.0.0.0/8", "::1/128", "fd00::/8", or a bare address (a range of one). Returns the
// mistake in words ("the prefix length of an IPv4 range is 0 to 32, not 33"), or
// nullopt when `out` is set. A range with bits set after its prefix ("10.0.0.1/8") is
// refused with the range it probably means: it is a typo more often than not, and nginx
// only warns about it.
std::optional<std::string> parse_cidr(std::string_view text, Cidr& out);
// "10.0.0.0/8", "::1/128" (a v4-mapped base is written as IPv4 with its v4 length).
std::string to_string(const Cidr& c);

// Whether any of `ranges` holds `a`: a scan (trusted-proxy lists are a handful of
// ranges; nginx's set_real_ip_from is a list scan too).
bool any_contains(std::span<const Cidr> ranges, const IpAddress& a);

}  // namespace banyan::config
