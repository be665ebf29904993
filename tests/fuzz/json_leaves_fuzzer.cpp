// libFuzzer target: any bytes as a shadow's JSON body (migrations/json_leaves.h) and
// as two answers to compare. Reading JSON never crashes, never throws out, stays
// within its budgets; leaves come sorted, each path from the root; an answer never
// differs from itself; and the noise of an answer against itself leaves everything.
#include <cstdint>
#include <string_view>

#include "migrations/compare.h"

using namespace banyan::migrations;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Answer a, b;
  a.is_json = json_leaves(text, a.leaves);
  if (a.is_json) {
    if (a.leaves.empty() || a.leaves.size() > kJsonLeaves + 1) __builtin_trap();
    for (size_t i = 0; i < a.leaves.size(); ++i) {
      if (!a.leaves[i].path.starts_with("$")) __builtin_trap();
      if (i && a.leaves[i] < a.leaves[i - 1]) __builtin_trap();
    }
  }
  // The second answer: the first half of the bytes, as JSON if it is.
  std::string_view half = text.substr(0, size / 2);
  b.is_json = json_leaves(half, b.leaves);
  a.length = text.size(), b.length = half.size();
  const uint8_t all = kStatus | kHeaders | kBody | kJson;
  if (!differences(a, a, all).empty()) __builtin_trap();
  auto found = differences(a, b, all);
  std::vector<std::string> left_out;
  auto kept = without_noise(found, {}, left_out);
  if (kept.size() != found.size() || !left_out.empty()) __builtin_trap();
  kept = without_noise(found, found, left_out);
  if (!kept.empty() || left_out.size() != found.size()) __builtin_trap();
  return 0;
}
