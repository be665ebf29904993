// The session ticket key ring: rotation keeps the newest kTicketKeysKept keys, newest
// first; a key file is read as nginx writes it and refused when malformed; a reload
// keeps random keys. (Resumption itself, across workers, reloads and replicas, is
// tests/integration/tls_test.py's.)
#include "runtime/proxy/ticket_keys.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

namespace banyan::proxy {
namespace {

std::string temp_file(const std::string& bytes) {
  char path[] = "/tmp/banyan-tickets-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  close(fd);
  return path;
}

TEST_CASE("random ticket keys rotate on schedule and keep the newest few", "[tls]") {
  TicketKeys keys("", 1000);
  REQUIRE(keys.load().empty());
  auto first = keys.names();
  REQUIRE(first.size() == 1);
  REQUIRE(keys.load().empty());  // a reload keeps them
  CHECK(keys.names() == first);
  // Well past the load's own reading of the steady clock.
  const int64_t t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now().time_since_epoch()).count() + 10'000'000;
  CHECK(keys.due_ms() < t0);  // the gateway's timer sleeps until then, and no longer
  keys.tick(t0);
  CHECK(keys.due_ms() == t0 + 1000);
  auto second = keys.names();
  REQUIRE(second.size() == 2);
  CHECK(second[1] == first[0]);
  CHECK(second[0] != first[0]);
  keys.tick(t0 + 999);  // not due yet
  CHECK(keys.names() == second);
  for (int i = 1; i <= 4; ++i) keys.tick(t0 + i * 1000);
  auto later = keys.names();
  CHECK(later.size() == kTicketKeysKept);
  CHECK(std::find(later.begin(), later.end(), first[0]) == later.end());  // retired
  CHECK(keys.rotations() == 5);
}

TEST_CASE("a ticket key file is read as nginx writes it and refused when malformed", "[tls]") {
  std::string two(160, '\0');
  for (size_t i = 0; i < two.size(); ++i) two[i] = static_cast<char>(i);
  std::string path = temp_file(two);
  TicketKeys keys(path, 1000);
  REQUIRE(keys.load().empty());
  auto names = keys.names();
  REQUIRE(names.size() == 2);
  CHECK(names[0][0] == 0);
  CHECK(names[0][15] == 15);
  CHECK(names[1][0] == 80);  // the second record's name: its first 16 bytes
  keys.tick(1'000'000'000);  // a file's keys are the operator's to rotate
  CHECK(keys.names() == names);
  CHECK(keys.due_ms() == INT64_MAX);
  std::remove(path.c_str());

  for (size_t size : {0, 79, 81, 80 * 65}) {
    std::string bad = temp_file(std::string(size, 'x'));
    TicketKeys k(bad, 1000);
    INFO(size);
    CHECK(k.load().find("must hold 1 to 64 keys of 80 bytes") != std::string::npos);
    std::remove(bad.c_str());
  }
  TicketKeys missing("/nonexistent/tickets.key", 1000);
  CHECK(missing.load().find("cannot read the ticket key file '/nonexistent/tickets.key'") != std::string::npos);
}

}  // namespace
}  // namespace banyan::proxy
