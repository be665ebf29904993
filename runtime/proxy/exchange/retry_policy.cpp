// The retry rules, as retry_policy.h states them.
#include "runtime/proxy/exchange/retry_policy.h"

namespace banyan::proxy {

bool is_idempotent(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS" || m == "TRACE";
}

RetryDecision decide_retry(const RetryInput& in) {
  using K = ExchangeError::Kind;
  RetryDecision d;
  const bool stale = in.reused && in.nothing_received && !in.body_streamed &&
                     (in.kind == K::ResetBeforeResponse || in.kind == K::WriteRequest);
  if (stale) {
    d.stale_connection = true;
    // A failed first write sent nothing the upstream read, and no body byte was taken
    // from the client yet; after a sent request, only a buffered body can go again.
    d.retry = in.kind == K::WriteRequest || in.body_replayable;
    return d;
  }
  switch (in.kind) {
    case K::Connect:
    case K::ConnectTimeout:
      d.retry = true;
      d.endpoint_failed = true;
      break;
    case K::WriteRequest:
      d.retry = !in.body_streamed;
      d.endpoint_failed = true;
      break;
    case K::ResetBeforeResponse:
      d.retry = in.nothing_received && in.body_replayable && in.idempotent && !in.body_streamed;
      d.endpoint_failed = true;
      break;
    case K::ResponseTimeout:
    case K::BadResponse:
    case K::BodyBrokenOff:
    case K::BodyTimeout:
      d.endpoint_failed = true;
      break;
    default:
      break;  // the client's and the gateway's failures, and NoEndpoint
  }
  return d;
}

}  // namespace banyan::proxy
