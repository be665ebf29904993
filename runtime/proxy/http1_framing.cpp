#include "runtime/proxy/http1_framing.h"

#include <charconv>

#include "runtime/http/status.h"

namespace banyan::proxy {

Http1Framing write_response_head(std::string& out, const ResponseStart& r, bool client_11, bool keep_alive) {
  Http1Framing f;
  char num[24];
  out.clear();
  out += "HTTP/1.1 ";
  auto [end, e] = std::to_chars(num, num + sizeof num, r.status);
  out.append(num, end);
  out += ' ';
  out += r.reason.empty() ? http::reason_phrase(r.status) : r.reason;
  out += "\r\n";
  out += r.fields;
  if (r.status != 101) {  // a 101 carries its own Connection: upgrade
    if (r.body == ResponseStart::Body::Length) {
      out += "Content-Length: ";
      auto [lend, le] = std::to_chars(num, num + sizeof num, r.length);
      out.append(num, lend);
      out += "\r\n";
    } else if (r.body == ResponseStart::Body::Stream && client_11) {
      out += "Transfer-Encoding: chunked\r\n";
      f.chunked = true;
    }
    // An HTTP/1.0 client reads a body of unknown length until the connection closes.
    f.close = r.close || !keep_alive || (r.body == ResponseStart::Body::Stream && !client_11);
    if (f.close)
      out += "Connection: close\r\n";
    else if (!client_11)
      out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  return f;
}

std::string_view chunk_size_line(char (&buf)[24], size_t n) {
  auto [end, ec] = std::to_chars(buf, buf + 20, n, 16);
  end[0] = '\r', end[1] = '\n';
  return {buf, static_cast<size_t>(end + 2 - buf)};
}

}  // namespace banyan::proxy
