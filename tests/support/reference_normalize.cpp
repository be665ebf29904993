#include "tests/support/reference_normalize.h"

#include <cctype>
#include <string>
#include <vector>

namespace banyan::test {

ReferencePath reference_normalize(std::string_view in) {
  if (in.empty() || in[0] != '/') return ReferencePath{"", plan::PathError::NotAbsolute, 0};
  const std::string unreserved_extra = "-._~";
  const std::string literal_ok = "-._~!$&'()*+,;=:@";
  auto is_hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  std::vector<std::string> stack;
  bool trailing = false;
  size_t start = 1;
  while (start <= in.size()) {
    size_t end = in.find('/', start);
    if (end == std::string_view::npos) end = in.size();
    std::string_view raw = in.substr(start, end - start);
    const bool last = end == in.size();
    std::string seg;
    for (size_t i = 0; i < raw.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(raw[i]);
      if (c == '%') {
        if (i + 2 >= raw.size() || !is_hex(raw[i + 1]) || !is_hex(raw[i + 2])) {
          return ReferencePath{"", plan::PathError::BadEscape, start + i};
        }
        int v = std::stoi(std::string(raw.substr(i + 1, 2)), nullptr, 16);
        if (std::isalnum(v) || unreserved_extra.find(static_cast<char>(v)) != std::string::npos) {
          seg += static_cast<char>(v);
        } else {
          std::string hex(raw.substr(i, 3));
          for (char& h : hex) h = static_cast<char>(std::toupper(static_cast<unsigned char>(h)));
          seg += hex;
        }
        i += 2;
      } else if (c < 0x80 && (std::isalnum(c) || literal_ok.find(static_cast<char>(c)) != std::string::npos)) {
        seg += static_cast<char>(c);
      } else {
        return ReferencePath{"", plan::PathError::BadCharacter, start + i};
      }
    }
    if (seg.empty()) {
      trailing = last;
    } else if (seg == ".") {
      trailing = last;
    } else if (seg == "..") {
      if (stack.empty()) return ReferencePath{"", plan::PathError::AboveRoot, start};
      stack.pop_back();
      trailing = last;
    } else {
      // Decode %2F and %5C as an upstream would, and split at '/' and '\'.
      std::string decoded;
      bool encoded_separator = false;
      for (size_t i = 0; i < seg.size(); ++i) {
        if (seg.compare(i, 3, "%2F") == 0 || seg.compare(i, 3, "%5C") == 0) {
          decoded += '/';
          encoded_separator = true;
          i += 2;
        } else {
          decoded += seg[i];
        }
      }
      if (encoded_separator) {
        size_t p = 0;
        while (true) {
          size_t q = decoded.find('/', p);
          std::string piece = decoded.substr(p, q == std::string::npos ? std::string::npos : q - p);
          if (piece == "." || piece == "..") return ReferencePath{"", plan::PathError::EncodedDotSegment, start};
          if (q == std::string::npos) break;
          p = q + 1;
        }
      }
      stack.push_back(seg);
      trailing = false;
    }
    start = end + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < stack.size(); ++i) out += (i ? "/" : "") + stack[i];
  if (trailing && !stack.empty()) out += "/";
  return ReferencePath{out, plan::PathError::None, 0};
}

}  // namespace banyan::test
