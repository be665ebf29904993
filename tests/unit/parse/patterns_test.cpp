#include "compiler/parse/patterns.h"

#include <catch2/catch.hpp>

namespace banyan::parse {

TEST_CASE("globs are split into literal, parameter, star and rest segments") {
  std::vector<GlobSegment> segs;
  REQUIRE(parse_glob("/users/:id/files/*/**", segs).empty());
  REQUIRE(segs.size() == 5);
  CHECK(segs[0].kind == GlobSegment::Kind::Literal);
  CHECK(segs[1].kind == GlobSegment::Kind::Param);
  CHECK(segs[1].text == "id");
  CHECK(segs[3].kind == GlobSegment::Kind::Star);
  CHECK(segs[4].kind == GlobSegment::Kind::DoubleStar);
}

TEST_CASE("malformed globs are refused with the reason") {
  std::vector<GlobSegment> segs;
  CHECK(parse_glob("/a/**/b", segs).find("last segment") != std::string::npos);
  CHECK(parse_glob("/a/:/b", segs).find("needs a name") != std::string::npos);
  CHECK(parse_glob("/a/:id/:id", segs).find("twice") != std::string::npos);
  CHECK(parse_glob("/a/*.jpg", segs).find("whole segment") != std::string::npos);
  CHECK(check_path("/a/:id", true).find("exact path") != std::string::npos);
  CHECK(check_path("/a?b=1", false).find("query") != std::string::npos);
  CHECK(check_path("/a%2", false).find("percent-encoding") != std::string::npos);
  CHECK(check_path("/api/v1", false).empty());
}

TEST_CASE("a rewrite may use only the route's own parameters and a captured rest") {
  std::vector<GlobSegment> segs;
  parse_glob("/users/:id/**", segs);
  CHECK(check_rewrite("/u/:id/**", segs, true).empty());
  CHECK(check_rewrite("/u/:name", segs, true).find("no parameter ':name'") != std::string::npos);
  CHECK(check_rewrite("/x/**", {}, false).find("does not capture") != std::string::npos);
}

TEST_CASE("hosts are lower-cased names or leading wildcards") {
  std::string h = "Image-Gallery.LOCAL";
  CHECK(check_host(h).empty());
  CHECK(h == "image-gallery.local");
  std::string w = "*.example.com";
  CHECK(check_host(w).empty());
  std::string bad = "a.*.com";
  CHECK_FALSE(check_host(bad).empty());
  std::string port = "example.com:80";
  CHECK(check_host(port).find("port") != std::string::npos);
}

TEST_CASE("addresses need a port in range: listen addresses are IPs, and servers may be names") {
  std::string host;
  uint16_t port = 0;
  CHECK(check_address(":80", false, host, port).empty());
  CHECK(port == 80);
  CHECK(check_address("[::1]:443", false, host, port).empty());
  CHECK(host == "::1");
  CHECK(check_address("image-gallery:80", true, host, port).empty());
  CHECK_FALSE(check_address("image-gallery:80", false, host, port).empty());
  CHECK(check_address("a:70000", true, host, port).find("1..65535") != std::string::npos);
  CHECK(check_address("a", true, host, port).find("needs a port") != std::string::npos);
  CHECK_FALSE(check_address("300.1.1.1:80", false, host, port).empty());
}

TEST_CASE("methods are case-sensitive tokens and near-misses get a suggestion") {
  std::string s;
  CHECK(check_method("GET", s).empty());
  CHECK(check_method("PROPFIND", s).empty());
  CHECK_FALSE(check_method("get", s).empty());
  CHECK(s == "GET");
  CHECK_FALSE(check_method("GTE", s).empty());
  CHECK(s == "GET");
}

TEST_CASE("variables are found in templates, braced or bare, and escaped dollars are skipped") {
  auto vars = find_variables("https://$host${request_uri}x \\$5");
  REQUIRE(vars.size() == 2);
  CHECK(vars[0].name == "host");
  CHECK(vars[1].name == "request_uri");
  CHECK(is_builtin_variable("http_x_forwarded_for"));
  CHECK_FALSE(is_builtin_variable("hots"));
}

}  // namespace banyan::parse
