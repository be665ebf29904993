// The routing analyses of one site, as data. compiler/analysis/check_routing.cpp
// turns their findings into diagnostics; the property tests in tests/unit/analysis
// check every finding against a reference matcher.
#pragma once

#include <vector>

#include "compiler/analysis/route_model.h"
#include "compiler/analysis/samples.h"

namespace banyan::analysis {

// Two rules of equal rank that match one request.
struct Conflict {
  const Rule* a = nullptr;
  const Rule* b = nullptr;
  bool duplicate = false;  // same path matcher and the same predicates
  bool certain = true;     // false: regexes kept us from finding or ruling out a request
  Request example;         // when certain: a request both match
};

std::vector<Conflict> find_conflicts(const SiteRules& site, const SiteVocabulary& vocab);

// A rule no request goes to.
struct Unreachable {
  const Rule* rule = nullptr;
  bool certain = true;  // false: regexes or a budget kept the search from being exhaustive
  // Examples of where its requests go instead: one per winning rule, at most three.
  std::vector<std::pair<Request, const Rule*>> taken_by;
  bool no_request = false;  // no request matches the rule at all (e.g. contradicting tests)
};

struct Reachability {
  std::vector<Unreachable> unreachable;
  // For every other usable rule, a request it wins (the property test replays them).
  std::vector<std::pair<const Rule*, Request>> witnesses;
};

Reachability find_unreachable(const SiteRules& site, const SiteIndex& index, const SiteVocabulary& vocab);

}  // namespace banyan::analysis
