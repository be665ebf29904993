// Path normalisation (normalize_path.h): one left-to-right pass over the input that
// decodes, validates and resolves one segment at a time, writing into the caller's
// buffer. Every input segment produces at most as many bytes as it consumed, so the
// write position never passes the read position and `out` may alias `in`.
#include "runtime/plan/normalize_path.h"

namespace banyan::plan {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 2.3.
bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// RFC 3986 3.3 `pchar` without pct-encoded: unreserved, sub-delims, ':' and '@'.
// '?' and '#' are refused too: the caller strips the query, and a fragment is never
// sent to a server.
bool is_literal_pchar(unsigned char c) {
  static constexpr std::string_view kSubDelimsColonAt = "!$&'()*+,;=:@";
  return is_unreserved(c) || kSubDelimsColonAt.find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_dot_or_dot_dot(std::string_view s) { return s == "." || s == ".."; }

// The encoded-dot-segment rule, precisely: take the segment as written to the output
// (unreserved escapes decoded, so "%2E" is already '.'; other escapes kept in upper
// case, so an encoded '/' is exactly "%2F" and an encoded '\' exactly "%5C"). If it
// holds at least one "%2F" or "%5C", split it at every one of them, as an upstream
// that decodes them and treats both '/' and '\' as separators would; the segment is
// refused when any resulting piece is "." or "..". Hence `..%2Fadmin` ("..", "admin"),
// `a%2F..` ("a", ".."), `%2F..%2F` ("", "..", "") and `.%5C` (".", "") are refused,
// while `%2F` ("", "") and `a..%2Fb` ("a..", "b") pass. A segment without an encoded
// separator is never refused by this rule: if it is "." or "..", it is resolved. One
// level of decoding only: `%252F` is an encoded '%' followed by "2F", not a separator.
bool hides_dot_segment(std::string_view seg) {
  bool has_separator = false;
  size_t piece_start = 0;
  // In the output every '%' starts a complete three-byte escape.
  for (size_t i = 0; i + 3 <= seg.size(); ++i) {
    if (seg[i] != '%') continue;
    const std::string_view esc = seg.substr(i, 3);
    i += 2;
    if (esc != "%2F" && esc != "%5C") continue;
    has_separator = true;
    if (is_dot_or_dot_dot(seg.substr(piece_start, i - 2 - piece_start))) return true;
    piece_start = i + 1;
  }
  return has_separator && is_dot_or_dot_dot(seg.substr(piece_start));
}

NormalizedPath fail(PathError e, size_t offset) { return NormalizedPath{0, e, offset}; }

}  // namespace

std::string_view describe(PathError e) {
  switch (e) {
    case PathError::None:
      return "no error";
    case PathError::NotAbsolute:
      return "the path does not start with '/'";
    case PathError::BadEscape:
      return "a '%' not followed by two hex digits";
    case PathError::BadCharacter:
      return "a byte that may not appear in a path; percent-encode it";
    case PathError::AboveRoot:
      return "a '..' segment that goes above the root";
    case PathError::EncodedDotSegment:
      return "a '.' or '..' segment hidden behind an encoded '/' or '\\' (%2F, %5C)";
  }
  return "unknown path error";
}

NormalizedPath normalize_path(std::string_view in, char* out) {
  const size_t n = in.size();
  if (n == 0 || in[0] != '/') return fail(PathError::NotAbsolute, 0);

  // Invariants at the start of each segment: out[0, w) is "/" or "/seg/.../seg/" (it
  // ends in '/'), and w <= r.
  out[0] = '/';
  size_t w = 1;
  size_t r = 1;
  while (r < n) {
    if (in[r] == '/') {  // a run of '/' is one '/', already written
      ++r;
      continue;
    }
    const size_t seg_in = r;
    const size_t seg_out = w;
    while (r < n && in[r] != '/') {
      const unsigned char c = static_cast<unsigned char>(in[r]);
      if (c == '%') {
        // Read all three bytes before writing: with aliasing, out[w..w+2] may overlap them.
        const int hi = r + 1 < n ? hex_value(in[r + 1]) : -1;
        const int lo = hi >= 0 && r + 2 < n ? hex_value(in[r + 2]) : -1;
        if (lo < 0) return fail(PathError::BadEscape, r);
        const unsigned char decoded = static_cast<unsigned char>(hi * 16 + lo);
        if (is_unreserved(decoded)) {
          out[w++] = static_cast<char>(decoded);
        } else {
          static constexpr char kHex[] = "0123456789ABCDEF";
          out[w++] = '%';
          out[w++] = kHex[hi];
          out[w++] = kHex[lo];
        }
        r += 3;
      } else if (is_literal_pchar(c)) {
        out[w++] = static_cast<char>(c);
        ++r;
      } else {
        return fail(PathError::BadCharacter, r);
      }
    }

    const std::string_view seg(out + seg_out, w - seg_out);
    if (seg == ".") {
      w = seg_out;  // drop it; the '/' before it stays, so "/a/." is "/a/"
    } else if (seg == "..") {
      if (seg_out == 1) return fail(PathError::AboveRoot, seg_in);
      // Drop ".." and the segment before it, keeping that segment's leading '/'.
      w = seg_out - 1;
      while (out[w - 1] != '/') --w;
    } else if (hides_dot_segment(seg)) {
      return fail(PathError::EncodedDotSegment, seg_in);
    } else if (r < n) {
      out[w++] = '/';  // in[r] is '/': w <= r, so this never overtakes the reader
      ++r;
    }
  }
  return NormalizedPath{w, PathError::None, 0};
}

}  // namespace banyan::plan
