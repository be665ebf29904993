// The decision-tree lookup. See matcher.h; the order it implements is route_model.h's.
#include "runtime/plan/matcher.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstring>

namespace banyan::plan {
namespace {

// Budget: a host longer than a DNS name can be (253, plus a port) selects no site.
inline constexpr size_t kMaxHostBytes = 260;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_fold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(name, value) for each `name=value` item of `text` split at `sep`, until f
// returns true; returns whether it did.
template <typename F>
bool each_pair(std::string_view text, char sep, bool trim_items, F&& f) {
  while (true) {
    size_t end = text.find(sep);
    std::string_view item = text.substr(0, end);
    if (trim_items) item = trim(item);
    if (!item.empty()) {
      size_t eq = item.find('=');
      std::string_view name = item.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
      if (f(name, value)) return true;
    }
    if (end == std::string_view::npos) return false;
    text.remove_prefix(end + 1);
  }
}

template <typename F>
bool each_cookie(std::span<const HeaderField> headers, F&& f) {
  for (const auto& h : headers) {
    if (equal_fold(h.name, "cookie") && each_pair(h.value, ';', true, f)) return true;
  }
  return false;
}

bool value_ok(const Plan& plan, uint32_t test, std::string_view v) {
  const ValueTest& t = plan.value_tests()[test];
  switch (t.match) {
    case TestMatch::Present: return true;
    case TestMatch::Equals: return v == plan.str(t.value);
    case TestMatch::Prefix: return v.starts_with(plan.str(t.value));
    case TestMatch::Regex: return RE2::PartialMatch(re2::StringPiece(v.data(), v.size()), *plan.test_regex(test));
  }
  return false;
}

bool predicates_ok(const Plan& plan, const Route& r, const RequestView& req) {
  if (r.methods.count > 0) {
    auto methods = plan.str_list(r.methods);
    if (std::none_of(methods.begin(), methods.end(), [&](StrRef m) { return plan.str(m) == req.method; })) return false;
  }
  for (uint32_t i = r.tests.first; i < r.tests.first + r.tests.count; ++i) {
    const ValueTest& t = plan.value_tests()[i];
    std::string_view name = plan.str(t.name);
    auto test = [&](std::string_view n, std::string_view v) { return n == name && value_ok(plan, i, v); };
    bool found = false;
    switch (t.where) {
      case TestWhere::Header:
        for (const auto& h : req.headers) {
          if (equal_fold(h.name, name) && value_ok(plan, i, h.value)) {
            found = true;
            break;
          }
        }
        break;
      case TestWhere::Cookie: found = each_cookie(req.headers, test); break;
      case TestWhere::Query: found = each_pair(req.query, '&', false, test); break;
    }
    if (!found) return false;
  }
  return true;
}

// A glob against the whole path, segment by segment; captures into `out` when given.
bool glob_ok(const Plan& plan, Slice glob, std::string_view path, MatchResult* out) {
  if (path.empty() || path[0] != '/') return false;
  size_t pos = 1;  // the start of the current segment
  bool more = true;  // a segment remains at pos (the path "/" has one empty segment)
  uint32_t n = 0;
  for (const GlobSegment& g : plan.glob_segments().subspan(glob.first, glob.count)) {
    if (g.kind == SegmentKind::DoubleStar) {
      if (out) out->captures[n++] = {"**", more ? path.substr(pos) : std::string_view()};
      if (out) out->capture_count = n;
      return true;
    }
    if (!more) return false;
    size_t end = path.find('/', pos);
    std::string_view seg = path.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (g.kind == SegmentKind::Literal) {
      if (seg != plan.str(g.text)) return false;
    } else {
      if (seg.empty()) return false;
      if (out) out->captures[n++] = {g.kind == SegmentKind::Star ? std::string_view("*") : plan.str(g.text), seg};
    }
    if (end == std::string_view::npos) {
      more = false;
    } else {
      pos = end + 1;
    }
  }
  if (more) return false;
  if (out) out->capture_count = n;
  return true;
}

bool path_ok(const Plan& plan, PathKind kind, std::string_view pattern, Slice glob, const re2::RE2* re,
             std::string_view path, MatchResult* out) {
  switch (kind) {
    case PathKind::Fallback: return path.starts_with('/');
    case PathKind::Exact: return path == pattern;
    case PathKind::Prefix:
      if (!path.starts_with(pattern)) return false;
      return pattern.ends_with('/') || path.size() == pattern.size() || path[pattern.size()] == '/';
    case PathKind::Glob: return glob_ok(plan, glob, path, out);
    case PathKind::Regex: return RE2::PartialMatch(re2::StringPiece(path.data(), path.size()), *re);
  }
  return false;
}

bool route_path_ok(const Plan& plan, uint32_t i, std::string_view path, MatchResult* out) {
  const Route& r = plan.routes()[i];
  return path_ok(plan, r.path_kind, plan.str(r.pattern), r.glob, plan.route_regex(i), path, out);
}

// A candidate's path test, knowing the walk matched its literal prefix (the first
// `depth` bytes): for exact and prefix routes the literal is the whole pattern, so the
// test needs neither the pattern's bytes nor a comparison.
bool candidate_path_ok(const Plan& plan, const Candidate& c, uint32_t depth, std::string_view path, MatchResult& out) {
  switch (c.kind) {
    case PathKind::Fallback:  // the prefix `/`: the rest is the whole path after its '/'
      out.captures[0] = {"**", path.substr(1)};
      out.capture_count = 1;
      return true;
    case PathKind::Exact: return path.size() == depth;
    case PathKind::Prefix: {
      if (path.size() != depth && path[depth] != '/' && path[depth - 1] != '/') return false;
      // The rest of the path after the prefix, for `rewrite .../**`.
      std::string_view rest = path.substr(depth);
      if (rest.starts_with('/')) rest.remove_prefix(1);
      out.captures[0] = {"**", rest};
      out.capture_count = 1;
      return true;
    }
    default: return route_path_ok(plan, c.route, path, &out);
  }
}

// The migration whose `move` takes this request, if the route has any.
uint32_t split_of(const Plan& plan, const Route& r, std::string_view host, std::string_view path) {
  for (uint32_t m : plan.u32_list(r.splits)) {
    const Migration& mig = plan.migrations()[m];
    if (mig.on_host.length > 0 && plan.str(mig.on_host) != host) continue;
    for (uint32_t k = mig.moves.first; k < mig.moves.first + mig.moves.count; ++k) {
      const MovePattern& mp = plan.move_patterns()[k];
      if (path_ok(plan, mp.kind, plan.str(mp.pattern), mp.glob, plan.move_regex(k), path, nullptr)) return m;
    }
  }
  return kNone;
}

// Does `rest` start with the node's label? Labels up to kNodeHead bytes are compared
// inside the node; only longer ones read the string table.
bool continues(const Plan& plan, const Node& n, std::string_view rest) {
  uint32_t len = n.label.length;
  if (rest.size() < len) return false;
  uint32_t in_head = std::min(len, kNodeHead);
  for (uint32_t i = 0; i < in_head; ++i)  // labels are short: a loop beats a memcmp call
    if (n.head[i] != rest[i]) return false;
  return len <= kNodeHead || std::memcmp(plan.str(n.label).data() + kNodeHead, rest.data() + kNodeHead, len - kNodeHead) == 0;
}

// The host without port or trailing dot, lower-cased into `buf`; false if too long.
bool canonical_host(std::string_view host, char* buf, std::string_view& out) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    host = host.substr(0, close == std::string_view::npos ? host.size() : close + 1);
  } else {
    size_t colon = host.rfind(':');
    if (colon != std::string_view::npos) host = host.substr(0, colon);
  }
  if (host.ends_with('.')) host.remove_suffix(1);
  if (host.size() > kMaxHostBytes) return false;
  for (size_t i = 0; i < host.size(); ++i) buf[i] = lower(host[i]);
  out = {buf, host.size()};
  return true;
}

