// Resolving an upstream's servers: literals, the hosts file, and what a failed lookup
// keeps.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "runtime/proxy/endpoints.h"

using banyan::proxy::EndpointSource;
using banyan::proxy::lookup_hosts_file;

namespace {
std::string temp_hosts(const std::string& text) {
  char name[] = "/tmp/banyan-hosts-XXXXXX";
  int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(name) << text;
  return name;
}
}  // namespace

TEST_CASE("the hosts file: every address of every line naming the host, in order", "[proxy]") {
  std::string f = temp_hosts("# comment\n10.0.0.1 app.test other\n10.0.0.2   app.test # trailing\nbad app.test\n::1 app.test\n");
  auto a = lookup_hosts_file(f, "app.test");
  REQUIRE(a.size() == 3);
  CHECK(a[0].to_string() == "10.0.0.1");
  CHECK(a[1].to_string() == "10.0.0.2");
  CHECK(a[2].to_string() == "::1");
  CHECK(lookup_hosts_file(f, "other").size() == 1);
  CHECK(lookup_hosts_file(f, "app").empty());
  CHECK(lookup_hosts_file("/nonexistent/hosts", "app.test").empty());
  std::remove(f.c_str());
}

TEST_CASE("a name that stops resolving keeps its last good addresses, and says so", "[proxy]") {
  std::string f = temp_hosts("127.0.0.2 app.test\n127.0.0.3 app.test\n");
  EndpointSource src("app", {{"app.test", 80, 1, false, -1}, {"127.0.0.9", 81, 2, true, -1}}, 1000, f, true, true);
  CHECK(src.resolve().empty());
  auto set = src.current();
  REQUIRE(set->size() == 3);
  CHECK(set->identities[0] == "127.0.0.2:80");
  CHECK(set->identities[2] == "127.0.0.9:81");
  CHECK(set->initial[2].backup);
  CHECK(set->initial[2].weight == 2);
  CHECK(set->ring != nullptr);
  CHECK(set->sticky != nullptr);
  uint64_t v = src.version();

  CHECK(src.resolve().empty());  // nothing changed: no new set
  CHECK(src.version() == v);

  std::ofstream(f) << "# app.test is gone; the name also fails in DNS (.test is reserved)\n";
  std::string problem = src.resolve();
  CHECK(problem.find("app.test") != std::string::npos);
  CHECK(problem.find("keeping its last 2 address(es)") != std::string::npos);
  CHECK(src.current()->size() == 3);
  CHECK(src.current()->problem == problem);
  std::remove(f.c_str());
}
