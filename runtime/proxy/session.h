// A client connection: read a request head (runtime/http, strictly), route it on the
// worker's generation, and answer it: a redirect, a fixed response, or a proxied
// exchange with an upstream endpoint, bodies streamed both ways through bounded
// buffers. Requests on a connection are answered in order (pipelining falls out of
// reading one head at a time). After any framing error the connection is closed:
// bytes after it are never read as a request.
#pragma once

#include <utility>
#include <boost/asio/ip/tcp.hpp>

#include "runtime/proxy/worker.h"

namespace banyan::proxy {

void start_session(Worker& worker, boost::asio::ip::tcp::socket socket, const boost::asio::ip::tcp::endpoint& peer,
                   const ListenerInfo& listener);

}  // namespace banyan::proxy
