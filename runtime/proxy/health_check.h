// Active health checks (`health [METHOD] PATH [every D] [timeout D] [expect ...]
// [fails N] [passes N]`): the main thread probes every endpoint of every upstream that
// asks for it, on its interval, and marks an endpoint down after `fails` failed probes
// in a row and up again after `passes` good ones (EndpointHealth::down, which the
// workers' picks read). A probe is one HTTP/1.1 request on a new connection, bounded
// by the timeout; its answer is held to the status line only.
#pragma once

#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "runtime/proxy/io.h"

namespace banyan::proxy {

class Gateway;
struct Generation;

// Runs until the gateway stops; re-reads the serving generation every tick. A plan
// with no `health` check has nothing to tick for: `tick` then waits until cancelled
// (the gateway cancels it when it swaps in a new plan).
Task<void> run_health_checks(Gateway& gateway, boost::asio::io_context& io, Timer& tick, const bool& stopping);
// Does any upstream of the serving plan have an active health check?
bool has_health_checks(const Generation& g);

}  // namespace banyan::proxy
