// Lowering routes to rules with their rank, and the matching of one rule.
#include "compiler/analysis/route_model.h"

#include <re2/re2.h>

#include <algorithm>

namespace banyan::analysis {
namespace {

bool equal_fold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}


bool glob_matches(const std::vector<parse::GlobSegment>& glob, std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  // The path's segments as split_segments gives them, walked in place: the analyses
  // call this for every sample against every candidate rule, and a vector per call
  // was most of its cost.
  size_t at = 1;  // where the next segment starts; past the end when none is left
  for (const auto& g : glob) {
    using K = parse::GlobSegment::Kind;
    if (g.kind == K::DoubleStar) return true;  // the rest, zero or more segments
    if (at > path.size()) return false;
    size_t end = std::min(path.find('/', at), path.size());
    std::string_view seg = path.substr(at, end - at);
    if (g.kind == K::Literal ? seg != g.text : seg.empty()) return false;
    at = end + 1;
  }
  return at > path.size();
}

// A regex is anchored when it starts with ^ and no top-level alternative escapes it.
bool starts_anchored(std::string_view p) {
  if (p.empty() || p[0] != '^') return false;
  int depth = 0;
  bool in_class = false;
  for (size_t i = 1; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      in_class = true;
      if (i + 1 < p.size() && p[i + 1] == ']') ++i;  // "[]...]": a literal ']' first
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == '|' && depth == 0) {
      return false;
    }
  }
  return true;
}

void sort_rank_desc(std::vector<const Rule*>& v) {
  std::stable_sort(v.begin(), v.end(), [](const Rule* a, const Rule* b) { return a->rank > b->rank; });
}

}  // namespace

std::string_view class_name(PathClass c) {
  switch (c) {
    case PathClass::Fallback: return "fallback prefix";
    case PathClass::Exact: return "exact path";
    case PathClass::Prefix: return "prefix";
    case PathClass::Glob: return "glob";
    case PathClass::Regex: return "regex";
  }
  return "?";
}

std::string Request::describe() const {
  std::string out = method + " " + host + path;
  for (size_t i = 0; i < query.size(); ++i) {
    out += (i == 0 ? "?" : "&") + query[i].first + (query[i].second.empty() ? "" : "=" + query[i].second);
  }
  std::string extra;
  for (const auto& [n, v] : headers) extra += (extra.empty() ? "" : ", ") + std::string("header ") + n + ": " + v;
  for (const auto& [n, v] : cookies) extra += (extra.empty() ? "" : ", ") + std::string("cookie ") + n + "=" + v;
  if (!extra.empty()) out += " (" + extra + ")";
  return out;
}

bool value_matches(const ValueTest& t, std::string_view value) {
  switch (t.match) {
    case ast::ValueMatchKind::Present: return true;
    case ast::ValueMatchKind::Equals: return value == t.value;
    case ast::ValueMatchKind::Prefix: return value.starts_with(t.value);
    case ast::ValueMatchKind::Regex: return t.regex && RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *t.regex);
  }
  return false;
}

bool path_matches(const Rule& r, std::string_view path) {
  switch (r.cls) {
    case PathClass::Fallback: return path.starts_with('/');
    case PathClass::Exact: return path == r.pattern;
    case PathClass::Prefix: {
      const std::string& p = r.pattern;
      if (!path.starts_with(p)) return false;
      return p.back() == '/' || path.size() == p.size() || path[p.size()] == '/';
    }
    case PathClass::Glob: return glob_matches(r.glob, path);
    case PathClass::Regex:
      return r.regex && RE2::PartialMatch(re2::StringPiece(path.data(), path.size()), *r.regex);
  }
  return false;
}

bool method_matches(const Rule& r, std::string_view method) {
  return r.methods.empty() || std::find(r.methods.begin(), r.methods.end(), method) != r.methods.end();
}

