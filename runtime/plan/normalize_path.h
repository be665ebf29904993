// The one definition of path normalisation, shared by the runtime (every request) and
// banyanc (`route`, and the property tests): routes match the normalised path, and
// the upstream receives it. Allocation-free: the result is written into a caller's
// buffer, which never needs to be longer than the input.
//
// Rules (docs/plan-format.md, "Paths", says the same in words):
//   - the path must start with '/'; the query string is not part of it;
//   - percent-escapes of unreserved characters (ALPHA DIGIT - . _ ~) are decoded,
//     every other escape is kept with upper-case hex (%2f -> %2F); a '%' not followed
//     by two hex digits is an error;
//   - characters outside RFC 3986 `pchar` and '/' are an error (space, '"', '<', '>',
//     '\', '^', '`', '{', '|', '}', controls, bytes >= 0x80 unless percent-encoded);
//   - runs of '/' become one '/';
//   - "." and ".." segments are resolved (RFC 3986 5.2.4); ".." above the root is an
//     error;
//   - a segment that would be "." or ".." once %2F / %5C were decoded (`..%2Fadmin`,
//     `%2E%2E%5C`) is an error: it is how requests try to reach a path behind a prefix
//     the gateway routed elsewhere, on upstreams that decode slashes;
//   - case is kept: paths are case-sensitive.
#pragma once

#include <cstddef>
#include <string_view>

namespace banyan::plan {

enum class PathError {
  None,
  NotAbsolute,       // does not start with '/'
  BadEscape,         // '%' without two hex digits
  BadCharacter,      // a byte that may not appear in a path
  AboveRoot,         // ".." past the root
  EncodedDotSegment  // a dot-segment hidden behind an encoded slash
};

std::string_view describe(PathError e);  // "a '%' not followed by two hex digits", ...

struct NormalizedPath {
  size_t length = 0;  // bytes written to `out`
  PathError error = PathError::None;
  size_t error_offset = 0;  // offset in the input of the byte at fault
};

// Normalises `in` into `out`, which must have room for in.size() bytes (it may alias
// `in`: the result is never longer and is written left to right).
NormalizedPath normalize_path(std::string_view in, char* out);

}  // namespace banyan::plan
