// Values that parse but cannot mean what was meant: zero timeouts and intervals, a
// cache zone with no room or entries larger than the zone, a health check that times
// out after its next run would start; an upstream `protocol` its health checks or a
// shadow cannot speak (B0215). (Ranges a value can be checked against alone,
// like ports and percentages, are the reader's: compiler/parse/build_common.cpp.)
#include <string>

#include "compiler/sema/passes.h"

namespace banyan::sema {
namespace {

std::string bytes(uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (u < 4 && b >= 1024 && b % 1024 == 0) b /= 1024, ++u;
  return std::to_string(b) + units[u];
}

void nonzero(const std::optional<ast::Duration>& d, const char* what, diag::DiagnosticSink& sink) {
  if (d && d->ms == 0) {
    sink.report(diag::Code::ValueOutOfRange, d->range,
                std::string("a ") + what + " of 0 would fail at once; give a duration, or remove the line for the default");
  }
}

}  // namespace

void check_values(const Context& cx, diag::DiagnosticSink& sink) {
  for (const auto& u : cx.file.upstreams) {
    nonzero(u.connect_timeout, "connect_timeout", sink);
    nonzero(u.read_timeout, "read_timeout", sink);
    nonzero(u.resolve_every, "resolve interval", sink);
    if (u.health) {
      nonzero(u.health->interval, "health check interval", sink);
      nonzero(u.health->timeout, "health check timeout", sink);
      if (u.health->timeout.ms > u.health->interval.ms && u.health->interval.ms > 0) {
        auto at = u.health->timeout.range.valid() ? u.health->timeout.range : u.health->range;
        sink.report(diag::Code::ValueOutOfRange, at,
                    "the health check timeout is longer than its interval, so checks would overlap; make it shorter");
      }
    }
    if (u.passive_health) {
      nonzero(u.passive_health->window, "failure window", sink);
      nonzero(u.passive_health->cooldown, "cool-down", sink);
    }
    if (u.sticky) nonzero(u.sticky->ttl, "sticky cookie lifetime", sink);
    if (u.protocol && u.protocol->kind == ast::UpstreamProtocol::Kind::H2c && u.health)
      sink.report(diag::Code::ProtocolMismatch, u.health->range,
                  "active health checks speak HTTP/1.1, which an h2c server (HTTP/2 with prior knowledge) does not "
                  "answer; remove `health` (passive health still applies)");
  }
  auto h2c = [&](const std::string& name) {
    for (const auto& u : cx.file.upstreams)
      if (u.name.text == name) return u.protocol && u.protocol->kind == ast::UpstreamProtocol::Kind::H2c;
    return false;
  };
  // What the h2c path does not do (runtime/proxy/exchange/h2_upstream.cpp): encode a
  // response, or tunnel an Upgrade (WebSocket is HTTP/1.1).
  for (const auto& site : cx.file.sites) {
    for (const auto& r : site.routes) {
      if (r.action.kind != ast::ActionKind::Proxy || !h2c(r.action.upstream.text)) continue;
      if (!r.compress.empty())
        sink.report(diag::Code::ProtocolMismatch, r.range,
                    "`compress` is not applied to the responses of h2c upstream '" + r.action.upstream.text +
                        "' (gRPC compresses its own messages); remove it");
      for (const auto& a : r.allow)
        if (a.text == "upgrade")
          sink.report(diag::Code::ProtocolMismatch, a.range,
                      "an Upgrade (WebSocket) is HTTP/1.1, which h2c upstream '" + r.action.upstream.text +
                          "' does not speak; remove `allow upgrade`");
    }
  }
  // A shadow's copy and its comparison speak HTTP/1.1 (runtime/proxy/exchange/shadow.cpp):
  // neither side of a shadowed migration may be an h2c upstream.
  for (const auto& m : cx.file.migrations) {
    if (!m.shadow_percent) continue;
    for (const ast::Name* side : {&m.from, &m.to})
      if (h2c(side->text))
        sink.report(diag::Code::ProtocolMismatch, m.shadow_range,
                    "shadow copies are sent and compared over HTTP/1.1, and upstream '" + side->text +
                        "' speaks h2c; shift this migration without `shadow`");
  }
  for (const auto& z : cx.file.caches) {
    auto empty = [&](const std::optional<ast::Size>& s, const char* what) {
      if (s && s->bytes == 0) sink.report(diag::Code::ValueOutOfRange, s->range, std::string("a ") + what + " of 0 holds nothing");
    };
    empty(z.memory, "memory tier");
    empty(z.disk_size, "disk tier");
    empty(z.max_entry, "max_entry");
    nonzero(z.inactive, "inactive time", sink);
    if (z.max_entry && z.max_entry->bytes > 0) {
      uint64_t room = std::max(z.memory ? z.memory->bytes : 0, z.disk_size ? z.disk_size->bytes : 0);
      if (room > 0 && z.max_entry->bytes > room) {
        sink.report(diag::Code::ValueOutOfRange, z.max_entry->range,
                    "max_entry " + bytes(z.max_entry->bytes) + " is larger than the whole zone (" + bytes(room) +
                        "), so no entry that size could be stored");
      }
    }
  }
  for (const auto& site : cx.file.sites) {
    for (const auto& r : site.routes) {
      nonzero(r.connect_timeout, "connect_timeout", sink);
      nonzero(r.read_timeout, "read_timeout", sink);
    }
  }
  for (const auto& m : cx.file.migrations) {
    nonzero(m.shadow_duration, "shadow duration", sink);
    for (const auto& s : m.shift) nonzero(s.duration, "shift step", sink);
    if (m.rollback) nonzero(m.rollback->window, "rollback window", sink);
  }
}

}  // namespace banyan::sema
