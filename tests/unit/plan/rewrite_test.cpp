// `rewrite` targets with captures, as grammar/README.md describes them.
#include <catch2/catch.hpp>

#include "runtime/plan/rewrite.h"

namespace banyan::plan {
namespace {

std::string rewrite(std::string_view target, std::initializer_list<Capture> captures) {
  std::string out = "unchanged-prefix:";
  if (!rewrite_path(target, std::span(captures.begin(), captures.size()), out)) return "refused";
  return out.substr(17);
}

}  // namespace

TEST_CASE("rewrite targets substitute whole-segment captures and the rest of the path", "[rewrite]") {
  CHECK(rewrite("/image", {}) == "/image");
  CHECK(rewrite("/v1/**", {{"**", "users/7"}}) == "/v1/users/7");
  CHECK(rewrite("/v1/**", {{"**", ""}}) == "/v1");
  CHECK(rewrite("/**", {{"**", ""}}) == "/");
  CHECK(rewrite("/**", {{"**", "a/b/"}}) == "/a/b/");
  CHECK(rewrite("/members/:member/teams/:team", {{"team", "red"}, {"member", "ann"}}) == "/members/ann/teams/red");
  CHECK(rewrite("/users/:id/**", {{"id", "42"}, {"**", "photos/1.jpg"}}) == "/users/42/photos/1.jpg");
  CHECK(rewrite("/a/", {}) == "/a/");
  // Only whole segments are substituted: text around a ':' is literal.
  CHECK(rewrite("/x:id/y", {{"id", "1"}}) == "/x:id/y");
  CHECK(rewrite("/:missing", {{"id", "1"}}) == "refused");
  CHECK(rewrite("/v1/**", {}) == "refused");
}

}  // namespace banyan::plan
