// The access log writes what clients sent (paths, hosts): it must stay one valid JSON
// object per line whatever those bytes are.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "runtime/proxy/access_log.h"

using banyan::proxy::AccessLog;
using banyan::proxy::AccessRecord;
using banyan::proxy::append_json_escaped;

TEST_CASE("JSON escaping keeps hostile bytes inside the string", "[proxy]") {
  std::string out;
  append_json_escaped(out, "a\"b\\c\nd\x01\x7f");
  CHECK(out == "a\\\"b\\\\c\\u000ad\\u0001\\u007f");
}

TEST_CASE("one access-log line per request, flushed whole", "[proxy]") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  {
    AccessLog log(fds[1], true);
    AccessRecord r;
    r.unix_ms = 1'700'000'000'123;
    r.request_id = "abc";
    r.method = "GET";
    r.host = "h\"x";
    r.path = "/p\n";
    r.status = 200;
    r.bytes_out = 5;
    r.retries = 1;
    log.add(r);
    log.flush();
  }
  char buf[1024];
  ssize_t n = read(fds[0], buf, sizeof buf);
  REQUIRE(n > 0);
  std::string line(buf, static_cast<size_t>(n));
  CHECK(line.rfind("{\"time\":\"2023-11-14T22:13:20.123Z\",\"request_id\":\"abc\"", 0) == 0);
  CHECK(line.find("\"host\":\"h\\\"x\",\"path\":\"/p\\u000a\"") != std::string::npos);
  CHECK(line.find("\"status\":200") != std::string::npos);
  CHECK(line.find("\"retries\":1}") != std::string::npos);
  CHECK(line.back() == '\n');
  CHECK(std::count(line.begin(), line.end(), '\n') == 1);
  close(fds[0]);
  close(fds[1]);
}
