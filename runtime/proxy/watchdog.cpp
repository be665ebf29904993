#include "runtime/proxy/watchdog.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace banyan::proxy {

void Watchdog::cancel_all() {
  boost::system::error_code ec;
  client_.cancel(ec);
  if (upstream_) upstream_->cancel(ec);
}

boost::asio::awaitable<void> Watchdog::run(std::shared_ptr<void> keep) {
  (void)keep;  // held by the frame: the connection outlives its watchdog
  while (!stopped_) {
    armed_ = deadline_;
    timer_.expires_at(armed_);
    boost::system::error_code ec;
    co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (stopped_) break;
    if (deadline_ <= Clock::now()) {
      expired_ = true;
      cancel_all();
      deadline_ = Clock::now() + std::chrono::hours(24);  // until the connection sets a new one
    }
  }
}

}  // namespace banyan::proxy
