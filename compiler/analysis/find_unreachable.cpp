// Reachability: for each rule, look for a request it wins among its samples. When
// the samples are complete (samples.h), finding none proves the rule unreachable.
#include <algorithm>

#include "compiler/analysis/analyses.h"

namespace banyan::analysis {

Reachability find_unreachable(const SiteRules& site, const SiteIndex& index, const SiteVocabulary& vocab) {
  Reachability out;
  for (const auto& rule : site.rules) {
    if (!rule.usable) continue;
    Samples s = request_samples(rule, nullptr, site.sample_host, vocab);
    Unreachable u;
    u.rule = &rule;
    u.certain = s.complete;
    bool won = false;
    bool any_match = false;
    for (const auto& req : s.requests) {
      if (!matches(rule, req)) continue;
      any_match = true;
      auto winners = index.winners(req);
      if (std::find(winners.begin(), winners.end(), &rule) != winners.end()) {
        out.witnesses.emplace_back(&rule, req);
        won = true;
        break;
      }
      if (winners.empty()) continue;  // cannot happen: the rule itself matches
      const Rule* w = winners.front();
      // A regex that won here might not have won on a request we did not try.
      if (w->cls == PathClass::Regex ||
          std::any_of(w->tests.begin(), w->tests.end(), [](const ValueTest& t) { return t.regex != nullptr; }))
        u.certain = false;
      bool seen = std::any_of(u.taken_by.begin(), u.taken_by.end(), [&](const auto& e) { return e.second == w; });
      if (!seen && u.taken_by.size() < 3) u.taken_by.emplace_back(req, w);
    }
    if (won) continue;
    u.no_request = !any_match;
    out.unreachable.push_back(std::move(u));
  }
  return out;
}

}  // namespace banyan::analysis
