// `--at` values. Offsets are sums of durations in the routes language's units, so
// `+1d2h` means what `for 1d2h`-style sums would; each part is parsed by units.cpp.
#include "compiler/cli/time_arg.h"

#include <cctype>
#include <chrono>

#include "migrations/schedule.h"
#include "runtime/plan/units.h"

namespace banyan::cli {

int64_t clock_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<int64_t> parse_time_arg(std::string_view text, int64_t now_ms, std::string& error) {
  const std::string accepted = "; give a timestamp like 2026-03-01T09:00:00Z, `now`, or an offset like +1h or -30m";
  if (text == "now") return now_ms;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    int sign = text[0] == '-' ? -1 : 1;
    std::string_view rest = text.substr(1);
    if (rest.empty()) {
      error = "'" + std::string(text) + "' has no duration after the sign" + accepted;
      return std::nullopt;
    }
    int64_t total = 0;
    // Split "1d2h30m" into "1d", "2h", "30m": digits (and a '.') then letters.
    while (!rest.empty()) {
      size_t i = 0;
      while (i < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[i])) || rest[i] == '.')) ++i;
      while (i < rest.size() && std::isalpha(static_cast<unsigned char>(rest[i]))) ++i;
      if (i == 0) {
        error = "'" + std::string(text) + "' is not an offset" + accepted;
        return std::nullopt;
      }
      auto d = units::parse_duration(rest.substr(0, i));
      if (!d.ok) {
        error = "'" + std::string(text) + "': " + d.error;
        return std::nullopt;
      }
      total += d.value;
      if (total > units::kMaxDurationMs) {
        error = "'" + std::string(text) + "' is more than ten years away";
        return std::nullopt;
      }
      rest.remove_prefix(i);
    }
    return now_ms + sign * total;
  }
  if (auto t = migrations::parse_timestamp(text)) return t;
  error = "'" + std::string(text) + "' is not a time" + accepted;
  return std::nullopt;
}

}  // namespace banyan::cli
