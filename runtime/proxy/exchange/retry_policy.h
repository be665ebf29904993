// When a failed attempt may be tried again on another endpoint, as a pure function of
// the failure (nginx's proxy_next_upstream error/timeout, non_idempotent off; Envoy's
// reset-before-request retries):
//   - nothing was sent yet (connect failed or timed out, or the head could not be
//     written before any of a streamed body was read): always;
//   - the upstream closed before any byte of a response: for idempotent methods whose
//     body (if any) can be sent again;
//   - a pooled connection the upstream had closed while idle (it fails before any byte
//     of a response, on our first write or read): whenever the body can be sent again;
//     it is not the endpoint's fault, the endpoint's other idle connections are
//     suspect, and the retry does not count against the budget;
//   - never after a response timeout, a response the parser refuses, once part of a
//     streamed body was read from the client, or for the client's and the gateway's
//     own failures.
// Each retry goes to an endpoint this request has not tried yet (call_upstream.cpp).
#pragma once

#include "runtime/proxy/exchange/exchange.h"

namespace banyan::proxy {

struct RetryInput {
  ExchangeError::Kind kind = ExchangeError::Kind::None;
  bool reused = false;            // the connection came from the idle pool
  bool nothing_received = false;  // no byte of a response arrived
  bool body_replayable = true;    // no body, or all of it is buffered and can be sent again
  bool body_streamed = false;     // part of a streamed body was read from the client
  bool idempotent = false;        // the method (RFC 9110 9.2.2)
};

struct RetryDecision {
  bool retry = false;             // another endpoint may take the request
  bool endpoint_failed = false;   // passive health counts it against the endpoint
  bool stale_connection = false;  // a dead pooled connection: not the endpoint's fault, no budget used
};

RetryDecision decide_retry(const RetryInput& in);

bool is_idempotent(std::string_view method);

}  // namespace banyan::proxy