bool tests_match(const Rule& r, const Request& req) {
  for (const auto& t : r.tests) {
    const auto& pairs = t.where == ast::Predicate::Kind::Header   ? req.headers
                        : t.where == ast::Predicate::Kind::Cookie ? req.cookies
                                                                  : req.query;
    bool found = false;
    for (const auto& [n, v] : pairs) {
      bool same = t.where == ast::Predicate::Kind::Header ? equal_fold(n, t.name) : n == t.name;
      if (same && value_matches(t, v)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

std::shared_ptr<const re2::RE2> compile_regex(const std::string& pattern, RegexProblem& problem) {
  RE2::Options opt;
  opt.set_log_errors(false);
  auto re = std::make_shared<const RE2>(pattern, opt);
  problem.pattern = pattern;
  if (!re->ok()) {
    problem.error = re->error();
    problem.fragment = re->error_arg();
    return nullptr;
  }
  if (re->ProgramSize() > kMaxRegexProgramSize) {
    problem.too_costly = true;
    problem.program_size = re->ProgramSize();
    return nullptr;
  }
  return re;
}

std::string regex_literal_suffix(const std::string& p) {
  if (p.size() < 2 || p.back() != '$' || p.find("(?") != std::string::npos) return {};
  size_t slashes = 0;
  for (size_t i = p.size() - 1; i-- > 0 && p[i] == '\\';) ++slashes;
  if (slashes % 2 == 1) return {};  // `\$` is a literal dollar
  // No top-level alternative: reuse the anchoring scan on a "^"-prefixed copy.
  if (!starts_anchored("^" + p.substr(p[0] == '^' ? 1 : 0))) return {};
  std::string rev;  // the suffix, collected backwards
  size_t i = p.size() - 1;
  while (i > 0) {
    char c = p[i - 1];
    // An escaped punctuation character is literal; count the backslashes before it.
    size_t bs = 0;
    for (size_t k = i - 1; k-- > 0 && p[k] == '\\';) ++bs;
    if (bs % 2 == 1) {
      if (std::isalnum(static_cast<unsigned char>(c))) {
        // \d, \w, \b end the run; \x41, \pL and octal escapes would have left
        // their tail in it, so give up on those.
        if (c == 'x' || c == 'p' || c == 'P' || std::isdigit(static_cast<unsigned char>(c))) return {};
        break;
      }
      rev += c;
      i -= 2;
      continue;
    }
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) break;
    rev += c;
    --i;
  }
  // Quantifiers follow their atom and stop the scan, so no kept character is optional.
  return std::string(rev.rbegin(), rev.rend());
}

std::string regex_literal_prefix(const RE2& re, const std::string& pattern, bool& anchored) {
  anchored = starts_anchored(pattern);
  if (!anchored) return {};
  std::string lo, hi;
  if (!re.PossibleMatchRange(&lo, &hi, 256)) return {};
  size_t n = 0;
  while (n < lo.size() && n < hi.size() && lo[n] == hi[n]) ++n;
  // Every match is >= lo and <= hi, so it starts with their common prefix; when lo
  // is that whole prefix, a match may also end there, which is fine.
  return lo.substr(0, n);
}

Rule make_path_rule(const ast::PathMatcher& m, RouteModel& model) {
  Rule r;
  r.pattern = m.pattern;
  switch (m.kind) {
    case ast::PathKind::Exact:
      r.cls = PathClass::Exact;
      r.literal = m.pattern;
      break;
    case ast::PathKind::Prefix:
      r.cls = m.pattern == "/" ? PathClass::Fallback : PathClass::Prefix;
      r.literal = m.pattern == "/" ? "" : m.pattern;
      break;
    case ast::PathKind::Glob: {
      r.cls = PathClass::Glob;
      if (!parse::parse_glob(m.pattern, r.glob).empty()) {
        r.usable = false;  // reported by the parser
        break;
      }
      size_t lead = 0;
      while (lead < r.glob.size() && r.glob[lead].kind == parse::GlobSegment::Kind::Literal) ++lead;
      r.literal = "/";
      for (size_t i = 0; i < lead; ++i) r.literal += r.glob[i].text + "/";
      // Before `**`, which may match nothing, the path need not go on past a '/'.
      if (lead < r.glob.size() && r.glob[lead].kind == parse::GlobSegment::Kind::DoubleStar && lead > 0)
        r.literal.pop_back();
      bool rest = false;
      for (size_t i = lead; i < r.glob.size(); ++i) {
        using K = parse::GlobSegment::Kind;
        K k = r.glob[i].kind;
        r.rank.shape.push_back(k == K::Literal ? ShapeElement::Literal
                               : k == K::DoubleStar ? ShapeElement::Rest
                                                    : ShapeElement::Wildcard);
        rest = rest || k == K::DoubleStar;
      }
      if (!rest) r.rank.shape.push_back(ShapeElement::End);
      break;
    }
    case ast::PathKind::Regex: {
      r.cls = PathClass::Regex;
      RegexProblem problem;
      problem.range = m.range;
      r.regex = compile_regex(m.pattern, problem);
      if (!r.regex) {
        r.usable = false;
        model.problems.push_back(std::move(problem));
        break;
      }
      r.literal = regex_literal_prefix(*r.regex, m.pattern, r.anchored);
      if (r.anchored && !r.regex->PossibleMatchRange(&r.range_lo, &r.range_hi, 256)) r.range_lo = r.range_hi = "";
      r.literal_suffix = regex_literal_suffix(m.pattern);
      break;
    }
  }
  r.rank.literal = static_cast<uint32_t>(r.literal.size());
  r.rank.cls = r.cls;
  return r;
}

RouteModel build_route_model(const ast::File& file) {
  RouteModel model;
  for (size_t s = 0; s < file.sites.size(); ++s) {
    const ast::Site& site = file.sites[s];
    SiteRules sr;
    sr.site = &site;
    // A host the site answers, for example requests: exact first, then a wildcard's.
    for (const auto& h : site.hosts) {
      if (!h.is_default && !h.host.starts_with("*.")) {
        sr.sample_host = h.host;
        break;
      }
    }
    for (const auto& h : site.hosts) {
      if (sr.sample_host.empty() && h.host.starts_with("*.")) sr.sample_host = "www" + h.host.substr(1);
    }
    if (sr.sample_host.empty()) sr.sample_host = "any-host.example";
    for (size_t i = 0; i < site.routes.size(); ++i) {
      const ast::Route& route = site.routes[i];
      Rule r = make_path_rule(route.path, model);
      r.site = s;
      r.index = i;
      r.route = &route;
      for (const auto& m : route.methods) r.methods.push_back(m.text);
      for (const auto& p : route.predicates) {
        ValueTest t;
        t.where = p.kind;
        t.name = p.name.text;
        t.key = t.name;
        if (p.kind == ast::Predicate::Kind::Header) {
          for (char& ch : t.key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        t.match = p.match;
        t.value = p.value.text;
        if (p.match == ast::ValueMatchKind::Regex) {
          RegexProblem problem;
          problem.range = p.value.range;
          t.regex = compile_regex(p.value.text, problem);
          if (!t.regex) {
            r.usable = false;
            model.problems.push_back(std::move(problem));
          }
        }
        r.tests.push_back(std::move(t));
      }
      r.rank.predicates = static_cast<uint32_t>((r.methods.empty() ? 0 : 1) + r.tests.size());
      sr.rules.push_back(std::move(r));
    }
    model.sites.push_back(std::move(sr));
  }
  for (const auto& m : file.migrations) {
    std::vector<Rule> rules;
    for (const auto& p : m.paths) {
      Rule r = make_path_rule(p, model);
      if (r.usable) rules.push_back(std::move(r));
    }
    model.moved.push_back(std::move(rules));
  }
  return model;
}

SiteIndex::SiteIndex(const SiteRules& site) {
  for (const auto& r : site.rules) {
    if (r.usable) buckets_[r.literal].push_back(&r);
  }
  for (auto& [literal, rules] : buckets_) {
    sort_rank_desc(rules);
    lengths_.push_back(literal.size());
  }
  std::sort(lengths_.begin(), lengths_.end(), std::greater<>());
  lengths_.erase(std::unique(lengths_.begin(), lengths_.end()), lengths_.end());
}

std::vector<const Rule*> SiteIndex::winners(const Request& req) const {
  std::vector<const Rule*> out;
  std::string_view path = req.path;
  for (size_t n : lengths_) {
    if (n > path.size()) continue;
    auto it = buckets_.find(path.substr(0, n));
    if (it == buckets_.end()) continue;
    for (const Rule* r : it->second) {
      if (!out.empty() && r->rank != out.front()->rank) break;
      if (matches(*r, req)) out.push_back(r);
    }
    if (!out.empty()) return out;
  }
  return out;
}

}  // namespace banyan::analysis
