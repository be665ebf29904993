// Addresses in the configuration: "host:port", "[v6]:port" and, for addresses we bind,
// ":port" (every interface). Only the shape is checked here; names resolve at run time.
#include "runtime/config/config.h"

#include <charconv>

namespace banyan::config {
namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

bool v6_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

}  // namespace

std::optional<std::string> parse_host_port(std::string_view text, bool host_optional, HostPort& out) {
  const std::string shape = host_optional ? "host:port, [v6]:port or :port" : "host:port or [v6]:port";
  const std::string quoted = "'" + std::string(text.substr(0, 300)) + "'";
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return quoted + " is not " + shape;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.empty() || host.find(':') == std::string_view::npos) return quoted + ": brackets are for IPv6 addresses";
    for (char c : host)
      if (!v6_char(c)) return quoted + ": '" + std::string(host) + "' is not an IPv6 address";
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return quoted + " has no port; write it as " + shape;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return quoted + ": write an IPv6 address in brackets, like [::1]:8080";
    if (host.empty() && !host_optional) return quoted + " has no host; write it as " + shape;
    if (host.size() > 253) return quoted + ": the host name is longer than 253 characters";
    for (char c : host)
      if (!name_char(c)) return quoted + ": '" + std::string(host) + "' is not a host name or IPv4 address";
  }
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value < 1 || value > 65535)
    return quoted + ": the port must be a number from 1 to 65535";
  out.host = std::string(host);
  out.port = static_cast<uint16_t>(value);
  return std::nullopt;
}

std::string to_string(const HostPort& a) {
  std::string host = a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host;
  return host + ":" + std::to_string(a.port);
}

}  // namespace banyan::config
