// "Parsing allocates nothing": this program replaces the global operator new with a
// counting one (so it is its own executable, not part of banyan_tests) and parses
// requests, responses and chunked bodies, valid and refused, whole and byte by byte,
// counting allocations while it does. Exit 0 when nothing allocated.
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "tests/support/counting_new.h"
#include <string_view>

#include "runtime/http/chunked.h"
#include "runtime/http/parse.h"

using banyan::testing::allocations;
using banyan::testing::counting;

int main() {
  using namespace banyan::http;
  constexpr std::array<std::string_view, 6> kRequests = {
      "POST http://a.example/p?q HTTP/1.1\r\nHost: A.example\r\nTransfer-Encoding: chunked\r\n"
      "Connection: keep-alive, Upgrade\r\nUpgrade: h2c\r\nExpect: 100-continue\r\n\r\n",
      "GET / HTTP/1.0\r\nContent-Length: 12\r\nX: \xff\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: [::1]:8080\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "GET / HTTP/2.0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
  };
  constexpr std::array<std::string_view, 3> kResponses = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
      "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n",
      "HTTP/1.1 200\r\n\r\n",
  };
  constexpr std::array<std::string_view, 3> kBodies = {
      "5;a=\"b\"\r\nhello\r\n0\r\nX: y\r\n\r\n",
      "5\r\nhelloX",
      "fffffffffffffffff\r\n",
  };
  std::array<banyan::plan::HeaderField, 100> storage;
  RequestHead request;
  ResponseHead response;
  Error error = Error::None;
  const Limits limits;
  counting = true;
  for (std::string_view r : kRequests)
    for (size_t n = 0; n <= r.size(); ++n) (void)parse_request(r.substr(0, n), limits, storage, request, error);
  for (std::string_view r : kResponses)
    for (size_t n = 0; n <= r.size(); ++n)
      (void)parse_response(r.substr(0, n), false, limits, storage, response, error);
  for (std::string_view b : kBodies) {
    ChunkedDecoder whole, bytewise;
    for (std::string_view in = b; !in.empty();) {
      const ChunkedDecoder::Step s = whole.next(in);
      if (s.done || s.failed) break;
      in.remove_prefix(s.consumed);
    }
    for (char c : b) (void)bytewise.next(std::string_view(&c, 1));
    (void)is_hop_by_hop("Keep-Alive");
    (void)describe(error);
  }
  counting = false;
  if (allocations != 0) {
    std::fprintf(stderr, "parsing allocated %ld times\n", allocations.load());
    return 1;
  }
  return 0;
}
