// The decision tree's walk is bounded (runtime/plan/matcher.cpp, "The bound"): each
// node is entered at most once per lookup, so a lookup costs at most the site's
// nodes, and on real tables about one node per segment; a plan whose tree would
// make the walk enter a node twice is refused before any lookup runs.
#include <catch2/catch.hpp>
#include <xxhash.h>

#include <cstring>
#include <random>

#include "compiler/emit/emit_plan.h"
#include "runtime/plan/matcher.h"
#include "tests/support/test_files.h"

namespace banyan::plan {
namespace {

std::unique_ptr<Plan> compile(const std::string& text) {
  test::Checked c;
  test::check_text(c, "bound.routes", text);
  REQUIRE(c.sink.error_count() == 0);
  LoadResult r = load_plan(emit::emit_plan(c.result.ast, analysis::build_route_model(c.result.ast), c.sm));
  INFO(r.error);
  REQUIRE(r.plan);
  return std::move(r.plan);
}

MatchResult lookup(const Plan& p, std::string_view method, std::string_view path) {
  RequestView req{method, "example.com", path, "", {}};
  MatchResult m;
  match(p, req, m);
  return m;
}

// Every mix of a literal `l` and a parameter over four segments, each with its own
// last segment: a path of four `l`s fits every branch at every level, the worst case
// for a walk that must try the literal and the parameter branch of each node.
std::string every_branch() {
  std::string text = "upstream app {\n  server \"10.0.0.1:80\"\n}\nsite \"example.com\" {\n";
  for (int mask = 0; mask < 16; ++mask) {
    std::string pattern;
    for (int i = 0; i < 4; ++i) pattern += mask >> i & 1 ? "/l" : "/:p" + std::to_string(i);
    text += "  route " + pattern + "/x" + std::to_string(mask) + " {\n    to app\n  }\n";
  }
  return text + "}\n";
}

}  // namespace

TEST_CASE("a lookup enters each tree node at most once, even when literal and parameter branches fit every segment", "[plan]") {
  auto plan = compile(every_branch());
  // The tree: the root, 2 + 4 + 8 + 16 nodes for the four segments, 16 last segments.
  REQUIRE(plan->nodes().size() == 1 + 2 + 4 + 8 + 16 + 16);
  // Nothing ends in "y": the walk tries every branch, entering the 31 nodes that fit
  // the path once each and none of the 16 last segments.
  MatchResult miss = lookup(*plan, "GET", "/l/l/l/l/y");
  CHECK(miss.route == kNone);
  CHECK(miss.steps == 31);
  // A route found after backtracking: "/l/:p1/l/:p3/x5" is the last branch but a few.
  for (int mask = 0; mask < 16; ++mask) {
    MatchResult hit = lookup(*plan, "GET", "/l/l/l/l/x" + std::to_string(mask));
    INFO("mask " << mask);
    REQUIRE(hit.route == static_cast<uint32_t>(mask));
    CHECK(hit.steps <= 32);
  }
}

TEST_CASE("on a REST-shaped table a lookup enters about one node per segment", "[plan]") {
  auto plan = compile(R"(upstream app {
  server "10.0.0.1:80"
}
site "example.com" {
  route /repos/:owner/:repo { to app }
  route /repos/:owner/:repo/issues { to app }
  route /repos/:owner/:repo/issues/:number {
    method GET
    to app
  }
  route /repos/:owner/:repo/issues/:number {
    method PATCH
    to app
  }
  route /repos/:owner/:repo/issues/:number/comments { to app }
  route /repos/:owner/:repo/pulls/:number/merge { to app }
  route /repos/:owner/:repo/branches/:branch/protection { to app }
  route /repos/:owner/:repo/commits/:sha { to app }
  route /repos/:owner/:repo/hooks/:id { to app }
  route /repos/:owner/:repo/labels/:name { to app }
  route /repos/:owner/:repo/releases/:id/assets { to app }
  route /repos/:owner/:repo/keys/:id { to app }
  route /repos/:owner/:repo/contents/** { to app }
  route = /repos/search { to app }
  route /users/:user/repos { to app }
  route / { to app }
}
)");
  struct Case {
    const char* path;
    uint32_t route;
    uint32_t steps;
  } cases[] = {
      // root, repos, :owner, :repo, issues, :number: six nodes for five segments
      {"/repos/octo/hello/issues/42", 2, 6},
      {"/repos/octo/hello/issues/42/comments", 4, 7},
      {"/repos/octo/hello/labels/bug", 9, 6},
      {"/repos/octo/hello/contents/src/main.c", 12, 6},  // ** is a node too
      {"/repos/search", 13, 3},
      // A near miss: the walk goes down to :number, finds nothing, backs up to the
      // fallback; still six nodes.
      {"/repos/octo/hello/issues/42/nope", 15, 6},
  };
  for (const Case& c : cases) {
    INFO(c.path);
    MatchResult m = lookup(*plan, "GET", c.path);
    CHECK(m.route == c.route);
    CHECK(m.steps == c.steps);
  }
}

TEST_CASE("a node's perfect hash finds every child, even labels that differ only in one late byte", "[plan]") {
  for (size_t width : {2, 3, 9, 40, 300}) {
    for (size_t at : {0, 4, 7, 8, 12, 20}) {
      std::string text = "upstream app {\n  server \"10.0.0.1:80\"\n}\nsite \"example.com\" {\n";
      std::vector<std::string> labels;
      for (size_t k = 0; k < width; ++k) {
        std::string label(24, 'a');
        label[at] = static_cast<char>('a' + k % 26);
        label[at + 1] = static_cast<char>('a' + k / 26);
        labels.push_back(label.substr(0, at + 2 + k % 3));
        text += "  route = /x/" + labels.back() + " {\n    to app\n  }\n";
      }
      auto plan = compile(text + "}\n");
      INFO(width << " labels differing at byte " << at);
      for (size_t k = 0; k < width; ++k) REQUIRE(lookup(*plan, "GET", "/x/" + labels[k]).route == k);
      CHECK(lookup(*plan, "GET", "/x/" + labels[0] + "z").route == kNone);
    }
  }
}

namespace {

// Recomputes the checksum after a test edits a plan on purpose (docs/plan-format.md).
void reseal(std::string& bytes) {
  uint64_t sum = XXH3_64bits(bytes.data() + 24, bytes.size() - 24);
  std::memcpy(bytes.data() + 16, &sum, 8);
}

template <typename T>
T* record(std::string& bytes, Section s, uint32_t i) {
  SectionEntry e;
  std::memcpy(&e, bytes.data() + sizeof(Header) + sizeof(SectionEntry) * static_cast<uint32_t>(s), sizeof e);
  REQUIRE(i < e.count);
  return reinterpret_cast<T*>(bytes.data() + e.offset + sizeof(T) * i);
}

uint32_t count(const std::string& bytes, Section s) {
  SectionEntry e;
  std::memcpy(&e, bytes.data() + sizeof(Header) + sizeof(SectionEntry) * static_cast<uint32_t>(s), sizeof e);
  return e.count;
}

}  // namespace

TEST_CASE("a plan whose tree would make a lookup enter a node twice, or loop, is refused", "[plan]") {
  test::Checked c;
  test::check_text(c, "bound.routes", every_branch());
  REQUIRE(c.sink.error_count() == 0);
  const std::string good = emit::emit_plan(c.result.ast, analysis::build_route_model(c.result.ast), c.sm);
  REQUIRE(load_plan(good).plan);
  // The first node that is a Param child, and the entry that leads to it.
  uint32_t param = kNone;
  std::string scratch = good;
  for (uint32_t i = 0; i < count(good, Section::Nodes) && param == kNone; ++i)
    if (record<Node>(scratch, Section::Nodes, i)->kind == NodeKind::Param) param = i;
  REQUIRE(param != kNone);
  auto refused = [&](auto&& edit) {
    std::string bytes = good;
    edit(bytes);
    reseal(bytes);
    LoadResult r = load_plan(bytes);
    REQUIRE_FALSE(r.plan);
    return r.error;
  };
  // Coming back from the Param child would scan its parent's entries from the start,
  // and descend into it again.
  CHECK(refused([&](std::string& b) { record<Node>(b, Section::Nodes, param)->resume = 0; }).find("does not continue it") !=
        std::string::npos);
  // A node that is its own parent's parent: a cycle.
  CHECK(refused([&](std::string& b) { record<Node>(b, Section::Nodes, 0)->parent = param; }).find("not a root") != std::string::npos);
  // A node listed as a child twice.
  CHECK(refused([&](std::string& b) {
          Node* root = record<Node>(b, Section::Nodes, 0);
          Entry* e = record<Entry>(b, Section::Entries, root->entries.first);
          e->test = EntryTest::Subtree;
          e->target = root->children.first;
        }).find("does not continue it") != std::string::npos);
  // A glob's captures counted wrong would read past its names.
  CHECK(refused([&](std::string& b) {
          for (uint32_t i = 0; i < count(b, Section::Entries); ++i) {
            Entry* e = record<Entry>(b, Section::Entries, i);
            if (e->test == EntryTest::End) {
              e->captures += 1;
              return;
            }
          }
        }).find("wrong captures") != std::string::npos);
}

}  // namespace banyan::plan
