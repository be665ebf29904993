// Shadow traffic: a copy of a migration's eligible requests goes to its new upstream
// as a detached exchange on the same worker, and the two responses are compared.
// The client's answer never waits for the copy and is never changed by it.
//
// Which requests: those the split sent to the old side, while the migration's shadow
// runs (`shadow P% [for D]`), P% of them drawn per request, with an idempotent method
// unless `allow unsafe_methods`. Budgets, each refusal counted:
//   - a body is copied only when it arrived whole with the head and is at most
//     kShadowBodyBudget bytes (the copy never reads the client);
//   - at most kShadowsInFlight copies per worker (over it: dropped, never queued);
//   - the copy has the new upstream's own timeouts and its own connections (the old
//     side's endpoints and pools are never touched).
// Comparison (`compare status, headers, body`), field by field (migrations/compare.h):
// statuses; headers but those that differ between any two answers (Date, Age, Server,
// Set-Cookie values, request ids, hop-by-hop fields, Content-Length when bodies are
// compared, and the framing) and those `ignore` names; bodies by XXH3 digest of the
// upstream's decoded bytes and their length, keeping the first kExcerptBytes of each
// to show where they part. With `json`, a body of at most kJsonBodyBudget bytes that
// is JSON on both sides is compared by its leaves (key order and whitespace aside);
// otherwise by digest, counted as not_json. With `noise`, the old side is asked a
// second time (another endpoint when it has one, a connection of its own), and the
// fields its two answers disagree on are left out and counted. A mismatch keeps a
// sample (migration_control.h: the last kDiffSamples at GET /migrations/NAME/diffs).
#pragma once

#include <memory>
#include <string_view>

#include "runtime/proxy/exchange/exchange.h"

namespace banyan::proxy {

inline constexpr size_t kShadowBodyBudget = 64 << 10;
inline constexpr uint32_t kShadowsInFlight = 64;
inline constexpr size_t kExcerptBytes = 256;
inline constexpr size_t kJsonBodyBudget = 64 << 10;  // per side, kept only with `json`
inline constexpr size_t kSampleFields = 8;           // JSON fields and noise names per sample
inline constexpr size_t kSampleValue = 64;           // bytes of each JSON value shown

struct ShadowPair;  // shadow_compare.h: the sides' results, compared when all are in

// Phase 2 (split.cpp), its second decision: does this request get a copy? Sets
// Exchange::shadow.
void choose_shadow(Exchange& x);
// Phase 4, once the upstream request head is written: sends the copy (detached).
void start_shadow(Exchange& x);
// Phase 6 and 7, for the primary: its response head (before the body pipe moves the
// bytes it points into), each piece of its upstream body, then its end (`complete`:
// the body ended whole; else nothing is compared).
void shadow_primary_head(Exchange& x);
void shadow_primary_body(ShadowPair& pair, std::string_view data);
void shadow_primary_done(Exchange& x, bool complete);

}  // namespace banyan::proxy
