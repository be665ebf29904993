// The data plane's coroutine and I/O object types, on the io_context's own executor.
// Asio's defaults (`awaitable<T>`, `tcp::socket`, `steady_timer`) carry the
// type-erased `any_io_executor`: every suspension, completion and timer copied,
// queried and destroyed it through function pointers, about a tenth of the proxy's
// user time on a new connection per request. Every executor here is an io_context's
// (one per worker, and the gateway's own), so the concrete type loses nothing.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace banyan::proxy {

using Executor = boost::asio::io_context::executor_type;

// A coroutine of the proxy; `co_await`ed, or started with co_spawn on an io_context.
template <typename T = void>
using Task = boost::asio::awaitable<T, Executor>;

// The completion token that makes an asynchronous operation a Task.
inline constexpr boost::asio::use_awaitable_t<Executor> use_task{};

using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Executor>;
using Acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, Executor>;
using Timer = boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                                boost::asio::wait_traits<std::chrono::steady_clock>, Executor>;

}  // namespace banyan::proxy
