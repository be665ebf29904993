// Shadow traffic's two (or, with `noise`, three) answers (shadow.h has the rules):
// each side's response as the comparison needs it, filled by the primary's exchange
// and by the copy, compared once every side is in (shadow_compare.cpp).
#pragma once

#include <xxhash.h>

#include <memory>
#include <string>
#include <string_view>

#include "migrations/compare.h"
#include "runtime/http/parse.h"
#include "runtime/proxy/exchange/shadow.h"

namespace banyan::proxy {

struct MigrationRuntime;

// One side's response, as the comparison needs it.
struct ShadowSide {
  bool done = false, whole = false;  // whole: a complete response (else only the failure is counted)
  migrations::Answer answer;         // status and headers from the head; the rest at finish()
  XXH3_state_t* digest = XXH3_createState();
  std::string excerpt, kept, error;
  bool kept_all = true;

  ShadowSide() { XXH3_64bits_reset(digest); }
  ~ShadowSide() { XXH3_freeState(digest); }
  ShadowSide(const ShadowSide&) = delete;
  ShadowSide& operator=(const ShadowSide&) = delete;
  // `json`: the pair compares bodies as JSON, so the body is kept (up to kJsonBodyBudget).
  void body(std::string_view data, bool json) {
    XXH3_64bits_update(digest, data.data(), data.size());
    if (excerpt.size() < kExcerptBytes) excerpt.append(data.substr(0, kExcerptBytes - excerpt.size()));
    answer.length += data.size();
    if (!json || !kept_all) return;
    if (kept.size() + data.size() > kJsonBodyBudget) {
      kept_all = false;
      std::string().swap(kept);
    } else {
      kept.append(data);
    }
  }
  // Once the body has ended: its digest, and its JSON leaves when it is JSON.
  void finish(bool json) {
    answer.digest = XXH3_64bits_digest(digest);
    answer.is_json = json && kept_all && migrations::json_leaves(kept, answer.leaves);
    std::string().swap(kept);
  }
};

struct ShadowPair {
  MigrationRuntime* rt = nullptr;
  uint8_t compare = 0;  // plan::CompareBit
  // The `ignore` header names of the migration's plan, which each side's exchange
  // keeps alive while it reads its head.
  const plan::Plan* plan = nullptr;
  plan::Slice ignore{};
  std::string request_line;
  ShadowSide primary, copy;
  ShadowSide second;  // the old side's second answer, with `noise` (kCompareNoise)
};

// Keeps a side's status and the headers it compares (lower-cased, sorted).
void keep_head(ShadowSide& s, const http::ResponseHead& h, const ShadowPair& p);
// A side is done: once every side is, compare them, count, and keep a mismatch's sample.
void side_done(const std::shared_ptr<ShadowPair>& p);

}  // namespace banyan::proxy
