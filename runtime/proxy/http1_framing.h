// HTTP/1.1 response framing, apart from the connection's I/O (and from its template
// on the stream): the status line, the exchange's fields, then exactly one framing
// field and Connection. A body of unknown length is chunked for an HTTP/1.1 client and
// delimited by the close for an HTTP/1.0 one; a 101 carries its own Connection.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "runtime/proxy/downstream.h"

namespace banyan::proxy {

struct Http1Framing {
  bool chunked = false;  // the body goes out as chunks
  bool close = false;    // the response says Connection: close; the connection ends after it
};

// Writes the head into `out`. `keep_alive`: the client and the gateway would keep the
// connection (the request asked to, nothing is draining).
Http1Framing write_response_head(std::string& out, const ResponseStart& r, bool client_11, bool keep_alive);

// "1a2b\r\n": a chunk's size line, in `buf`.
std::string_view chunk_size_line(char (&buf)[24], size_t n);

}  // namespace banyan::proxy
