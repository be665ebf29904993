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
  std::string_view request_id, method, host, path, route, upstream_addr, client;
  int status = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
  uint64_t duration_us = 0;
  uint32_t retries = 0;
  std::string_view error;  // why the gateway answered 4xx/5xx itself, if it did
};

class AccessLog {
 public:
  AccessLog(int fd, bool json) : fd_(fd), json_(json) { buffer_.reserve(kFlushAt * 2); }
  void add(const AccessRecord& r);
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
