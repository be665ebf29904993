// The small languages inside tokens. Path rules follow RFC 3986 section 3.3: a path
// is segments of pchar; percent-encodings must be complete.
#include "compiler/parse/patterns.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "compiler/diag/suggest.h"
#include "runtime/plan/template.h"

namespace banyan::parse {
namespace {

// ASCII classes by table: the locale's isalnum is a call per byte, and every byte of
// every path in a routes file goes through is_pchar.
struct ByteClasses {
  bool alnum[256] = {};
  bool pchar[256] = {};
  constexpr ByteClasses() {
    for (int c = 0; c < 256; ++c)
      alnum[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    for (int c = 0; c < 256; ++c) pchar[c] = alnum[c];
    for (char c : std::string_view("-._~!$&'()*+,;=:@%")) pchar[static_cast<unsigned char>(c)] = true;
  }
};
constexpr ByteClasses kBytes;

bool is_alnum(char c) { return kBytes.alnum[static_cast<unsigned char>(c)]; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_name(std::string_view s) {
  if (s.empty() || !((is_alnum(s[0]) && !is_digit(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '_'; });
}

bool is_pchar(char c) { return kBytes.pchar[static_cast<unsigned char>(c)]; }


}  // namespace

std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> out;
  out.reserve(static_cast<size_t>(std::count(path.begin(), path.end(), '/')));  // one allocation
  size_t i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool is_glob(std::string_view path) {
  // As split_segments sees it: segments from byte 1 on, a glob's starting with ':'
  // or holding a '*'.
  for (size_t i = 1; i < path.size(); ++i) {
    if (path[i] == '*' || (path[i] == ':' && (i == 1 || path[i - 1] == '/'))) return true;
  }
  return false;
}

std::string check_path(std::string_view path, bool exact) {
  if (path.empty() || path[0] != '/') return "a path must start with '/'";
  if (path.find('?') != std::string_view::npos) return "paths match without the query string; use a `query` predicate";
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '/') continue;
    if (!is_pchar(c)) return std::string("character '") + c + "' is not allowed in a path; percent-encode it";
    if (c == '%') {
      if (i + 2 >= path.size() || !std::isxdigit(static_cast<unsigned char>(path[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(path[i + 2])))
        return "'%' must start a percent-encoding like %2F";
    }
  }
  if (exact && is_glob(path))
    return "an exact path ('=') cannot have parameters or wildcards; drop the '=' to make it a glob";
  if (!exact && is_glob(path)) {
    std::vector<GlobSegment> segs;
    return parse_glob(path, segs);
  }
  return {};
}

std::string parse_glob(std::string_view path, std::vector<GlobSegment>& out) {
  out.clear();
  out.reserve(static_cast<size_t>(std::count(path.begin(), path.end(), '/')));  // one allocation
  // The segments as split_segments gives them, walked in place.
  for (size_t i = 1; i <= path.size();) {
    size_t j = std::min(path.find('/', i), path.size());
    std::string_view s = path.substr(i, j - i);
    const bool last = j == path.size();
    i = j + 1;
    GlobSegment g;
    if (s == "**") {
      if (!last) return "'**' matches the rest of the path, so it must be the last segment";
      g.kind = GlobSegment::Kind::DoubleStar;
    } else if (s == "*") {
      g.kind = GlobSegment::Kind::Star;
    } else if (!s.empty() && s[0] == ':') {
      if (!is_name(s.substr(1)))
        return "parameter '" + std::string(s) + "' needs a name of letters, digits and '_' after ':'";
      g.kind = GlobSegment::Kind::Param;
      g.text = std::string(s.substr(1));
      for (const auto& prev : out) {
        if (prev.kind == GlobSegment::Kind::Param && prev.text == g.text)
          return "parameter ':" + g.text + "' appears twice in one path";
      }
    } else {
      if (s.find('*') != std::string_view::npos)
        return "'*' must be a whole segment ('/*/' or '/**'); segment '" + std::string(s) + "' mixes it with text";
      g.text = std::string(s);
    }
    out.push_back(std::move(g));
  }
  size_t captured = std::count_if(out.begin(), out.end(), [](const GlobSegment& g) {
    return g.kind == GlobSegment::Kind::Param || g.kind == GlobSegment::Kind::Star;
  });
  if (captured > kMaxGlobCaptures)
    return "a path captures at most " + std::to_string(kMaxGlobCaptures) + " ':param' or '*' segments; this one has " +
           std::to_string(captured);
  return {};
}

std::string check_rewrite(std::string_view target, const std::vector<GlobSegment>& route_glob, bool route_has_rest,
                          std::string* unknown_param) {
  if (target.empty() || target[0] != '/') return "a rewrite target must start with '/'";
  for (auto seg : split_segments(target)) {
    if (seg == "**") {
      if (!route_has_rest) return "'**' in a rewrite stands for the rest of the path, which this route does not capture";
      continue;
    }
    if (!seg.empty() && seg[0] == ':') {
      std::string name(seg.substr(1));
      bool known = std::any_of(route_glob.begin(), route_glob.end(), [&](const GlobSegment& g) {
        return g.kind == GlobSegment::Kind::Param && g.text == name;
      });
      if (!known) {
        if (unknown_param) *unknown_param = name;
        return "the route has no parameter ':" + name + "' to substitute";
      }
      continue;
    }
    if (seg.find('*') != std::string_view::npos) return "'*' in a rewrite target must be '**', the rest of the path";
  }
  return check_path(target, false);
}

std::string check_host(std::string& host) {
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  if (host.empty()) return "a host cannot be empty";
  if (host.size() > 253) return "a host name is at most 253 characters";
  std::string_view name = host;
  if (name.rfind("*.", 0) == 0) name.remove_prefix(2);
  if (name.find('*') != std::string_view::npos)
    return "a wildcard host must start with '*.' (like \"*.example.com\") and have no other '*'";
  if (!name.empty() && name.front() == '[') {  // an IPv6 address, as clients send it in Host: "[::1]"
    unsigned char addr[16];
    std::string inner(name.substr(1, name.size() >= 2 ? name.size() - 2 : 0));
    if (name.back() != ']' || name.size() < 3 || host.starts_with("*.") || inet_pton(AF_INET6, inner.c_str(), addr) != 1)
      return "'" + host + "' is not an IPv6 address in brackets, like \"[::1]\" (a site host has no port)";
    return {};
  }
  if (name.find(':') != std::string_view::npos) return "a site host has no port; ports belong to `listen`";
  size_t label_start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      size_t len = i - label_start;
      if (len == 0) return "host '" + host + "' has an empty label";
      if (len > 63) return "a host label is at most 63 characters";
      if (name[label_start] == '-' || name[i - 1] == '-') return "a host label cannot start or end with '-'";
      label_start = i + 1;
      continue;
    }
    char c = name[i];
    if (static_cast<unsigned char>(c) >= 0x80)
      return "host names are ASCII; write an internationalised name in its xn-- (punycode) form";
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
      return std::string("character '") + c + "' is not allowed in a host name";
  }
  return {};
}

std::string check_address(std::string_view address, bool allow_names, std::string& host, uint16_t& port) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return "'" + std::string(address) + "' needs a port, like \"" + std::string(address) + ":80\"";
  std::string_view h = address.substr(0, colon), p = address.substr(colon + 1);
  if (p.empty() || p.size() > 5 || !std::all_of(p.begin(), p.end(), ::isdigit)) return "port '" + std::string(p) + "' is not a number";
  unsigned long v = std::stoul(std::string(p));
  if (v == 0 || v > 65535) return "port " + std::string(p) + " is outside 1..65535";
  port = static_cast<uint16_t>(v);
  if (!h.empty() && h.front() == '[') {
    if (h.back() != ']' || h.size() < 3) return "an IPv6 address is written in brackets, like [::1]:443";
    host = std::string(h.substr(1, h.size() - 2));
    bool ok = std::all_of(host.begin(), host.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; });
    return ok ? "" : "'" + host + "' is not an IPv6 address";
  }
  host = std::string(h);
  if (host.empty()) return allow_names ? "a server needs a host before the port" : "";
  bool numeric = std::all_of(host.begin(), host.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; });
  if (numeric) {
    int parts = 0;
    size_t start = 0;
    for (size_t i = 0; i <= host.size(); ++i) {
      if (i == host.size() || host[i] == '.') {
        std::string part = host.substr(start, i - start);
        if (part.empty() || part.size() > 3 || std::stoi(part) > 255) return "'" + host + "' is not an IPv4 address";
        ++parts;
        start = i + 1;
      }
    }
    return parts == 4 ? "" : "'" + host + "' is not an IPv4 address";
  }
  if (!allow_names) return "a listen address is an IP address, not a name: '" + host + "'";
  std::string copy = host;
  std::string err = check_host(copy);
  if (!err.empty() || host.find('*') != std::string::npos) return "'" + host + "' is not a host name";
  return {};
}

