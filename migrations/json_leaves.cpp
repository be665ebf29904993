// json_leaves.h: libnlohmann-json's SAX events turned into (path, value) pairs; no
// document is built.
#include "migrations/json_leaves.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace banyan::migrations {
namespace {

using nlohmann::json;

void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", u);
      out += esc;
    } else {
      out += c;
    }
  }
  out += '"';
}

class Leaves {
 public:
  explicit Leaves(std::vector<JsonLeaf>& out) : out_(out) {}

  bool null() { return leaf("null"); }
  bool boolean(bool v) { return leaf(v ? "true" : "false"); }
  bool number_integer(json::number_integer_t v) { return leaf(std::to_string(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return leaf(std::to_string(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) {
    // An integral value within 2^53 is spelled as an integer, so 1.0 and 1 agree.
    if (std::trunc(v) == v && std::fabs(v) < 9007199254740992.0) return leaf(std::to_string(static_cast<int64_t>(v)));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return leaf(buf);
  }
  bool string(json::string_t& v) {
    std::string q;
    append_quoted(q, v);
    return leaf(std::move(q));
  }
  bool binary(json::binary_t&) { return false; }  // not in JSON text
  bool start_object(size_t) { return open(false); }
  bool start_array(size_t) { return open(true); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& k) {
    path_.resize(stack_.back().base);
    bool plain = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    if (plain) {
      path_ += '.';
      path_ += k;
    } else {
      path_ += '[';
      append_quoted(path_, k);
      path_ += ']';
    }
    return true;
  }
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

 private:
  struct Frame {
    bool array;
    size_t base;   // the path's length at the container
    size_t count;  // values in it so far
  };

  // Before each value: inside an array, its index is the last path segment.
  void next_value() {
    if (stack_.empty()) return;
    Frame& f = stack_.back();
    if (f.array) {
      path_.resize(f.base);
      path_ += '[' + std::to_string(f.count) + ']';
    }
    ++f.count;
  }
  bool leaf(std::string value) {
    next_value();
    out_.push_back({path_, std::move(value)});
    return out_.size() <= kJsonLeaves;
  }
  bool open(bool array) {
    next_value();
    if (stack_.size() >= kJsonDepth) return false;
    stack_.push_back({array, path_.size(), 0});
    return true;
  }
  bool close() {
    Frame f = stack_.back();
    stack_.pop_back();
    path_.resize(f.base);
    if (f.count == 0) out_.push_back({path_, f.array ? "[]" : "{}"});
    return out_.size() <= kJsonLeaves;
  }

  std::vector<JsonLeaf>& out_;
  std::vector<Frame> stack_;
  std::string path_ = "$";
};

}  // namespace

bool json_leaves(std::string_view body, std::vector<JsonLeaf>& out) {
  out.clear();
  Leaves sax(out);
  if (!json::sax_parse(body.begin(), body.end(), &sax)) return false;
  std::sort(out.begin(), out.end());
  return true;
}

}  // namespace banyan::migrations
