// `banyanc diff`: which requests a change to a routes file sends somewhere else, or
// treats differently, found by the checker's finite-sample argument (samples.h).
//
// Requests are tried per host class (every host either file names, one under each
// wildcard, each migration's `on` host, and one that no site names) against the rules
// of the site each file sends that host to, with one vocabulary built from both
// files' routes and moved paths: so the samples stand for every request, and a
// request whose outcome differs is found when only exact, prefix and glob patterns
// and `=`/prefix tests are involved. Regexes (path or value) make a host class's
// answer uncertain; it is then reported as such, never as "no change".
//
// An outcome is what the gateway does with a request: the route it takes, where it
// goes (upstream, redirect, fixed response, 404), the migration that splits it and
// that split's timeline, and the route's policies (rewrite, headers, cache,
// compression, timeouts, body limit, opt-ins). Upstream definitions and a site's TLS
// are compared as declarations: they apply to every request that reaches them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/analysis/route_model.h"
#include "compiler/ast/ast.h"

namespace banyan::diff {

// Ordered by how much a reviewer should care; a change's `kind` is its greatest.
enum class ChangeKind : uint8_t { Route = 0, Policy = 1, Tls = 2, Upstream = 3, Split = 4, Destination = 5 };
inline constexpr ChangeKind kAllKinds[] = {ChangeKind::Destination, ChangeKind::Split, ChangeKind::Upstream,
                                          ChangeKind::Tls, ChangeKind::Policy, ChangeKind::Route};
std::string_view kind_name(ChangeKind k);  // "destination", "split", "upstream", "tls", "policy", "route"

// One group of requests whose outcome changes the same way.
struct Change {
  ChangeKind kind = ChangeKind::Route;
  std::vector<ChangeKind> kinds;     // every kind of difference in the group, greatest first
  std::string hosts;                 // "shop.example.com, *.shop.example.com"; empty for an upstream
  std::string requests;              // the group in words: "GET /api/users/**"
  std::string before, after;         // the outcome in words, each side
  std::vector<std::string> details;  // "- rewrite \"/v1\"", "+ compress gzip"
  analysis::Request example;         // one request of the group (none for an upstream)
  bool has_example = false;
  bool certain = true;               // false: regexes are involved in this group
};

struct DiffResult {
  std::vector<Change> changes;
  // Where the search could not be exhaustive: "regexes on shop.example.com (`~ ^/v[0-9]+`):
  // requests they match may change without being listed".
  std::vector<std::string> uncertain;
  size_t requests_tried = 0;
};

struct DiffOptions {
  int64_t now_ms = 0;  // "now" for a migration with a `start`: its share now and later
  // Budget: (changed route, other route) pairs whose shared requests are tried, per
  // class of hosts; past it the answer says it hit a budget.
  size_t max_pairs = size_t{1} << 16;
};

// Both files must have checked without errors (their route models are sound).
DiffResult diff_files(const ast::File& before, const ast::File& after, const DiffOptions& options);

// The outcome of one request in one file, in words (for tests and `route --batch`):
// route, destination and split, and the policies, one per line.
std::string describe_outcome(const ast::File& file, const analysis::Request& req, const DiffOptions& options);

}  // namespace banyan::diff
