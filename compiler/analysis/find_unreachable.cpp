// Reachability: for each rule, look for a request it wins among its samples. When
// the samples are complete (samples.h), finding none proves the rule unreachable.
#include <algorithm>

#include "compiler/analysis/analyses.h"

namespace banyan::analysis {
namespace {

// Goes through `s` until `rule` wins a request (true, with the witness kept), noting
// in `u` the rules that took the requests it lost.
bool wins_one(const Rule& rule, const SiteIndex& index, const Samples& s, Unreachable& u, Reachability& out) {
  for (const auto& req : s.requests) {
    if (!matches(rule, req)) continue;
    u.no_request = false;
    auto winners = index.winners(req);
    if (std::find(winners.begin(), winners.end(), &rule) != winners.end()) {
      out.witnesses.emplace_back(&rule, req);
      return true;
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
  return false;
}

}  // namespace

Reachability find_unreachable(const SiteRules& site, const SiteIndex& index, const SiteVocabulary& vocab) {
  Reachability out;
  for (const auto& rule : site.rules) {
    if (!rule.usable) continue;
    // Most rules win their first sample: it is tried alone before the others are
    // made (making samples no one tried was a tenth of a compile's instructions).
    Unreachable first;
    if (wins_one(rule, index, request_samples(rule, nullptr, site.sample_host, vocab, 1), first, out)) continue;
    Samples s = request_samples(rule, nullptr, site.sample_host, vocab);
    Unreachable u;
    u.rule = &rule;
    u.certain = s.complete;
    u.no_request = true;
    if (wins_one(rule, index, s, u, out)) continue;
    out.unreachable.push_back(std::move(u));
  }
  return out;
}

}  // namespace banyan::analysis
