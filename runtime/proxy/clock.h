// The clocks the proxy reads, defined once: steady milliseconds for health and
// cool-downs (shared between threads as plain integers), the coarse steady time for
// deadlines, and Unix milliseconds for logs, plan load times and migration schedules.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>

namespace banyan::proxy {

inline int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The steady clock as of the kernel's last tick (CLOCK_MONOTONIC_COARSE: the timeline
// of std::chrono::steady_clock, up to one tick, 1 to 10 ms, behind it), read in a
// fraction of the time of a precise read: for deadlines and idle ages, which a
// connection sets several times per request and which are seconds long. A deadline
// from it falls at most a tick early. Durations that are reported read the precise clock.
inline std::chrono::steady_clock::time_point coarse_now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return std::chrono::steady_clock::time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

inline int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace banyan::proxy
