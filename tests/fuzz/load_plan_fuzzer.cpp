// libFuzzer target: any bytes as a plan (and as a request path and a template). Each input is loaded twice: as it is (the
// magic, version, size and checksum checks), and with its size and checksum fixed
// up, so mutations reach the record checks behind the checksum. A plan that loads
// is then read as the runtime and banyanc would: matched against a few requests and
// explained, and what a lookup picks must match by route_matches. Finds crashes,
// out-of-bounds reads, hangs and leaks. (The round trip routes -> plan bytes -> load
// -> the same routing answers is in parse_routes_fuzzer.cpp, whose inputs are routes.)
#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "compiler/explain/explain.h"
#include "runtime/plan/matcher.h"
#include "runtime/plan/normalize_path.h"
#include "runtime/plan/template.h"

namespace {

void exercise(const banyan::plan::Plan& p) {
  using namespace banyan::plan;
  // Paths for the examples and the decision-tree seeds (tests/fuzz/plan-corpus/*.plan):
  // parameters nested, a `**`, a regex run, a trailing slash, an empty segment, and
  // paths without a leading '/' (only regexes can take those).
  static const char* kPaths[] = {"/", "/api/image", "/api/images/7", "/a/b/c.png", "/users/1/photos",
                                 "/repos/octo/hello/issues/42", "/repos/o/r/contents/a/b", "/v1/users/7/", "/a//b", "",
                                 "x.png"};
  static const char* kHosts[] = {"image-gallery.local", "x.example.com", "api.example.com", "unknown"};
  HeaderField headers[] = {{"Cookie", "session=abc; s=v"}, {"X-A", "1"}};
  for (const char* host : kHosts) {
    for (const char* path : kPaths) {
      RequestView req{"GET", host, path, "q=1", headers};
      MatchResult m;
      // What the lookup picked matches, by the one-route check `banyanc route` uses;
      // and a lookup is a pure function of the request.
      MatchResult again;
      bool found = match(p, req, m);
      if (found != match(p, req, again) || m.route != again.route || m.site != again.site) __builtin_trap();
      if (found && !route_matches(p, m.route, req)) __builtin_trap();
      // The walk enters each tree node at most once (matcher.cpp, "The bound").
      if (m.steps > p.nodes().size()) __builtin_trap();
    }
  }
  (void)banyan::explain::explain_text(p);
  (void)banyan::explain::explain_dot(p);
}

// The other untrusted-text parsers of runtime/plan: a request path and a template.
// Normalising is idempotent and never grows the path; a template either parses or
// says why.
void other_parsers(std::string_view raw) {
  using namespace banyan::plan;
  std::string once(raw.size(), '\0');
  NormalizedPath n = normalize_path(raw, once.data());
  if (n.error == PathError::None) {
    if (n.length > raw.size()) __builtin_trap();
    once.resize(n.length);
    std::string twice(once.size(), '\0');
    NormalizedPath m = normalize_path(once, twice.data());
    if (m.error != PathError::None || std::string_view(twice.data(), m.length) != once) __builtin_trap();
  }
  std::vector<TemplatePart> parts;
  std::string error;
  std::string_view params[] = {"id"};
  if (!parse_template(raw, params, parts, error) && error.empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace banyan::plan;
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  other_parsers(raw);
  if (auto r = load_plan(raw); r.plan) exercise(*r.plan);
  if (size >= sizeof(Header)) {
    std::string sealed(raw);
    uint64_t file_size = sealed.size();
    std::memcpy(sealed.data() + offsetof(Header, file_size), &file_size, sizeof file_size);
    uint64_t sum = XXH3_64bits(sealed.data() + kChecksumFrom, sealed.size() - kChecksumFrom);
    std::memcpy(sealed.data() + offsetof(Header, checksum), &sum, sizeof sum);
    if (auto r = load_plan(sealed); r.plan) exercise(*r.plan);
  }
  return 0;
}
