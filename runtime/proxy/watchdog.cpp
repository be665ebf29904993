#include "runtime/proxy/watchdog.h"

namespace banyan::proxy {

void Watchdog::cancel_all() {
  boost::system::error_code ec;
  if (client_) client_->cancel(ec);
  if (wake_) wake_->cancel();
  if (upstream_wake_) upstream_wake_->cancel();
  if (upstream_) upstream_->cancel(ec);
}

void Watchdog::start(std::shared_ptr<void> keep) {
  stopped_ = false;
  ++epoch_;
  arm(std::move(keep));
}

void Watchdog::arm(std::shared_ptr<void> keep) {
  armed_ = deadline_;
  timer_.expires_at(armed_);
  timer_.async_wait([this, epoch = epoch_, keep = std::move(keep)](const boost::system::error_code&) mutable {
    if (stopped_ || epoch != epoch_) return;  // the connection ended, or parked: `keep` lets it go
    if (deadline_ <= Clock::now()) {
      expired_ = true;
      cancel_all();
      deadline_ = Clock::now() + std::chrono::hours(24);  // until the connection sets a new one
    }
    arm(std::move(keep));  // at the (new, or earlier) deadline
  });
}

}  // namespace banyan::proxy
