#include "tests/support/reference_matcher.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>

#include "runtime/plan/format.h"  // kMaxRegexProgramSize: the language's regex budget

namespace banyan::test {

struct ReferenceMatcher::Entry {
  const ast::Route* route = nullptr;
  bool usable = true;
  std::unique_ptr<re2::RE2> path;                      // the path pattern as a regex
  bool full = true;                                    // translated patterns match the whole path; user regexes search
  std::vector<std::unique_ptr<re2::RE2>> value_regex;  // per predicate; null unless `~`
  std::vector<int> rank;
};

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

// A regex the file wrote (a `~` path or value) within the language's budget, or null.
std::unique_ptr<re2::RE2> compile(const std::string& pattern) {
  RE2::Options opt;
  opt.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(pattern, opt);
  if (!re->ok() || re->ProgramSize() > plan::kMaxRegexProgramSize) return nullptr;
  return re;
}

// "Every match starts at the path's start": a leading `^`, and no alternative at the
// top level that could start elsewhere. Escapes and bracket expressions hide their
// characters; a `]` right after `[` (or `[^`) is a literal.
bool anchored_at_start(const std::string& p) {
  if (p.empty() || p[0] != '^') return false;
  int depth = 0;
  for (size_t i = 1; i < p.size(); ++i) {
    switch (p[i]) {
      case '\\':
        ++i;
        break;
      case '[': {
        size_t j = i + 1;
        if (j < p.size() && p[j] == '^') ++j;
        if (j < p.size() && p[j] == ']') ++j;
        while (j < p.size() && p[j] != ']') j += p[j] == '\\' ? 2 : 1;
        i = j;
        break;
      }
      case '(':
        ++depth;
        break;
      case ')':
        --depth;
        break;
      case '|':
        if (depth == 0) return false;
        break;
      default:
        break;
    }
  }
  return true;
}

// Rank tuple: literal length, kind (exact 4 > prefix 3 > glob 2 > regex 1 > the
// fallback `/` 0), a glob's segments after its literal prefix (end of path 4 >
// literal 3 > `:param` or `*` 2 > `**` 1; 0 pads, and only globs compare shapes),
// then the number of predicates (a method list counts one).
std::vector<int> rank_of(const ast::Route& route) {
  const ast::PathMatcher& m = route.path;
  int literal = 0, kind = 0;
  std::vector<int> shape;
  switch (m.kind) {
    case ast::PathKind::Exact:
      literal = static_cast<int>(m.pattern.size()), kind = 4;
      break;
    case ast::PathKind::Prefix:
      literal = m.pattern == "/" ? 0 : static_cast<int>(m.pattern.size());
      kind = m.pattern == "/" ? 0 : 3;
      break;
    case ast::PathKind::Glob: {
      kind = 2;
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
    case ast::PathKind::Regex:
      literal = static_cast<int>(reference_regex_prefix(m.pattern).size()), kind = 1;
      break;
  }
  std::vector<int> out{literal, kind};
  for (size_t i = 0; i < 12; ++i) out.push_back(i < shape.size() ? shape[i] : 0);
  out.push_back(static_cast<int>(route.predicates.size()) + (route.methods.empty() ? 0 : 1));
  return out;
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

std::string reference_regex_prefix(const std::string& pattern) {
  if (!anchored_at_start(pattern)) return "";
  auto re = compile(pattern);
  std::string lo, hi;
  if (!re || !re->PossibleMatchRange(&lo, &hi, 256)) return "";
  // Every match m has lo <= m <= hi, so m starts with what lo and hi share.
  size_t n = 0;
  while (n < lo.size() && n < hi.size() && lo[n] == hi[n]) ++n;
  return lo.substr(0, n);
}

ReferenceMatcher::ReferenceMatcher(const ast::Site& site) {
  for (const auto& route : site.routes) {
    auto e = std::make_unique<Entry>();
    e->route = &route;
    e->full = route.path.kind != ast::PathKind::Regex;
    if (route.path.kind == ast::PathKind::Regex) {
      e->path = compile(route.path.pattern);
    } else {
      e->path = std::make_unique<re2::RE2>(path_pattern_regex(route.path));  // ours: always compiles
    }
    e->usable = e->path != nullptr && e->path->ok();
    for (const auto& p : route.predicates) {
      e->value_regex.push_back(p.match == ast::ValueMatchKind::Regex ? compile(p.value.text) : nullptr);
      if (p.match == ast::ValueMatchKind::Regex && !e->value_regex.back()) e->usable = false;
    }
    e->rank = rank_of(route);
    entries_.push_back(std::move(e));
  }
}

ReferenceMatcher::~ReferenceMatcher() = default;
ReferenceMatcher::ReferenceMatcher(ReferenceMatcher&&) noexcept = default;

bool ReferenceMatcher::usable(size_t route) const { return entries_[route]->usable; }

const std::vector<int>& ReferenceMatcher::rank(size_t route) const { return entries_[route]->rank; }

bool ReferenceMatcher::matches(size_t route, const analysis::Request& req) const {
  const Entry& e = *entries_[route];
  if (!e.usable) return false;
  if (!(e.full ? RE2::FullMatch(req.path, *e.path) : RE2::PartialMatch(req.path, *e.path))) return false;
  const ast::Route& r = *e.route;
  if (!r.methods.empty() &&
      std::none_of(r.methods.begin(), r.methods.end(), [&](const ast::Name& m) { return m.text == req.method; }))
    return false;
  for (size_t i = 0; i < r.predicates.size(); ++i) {
    const ast::Predicate& p = r.predicates[i];
    const auto& pairs = p.kind == ast::Predicate::Kind::Header   ? req.headers
                        : p.kind == ast::Predicate::Kind::Cookie ? req.cookies
                                                                 : req.query;
    auto value_ok = [&](const std::string& v) {
      switch (p.match) {
        case ast::ValueMatchKind::Present: return true;
        case ast::ValueMatchKind::Equals: return v == p.value.text;
        case ast::ValueMatchKind::Prefix: return v.compare(0, p.value.text.size(), p.value.text) == 0;
        case ast::ValueMatchKind::Regex: return RE2::PartialMatch(v, *e.value_regex[i]);
      }
      return false;
    };
    // Header names compare in any case; cookie and query names exactly.
    bool ok = std::any_of(pairs.begin(), pairs.end(), [&](const auto& kv) {
      bool name_ok =
          p.kind == ast::Predicate::Kind::Header ? lower(kv.first) == lower(p.name.text) : kv.first == p.name.text;
      return name_ok && value_ok(kv.second);
    });
    if (!ok) return false;
  }
  return true;
}

std::vector<size_t> ReferenceMatcher::winners(const analysis::Request& req) const {
  std::vector<size_t> out;
  const std::vector<int>* best = nullptr;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (!matches(i, req)) continue;
    if (out.empty() || entries_[i]->rank > *best) {
      out = {i};
      best = &entries_[i]->rank;
    } else if (entries_[i]->rank == *best) {
      out.push_back(i);
    }
  }
  return out;
}

}  // namespace banyan::test
