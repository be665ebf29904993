// A JSON body as a shadow comparison sees it: its leaves, each the path from the root
// (`$.items[3].id`, `$["a b"]`) and the value there, canonical: key order, whitespace
// and string escapes vanish, numbers are spelled one way (1.0 is 1, 1e2 is 100), and an
// empty object or array is a leaf of its own (`{}`, `[]`). Two bodies mean the same
// JSON exactly when their sorted leaves are equal (duplicate keys aside). Pure.
//
// The body is untrusted: parsing stops at kJsonDepth levels of nesting and at
// kJsonLeaves leaves (then it is "not JSON" and the caller compares bytes), and never
// throws (libnlohmann-json's SAX parser, whose errors are returned to our handler).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace banyan::migrations {

inline constexpr size_t kJsonDepth = 64;
inline constexpr size_t kJsonLeaves = 4096;

struct JsonLeaf {
  std::string path, value;
  bool operator<(const JsonLeaf& o) const { return path != o.path ? path < o.path : value < o.value; }
  bool operator==(const JsonLeaf&) const = default;
};

// The sorted leaves of `body`, or false when it is not one JSON value within the
// budgets (`out` is then unspecified).
bool json_leaves(std::string_view body, std::vector<JsonLeaf>& out);

}  // namespace banyan::migrations
