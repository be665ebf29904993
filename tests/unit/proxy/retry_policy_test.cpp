// The retry rules (runtime/proxy/exchange/retry_policy.h) on every combination of
// their inputs, against the rules written out here plainly, one sentence each.
#include "runtime/proxy/exchange/retry_policy.h"

#include <catch2/catch.hpp>

namespace banyan::proxy {
namespace {

using K = ExchangeError::Kind;

// The expectation, from the header's sentences (not from decide_retry's code).
RetryDecision expected(const RetryInput& in) {
  RetryDecision d;
  const bool upstream_side = in.kind == K::Connect || in.kind == K::ConnectTimeout || in.kind == K::WriteRequest ||
                             in.kind == K::ResetBeforeResponse || in.kind == K::ResponseTimeout ||
                             in.kind == K::BadResponse || in.kind == K::BodyBrokenOff || in.kind == K::BodyTimeout;
  // "a pooled connection the upstream had closed while idle (it fails before any byte of a
  // response, on our first write or read)": not the endpoint's fault, no budget used.
  if (in.reused && in.nothing_received && !in.body_streamed &&
      (in.kind == K::WriteRequest || in.kind == K::ResetBeforeResponse)) {
    d.stale_connection = true;
    // "whenever the body can be sent again" (nothing was taken from the client before
    // the first write, so a failed first write can always go again)
    d.retry = in.kind == K::WriteRequest || in.body_replayable;
    return d;
  }
  d.endpoint_failed = upstream_side;
  // "nothing was sent yet: always"
  if (in.kind == K::Connect || in.kind == K::ConnectTimeout) d.retry = true;
  if (in.kind == K::WriteRequest) d.retry = !in.body_streamed;
  // "the upstream closed before any byte of a response: for idempotent methods whose body
  // can be sent again"
  if (in.kind == K::ResetBeforeResponse)
    d.retry = in.nothing_received && in.idempotent && in.body_replayable && !in.body_streamed;
  return d;
}

TEST_CASE("a failed attempt is retried exactly when the retry rules say, on every combination of inputs", "[proxy]") {
  const K kinds[] = {
      K::None,           K::ClientGone,   K::MalformedBody,       K::BodyTooLarge,    K::NoEndpoint,  K::Connect,
      K::ConnectTimeout, K::WriteRequest, K::ResetBeforeResponse, K::ResponseTimeout, K::BadResponse, K::BodyBrokenOff,
      K::BodyTimeout,    K::Rewrite,      K::Compression};
  int retried = 0, stale = 0, cases = 0;
  for (K kind : kinds) {
    for (int bits = 0; bits < 32; ++bits) {
      RetryInput in{kind, (bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0, (bits & 16) != 0};
      // A streamed body is never also replayable.
      if (in.body_streamed && in.body_replayable) continue;
      RetryDecision got = decide_retry(in), want = expected(in);
      INFO("kind " << int(kind) << " reused " << in.reused << " nothing " << in.nothing_received << " replayable "
                   << in.body_replayable << " streamed " << in.body_streamed << " idempotent " << in.idempotent);
      CHECK(got.retry == want.retry);
      CHECK(got.endpoint_failed == want.endpoint_failed);
      CHECK(got.stale_connection == want.stale_connection);
      retried += got.retry;
      stale += got.stale_connection;
      ++cases;
    }
  }
  CHECK(cases > 300);
  CHECK(retried > 20);
  CHECK(stale > 4);
}

TEST_CASE("a POST is not retried after the upstream closes, a GET is, and a dead pooled connection is retried for both",
          "[proxy]") {
  RetryInput post{K::ResetBeforeResponse, false, true, true, false, is_idempotent("POST")};
  CHECK_FALSE(decide_retry(post).retry);
  CHECK(decide_retry(post).endpoint_failed);
  RetryInput get = post;
  get.idempotent = is_idempotent("GET");
  CHECK(decide_retry(get).retry);
  post.reused = true;  // the upstream had closed the idle connection: it never saw the POST
  CHECK(decide_retry(post).retry);
  CHECK(decide_retry(post).stale_connection);
  CHECK_FALSE(decide_retry(post).endpoint_failed);
  RetryInput timeout{K::ResponseTimeout, false, true, true, false, true};
  CHECK_FALSE(decide_retry(timeout).retry);
  CHECK_FALSE(is_idempotent("PATCH"));
  CHECK(is_idempotent("DELETE"));
}

}  // namespace
}  // namespace banyan::proxy
