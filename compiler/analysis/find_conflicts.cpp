// Ambiguity: rules of equal rank that can match one request. Only rules in one
// (literal prefix, rank) group can tie, so each group is checked pairwise.
#include <algorithm>
#include <map>
#include <tuple>

#include "compiler/analysis/analyses.h"

namespace banyan::analysis {
namespace {

bool same_tests(const Rule& a, const Rule& b) {
  auto key = [](const Rule& r) {
    std::vector<std::tuple<int, std::string, int, std::string>> k;
    for (const auto& t : r.tests) k.emplace_back(static_cast<int>(t.where), t.key, static_cast<int>(t.match), t.value);
    std::sort(k.begin(), k.end());
    return k;
  };
  auto ma = a.methods, mb = b.methods;
  std::sort(ma.begin(), ma.end());
  std::sort(mb.begin(), mb.end());
  return ma == mb && key(a) == key(b);
}

// Two regexes that provably share no match: their possible-match ranges do not
// meet, or they end in literal texts neither of which ends the other.
// RE2's PossibleMatchRange bounds the text a regex matches, [lo, hi], not the path:
// without a `$` the path may go on after it (`^/q(b)?` has the range ["/q", "/qb"], and
// "/qc" matches). A path is a matched text m followed by anything; with U the shortest
// prefix of hi that is >= lo, every such path starts with U or sorts below it. If m is
// a prefix of hi, m >= lo makes U a prefix of m. If not, m < hi parts from hi at some
// byte i, so the path sorts below hi's first i+1 bytes, which are > m >= lo, so U is
// no longer than they are, and a prefix of them. Lower bounds hold for extensions.
std::string path_ceiling(const std::string& lo, const std::string& hi) {
  for (size_t k = 0; k <= hi.size(); ++k)
    if (hi.compare(0, k, lo) >= 0) return hi.substr(0, k);
  return hi;
}

// Every path below `ceiling` followed by anything sorts below `lo`.
bool below(const std::string& ceiling, const std::string& lo) { return ceiling < lo && !lo.starts_with(ceiling); }

bool regexes_disjoint(const Rule& a, const Rule& b) {
  bool ranges = !a.range_hi.empty() && !b.range_hi.empty();
  if (ranges && (below(path_ceiling(a.range_lo, a.range_hi), b.range_lo) ||
                 below(path_ceiling(b.range_lo, b.range_hi), a.range_lo)))
    return true;
  const std::string& x = a.literal_suffix;
  const std::string& y = b.literal_suffix;
  return !x.empty() && !y.empty() && !x.ends_with(y) && !y.ends_with(x);
}

// Paths of equal rank: can one path match both?
bool paths_can_meet(const Rule& a, const Rule& b) {
  if (a.cls == PathClass::Regex) return !regexes_disjoint(a, b);
  if (a.cls != PathClass::Glob) return a.pattern == b.pattern;
  if (a.glob.size() != b.glob.size()) return false;
  for (size_t i = 0; i < a.glob.size(); ++i) {
    using K = parse::GlobSegment::Kind;
    if (a.glob[i].kind == K::Literal && b.glob[i].kind == K::Literal && a.glob[i].text != b.glob[i].text) return false;
  }
  return true;
}

}  // namespace

std::vector<Conflict> find_conflicts(const SiteRules& site, const SiteVocabulary& vocab) {
  std::map<std::pair<std::string_view, const Rank*>, std::vector<const Rule*>,
           bool (*)(const std::pair<std::string_view, const Rank*>&, const std::pair<std::string_view, const Rank*>&)>
      groups([](const auto& x, const auto& y) {
        if (x.first != y.first) return x.first < y.first;
        return *x.second < *y.second;
      });
  for (const auto& r : site.rules) {
    if (r.usable) groups[{r.literal, &r.rank}].push_back(&r);
  }
  std::vector<Conflict> out;
  for (const auto& [key, rules] : groups) {
    for (size_t i = 0; i < rules.size(); ++i) {
      for (size_t j = i + 1; j < rules.size(); ++j) {
        const Rule& a = *rules[i];
        const Rule& b = *rules[j];
        if (!paths_can_meet(a, b)) continue;
        Conflict c;
        c.a = &a;
        c.b = &b;
        c.duplicate = a.pattern == b.pattern && same_tests(a, b);
        Samples s = request_samples(a, &b, site.sample_host, vocab);
        auto hit = std::find_if(s.requests.begin(), s.requests.end(),
                                [&](const Request& req) { return matches(a, req) && matches(b, req); });
        if (hit != s.requests.end()) {
          c.example = *hit;
        } else if (s.complete && !c.duplicate) {
          continue;  // provably no request matches both
        } else {
          // No request found that both match: a duplicate is still one (it is reported
          // as such), but there is no example to give, so not `certain` (whose example
          // must match both): two copies of a route whose tests no request passes.
          c.certain = false;
        }
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

}  // namespace banyan::analysis
