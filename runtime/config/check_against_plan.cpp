// The checks that need both files: the config binds the plan's listeners, names
// those that show error details, and overrides its upstreams by name, so every name
// must exist on the other side.
#include <algorithm>

#include "runtime/plan/names.h"
#include "runtime/config/config.h"
#include "runtime/plan/plan.h"

namespace banyan::config {
namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// "unknown ...; did you mean X?" or "...; the plan's are A, B or C".
std::string not_in_plan(const std::string& what, const std::string& name, const std::vector<std::string>& names) {
  std::string msg = "the plan has no " + what + " " + quoted(name);
  if (names.empty()) return msg;
  if (auto c = names::closest(name, names)) return msg + "; did you mean " + quoted(*c) + "?";
  std::vector<std::string> q;
  for (const auto& n : names) q.push_back(quoted(n));
  return msg + "; its " + what + "s are " + names::list_names(q);
}

}  // namespace

std::vector<ConfigError> check_against_plan(const GatewayConfig& config, const plan::Plan& plan,
                                            const std::string& file) {
  std::vector<ConfigError> errors;
  std::vector<std::string> listeners, upstreams;
  for (const auto& l : plan.listeners()) listeners.emplace_back(plan.str(l.address));
  for (const auto& u : plan.upstreams()) upstreams.emplace_back(plan.str(u.name));

  for (const auto& b : config.listen) {
    if (std::find(listeners.begin(), listeners.end(), b.plan_address) == listeners.end())
      errors.push_back({file, b.line, b.column, "listen." + quoted(b.plan_address),
                        not_in_plan("listener", b.plan_address, listeners)});
  }
  for (const auto& l : listeners) {
    bool bound = std::any_of(config.listen.begin(), config.listen.end(),
                             [&](const ListenBinding& b) { return b.plan_address == l; });
    if (!bound)
      errors.push_back(
          {file, 0, 0, "listen",
           "the plan's listener " + quoted(l) + " is not bound; add " + quoted(l) + " = \"host:port\" under [listen]"});
  }
  for (const auto& r : config.show_error_details) {
    if (std::find(listeners.begin(), listeners.end(), r.plan_address) == listeners.end())
      errors.push_back(
          {file, r.line, r.column, "errors.show_details", not_in_plan("listener", r.plan_address, listeners)});
  }
  for (const auto& r : config.proxy_protocol) {
    if (std::find(listeners.begin(), listeners.end(), r.plan_address) == listeners.end())
      errors.push_back(
          {file, r.line, r.column, "clients.proxy_protocol", not_in_plan("listener", r.plan_address, listeners)});
  }
  for (const auto& r : config.http2_prior_knowledge) {
    auto l = std::find_if(plan.listeners().begin(), plan.listeners().end(),
                          [&](const plan::Listener& x) { return plan.str(x.address) == r.plan_address; });
    if (l == plan.listeners().end())
      errors.push_back(
          {file, r.line, r.column, "http2.prior_knowledge", not_in_plan("listener", r.plan_address, listeners)});
    else if (l->scheme == plan::Scheme::Https)
      errors.push_back({file, r.line, r.column, "http2.prior_knowledge",
                        "listener " + quoted(r.plan_address) +
                            " is https: its clients get HTTP/2 by ALPN ([http2] tls); prior knowledge is for plain "
                            "listeners"});
  }
  for (const auto& u : config.upstreams) {
    if (std::find(upstreams.begin(), upstreams.end(), u.name) == upstreams.end())
      errors.push_back({file, u.line, u.column, "upstreams." + u.name, not_in_plan("upstream", u.name, upstreams)});
  }
  return errors;
}

}  // namespace banyan::config
