// Template parsing: see template.h.
#include "runtime/plan/template.h"

#include <algorithm>
#include <array>

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
  // Literal text, with each `\$` written as its '$' (views cannot drop the backslash,
  // so the text is split around it).
  auto literal = [&](std::string_view t) {
    for (size_t at = t.find("\\$"); at != std::string_view::npos; at = t.find("\\$")) {
      if (at > 0) out.push_back({Var::Literal, t.substr(0, at)});
      t.remove_prefix(at + 1);  // the '$' starts the next piece
    }
    if (!t.empty()) out.push_back({Var::Literal, t});
  };
  size_t done = 0;
  bool ok = true;
  scan_variables(text, [&](const VariableSpan& v) {
    if (!ok) return;
    if (v.name.empty()) {
      error = "'$' at byte " + std::to_string(v.offset) + " is not followed by a variable name";
      ok = false;
      return;
    }
    literal(text.substr(done, v.offset - done));
    done = v.offset + v.length;
    if (std::find(params.begin(), params.end(), v.name) != params.end()) {
      out.push_back({Var::Capture, v.name});
    } else if (auto var = variable_named(v.name)) {
      size_t prefix = 0;
      for (const Named& f : kFamilies)
        if (f.var == *var) prefix = f.name.size();
      out.push_back({*var, v.name.substr(prefix)});
    } else {
      error = "unknown variable '$" + std::string(v.name) + "'";
      ok = false;
    }
  });
  if (ok) literal(text.substr(done));
  return ok;
}

}  // namespace banyan::plan
