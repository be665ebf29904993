// Template parsing: see template.h.
#include "runtime/plan/template.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace banyan::plan {
namespace {

struct Named {
  std::string_view name;
  Var var;
};

constexpr std::array<Named, 15> kBuiltins{{
    {"host", Var::Host},
    {"hostname", Var::Hostname},
    {"remote_addr", Var::RemoteAddr},
    {"remote_port", Var::RemotePort},
    {"scheme", Var::Scheme},
    {"method", Var::Method},
    {"request_uri", Var::RequestUri},
    {"path", Var::Path},
    {"query", Var::Query},
    {"request_id", Var::RequestId},
    {"server_port", Var::ServerPort},
    {"upstream_addr", Var::UpstreamAddr},
    {"upstream_status", Var::UpstreamStatus},
    {"upstream_cache_status", Var::UpstreamCacheStatus},
    {"route", Var::Route},
}};

constexpr std::array<Named, 3> kFamilies{{{"http_", Var::Header}, {"cookie_", Var::Cookie}, {"arg_", Var::Arg}}};

bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

std::span<const std::string_view> builtin_variable_names() {
  static const auto names = [] {
    std::array<std::string_view, kBuiltins.size()> out{};
    for (size_t i = 0; i < kBuiltins.size(); ++i) out[i] = kBuiltins[i].name;
    return out;
  }();
  return names;
}

std::optional<Var> variable_named(std::string_view name) {
  for (const Named& b : kBuiltins)
    if (b.name == name) return b.var;
  for (const Named& f : kFamilies)
    if (name.size() > f.name.size() && name.starts_with(f.name)) return f.var;
  return std::nullopt;
}

bool parse_template(std::string_view text, std::span<const std::string_view> params, std::vector<TemplatePart>& out,
                    std::string& error) {
  out.clear();
  size_t literal = 0;  // start of the literal text not yet emitted
  auto flush = [&](size_t end) {
    if (end > literal) out.push_back({Var::Literal, text.substr(literal, end - literal)});
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      if (text[i + 1] == '$') {  // `\$`: drop the backslash, keep the dollar as text
        flush(i);
        literal = i + 1;
      }
      ++i;
      continue;
    }
    if (text[i] != '$') continue;
    size_t j = i + 1;
    bool braced = j < text.size() && text[j] == '{';
    if (braced) ++j;
    size_t start = j;
    while (j < text.size() && name_char(text[j])) ++j;
    std::string_view name = text.substr(start, j - start);
    if (name.empty() || (braced && (j >= text.size() || text[j] != '}'))) {
      error = "'$' at byte " + std::to_string(i) + " is not followed by a variable name";
      return false;
    }
    if (braced) ++j;
    flush(i);
    if (std::find(params.begin(), params.end(), name) != params.end()) {
      out.push_back({Var::Capture, name});
    } else if (auto v = variable_named(name)) {
      size_t prefix = 0;
      for (const Named& f : kFamilies)
        if (f.var == *v) prefix = f.name.size();
      out.push_back({*v, name.substr(prefix)});
    } else {
      error = "unknown variable '$" + std::string(name) + "'";
      return false;
    }
    literal = j;
    i = j - 1;
  }
  flush(text.size());
  return true;
}

}  // namespace banyan::plan
