// Templates: parsing against grammar/README.md "Variables", and expansion.
#include <catch2/catch.hpp>

#include "runtime/plan/template.h"

namespace banyan::plan {
namespace {

// Parses and expands with each variable shown as <kind:name>.
std::string show(std::string_view text, std::vector<std::string_view> params = {}) {
  std::vector<TemplatePart> parts;
  std::string error;
  if (!parse_template(text, params, parts, error)) return "error: " + error;
  std::string out;
  expand_template(parts, out, [](const TemplatePart& p) {
    return "<" + std::to_string(static_cast<int>(p.var)) + ":" + std::string(p.text) + ">";
  });
  return out;
}

std::string var(Var v, std::string_view name) { return "<" + std::to_string(static_cast<int>(v)) + ":" + std::string(name) + ">"; }

}  // namespace

TEST_CASE("templates split into literal text and variables", "[template]") {
  CHECK(show("plain") == "plain");
  CHECK(show("") == "");
  CHECK(show("$host") == var(Var::Host, "host"));
  CHECK(show("https://blog.example.com$request_uri") == "https://blog.example.com" + var(Var::RequestUri, "request_uri"));
  CHECK(show("${host}_v2") == var(Var::Host, "host") + "_v2");
  CHECK(show("${hostname}/$upstream_addr ($upstream_status, $route)") ==
        var(Var::Hostname, "hostname") + "/" + var(Var::UpstreamAddr, "upstream_addr") + " (" +
            var(Var::UpstreamStatus, "upstream_status") + ", " + var(Var::Route, "route") + ")");
  CHECK(show("$http_x_forwarded_for") == var(Var::Header, "x_forwarded_for"));
  CHECK(show("$cookie_session") == var(Var::Cookie, "session"));
  CHECK(show("$arg_page") == var(Var::Arg, "page"));
  CHECK(show("/users/$id", {"id"}) == "/users/" + var(Var::Capture, "id"));
}

TEST_CASE("a backslash-dollar is a literal dollar, and other backslashes stay", "[template]") {
  CHECK(show("costs \\$5") == "costs $5");
  CHECK(show("\\$host") == "$host");
  CHECK(show("a\\b") == "a\\b");
  CHECK(show("end\\") == "end\\");
}

TEST_CASE("a template with a bare dollar or an unknown name is refused in words", "[template]") {
  CHECK(show("$") == "error: '$' at byte 0 is not followed by a variable name");
  CHECK(show("a ${host") == "error: '$' at byte 2 is not followed by a variable name");
  CHECK(show("$hots") == "error: unknown variable '$hots'");
  CHECK(show("$id") == "error: unknown variable '$id'");  // not a parameter of this route
  CHECK(show("$http_") == "error: unknown variable '$http_'");
}

TEST_CASE("every builtin name is a variable", "[template]") {
  for (std::string_view n : builtin_variable_names()) CHECK(variable_named(n).has_value());
  CHECK_FALSE(variable_named("nope").has_value());
}

}  // namespace banyan::plan
