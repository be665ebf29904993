// An HTTP/1.1 client connection, plain or TLS: read a request head (runtime/http,
// strictly, within the limits), hand it to an Exchange through the Downstream
// interface, and frame what the exchange answers. Requests on a connection are
// answered in order (pipelining falls out of reading one head at a time). After any
// framing error the connection is closed: bytes after it are never read as a request.
// An idle keep-alive connection holds its socket and this object, no request buffers.
#pragma once

#include <utility>
#include <boost/asio/ip/tcp.hpp>

#include "runtime/proxy/io.h"
#include "runtime/proxy/worker.h"

namespace banyan::proxy {

void start_session(Worker& worker, Socket socket, const boost::asio::ip::tcp::endpoint& peer,
                   const ListenerInfo& listener);

}  // namespace banyan::proxy
