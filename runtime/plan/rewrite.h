// The path a route's `rewrite TARGET` sends upstream, defined once for the runtime and
// `banyanc route`. A target is a path whose whole segments may be `:name` (the
// request's segment captured by that parameter) or a final `**` (the rest of the
// path the route captured: after a glob's `**`, or after a prefix route's prefix).
// When the rest is empty, the `**` segment and the '/' before it disappear, so
// `rewrite /v1/**` sends `/api` to `/v1` and `/api/users/7` to `/v1/users/7`. The
// query string is not part of the path; the caller keeps it as it was.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "runtime/plan/matcher.h"

namespace banyan::plan {

// Appends the rewritten path to `out`. False when the target names a capture the
// match did not make (the checker refuses such targets, B0205; a plan that carries
// one anyway gets a clear refusal rather than a guess).
bool rewrite_path(std::string_view target, std::span<const Capture> captures, std::string& out);

}  // namespace banyan::plan
