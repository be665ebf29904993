// Header fields through the gateway, one rule for the request, the response and a
// tunnel's 101: hop-by-hop fields and those the Connection field lists stay on their
// hop; a field the route's operations name (`request_header` / `response_header`) is
// replaced or removed by them; the route's `set` operations are appended with their
// values expanded (an empty value leaves the field out, as nginx's add_header does).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "runtime/http/fields.h"
#include "runtime/proxy/exchange/phases.h"

namespace banyan::proxy {

// True when one of `ops` names `field`.
inline bool replaced_by(std::span<const PreparedHeaderOp> ops, std::string_view field) {
  for (const PreparedHeaderOp& op : ops)
    if (http::iequals(op.name, field)) return true;
  return false;
}

// Copies the end-to-end fields of `fields` into `out`, minus those `ops` name.
// `keep(field)` sees each of the rest: true appends it as it is; false means it was
// dropped or written otherwise by `keep` itself.
template <class Keep>
void copy_end_to_end(std::span<const plan::HeaderField> fields, std::span<const PreparedHeaderOp> ops, std::string& out,
                     Keep&& keep) {
  bool connection_field = false;
  for (const plan::HeaderField& f : fields) connection_field = connection_field || http::iequals(f.name, "connection");
  for (const plan::HeaderField& f : fields) {
    if (http::is_hop_by_hop(f.name)) continue;
    if (connection_field && http::connection_lists(fields, f.name)) continue;
    if (replaced_by(ops, f.name)) continue;
    if (keep(f)) append_field(out, f.name, f.value);
  }
}

// Appends the `set` operations of `ops` (but the one named `except`, written apart).
void append_set_ops(Exchange& x, std::span<const PreparedHeaderOp> ops, std::string& out, std::string_view except = {});

}  // namespace banyan::proxy
