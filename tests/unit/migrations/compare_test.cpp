// A shadow comparison's pure parts: JSON bodies as leaves (hand-written expectations,
// hostile inputs, and a property against documents the test builds and prints in two
// spellings itself), and the field differences with the old side's noise left out.
#include "migrations/compare.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <random>
#include <string>

namespace banyan::migrations {
namespace {

std::vector<JsonLeaf> leaves(std::string_view body) {
  std::vector<JsonLeaf> out;
  REQUIRE(json_leaves(body, out));
  return out;
}

bool is_json(std::string_view body) {
  std::vector<JsonLeaf> out;
  return json_leaves(body, out);
}

TEST_CASE("a JSON body is its sorted leaves: paths and canonical values", "[compare]") {
  CHECK(leaves(R"({"b": [1, {"c": null}], "a": "x\u0041", "e": {}, "f": [], "g b": true})") ==
        std::vector<JsonLeaf>{{"$.a", "\"xA\""},
                              {"$.b[0]", "1"},
                              {"$.b[1].c", "null"},
                              {"$.e", "{}"},
                              {"$.f", "[]"},
                              {"$[\"g b\"]", "true"}});
  CHECK(leaves("  42 ") == std::vector<JsonLeaf>{{"$", "42"}});
  CHECK(leaves("[1.0, 1e2, -0.5, 18446744073709551615]") ==
        std::vector<JsonLeaf>{{"$[0]", "1"}, {"$[1]", "100"}, {"$[2]", "-0.5"}, {"$[3]", "18446744073709551615"}});
  CHECK(leaves(R"("a\"b\\c\n")") == std::vector<JsonLeaf>{{"$", "\"a\\\"b\\\\c\\u000a\""}});
}

TEST_CASE("key order and whitespace do not matter and values do", "[compare]") {
  CHECK(leaves(R"({"a":1,"b":[true,false]})") == leaves("{ \"b\" : [ true , false ] ,\n \"a\" : 1.0 }"));
  CHECK(leaves(R"({"a":1})") != leaves(R"({"a":"1"})"));
  CHECK(leaves(R"({"a":[1,2]})") != leaves(R"({"a":[2,1]})"));  // arrays keep their order
  CHECK(leaves(R"({"a":{}})") != leaves(R"({"a":[]})"));
  CHECK(leaves(R"({"a":{}})") != leaves(R"({})"));
}

TEST_CASE("what is not one JSON value within the budgets is not JSON", "[compare]") {
  for (std::string_view bad : {"", "{", "{\"a\":1} x", "[1,]", "{'a':1}", "nul", "\"\xff\"", "1e999", "<html></html>"}) {
    INFO(bad);
    CHECK_FALSE(is_json(bad));
  }
  CHECK(is_json(std::string(kJsonDepth, '[') + std::string(kJsonDepth, ']')));
  CHECK_FALSE(is_json(std::string(kJsonDepth + 1, '[') + std::string(kJsonDepth + 1, ']')));
  CHECK_FALSE(is_json(std::string(1 << 20, '[')));  // a nesting bomb: refused, not recursed into
  std::string wide = "[";
  for (size_t i = 0; i < kJsonLeaves; ++i) wide += i ? ",0" : "0";
  CHECK(is_json(wide + "]"));
  CHECK_FALSE(is_json(wide + ",0]"));
}

// The property: a document the test builds, printed with keys in two random orders and
// random whitespace, has the same leaves; changing one scalar changes them.
struct Doc {
  enum Kind { Num, Str, Obj, Arr } kind = Num;
  int64_t num = 0;
  std::string str;
  std::vector<std::pair<std::string, Doc>> members;  // Obj (distinct keys) or Arr (keys unused)
};

Doc random_doc(std::mt19937& rng, int depth) {
  Doc d;
  int k = depth >= 3 ? static_cast<int>(rng() % 2) : static_cast<int>(rng() % 4);
  d.kind = static_cast<Doc::Kind>(k);
  if (d.kind == Doc::Num) d.num = static_cast<int64_t>(rng() % 2001) - 1000;
  if (d.kind == Doc::Str) d.str = std::string(1 + rng() % 3, static_cast<char>('a' + rng() % 3));
  if (d.kind == Doc::Obj || d.kind == Doc::Arr) {
    size_t n = rng() % 4;
    for (size_t i = 0; i < n; ++i) d.members.push_back({"k" + std::to_string(i), random_doc(rng, depth + 1)});
  }
  return d;
}

