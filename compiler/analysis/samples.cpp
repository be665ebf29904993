// Example requests for rules; the argument for why they suffice is in samples.h.
#include "compiler/analysis/samples.h"

#include <re2/re2.h>

#include <algorithm>
#include <set>

#include "compiler/analysis/regex_sample.h"

namespace banyan::analysis {
namespace {

constexpr size_t kMaxDepth = 8;           // path lengths tried past a pattern
constexpr size_t kValuesPerName = 8;      // candidate values per header/cookie/query name
constexpr size_t kKnownPathsPerRegex = 64;

std::vector<std::string> split(std::string_view path) {
  auto views = parse::split_segments(path);
  return {views.begin(), views.end()};
}

void add_unique(std::vector<std::string>& v, std::string s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

bool is_structural(const Rule& r) { return r.cls != PathClass::Regex; }

// Literal segments of a rule's pattern, for choosing a fresh one.
void collect_literals(const Rule& r, std::set<std::string>& out) {
  if (r.cls == PathClass::Glob) {
    for (const auto& g : r.glob) {
      if (g.kind == parse::GlobSegment::Kind::Literal) out.insert(g.text);
    }
  } else {
    for (auto& s : split(r.cls == PathClass::Regex ? r.literal : r.pattern)) out.insert(std::move(s));
  }
}

// Glob paths with `fill(i)` for the wildcard at segment i, every length `**` allows.
template <typename Fill>
void expand_glob(const std::vector<parse::GlobSegment>& glob, Fill fill, const std::string& fresh, size_t depth,
                 std::vector<std::string>& out) {
  std::string base;
  for (size_t i = 0; i < glob.size(); ++i) {
    if (glob[i].kind == parse::GlobSegment::Kind::DoubleStar) {
      out.push_back(base.empty() ? "/" : base);
      add_unique(out, base + "/");
      // Each length with and without a trailing slash: the empty last segment it
      // leaves equals no literal and is matched by no `:param` or `*`.
      std::string more = base;
      for (size_t k = 0; k < depth; ++k) {
        out.push_back(more += "/" + fresh);
        out.push_back(more + "/");
      }
      return;
    }
    base += "/" + fill(i);
  }
  out.push_back(base);
}

// Values for the tests on one name: each test's own literal, a value next to each
// prefix that no other literal claims, and one that no literal claims at all.
std::vector<std::string> value_candidates(const std::vector<const ValueTest*>& mine,
                                          const std::vector<const ValueTest*>& site_tests, bool& complete) {
  auto claimed = [&](const std::string& v) {
    for (const ValueTest* t : site_tests) {
      if (t->match != ast::ValueMatchKind::Present && value_matches(*t, v)) return true;
    }
    return false;
  };
  std::vector<std::string> out;
  auto free_after = [&](const std::string& p) {
    for (char c : std::string_view("1xz0-_~")) {
      if (!claimed(p + c)) return p + c;
    }
    complete = false;
    return p + "1";
  };
  for (const ValueTest* t : mine) {
    switch (t->match) {
      case ast::ValueMatchKind::Present: break;
      case ast::ValueMatchKind::Equals: add_unique(out, t->value); break;
      case ast::ValueMatchKind::Prefix:
        add_unique(out, t->value);
        add_unique(out, free_after(t->value));
        break;
      case ast::ValueMatchKind::Regex:
        complete = false;
        for (auto& s : regex_samples(t->value, 8)) add_unique(out, std::move(s));
        for (const ValueTest* other : site_tests) {
          if (other->match == ast::ValueMatchKind::Equals || other->match == ast::ValueMatchKind::Prefix)
            add_unique(out, other->value);
        }
        break;
    }
  }
  add_unique(out, free_after(""));
  std::vector<std::string> kept;
  for (auto& v : out) {
    bool ok = true;
    for (const ValueTest* t : mine) ok = ok && value_matches(*t, v);
    if (ok && kept.size() < kValuesPerName) kept.push_back(std::move(v));
  }
  return kept;
}

// A structural rule as glob segments (a prefix `/a` is `/a/**`; candidates only).
std::vector<parse::GlobSegment> as_glob(const Rule& r) {
  using K = parse::GlobSegment::Kind;
  if (r.cls == PathClass::Glob) return r.glob;
  std::vector<parse::GlobSegment> out;
  if (r.cls != PathClass::Fallback) {
    for (auto& s : split(r.pattern)) out.push_back({K::Literal, std::move(s)});
  }
  if (r.cls != PathClass::Exact) {
    if (!out.empty() && out.back().text.empty()) out.pop_back();  // "/a/" -> a, **
    out.push_back({K::DoubleStar, ""});
  }
  return out;
}

// Paths two structural rules may share: each segment takes whichever literal either
// has, and past one's `**` the other's segments go on. Unverified candidates.
std::vector<std::string> joint_paths(const Rule& a, const Rule& b, const SiteVocabulary& vocab) {
  using K = parse::GlobSegment::Kind;
  if (a.cls == PathClass::Regex || b.cls == PathClass::Regex) return {};
  auto ga = as_glob(a), gb = as_glob(b);
  const std::string& f = vocab.fresh_segment();
  std::string base;
  for (size_t i = 0;; ++i) {
    bool end_a = i == ga.size(), end_b = i == gb.size();
    if (end_a || end_b) return end_a && end_b ? std::vector<std::string>{base.empty() ? "/" : base} : std::vector<std::string>{};
    bool rest_a = ga[i].kind == K::DoubleStar, rest_b = gb[i].kind == K::DoubleStar;
    if (rest_a || rest_b) {
      // The other rule's remaining segments, then the usual tails.
      const auto& other = rest_a ? gb : ga;
      std::vector<std::string> out;
      std::string path = base;
      for (size_t k = i; k < other.size() && other[k].kind != K::DoubleStar; ++k)
        path += "/" + (other[k].kind == K::Literal ? other[k].text : f);
      out.push_back(path.empty() ? "/" : path);
      out.push_back(path + "/");
      out.push_back(path + "/" + f);
      out.push_back(path + "/" + f + "/");
      return out;
    }
    if (ga[i].kind == K::Literal) base += "/" + ga[i].text;
    else if (gb[i].kind == K::Literal) base += "/" + gb[i].text;
    else base += "/" + f;
  }
}

}  // namespace

SiteVocabulary::SiteVocabulary(const SiteRules& site) {
  std::set<std::string> literals;
  std::set<std::string> methods;
  for (const auto& r : site.rules) {
    if (!r.usable) continue;
    collect_literals(r, literals);
    size_t n = r.cls == PathClass::Glob ? r.glob.size() : split(r.literal).size();
    max_depth_ = std::max(max_depth_, std::min(n + 1, kMaxDepth));
    for (const auto& t : r.tests) tests_[{static_cast<int>(t.where), t.key}].push_back(&t);
    for (const auto& m : r.methods) methods.insert(m);
  }
  for (int i = 0;; ++i) {
    std::string candidate = i == 0 ? "x" : "x" + std::to_string(i);
    if (!literals.count(candidate)) {
      fresh_ = candidate;
      break;
    }
  }
  for (const char* m : {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PURGE", "PROPFIND"}) {
    if (!methods.count(m)) {
      unlisted_method_ = m;
      break;
    }
  }
  if (unlisted_method_.empty()) unlisted_method_ = "X-UNLISTED";
  for (const auto& r : site.rules) {
    if (!r.usable || !is_structural(r)) continue;
    bool ignored = true;
    for (auto& p : path_samples(r, *this, ignored)) known_paths_.push_back(std::move(p));
  }
  std::sort(known_paths_.begin(), known_paths_.end());
  known_paths_.erase(std::unique(known_paths_.begin(), known_paths_.end()), known_paths_.end());
}

const std::vector<const ValueTest*>& SiteVocabulary::tests_on(ast::Predicate::Kind where, const std::string& name) const {
  static const std::vector<const ValueTest*> kNone;
  auto it = tests_.find({static_cast<int>(where), name});
  return it == tests_.end() ? kNone : it->second;
}

std::vector<std::string> path_samples(const Rule& r, const SiteVocabulary& vocab, bool& complete) {
  std::vector<std::string> out;
  const std::string& f = vocab.fresh_segment();
  size_t depth = vocab.max_depth();
  switch (r.cls) {
    case PathClass::Exact: out.push_back(r.pattern); break;
    case PathClass::Fallback:
    case PathClass::Prefix: {
      std::string q = r.pattern;
      if (q.back() != '/') {
        out.push_back(q);
        q += '/';
      }
      out.push_back(q);
      std::string more = q + f;
      out.push_back(more);
      out.push_back(more + "/");  // an empty last segment, as for `**` above
      for (size_t k = 1; k < depth; ++k) {
        out.push_back(more += "/" + f);
        out.push_back(more + "/");
      }
      break;
    }
    case PathClass::Glob:
      expand_glob(
          r.glob, [&](size_t i) { return r.glob[i].kind == parse::GlobSegment::Kind::Literal ? r.glob[i].text : f; }, f,
          depth, out);
      break;
    case PathClass::Regex: {
      complete = false;
      std::vector<std::string> tries;
      for (auto& s : regex_samples(r.pattern)) {
        if (s.starts_with('/')) {
          tries.push_back(s);
        } else {
          tries.push_back("/" + s);
          tries.push_back("/" + f + "/" + s);
        }
      }
      tries.push_back(r.literal + f);
      tries.push_back(r.literal.empty() ? "/" + f : r.literal);
      const auto& known = vocab.known_paths();
      size_t taken = 0;
      for (auto it = std::lower_bound(known.begin(), known.end(), r.literal);
           it != known.end() && it->starts_with(r.literal) && taken < kKnownPathsPerRegex; ++it, ++taken)
        tries.push_back(*it);
      for (auto& t : tries) {
        if (t.starts_with('/') && path_matches(r, t)) add_unique(out, std::move(t));
      }
      break;
    }
  }
  return out;
}

Samples request_samples(const Rule& rule, const Rule* also, const std::string& host, const SiteVocabulary& vocab,
                        size_t limit) {
  limit = std::min(limit, kMaxSamples);
  Samples out;
  // Paths both rules match.
  std::vector<std::string> paths;
  for (auto& p : path_samples(rule, vocab, out.complete)) {
    if (!also || path_matches(*also, p)) add_unique(paths, std::move(p));
  }
  if (also) {
    for (auto& p : path_samples(*also, vocab, out.complete)) {
      if (path_matches(rule, p)) add_unique(paths, std::move(p));
    }
    for (auto& p : joint_paths(rule, *also, vocab)) {
      if (path_matches(rule, p) && path_matches(*also, p)) add_unique(paths, std::move(p));
    }
  }
  // Methods both take.
  std::vector<std::string> methods;
  if (rule.methods.empty() && (!also || also->methods.empty())) {
    methods = {"GET", vocab.unlisted_method()};
  } else {
    auto takes = [](const Rule& r, const std::string& m) {
      return r.methods.empty() || std::find(r.methods.begin(), r.methods.end(), m) != r.methods.end();
    };
    for (const auto& m : !rule.methods.empty() ? rule.methods : also->methods) {
      if (takes(rule, m) && (!also || takes(*also, m))) add_unique(methods, m);
    }
  }
  // Values per tested name.
  std::map<std::pair<int, std::string>, std::vector<const ValueTest*>> groups;
  for (const auto& t : rule.tests) groups[{static_cast<int>(t.where), t.key}].push_back(&t);
  if (also) {
    for (const auto& t : also->tests) groups[{static_cast<int>(t.where), t.key}].push_back(&t);
  }
  std::vector<std::pair<const ValueTest*, std::vector<std::string>>> values;  // first test of each name
  for (const auto& [key, tests] : groups) {
    auto where = static_cast<ast::Predicate::Kind>(key.first);
    auto v = value_candidates(tests, vocab.tests_on(where, key.second), out.complete);
    if (v.empty()) return out;  // no value passes every test on this name
    values.emplace_back(tests.front(), std::move(v));
  }
  // Every combination, within the budget.
  size_t total = paths.size() * methods.size();
  for (const auto& [key, v] : values) total *= v.size();
  if (total > limit) out.complete = false;
  for (const auto& path : paths) {
    for (const auto& method : methods) {
      std::vector<size_t> pick(values.size(), 0);
      for (;;) {
        if (out.requests.size() >= limit) return out;
        Request req;
        req.host = host;
        req.method = method;
        req.path = path;
        for (size_t g = 0; g < values.size(); ++g) {
          const auto& [test, v] = values[g];
          auto& target = test->where == ast::Predicate::Kind::Header   ? req.headers
                         : test->where == ast::Predicate::Kind::Cookie ? req.cookies
                                                                       : req.query;
          target.emplace_back(test->name, v[pick[g]]);
        }
        out.requests.push_back(std::move(req));
        size_t g = 0;
        while (g < values.size() && ++pick[g] == values[g].second.size()) pick[g++] = 0;
        if (g == values.size()) break;
      }
    }
  }
  return out;
}

}  // namespace banyan::analysis
