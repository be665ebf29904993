// Phase 1: what the request is for. The target must be one a reverse proxy serves; the
// path is normalised (runtime/plan/normalize_path.h, the one definition); the plan's
// matcher picks the site and route. Requests the gateway answers itself end here: a
// listener's `redirect https`, no route (404), a body over the route's limit (413),
// and routes that redirect or respond.
#include <string>

#include "runtime/plan/normalize_path.h"
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/gateway.h"

namespace banyan::proxy {
namespace {

// A local answer; a request body the gateway will not read closes the connection
// (after lingering, so the answer is not lost to a reset).
Step answer(Exchange& x, int status, std::string_view body, std::string_view error = {}, bool close = false) {
  bool whole = false;
  (void)x.down.buffered_body(whole);
  if (whole) x.down.consume_buffered_body();  // all of it is here: skip it, keep the connection
  x.local = {status, body, x.fields, error, close || x.down.body_unread()};
  return Step::Local;
}

}  // namespace

Step route_request(Exchange& x) {
  const http::RequestHead& h = *x.head;
  const Generation& g = *x.gen;
  const plan::Plan& p = *g.plan;
  x.fields.clear();

  // Only what a reverse proxy serves: not CONNECT, not `*`, and an absolute-form target
  // only with this listener's scheme.
  if (h.method == "CONNECT" || h.path.empty()) {
    return answer(x, h.method == "CONNECT" ? 405 : 400, "this gateway does not serve CONNECT or '*' requests\n",
                  "CONNECT and asterisk-form targets are not proxied", true);
  }
  if ((h.scheme == http::TargetScheme::Https && !x.down.client().https) ||
      (h.scheme == http::TargetScheme::Http && x.down.client().https)) {
    return answer(x, 400, "bad request: the target's scheme is not this listener's\n",
                  "absolute-form target with another scheme", true);
  }
  x.path.resize(h.path.size());
  plan::NormalizedPath np = plan::normalize_path(h.path, x.path.data());
  if (np.error != plan::PathError::None) {
    x.text = "bad request: the path has ";
    x.text += plan::describe(np.error);
    x.text += '\n';
    return answer(x, 400, x.text, plan::describe(np.error), true);
  }
  x.path.resize(np.length);

  // `listen http :80 { redirect https }`: every request on it goes to the https listener.
  if (const plan::Listener* l = g.listeners[x.down.client().binding]; l && l->redirect_https) {
    x.fields = "Location: https://";
    x.fields += variable(x, {plan::Var::Host, {}});
    if (x.gw.https_port() != 443 && x.gw.https_port() != 0) {
      x.fields += ':';
      append_number(x.fields, x.gw.https_port());
    }
    x.fields += h.target;
    x.fields += "\r\n";
    return answer(x, l->redirect_status, {});
  }

  plan::RequestView view{h.method, h.host, x.path, h.query, h.fields};
  if (!plan::match(p, view, x.match)) {
    bump(x.gw.metrics().no_route);
    x.text = "not found: no route for ";
    x.text += h.host;
    x.text += x.path;
    x.text += '\n';
    return answer(x, 404, x.text, "no route");
  }
  x.route = &p.routes()[x.match.route];
  x.prepared = &g.routes[x.match.route];
  const plan::Route& route = *x.route;

  const uint64_t max_body = route.max_body_bytes ? route.max_body_bytes : x.gw.config().limits.body;
  if (h.framing == http::Framing::Length && h.content_length > max_body) {
    x.text = "content too large: the body is " + std::to_string(h.content_length) +
             " bytes; this route takes at most " + std::to_string(max_body) + "\n";
    return answer(x, 413, x.text, "request body larger than the limit", true);
  }

  switch (route.action) {
    case plan::ActionKind::Redirect:
      x.fields = "Location: ";
      expand(x, x.prepared->target, x.fields);
      x.fields += "\r\n";
      return answer(x, route.status, {});
    case plan::ActionKind::Respond:
      x.text.clear();
      expand(x, x.prepared->target, x.text);
      return answer(x, route.status, x.text);
    case plan::ActionKind::Proxy:
      break;
  }
  return Step::Next;
}

}  // namespace banyan::proxy
