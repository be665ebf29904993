// The access log: one JSON line per request (or a short text line), buffered per
// worker and written with one write(2) of whole lines, so lines of different workers
// never interleave (O_APPEND files; pipes for lines under PIPE_BUF).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace banyan::proxy {

struct AccessRecord {
  int64_t unix_ms = 0;
  std::string_view request_id, method, host, path, route, upstream, upstream_addr, client;
  std::string_view protocol;   // "HTTP/1.1", "HTTP/1.0", "HTTP/2.0" (nginx's $server_protocol); empty: no head
  std::string_view migration;  // the migration that decided this request's side, if any
  std::string_view side;       // "old" or "new"
  int64_t bucket = -1;         // the request's bucket, 0..9999 (-1: none, or drawn per request)
  int status = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
  uint64_t duration_us = 0;
  uint32_t retries = 0;
  int grpc_status = -1;    // a gRPC call's status (-1: not a gRPC call, or none arrived)
  std::string_view grpc_message;  // its grpc-message, as sent (JSON only)
  std::string_view error;  // why the gateway answered 4xx/5xx itself, if it did
  std::string_view cache;  // $upstream_cache_status: "HIT", "MISS", ... (empty: the route does not cache)
};

class AccessLog {
 public:
  // fd < 0: no access log (`log.destination = "off"`): add() returns at once.
  AccessLog(int fd, bool json) : fd_(fd), json_(json) {
    if (fd_ >= 0) buffer_.reserve(kFlushAt * 2);
  }
  void add(const AccessRecord& r);
  bool on() const { return fd_ >= 0; }  // false: `off`, and a record need not be made
  void flush();
  bool empty() const { return buffer_.empty(); }
  static constexpr size_t kFlushAt = 16 << 10;

 private:
  int fd_;
  bool json_;
  std::string buffer_;
};

// Appends `s` as the inside of a JSON string.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace banyan::proxy
