#include "runtime/proxy/access_log.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <ctime>

namespace banyan::proxy {

void append_json_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);  // request bytes >= 0x80 never reach here: the parser refuses them in paths
    }
  }
}

namespace {

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_time(std::string& out, int64_t unix_ms) {
  time_t secs = unix_ms / 1000;
  tm t{};
  gmtime_r(&secs, &t);
  char buf[40];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  out.append(buf, n);
  char ms[8];
  snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>(unix_ms % 1000));
  out += ms;
}

}  // namespace

void AccessLog::add(const AccessRecord& r) {
  if (fd_ < 0) return;  // log.destination = "off": not even formatted
  std::string& o = buffer_;
  if (json_) {
    auto field = [&](const char* key, std::string_view v) {
      o += ",\"";
      o += key;
      o += "\":\"";
      append_json_escaped(o, v);
      o += '"';
    };
    auto number = [&](const char* key, uint64_t v) {
      o += ",\"";
      o += key;
      o += "\":";
      append_number(o, v);
    };
    o += "{\"time\":\"";
    append_time(o, r.unix_ms);
    o += '"';
    field("request_id", r.request_id);
    field("client", r.client);
    field("method", r.method);
    field("host", r.host);
    field("path", r.path);
    if (!r.protocol.empty()) field("protocol", r.protocol);
    number("status", static_cast<uint64_t>(r.status));
    number("bytes_in", r.bytes_in);
    number("bytes_out", r.bytes_out);
    number("duration_us", r.duration_us);
    field("route", r.route);
    if (!r.upstream.empty()) field("upstream", r.upstream);
    field("upstream_addr", r.upstream_addr);
    number("retries", r.retries);
    if (!r.migration.empty()) {
      field("migration", r.migration);
      field("side", r.side);
      if (r.bucket >= 0) number("bucket", static_cast<uint64_t>(r.bucket));
    }
    if (!r.cache.empty()) field("cache", r.cache);
    if (r.grpc_status >= 0) number("grpc_status", static_cast<uint64_t>(r.grpc_status));
    if (!r.grpc_message.empty()) field("grpc_message", r.grpc_message);
    if (!r.error.empty()) field("error", r.error);
    o += "}\n";
  } else {
    append_time(o, r.unix_ms);
    o += ' ';
    o += r.client;
    o += ' ';
    o += r.method;
    o += ' ';
    o += r.host;
    o += r.path;
    o += ' ';
    append_number(o, static_cast<uint64_t>(r.status));
    o += ' ';
    append_number(o, r.bytes_out);
    o += ' ';
    append_number(o, r.duration_us);
    o += "us route=";
    o += r.route;
    o += " upstream=";
    o += r.upstream.empty() ? std::string_view("-") : r.upstream;
    o += '/';
    o += r.upstream_addr.empty() ? std::string_view("-") : r.upstream_addr;
    if (!r.migration.empty()) {
      o += " side=";
      o += r.side;
    }
    if (!r.cache.empty()) {
      o += " cache=";
      o += r.cache;
    }
    if (r.grpc_status >= 0) {
      o += " grpc=";
      append_number(o, static_cast<uint64_t>(r.grpc_status));
    }
    o += " id=";
    o += r.request_id;
    o += '\n';
  }
  if (buffer_.size() >= kFlushAt) flush();
}

void AccessLog::flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // a full disk or a closed pipe must not stop the proxy; the lines are lost
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
}

}  // namespace banyan::proxy
