// Caching policies that cannot work or would leak: a cache on a route whose methods
// are never cached, caching personalised responses without an opt-in, caching
// server errors.
//
// The runtime's rules these checks rest on (grammar/README.md, "cache"): only GET
// and HEAD responses are stored (other methods pass through, and unsafe ones
// invalidate the entry, RFC 9111 4.4); a response to a request carrying
// `Authorization` or an authentication cookie is stored only with `allow authorized`
// (RFC 9111 3.5).
#include <algorithm>
#include <cctype>
#include <string>

#include "compiler/sema/passes.h"

namespace banyan::sema {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Cookie names that carry a login, by common convention (frameworks' defaults).
bool is_auth_cookie(const std::string& name) {
  static const char* kNames[] = {"session", "sessionid", "session_id", "sid", "auth", "token", "jwt",
                                 "access_token", "id_token", "remember_me", "phpsessid", "jsessionid",
                                 "connect.sid", "laravel_session", "_session_id"};
  std::string n = lower(name);
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* k) { return n == k; });
}

void check_route(const ast::Route& r, diag::DiagnosticSink& sink) {
  const ast::CachePolicy& c = *r.cache;
  // Methods.
  if (!r.methods.empty()) {
    std::vector<const ast::Name*> other;
    bool cacheable = false;
    for (const auto& m : r.methods) {
      if (m.text == "GET" || m.text == "HEAD") cacheable = true;
      else other.push_back(&m);
    }
    if (!cacheable) {
      auto& d = sink.report(diag::Code::CacheNeverUsed, c.range,
                            "this cache is never used: only GET and HEAD responses are cached, and the route "
                            "takes only " + r.methods.front().text + (r.methods.size() > 1 ? " and others" : ""));
      d.notes.push_back({r.methods.front().range, "the route's methods"});
    } else if (!other.empty()) {
      auto& d = sink.report(diag::Code::CacheUnsafeMethods, other.front()->range,
                            other.front()->text + " requests to this cached route pass the cache by (only GET and "
                            "HEAD responses are stored) and invalidate what it holds for their URL");
      d.notes.push_back({c.range, "the cache; if that is intended, split the route by method"});
    }
  }
  // Personalised responses.
  bool opted_in = std::any_of(c.allow.begin(), c.allow.end(), [](const ast::Name& n) { return n.text == "authorized"; });
  if (!opted_in) {
    for (const auto& p : r.predicates) {
      bool auth_header = p.kind == ast::Predicate::Kind::Header && lower(p.name.text) == "authorization";
      bool auth_cookie = p.kind == ast::Predicate::Kind::Cookie && is_auth_cookie(p.name.text);
      if (!auth_header && !auth_cookie) continue;
      std::string what = auth_header ? "the `Authorization` header" : "the login cookie '" + p.name.text + "'";
      auto& d = sink.report(diag::Code::CacheAuthorized, c.range,
                            "this route only takes requests with " + what +
                                ", whose responses are personal: a shared cache would hand one user's page to "
                                "another, so they are not stored without an explicit opt-in");
      d.notes.push_back({p.range, "the predicate"});
      d.notes.push_back({{}, "if the responses are the same for every user, add `allow authorized` to the cache "
                             "block; otherwise remove the cache"});
      break;
    }
  }
  // Server errors.
  for (const auto& v : c.valid) {
    for (const auto& s : v.statuses) {
      if (s.value < 500) continue;
      auto& d = sink.report(diag::Code::CacheServerErrors, s.range,
                            "caching " + std::to_string(s.value) + " responses serves one upstream failure to every "
                            "client for the whole ttl");
      d.notes.push_back({{}, "to ride out failures, serve the last good response instead: `stale error timeout "
                             "http_5xx`"});
    }
    if (v.ttl.ms == 0) sink.report(diag::Code::ValueOutOfRange, v.ttl.range, "a ttl of 0 stores nothing; remove the `valid` line or give a duration");
  }
}

}  // namespace

void check_caching(const Context& cx, diag::DiagnosticSink& sink) {
  for (const auto& site : cx.file.sites) {
    for (const auto& r : site.routes) {
      if (r.cache) check_route(r, sink);
    }
  }
}

}  // namespace banyan::sema
