// "A lookup allocates nothing": this program replaces the global operator new with a
// counting one (so it is its own executable, not part of banyan_tests), compiles
// tests/golden/plan/api.routes and tree.routes, and counts allocations during lookups
// of requests that reach every kind of route and every part of the decision tree:
// exact, glob with captures, `**`, regex, a run of regexes asked through an RE2::Set
// tree, a node's children by perfect hash, backtracking from a parameter branch,
// predicates on method, header, cookie and query, wildcard and default hosts, a
// migration split.
// RE2 fills its DFA cache on first use, so each request is looked up once before
// counting. Exit 0 when no lookup allocated.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "tests/support/counting_new.h"

#include "compiler/check_pipeline.h"
#include "compiler/emit/emit_plan.h"
#include "runtime/plan/matcher.h"

using banyan::testing::allocations;
using banyan::testing::counting;

int main(int argc, char** argv) {
  using namespace banyan;
  if (argc != 2) {
    std::fprintf(stderr, "usage: lookup_allocations_test SOURCE_DIR\n");
    return 2;
  }
  auto compile = [&](const char* name) {
    source::SourceManager sm;
    diag::DiagnosticSink sink;
    source::DiskFileReader reader;
    CheckResult checked = check_file(std::string(argv[1]) + "/tests/golden/plan/" + name, sm, sink, reader);
    if (sink.error_count() > 0) return plan::LoadResult{};
    return plan::load_plan(emit::emit_plan(checked.ast, analysis::build_route_model(checked.ast), sm));
  };
  auto loaded = compile("api.routes");
  auto tree = compile("tree.routes");
  if (!loaded.plan || !tree.plan) return 2;

  plan::HeaderField beta[] = {{"X-Beta", "1"}, {"Cookie", "a=1; session=abc"}, {"x-user-id", "u-7"}};
  struct Case {
    const plan::Plan* plan;
    const char* method;
    const char* host;
    const char* path;
    const char* query;
    bool routed;
  } cases[] = {
      {loaded.plan.get(), "GET", "api.example.com", "/healthz", "", true},
      {loaded.plan.get(), "GET", "API.Example.com:443", "/v1/users/42", "a=1&b=2", true},
      {loaded.plan.get(), "PUT", "api.example.com", "/v1/users/42", "", true},
      {loaded.plan.get(), "GET", "api.example.com", "/v1/users/42/photos/2024/beach.jpg", "", true},
      {loaded.plan.get(), "GET", "api.example.com", "/v1/reports/2024", "", true},
      {loaded.plan.get(), "GET", "api.example.com", "/v1/reports/20245", "", true},
      {loaded.plan.get(), "GET", "www.example.com", "/old/pricing", "ref=x", true},
      {loaded.plan.get(), "GET", "deep.www.example.com", "/a/b/index.php", "", true},
      {loaded.plan.get(), "GET", "unknown.org", "/anything/at/all", "", true},
      {tree.plan.get(), "GET", "api.example.com", "/repos/octo/hello/issues/42", "", true},
      {tree.plan.get(), "GET", "api.example.com", "/repos/octo/hello/contents/src/main.c", "", true},
      {tree.plan.get(), "GET", "api.example.com", "/repos/octo/hello/archive.zip", "", true},
      {tree.plan.get(), "GET", "api.example.com", "/static/logo.jpg", "", true},
      {tree.plan.get(), "PURGE", "api.example.com", "/repos/octo/hello.git", "", true},
      {tree.plan.get(), "GET", "api.example.com", "/a/b.git", "", true},
      {tree.plan.get(), "POST", "api.example.com", "/a/b.git", "", true},
  };
  long failures = 0;
  for (int pass = 0; pass < 2; ++pass) {
    counting = pass == 1;
    for (int i = 0; i < (pass == 1 ? 1000 : 1); ++i) {
      for (const Case& c : cases) {
        plan::RequestView req{c.method, c.host, c.path, c.query, beta};
        plan::MatchResult m;
        if (plan::match(*c.plan, req, m) != c.routed) ++failures;
      }
    }
  }
  counting = false;
  std::printf("%ld allocation(s) in %zu lookups; %ld unexpected result(s)\n", allocations.load(), sizeof cases / sizeof cases[0] * 1000,
              failures);
  return allocations.load() == 0 && failures == 0 ? 0 : 1;
}
