// The two clocks the proxy reads, defined once: steady milliseconds for health and
// cool-downs (shared between threads as plain integers), and Unix milliseconds for
// logs, plan load times and migration schedules.
#pragma once

#include <chrono>
#include <cstdint>

namespace banyan::proxy {

inline int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace banyan::proxy
