// The time a command is asked about (`route --at`, `diff --at`): an RFC 3339 timestamp
// (2026-03-01T09:00:00Z), `now`, or an offset from now (`+1h`, `-30m`, `+1d2h`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace banyan::cli {

// Unix milliseconds, or nullopt with `error` saying what is accepted.
std::optional<int64_t> parse_time_arg(std::string_view text, int64_t now_ms, std::string& error);

int64_t clock_now_ms();

}  // namespace banyan::cli
