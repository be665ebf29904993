// The byte classes of HTTP/1.1 (RFC 9110 5.6, RFC 9112) and RFC 3986 hosts, as one
// 256-entry table built at compile time: a class test is one load. Shared by the head
// parser and the chunked decoder so that a field line and a trailer line obey the same
// rules.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace banyan::http::chars {

enum : uint8_t {
  kToken = 1,       // tchar: "!#$%&'*+-.^_`|~", DIGIT, ALPHA
  kFieldValue = 2,  // inside a field value: VCHAR, obs-text (0x80-0xFF), SP, HT; never CR, LF, NUL, DEL
  kTarget = 4,      // request-target: VCHAR except '#' (no SP, CTL, DEL, nor bytes >= 0x80)
  kHex = 8,         // HEXDIG
  kRegName = 16,    // RFC 3986 reg-name, without pct-encoded: unreserved / sub-delims
};

constexpr std::array<uint8_t, 256> kClasses = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    uint8_t k = 0;
    if (alpha || digit) k |= kToken | kRegName;
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) k |= kFieldValue;
    if (c > 0x20 && c < 0x7f && c != '#') k |= kTarget;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) k |= kHex;
    t[c] = k;
  }
  for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) t[c] |= kToken;
  for (unsigned char c : std::string_view("-._~!$&'()*+,;=")) t[c] |= kRegName;
  return t;
}();

constexpr bool is(char c, uint8_t klass) { return (kClasses[static_cast<unsigned char>(c)] & klass) != 0; }
constexpr bool is_token(char c) { return is(c, kToken); }
constexpr bool is_field_value(char c) { return is(c, kFieldValue); }
constexpr bool is_ws(char c) { return c == ' ' || c == '\t'; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool all_token(std::string_view s) {
  for (char c : s)
    if (!is_token(c)) return false;
  return !s.empty();
}

constexpr std::string_view trim_ws(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace banyan::http::chars
