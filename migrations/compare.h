// What a shadow comparison finds between two answers to one request, field by field:
// "status", "header NAME" (lower case), "body" (compared by digest and length), or a
// JSON path ("$.items[3].id") when the body is compared as JSON and both answers are
// JSON. With `noise`, the old side answers twice, and the fields its two answers
// disagree on (a timestamp, a request id, the order of a set) are noise: left out of
// the comparison with the new side, as Twitter's Diffy does. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "migrations/json_leaves.h"

namespace banyan::migrations {

// Parts to compare; the plan's CompareBit values.
inline constexpr uint8_t kStatus = 1, kHeaders = 2, kBody = 4, kJson = 8, kNoise = 16;

struct Answer {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // compared fields: lower-case names, sorted
  uint64_t digest = 0, length = 0;                            // of the body's bytes
  bool is_json = false;                                       // `leaves` holds the body
  std::vector<JsonLeaf> leaves;                               // sorted
};

struct FieldDifference {
  std::string field;
  std::string a, b;  // each side's value ("" when absent; both "" for "body")
};

// The fields in which `a` and `b` differ, among `parts`, sorted by field.
std::vector<FieldDifference> differences(const Answer& a, const Answer& b, uint8_t parts);

// `found` without the fields named in `noise` (both sorted by field); the fields left
// out are appended to `left_out`.
std::vector<FieldDifference> without_noise(std::vector<FieldDifference> found, const std::vector<FieldDifference>& noise,
                                           std::vector<std::string>& left_out);

}  // namespace banyan::migrations
