// Which site answers a request's Host: exact names, then the longest wildcard
// suffix, then the default site (grammar/README.md, "Host first"). The host is
// lower-cased, its port and one trailing dot dropped; matcher.h's select_site() and
// match() share this.
#pragma once

#include <cstdint>
#include <string_view>

#include "runtime/plan/plan.h"

namespace banyan::plan {

// Budget: a host longer than a DNS name can be (253, plus a port) selects no site but
// the default.
inline constexpr size_t kMaxHostBytes = 260;

struct HostChoice {
  uint32_t site = kNone;
  bool host_ok = false;        // the host was short enough to read
  std::string_view canonical;  // lower case, no port, no trailing dot (a view into the buffer, or the host itself)
};

// `buf` must hold kHostBuffer bytes.
inline constexpr size_t kHostBuffer = kMaxHostBytes + 24;
HostChoice choose_site_canonical(const Plan& plan, std::string_view host, char* buf);

// Most requests name a site's host as its routes file spells it, and every exact host
// a plan holds is canonical (the loader checks is_canonical_host), so a host found in
// that table as it came is its own canonical form: lower-casing it into `buf` first
// would change nothing. Any other host is canonicalised, then looked up.
inline HostChoice choose_site(const Plan& plan, std::string_view host, char* buf) {
  if (uint32_t site = plan.exact_host_as_sent(host); site != kNone) return {site, true, host};
  return choose_site_canonical(plan, host, buf);
}

// Whether `name` is its own canonical form (the plan's host names must be).
bool is_canonical_host(std::string_view name);

}  // namespace banyan::plan
