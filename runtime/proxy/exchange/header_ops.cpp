// The route's `set` header operations, expanded (header_ops.h has the rules).
#include "runtime/proxy/exchange/header_ops.h"

namespace banyan::proxy {

void append_set_ops(Exchange& x, std::span<const PreparedHeaderOp> ops, std::string& out, std::string_view except) {
  for (const PreparedHeaderOp& op : ops) {
    if (op.kind != plan::HeaderOpKind::Set || (!except.empty() && http::iequals(op.name, except))) continue;
    x.scratch.clear();
    expand(x, op.value, x.scratch);
    if (!x.scratch.empty()) append_field(out, op.name, x.scratch);
  }
}

}  // namespace banyan::proxy
