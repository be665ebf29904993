// The tests of one route (route_tests.h), and the header, cookie and query lookups
// that the runtime's $variables share with them (matcher.h).
#include "runtime/plan/route_tests.h"

#include <re2/re2.h>

#include <algorithm>

namespace banyan::plan {
namespace {

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

}  // namespace

bool methods_ok(const Plan& plan, const Route& r, std::string_view method) {
  if (r.methods.count == 0) return true;
  auto methods = plan.str_list(r.methods);
  return std::any_of(methods.begin(), methods.end(), [&](StrRef m) { return plan.str(m) == method; });
}

bool tests_ok(const Plan& plan, const Route& r, const RequestView& req) {
  for (uint32_t i = r.tests.first; i < r.tests.first + r.tests.count; ++i) {
    const ValueTest& t = plan.value_tests()[i];
    std::string_view name = plan.str(t.name);
    auto test = [&](std::string_view n, std::string_view v) { return n == name && value_ok(plan, i, v); };
    bool found = false;
    switch (t.where) {
      case TestWhere::Header:
        found = std::any_of(req.headers.begin(), req.headers.end(),
                            [&](const HeaderField& h) { return equal_fold(h.name, name) && value_ok(plan, i, h.value); });
        break;
      case TestWhere::Cookie: found = each_cookie(req.headers, test); break;
      case TestWhere::Query: found = each_pair(req.query, '&', false, test); break;
    }
    if (!found) return false;
  }
  return true;
}

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

bool route_matches(const Plan& plan, uint32_t route, const RequestView& req) {
  const Route& r = plan.routes()[route];
  return route_path_ok(plan, route, req.path, nullptr) && methods_ok(plan, r, req.method) && tests_ok(plan, r, req);
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

bool is_tester(const Plan& p, const Migration& m, std::span<const HeaderField> headers) {
  std::string_view v;
  switch (m.testers) {
    case TestersSource::None: return false;
    case TestersSource::Header:
      return find_header(headers, p.str(m.testers_name), v) && v == p.str(m.testers_value);
    case TestersSource::Cookie:
      return find_cookie(headers, p.str(m.testers_name), v) && v == p.str(m.testers_value);
  }
  return false;
}

}  // namespace banyan::plan
