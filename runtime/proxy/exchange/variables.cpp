// `$variables` (runtime/plan/template.h has the one list): what each means for this
// exchange. Values are views of the request, the route's captures or the exchange's
// strings; nothing is allocated.
#include "runtime/proxy/exchange/phases.h"
#include "runtime/proxy/gateway.h"

namespace banyan::proxy {
namespace {

// Header names as `$http_x_user` writes them: '_' stands for '-', any case.
bool header_var_equals(std::string_view field, std::string_view var) {
  if (field.size() != var.size()) return false;
  for (size_t i = 0; i < field.size(); ++i) {
    char a = field[i], b = var[i];
    if (b == '_') b = '-';
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

}  // namespace

std::string_view variable(Exchange& x, const plan::TemplatePart& p) {
  using plan::Var;
  const http::RequestHead& h = *x.head;
  switch (p.var) {
    case Var::Literal: return p.text;
    case Var::Host: {
      std::string_view host = h.host;
      if (!host.empty() && host.front() == '[') {
        host = host.substr(0, host.find(']') + 1);
      } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
        host = host.substr(0, colon);
      }
      x.host_lower.assign(host);
      for (char& c : x.host_lower)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      return x.host_lower;
    }
    case Var::Hostname: return x.gw.hostname();
    case Var::RemoteAddr: return x.down.client().ip;
    case Var::RemotePort: return x.down.client().port;
    case Var::Scheme: return x.down.client().https ? "https" : "http";
    case Var::Method: return h.method;
    case Var::RequestUri: return h.target;
    case Var::Path: return x.path;
    case Var::Query: return h.query;
    case Var::RequestId: return x.request_id;
    case Var::ServerPort: return x.down.client().server_port;
    case Var::UpstreamAddr: return x.up.addr;
    case Var::UpstreamStatus: return x.upstream_status[0] ? std::string_view(x.upstream_status, 3) : std::string_view();
    case Var::UpstreamCacheStatus: return x.cache.has_status ? cache::status_name(x.cache.status) : std::string_view();
    case Var::Route: return x.prepared ? std::string_view(x.prepared->label) : std::string_view();
    case Var::Header:
      for (const plan::HeaderField& f : h.fields)
        if (header_var_equals(f.name, p.text)) return f.value;
      return {};
    case Var::Cookie: {
      std::string_view v;
      return plan::find_cookie(h.fields, p.text, v) ? v : std::string_view();
    }
    case Var::Arg: {
      std::string_view v;
      return plan::find_query(h.query, p.text, v) ? v : std::string_view();
    }
    case Var::Capture:
      for (uint32_t i = 0; i < x.match.capture_count; ++i)
        if (x.match.captures[i].name == p.text) return x.match.captures[i].value;
      return {};
  }
  return {};
}

void expand(Exchange& x, const std::vector<plan::TemplatePart>& parts, std::string& out) {
  plan::expand_template(parts, out, [&x](const plan::TemplatePart& p) { return variable(x, p); });
}

}  // namespace banyan::proxy
