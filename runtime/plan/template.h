// Values with `$variables` (header values, redirect targets, response bodies, cache
// keys), defined once: the checker asks it which names exist, the loader refuses a
// plan whose templates do not parse, and the runtime expands them per request.
// Syntax (grammar/README.md, "Variables"): `$name` or `${name}`; `\$` is a literal
// dollar (any other backslash is literal text); a name is a builtin, `http_<header>`,
// `cookie_<name>`, `arg_<query parameter>`, or one of the route's `:params`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace banyan::plan {

enum class Var : uint8_t {
  Literal,
  Host, Hostname, RemoteAddr, RemotePort, Scheme, Method, RequestUri, Path, Query, RequestId, ServerPort,
  UpstreamAddr, UpstreamStatus, UpstreamCacheStatus, Route,
  Header,   // $http_<name>: `name` is the header, '_' standing for '-'
  Cookie,   // $cookie_<name>
  Arg,      // $arg_<name>: a query parameter
  Capture,  // a route parameter `:name`
};

struct TemplatePart {
  Var var = Var::Literal;
  std::string_view text;  // Literal: the text; Header, Cookie, Arg, Capture: the name
};

// One `$` reference in a template: the byte range of `$name` or `${name}`, and the
// name (empty when the `$` is not followed by one, or a `${` is not closed).
struct VariableSpan {
  size_t offset = 0;
  size_t length = 0;
  std::string_view name;
  bool braced = false;
};

// Calls f(span) for each `$` reference in `text`, left to right; a backslash hides
// the byte after it (so `\$` is no reference). The checker scans raw tokens with it
// and parse_template values, so both read the same references.
template <typename F>
void scan_variables(std::string_view text, F&& f) {
  auto name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
      continue;
    }
    if (text[i] != '$') continue;
    size_t j = i + 1;
    bool braced = j < text.size() && text[j] == '{';  // `${name}` when name characters follow
    if (braced) ++j;
    size_t start = j;
    while (j < text.size() && name_char(text[j])) ++j;
    std::string_view name = text.substr(start, j - start);
    if (braced) {
      if (j < text.size() && text[j] == '}') {
        ++j;
      } else {
        name = {};  // `${host` is not a reference to host
      }
    }
    f(VariableSpan{i, j - i, name, braced});
    i = j - 1;
  }
}

// The builtin names, without the three prefixed families.
std::span<const std::string_view> builtin_variable_names();
// The variable `name` stands for (builtins and the prefixed families), or nullopt.
std::optional<Var> variable_named(std::string_view name);

// Splits `text` into parts that view it. False, with `error` in words, for a `$`
// without a name or a name that is neither a variable nor one of `params`.
bool parse_template(std::string_view text, std::span<const std::string_view> params, std::vector<TemplatePart>& out,
                    std::string& error);

// Appends the expansion to `out`; `resolve(part)` gives each variable's value.
template <typename Resolve>
void expand_template(std::span<const TemplatePart> parts, std::string& out, Resolve&& resolve) {
  for (const TemplatePart& p : parts) {
    if (p.var == Var::Literal) {
      out.append(p.text);
    } else {
      out.append(resolve(p));
    }
  }
}

}  // namespace banyan::plan