std::string print(const Doc& d, std::mt19937& rng) {
  auto ws = [&] { return std::string(rng() % 3, " \n\t"[rng() % 3]); };
  switch (d.kind) {
    case Doc::Num: return ws() + std::to_string(d.num) + (rng() % 2 ? ".0" : "") + ws();
    case Doc::Str: return ws() + "\"" + (rng() % 2 ? d.str : "\\u00" + std::to_string(61 + d.str[0] - 'a') + d.str.substr(1)) + "\"";
    case Doc::Arr: {
      std::string out = "[";
      for (size_t i = 0; i < d.members.size(); ++i) out += (i ? "," : "") + print(d.members[i].second, rng);
      return out + ws() + "]";
    }
    case Doc::Obj: {
      std::vector<size_t> order(d.members.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), rng);
      std::string out = "{" + ws();
      for (size_t i = 0; i < order.size(); ++i)
        out += (i ? "," : "") + ws() + "\"" + d.members[order[i]].first + "\"" + ws() + ":" + print(d.members[order[i]].second, rng);
      return out + "}";
    }
  }
  return "";
}

// Changes one scalar of `d` (false when it has none).
bool mutate(Doc& d, std::mt19937& rng) {
  if (d.kind == Doc::Num) return d.num += 1 + static_cast<int64_t>(rng() % 5), true;
  if (d.kind == Doc::Str) return d.str += "z", true;
  for (auto& m : d.members)
    if (mutate(m.second, rng)) return true;
  return false;
}

TEST_CASE("two spellings of one document have the same leaves and a changed one does not", "[compare]") {
  std::mt19937 rng(20261203);
  for (int i = 0; i < 2000; ++i) {
    Doc d = random_doc(rng, 0);
    std::string a = print(d, rng), b = print(d, rng);
    INFO(a << "\n" << b);
    CHECK(leaves(a) == leaves(b));
    if (mutate(d, rng)) CHECK(leaves(a) != leaves(print(d, rng)));
  }
}

Answer answer(int status, std::vector<std::pair<std::string, std::string>> headers, std::string_view json_body) {
  Answer a;
  a.status = status;
  a.headers = std::move(headers);
  a.is_json = json_leaves(json_body, a.leaves);
  a.length = json_body.size();
  a.digest = std::hash<std::string_view>{}(json_body);
  return a;
}

std::vector<std::string> fields(const std::vector<FieldDifference>& d) {
  std::vector<std::string> out;
  for (const auto& f : d) out.push_back(f.field);
  return out;
}

TEST_CASE("differences name each field and noise leaves out what the old side disagrees with itself on", "[compare]") {
  Answer old1 = answer(200, {{"etag", "\"1\""}, {"x-a", "1"}}, R"({"id":7,"at":"10:00:01","tags":["a","b"]})");
  Answer old2 = answer(200, {{"etag", "\"2\""}, {"x-a", "1"}}, R"({"at":"10:00:02","id":7,"tags":["a","b"]})");
  Answer next = answer(201, {{"etag", "\"3\""}, {"x-b", "2"}}, R"({ "tags":["a","c"], "at":"10:00:03", "id":7 })");
  const uint8_t all = kStatus | kHeaders | kBody | kJson;

  auto found = differences(old1, next, all);
  CHECK(fields(found) == std::vector<std::string>{"$.at", "$.tags[1]", "header etag", "header x-a", "header x-b", "status"});
  CHECK(found[1].a == "\"b\"");
  CHECK(found[1].b == "\"c\"");
  CHECK(found[3].a == "1");
  CHECK(found[3].b == "");
  // Bytes, not structure, without `json`: the two old answers differ as bytes.
  CHECK(fields(differences(old1, old2, kBody)) == std::vector<std::string>{"body"});
  CHECK(fields(differences(old1, old2, kStatus | kJson)).empty());  // json without body compares no body

  std::vector<std::string> left_out;
  auto real = without_noise(found, differences(old1, old2, all), left_out);
  CHECK(fields(real) == std::vector<std::string>{"$.tags[1]", "header x-a", "header x-b", "status"});
  CHECK(left_out == std::vector<std::string>{"$.at", "header etag"});
  // The same answers again: nothing differs, nothing is noise.
  left_out.clear();
  CHECK(without_noise(differences(old1, old1, all), differences(old1, old2, all), left_out).empty());
  CHECK(left_out.empty());
}

TEST_CASE("a header with an empty value differs from no header at all", "[compare]") {
  Answer a = answer(200, {{"x-empty", ""}}, "1");
  Answer b = answer(200, {}, "1");
  auto d = differences(a, b, kHeaders);
  REQUIRE(d.size() == 1);
  CHECK(d[0].field == "header x-empty");
  CHECK(differences(a, a, kHeaders).empty());
}

TEST_CASE("a header sent twice is compared with its values joined", "[compare]") {
  Answer a = answer(200, {{"vary", "accept"}, {"vary", "cookie"}}, "1");
  Answer b = answer(200, {{"vary", "accept"}}, "1");
  auto d = differences(a, b, kHeaders);
  REQUIRE(d.size() == 1);
  CHECK(d[0].field == "header vary");
  CHECK(d[0].a == "accept, cookie");
  CHECK(d[0].b == "accept");
}

}  // namespace
}  // namespace banyan::migrations
