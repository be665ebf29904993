#include "tests/support/reference_matcher.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>

namespace banyan::test {
namespace {

std::vector<std::string> split_path(const std::string& p) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 1; i < p.size(); ++i) {
    if (p[i] == '/') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += p[i];
    }
  }
  out.push_back(cur);
  return out;
}

bool is_wild(const std::string& seg) { return seg == "*" || seg == "**" || (!seg.empty() && seg[0] == ':'); }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool value_ok(const ast::Predicate& p, const std::string& v) {
  switch (p.match) {
    case ast::ValueMatchKind::Present: return true;
    case ast::ValueMatchKind::Equals: return v == p.value.text;
    case ast::ValueMatchKind::Prefix: return v.compare(0, p.value.text.size(), p.value.text) == 0;
    case ast::ValueMatchKind::Regex: return RE2::PartialMatch(v, RE2(p.value.text));
  }
  return false;
}

}  // namespace

std::string path_pattern_regex(const ast::PathMatcher& m) {
  switch (m.kind) {
    case ast::PathKind::Exact: return RE2::QuoteMeta(m.pattern);
    case ast::PathKind::Prefix:
      if (m.pattern == "/") return "/.*";
      if (m.pattern.back() == '/') return RE2::QuoteMeta(m.pattern) + ".*";
      return RE2::QuoteMeta(m.pattern) + "(/.*)?";
    case ast::PathKind::Glob: {
      std::string out;
      for (const auto& seg : split_path(m.pattern)) {
        if (seg == "**") return out + "(/.*)?";
        out += "/" + (is_wild(seg) ? std::string("[^/]+") : RE2::QuoteMeta(seg));
      }
      return out;
    }
    case ast::PathKind::Regex: return m.pattern;
  }
  return "";
}

ReferenceMatcher::ReferenceMatcher(const analysis::SiteRules& site) {
  for (const auto& r : site.rules) {
    if (!r.usable) continue;
    Entry e{&r, std::make_shared<RE2>(path_pattern_regex(r.route->path)), r.route->path.kind != ast::PathKind::Regex,
            rank(r)};
    entries_.push_back(std::move(e));
  }
}

std::vector<int> ReferenceMatcher::rank(const analysis::Rule& r) const {
  const ast::PathMatcher& m = r.route->path;
  int literal = 0, cls = 0;
  std::vector<int> shape;
  switch (m.kind) {
    case ast::PathKind::Exact: literal = static_cast<int>(m.pattern.size()), cls = 4; break;
    case ast::PathKind::Prefix:
      literal = m.pattern == "/" ? 0 : static_cast<int>(m.pattern.size());
      cls = m.pattern == "/" ? 0 : 3;
      break;
    case ast::PathKind::Glob: {
      cls = 2;
      auto segs = split_path(m.pattern);
      size_t lead = 0;
      while (lead < segs.size() && !is_wild(segs[lead])) ++lead;
      literal = 1;  // the leading '/'
      for (size_t i = 0; i < lead; ++i) literal += static_cast<int>(segs[i].size()) + 1;
      if (lead > 0 && lead < segs.size() && segs[lead] == "**") literal -= 1;  // "/a/**" -> "/a"
      bool rest = false;
      for (size_t i = lead; i < segs.size(); ++i) {
        shape.push_back(segs[i] == "**" ? 1 : is_wild(segs[i]) ? 2 : 3);
        rest = rest || segs[i] == "**";
      }
      if (!rest) shape.push_back(4);
      break;
    }
    case ast::PathKind::Regex: literal = static_cast<int>(r.literal.size()), cls = 1; break;
  }
  int predicates = static_cast<int>(r.route->predicates.size()) + (r.route->methods.empty() ? 0 : 1);
  std::vector<int> out{literal, cls};
  // Shapes only compare between globs; a fixed-width encoding keeps tuple order.
  for (size_t i = 0; i < 12; ++i) out.push_back(i < shape.size() ? shape[i] : 0);
  out.push_back(predicates);
  return out;
}

bool ReferenceMatcher::matches(const analysis::Rule& r, const analysis::Request& req) const {
  const ast::Route& route = *r.route;
  bool path_ok = false;
  for (const auto& e : entries_) {
    if (e.rule != &r) continue;
    path_ok = e.full ? RE2::FullMatch(req.path, *e.path_regex) : RE2::PartialMatch(req.path, *e.path_regex);
  }
  if (!path_ok) return false;
  if (!route.methods.empty() &&
      std::none_of(route.methods.begin(), route.methods.end(), [&](const ast::Name& m) { return m.text == req.method; }))
    return false;
  for (const auto& p : route.predicates) {
    const auto& pairs = p.kind == ast::Predicate::Kind::Header   ? req.headers
                        : p.kind == ast::Predicate::Kind::Cookie ? req.cookies
                                                                 : req.query;
    bool ok = std::any_of(pairs.begin(), pairs.end(), [&](const auto& kv) {
      bool name_ok = p.kind == ast::Predicate::Kind::Header ? lower(kv.first) == lower(p.name.text) : kv.first == p.name.text;
      return name_ok && value_ok(p, kv.second);
    });
    if (!ok) return false;
  }
  return true;
}

std::vector<const analysis::Rule*> ReferenceMatcher::winners(const analysis::Request& req) const {
  std::vector<const analysis::Rule*> out;
  std::vector<int> best;
  for (const auto& e : entries_) {
    if (!matches(*e.rule, req)) continue;
    if (out.empty() || e.rank > best) {
      out = {e.rule};
      best = e.rank;
    } else if (e.rank == best) {
      out.push_back(e.rule);
    }
  }
  return out;
}

}  // namespace banyan::test
