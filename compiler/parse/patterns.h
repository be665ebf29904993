// Checks of the small languages inside tokens: path patterns and globs, rewrite
// templates, host patterns, addresses, HTTP methods and $variables. Pure functions:
// each returns an empty string when the input is well formed, else what is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace banyan::parse {

// A path pattern's segments: literal, `:name`, `*` (one segment) or `**` (the rest).
struct GlobSegment {
  enum class Kind { Literal, Param, Star, DoubleStar } kind = Kind::Literal;
  std::string text;  // literal text, or the parameter name
};

// A normalised path's segments: "/" -> {""}, "/a/" -> {"a", ""}. Views into `path`.
std::vector<std::string_view> split_segments(std::string_view path);

// Budget: the runtime captures this many `:param`/`*` segments per request without
// allocating (runtime/plan/format.h, kMaxCaptures).
inline constexpr size_t kMaxGlobCaptures = 16;

bool is_glob(std::string_view path);  // has a `:param`, `*` or `**` segment
std::string check_path(std::string_view path, bool exact);
std::string parse_glob(std::string_view path, std::vector<GlobSegment>& out);

// A rewrite target may use the route's parameters (`:id`) and, after a `**` or prefix
// route, `**` for the rest of the path.
// When the fault is a `:name` the route does not capture, `unknown_param` (if given)
// receives the name, so the caller can report it under its own code (B0214).
std::string check_rewrite(std::string_view target, const std::vector<GlobSegment>& route_glob, bool route_has_rest,
                          std::string* unknown_param = nullptr);

// "example.com", "*.example.com"; lower-cases `host` in place.
std::string check_host(std::string& host);

// ":80", "127.0.0.1:80", "[::1]:80", "name:80" (names only when allow_names).
std::string check_address(std::string_view address, bool allow_names, std::string& host, uint16_t& port);

// "" when a standard method or a valid extension token; otherwise the reason, and
// `suggestion` set when a standard method is one typo away.
std::string check_method(std::string_view method, std::string& suggestion);

// Variables the runtime fills in; plus http_<header>, cookie_<name>, arg_<name>. The
// list is the runtime's (runtime/plan/template.h).
const std::vector<std::string>& builtin_variables();
bool is_builtin_variable(std::string_view name);

// `$name` references in a template ("\$" is a literal dollar). Offsets are of the '$'.
struct VariableRef {
  std::string name;
  size_t offset = 0;
  size_t length = 0;  // of the whole reference: `$name` or `${name}`
  bool braced = false;
};
std::vector<VariableRef> find_variables(std::string_view text);

}  // namespace banyan::parse
