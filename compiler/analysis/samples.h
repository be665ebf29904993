// Example requests for a rule: the finite set of requests the analyses try, built so
// that it represents every request the rule matches (see `complete`).
//
// Why a finite set is enough for exact, prefix and glob rules: which of them match a
// path depends only on its segments' equality with the literals the site's routes
// use, and on its length. A segment no route names ("fresh") is matched by every
// rule a literal segment would be matched by, and by fewer others; so the rule's own
// literals with fresh segments elsewhere, at each length up to the longest pattern
// plus one, each with and without a trailing slash, cover every case. (A trailing
// slash leaves an empty last segment, the one segment a normalised path can have
// that equals no literal and that no `:param` or `*` matches: `/**` may take `/x/`
// where `/:id` takes `/x`.) Header, cookie and query values work the same way
// against the literals of `=` and `prefix` tests. Regexes break the argument (their
// languages are opaque), so any regex involved clears `complete`: an analysis that
// then finds nothing may only say "may", never "cannot".
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/analysis/route_model.h"

namespace banyan::analysis {

// What the site's routes mention, gathered once per site.
class SiteVocabulary {
 public:
  explicit SiteVocabulary(const SiteRules& site);

  const std::string& fresh_segment() const { return fresh_; }
  size_t max_depth() const { return max_depth_; }
  // The tests of every rule on one header, cookie or query name.
  const std::vector<const ValueTest*>& tests_on(ast::Predicate::Kind where, const std::string& name) const;
  // Paths written in the site's exact, prefix and glob routes (fresh-filled), to try
  // against regexes: "sample strings from the other route".
  const std::vector<std::string>& known_paths() const { return known_paths_; }
  // A method no route of the site lists, for rules that take any method.
  const std::string& unlisted_method() const { return unlisted_method_; }

 private:
  std::string fresh_;
  size_t max_depth_ = 1;
  std::map<std::pair<int, std::string>, std::vector<const ValueTest*>> tests_;
  std::vector<std::string> known_paths_;
  std::string unlisted_method_;
};

struct Samples {
  std::vector<Request> requests;
  bool complete = true;  // false: a regex or a budget limited the set
};

// Paths the rule matches: its literals with fresh segments, every length needed.
std::vector<std::string> path_samples(const Rule& r, const SiteVocabulary& vocab, bool& complete);

// Budget: example requests tried per rule or pair of rules.
inline constexpr size_t kMaxSamples = 512;

// Requests that `rule` matches (and, when `also` is given, that `also` matches too,
// for the ambiguity check). At most `limit`, the first ones of the full set in its
// order; `complete` is false when the limit (or kMaxSamples) cut the set.
Samples request_samples(const Rule& rule, const Rule* also, const std::string& host, const SiteVocabulary& vocab,
                        size_t limit = kMaxSamples);

}  // namespace banyan::analysis