std::string check_method(std::string_view method, std::string& suggestion) {
  static const std::vector<std::string> standard = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  suggestion.clear();
  if (std::find(standard.begin(), standard.end(), method) != standard.end()) return {};
  std::string upper(method);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  if (std::find(standard.begin(), standard.end(), upper) != standard.end()) {
    suggestion = upper;
    return "methods are case-sensitive (RFC 9110 section 9.1)";
  }
  if (auto c = diag::closest(method, standard)) {
    suggestion = *c;
    return "unknown method";
  }
  // Extension methods (WebDAV's PROPFIND, ...) are tokens; by convention upper case.
  bool token = !method.empty() && std::all_of(method.begin(), method.end(), [](char c) {
    return std::isupper(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  return token ? "" : "a method is an upper-case token like GET or PROPFIND";
}

const std::vector<std::string>& builtin_variables() {
  static const std::vector<std::string> names(plan::builtin_variable_names().begin(), plan::builtin_variable_names().end());
  return names;
}

bool is_builtin_variable(std::string_view name) { return plan::variable_named(name).has_value(); }

std::vector<VariableRef> find_variables(std::string_view text) {
  std::vector<VariableRef> out;
  plan::scan_variables(text, [&](const plan::VariableSpan& v) {
    out.push_back({std::string(v.name), v.offset, v.length, v.braced});
  });
  return out;
}

}  // namespace banyan::parse
