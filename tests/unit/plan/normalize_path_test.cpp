// Path normalisation: a table of requests (including the ones that try to slip past a
// prefix), in-place use, and 5,000 random paths checked against a plain reference
// written from the header's rules (tests/support/reference_normalize.h) and for
// idempotence. Fixed seed: a failure reproduces.
#include "runtime/plan/normalize_path.h"

#include <catch2/catch.hpp>

#include <cctype>
#include <random>
#include <string>
#include <vector>

#include "tests/support/reference_normalize.h"

namespace banyan::plan {
namespace {

struct Result {
  std::string path;  // when error == None
  PathError error = PathError::None;
  size_t offset = 0;
};

Result normalize(std::string_view in) {
  std::string out(in.size(), '\0');
  NormalizedPath r = normalize_path(in, out.data());
  if (r.error != PathError::None) return Result{"", r.error, r.error_offset};
  REQUIRE(r.length <= in.size());
  return Result{out.substr(0, r.length), PathError::None, 0};
}

std::string ok(std::string_view in) {
  Result r = normalize(in);
  INFO(in << " -> error: " << describe(r.error) << " at " << r.offset);
  REQUIRE(r.error == PathError::None);
  return r.path;
}

Result reference(std::string_view in) {
  test::ReferencePath r = test::reference_normalize(in);
  return Result{r.path, r.error, r.offset};
}

struct Case {
  const char* in;
  const char* out;  // nullptr when an error is expected
  PathError error;
  size_t offset;
};

TEST_CASE("paths normalise as the table says, and attacks behind encoded slashes are refused", "[normalize]") {
  using E = PathError;
  const std::vector<Case> cases{
      // Encoded separators hiding a dot segment.
      {"/api/..%2Fadmin", nullptr, E::EncodedDotSegment, 5},
      {"/api/..%2fadmin", nullptr, E::EncodedDotSegment, 5},
      {"/a/%2E%2E%5Cb", nullptr, E::EncodedDotSegment, 3},
      {"/a%2F..", nullptr, E::EncodedDotSegment, 1},
      {"/%2F..%2F", nullptr, E::EncodedDotSegment, 1},
      {"/.%5C", nullptr, E::EncodedDotSegment, 1},
      {"/x/%2F.", nullptr, E::EncodedDotSegment, 3},
      // Encoded separators that hide nothing are kept, upper-cased.
      {"/%2f", "/%2F", E::None, 0},
      {"/a/%2F/b", "/a/%2F/b", E::None, 0},
      {"/a..%2Fb", "/a..%2Fb", E::None, 0},
      {"/a%5c.b", "/a%5C.b", E::None, 0},
      // %2E is an unreserved '.', so it makes a real dot segment that is resolved.
      {"/api/%2e%2e/admin", "/admin", E::None, 0},
      {"/a/.%2E/b", "/b", E::None, 0},
      {"/a/%2e", "/a/", E::None, 0},
      {"/%2e%2e", nullptr, E::AboveRoot, 1},
      // Slashes and dot segments.
      {"//a///b", "/a/b", E::None, 0},
      {"/a/./b/../c", "/a/c", E::None, 0},
      {"/", "/", E::None, 0},
      {"//", "/", E::None, 0},
      {"/.", "/", E::None, 0},
      {"/./", "/", E::None, 0},
      {"/a/", "/a/", E::None, 0},
      {"/a/.", "/a/", E::None, 0},
      {"/a/..", "/", E::None, 0},
      {"/a/b/..", "/a/", E::None, 0},
      {"/a/b/../", "/a/", E::None, 0},
      {"/a//", "/a/", E::None, 0},
      {"/...", "/...", E::None, 0},
      {"/a/.b/..c", "/a/.b/..c", E::None, 0},
      {"/..", nullptr, E::AboveRoot, 1},
      {"/a/b/../../..", nullptr, E::AboveRoot, 11},
      {"/a/../../b", nullptr, E::AboveRoot, 6},
      // Escapes.
      {"/%41", "/A", E::None, 0},
      {"/%7e%5F%2D", "/~_-", E::None, 0},
      {"/%25", "/%25", E::None, 0},
      {"/%c3%a9", "/%C3%A9", E::None, 0},
      {"/a/%zz", nullptr, E::BadEscape, 3},
      {"/a/%", nullptr, E::BadEscape, 3},
      {"/a/%4", nullptr, E::BadEscape, 3},
      {"/a/%4g", nullptr, E::BadEscape, 3},
      // Characters.
      {"/:@!$&'()*+,;=-._~AZaz09", "/:@!$&'()*+,;=-._~AZaz09", E::None, 0},
      {"/CaSe", "/CaSe", E::None, 0},
      {"/a b", nullptr, E::BadCharacter, 2},
      {"/a\\b", nullptr, E::BadCharacter, 2},
      {"/a?b=1", nullptr, E::BadCharacter, 2},
      {"/a#f", nullptr, E::BadCharacter, 2},
      {"/\"<>^`{|}", nullptr, E::BadCharacter, 1},
      {"/a\x01", nullptr, E::BadCharacter, 2},
      {"/\xc3\xa9", nullptr, E::BadCharacter, 1},
      // Not absolute.
      {"", nullptr, E::NotAbsolute, 0},
      {"*", nullptr, E::NotAbsolute, 0},
      {"a/b", nullptr, E::NotAbsolute, 0},
  };
  for (const Case& c : cases) {
    INFO("input: " << c.in);
    Result r = normalize(c.in);
    CHECK(describe(r.error) == describe(c.error));
    CHECK(r.offset == c.offset);
    if (c.out) CHECK(r.path == c.out);
  }
}

TEST_CASE("the error descriptions say what is wrong", "[normalize]") {
  CHECK(describe(PathError::BadEscape) == "a '%' not followed by two hex digits");
  for (PathError e :
       {PathError::NotAbsolute, PathError::BadCharacter, PathError::AboveRoot, PathError::EncodedDotSegment}) {
    CHECK_FALSE(describe(e).empty());
  }
}

TEST_CASE("a path normalises in place, into the buffer it is read from", "[normalize]") {
  for (const char* in : {"/a/./b/../c", "//a///b", "/%41%42/%2f/x/..", "/a/b/%2e%2E/", "/%7E%7e%7E"}) {
    std::string buf = in;
    NormalizedPath r = normalize_path(buf, buf.data());
    REQUIRE(r.error == PathError::None);
    CHECK(buf.substr(0, r.length) == ok(in));
  }
}

TEST_CASE("random paths normalise as the reference does, idempotently and without dot segments", "[normalize]") {
  static const std::vector<std::string> tokens{"/",   "/",   "/",   ".",   "..",  "a", "b",  "%2F",
                                               "%2f", "%5C", "%2E", "%2e", "%41", "%", "%4", " "};
  std::mt19937 rng(20250301);
  int succeeded = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string in = "/";
    int n = std::uniform_int_distribution<int>(0, 10)(rng);
    for (int k = 0; k < n; ++k) {
      // The last three tokens are errors: keep them rare so most paths succeed.
      size_t limit = std::uniform_int_distribution<int>(0, 19)(rng) == 0 ? tokens.size() : tokens.size() - 3;
      in += tokens[std::uniform_int_distribution<size_t>(0, limit - 1)(rng)];
    }
    INFO("input: " << in);
    Result got = normalize(in);
    Result want = reference(in);
    CHECK(describe(got.error) == describe(want.error));
    CHECK(got.offset == want.offset);
    if (got.error != PathError::None) continue;
    ++succeeded;
    CHECK(got.path == want.path);
    const std::string& p = got.path;
    CHECK(normalize(p).path == p);
    CHECK(normalize(p).error == PathError::None);
    CHECK(p.find("//") == std::string::npos);
    CHECK(p.find("/./") == std::string::npos);
    CHECK(p.find("/../") == std::string::npos);
    CHECK_FALSE((p.size() >= 2 && p.compare(p.size() - 2, 2, "/.") == 0));
    CHECK_FALSE((p.size() >= 3 && p.compare(p.size() - 3, 3, "/..") == 0));
  }
  CHECK(succeeded > 1000);  // the generator must exercise the success path, not only errors
}

}  // namespace
}  // namespace banyan::plan
