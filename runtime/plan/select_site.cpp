// Host -> site (select_site.h). The host is read eight bytes at a time: lower-cased
// and searched for the port's ':' in one pass (swar.h), since a byte loop over it was
// a fifth of a lookup's instructions.
#include "runtime/plan/select_site.h"

#include <algorithm>
#include <cstring>

#include "runtime/plan/matcher.h"
#include "runtime/plan/swar.h"

namespace banyan::plan {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The host without port or trailing dot, lower-cased into `buf` and followed by 8
// zero bytes; false if too long.
bool canonical_host(std::string_view host, char* buf, std::string_view& out) {
  if (host.size() >= 8 && host.size() <= kMaxHostBytes + 8 && host.front() != '[') {
    // Whole words, then the bytes left as one word zero-padded (the host's last 8
    // bytes shifted down): each word is stored once, where the host tables' hash
    // reads it back whole (reads that straddle two stores wait for both), and the
    // last store is the padding after the host.
    const size_t n = host.size();
    size_t colon = n;  // the last ':', or the end
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t x = swar::load8(host.data() + i);
      if (uint64_t m = swar::bytes_equal(x, ':')) colon = i + swar::last(m);
      uint64_t l = swar::lower(x);
      std::memcpy(buf + i, &l, 8);
    }
    uint64_t x = i < n ? swar::load8(host.data() + n - 8) >> (8 * (i + 8 - n)) : 0;
    if (uint64_t m = swar::bytes_equal(x, ':')) colon = i + swar::last(m);
    uint64_t l = swar::lower(x), zero = 0;
    std::memcpy(buf + i, &l, 8);
    std::memcpy(buf + i + 8, &zero, 8);  // a wildcard suffix starts anywhere: its padding too
    if (colon < n || buf[n - 1] == '.') {  // a port or a trailing dot: the host ends sooner
      if (colon > 0 && buf[colon - 1] == '.') --colon;
      if (colon > kMaxHostBytes) return false;
      std::memset(buf + colon, 0, 8);
    }
    out = {buf, colon};
    return colon <= kMaxHostBytes;
  }
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    host = host.substr(0, close == std::string_view::npos ? host.size() : close + 1);
  } else {
    size_t colon = host.rfind(':');
    if (colon != std::string_view::npos) host = host.substr(0, colon);
  }
  if (host.ends_with('.')) host.remove_suffix(1);
  if (host.size() > kMaxHostBytes) return false;
  for (size_t i = 0; i < host.size(); ++i) buf[i] = lower(host[i]);
  std::memset(buf + host.size(), 0, 8);
  out = {buf, host.size()};
  return true;
}

// The site of a canonical host; `asked` when the exact table was already asked for
// it (choose_site, with the host as it came, which was this one).
uint32_t site_of(const Plan& plan, std::string_view h, bool asked) {
  uint32_t site = asked ? kNone : plan.exact_host(h);
  if (site != kNone) return site;
  // Wildcards match one or more labels: try the suffixes from the longest down.
  for (size_t dot = h.find('.'); dot != std::string_view::npos && dot > 0; dot = h.find('.', dot + 1)) {
    site = plan.wildcard_host(h.substr(dot));
    if (site != kNone) return site;
  }
  return plan.default_site();
}

}  // namespace

HostChoice choose_site_canonical(const Plan& plan, std::string_view host, char* buf) {
  HostChoice c;
  c.host_ok = canonical_host(host, buf, c.canonical);
  const bool asked = host.size() >= HostTable::kMinUnpadded && c.canonical == host;
  c.site = c.host_ok ? site_of(plan, c.canonical, asked) : plan.default_site();
  return c;
}

bool is_canonical_host(std::string_view name) {
  char buf[kHostBuffer];
  std::string_view canonical;
  return canonical_host(name, buf, canonical) && canonical == name;
}

uint32_t select_site(const Plan& plan, std::string_view host) {
  char buf[kHostBuffer];
  return choose_site(plan, host, buf).site;
}

}  // namespace banyan::plan
