// The client's address from the peer and X-Forwarded-For (client_address.h): the list
// read from its right end, field by field from the last, element by element.
#include "runtime/proxy/client_address.h"

#include <cstring>

#include "runtime/http/fields.h"

namespace banyan::proxy {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

config::IpAddress ip_of(const boost::asio::ip::address& a) {
  if (a.is_v4()) return config::ipv4(a.to_v4().to_uint());
  config::IpAddress out;
  auto b = a.to_v6().to_bytes();
  std::memcpy(out.bytes.data(), b.data(), 16);
  return out;
}

config::IpAddress client_address(const config::IpAddress& peer, std::span<const plan::HeaderField> fields,
                                 std::span<const config::Cidr> trusted) {
  config::IpAddress candidate = peer;
  if (trusted.empty() || !config::any_contains(trusted, candidate)) return candidate;
  for (size_t f = fields.size(); f-- > 0;) {
    if (!http::iequals(fields[f].name, "x-forwarded-for")) continue;
    std::string_view list = fields[f].value;
    while (!list.empty()) {
      size_t comma = list.rfind(',');
      std::string_view element = trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
      if (element.empty()) continue;  // RFC 9110 5.6.1: empty list elements do not count
      std::optional<config::IpAddress> hop = config::parse_ip(element);
      if (!hop) return candidate;
      candidate = *hop;
      if (!config::any_contains(trusted, candidate)) return candidate;
    }
  }
  return candidate;
}

}  // namespace banyan::proxy