// The site of a canonical host (see canonical_host).
uint32_t site_of(const Plan& plan, std::string_view h) {
  uint32_t site = plan.exact_host(h);
  if (site != kNone) return site;
  // Wildcards match one or more labels: try the suffixes from the longest down.
  for (size_t dot = h.find('.'); dot != std::string_view::npos && dot > 0; dot = h.find('.', dot + 1)) {
    site = plan.wildcard_host(h.substr(dot));
    if (site != kNone) return site;
  }
  return plan.default_site();
}

}  // namespace

uint32_t select_site(const Plan& plan, std::string_view host) {
  char buf[kMaxHostBytes];
  std::string_view h;
  return canonical_host(host, buf, h) ? site_of(plan, h) : plan.default_site();
}

bool match(const Plan& plan, const RequestView& req, MatchResult& out) {
  // The host is canonicalised once: for the site, and for a migration's `on` host.
  char buf[kMaxHostBytes];
  std::string_view host;
  bool host_ok = canonical_host(req.host, buf, host);
  out.site = host_ok ? site_of(plan, host) : plan.default_site();
  out.route = out.migration = kNone;
  out.capture_count = 0;
  if (out.site == kNone) return false;
  const auto nodes = plan.nodes();
  const std::string_view path = req.path;

  // Down: follow the child whose label continues the path, as far as one does.
  uint32_t at = plan.sites()[out.site].root_node;
  while (true) {
    const Node& n = nodes[at];
    if (n.depth >= path.size() || n.children.count == 0) break;
    auto kids = nodes.subspan(n.children.first, n.children.count);
    unsigned char want = static_cast<unsigned char>(path[n.depth]);
    auto it = std::lower_bound(kids.begin(), kids.end(), want,
                               [](const Node& k, unsigned char c) { return static_cast<unsigned char>(k.head[0]) < c; });
    if (it == kids.end() || static_cast<unsigned char>(it->head[0]) != want || !continues(plan, *it, path.substr(n.depth))) break;
    at = n.children.first + static_cast<uint32_t>(it - kids.begin());
  }

  // Up: the deepest node's candidates first; in each node, greatest rank first.
  int regex_any = -1;  // the site's RE2::Set answer, computed when first needed
  for (; at != kNone; at = nodes[at].parent) {
    for (const Candidate& c : plan.candidates(nodes[at].candidates)) {
      if (c.kind == PathKind::Regex) {
        if (regex_any < 0) regex_any = plan.any_regex_matches(out.site, path) ? 1 : 0;
        if (regex_any == 0) continue;
      }
      out.capture_count = 0;
      if (!candidate_path_ok(plan, c, nodes[at].depth, path, out)) continue;
      const Route& route = plan.routes()[c.route];
      if (c.has_predicates && !predicates_ok(plan, route, req)) continue;
      out.route = c.route;
      if (route.splits.count > 0 && host_ok) out.migration = split_of(plan, route, host, path);
      return true;
    }
  }
  out.capture_count = 0;
  return false;
}

bool route_matches(const Plan& plan, uint32_t route, const RequestView& req) {
  return route_path_ok(plan, route, req.path, nullptr) && predicates_ok(plan, plan.routes()[route], req);
}

bool find_header(std::span<const HeaderField> headers, std::string_view name, std::string_view& value) {
  for (const auto& h : headers) {
    if (equal_fold(h.name, name)) {
      value = h.value;
      return true;
    }
  }
  return false;
}

bool find_cookie(std::span<const HeaderField> headers, std::string_view name, std::string_view& value) {
  return each_cookie(headers, [&](std::string_view n, std::string_view v) {
    if (n != name) return false;
    value = v;
    return true;
  });
}

bool find_query(std::string_view query, std::string_view name, std::string_view& value) {
  return each_pair(query, '&', false, [&](std::string_view n, std::string_view v) {
    if (n != name) return false;
    value = v;
    return true;
  });
}

}  // namespace banyan::plan
