// A small recursive-descent reader of regex syntax that, instead of building a
// matcher, builds the set of short strings each piece can produce.
#include "compiler/analysis/regex_sample.h"

#include <algorithm>
#include <cctype>

namespace banyan::analysis {
namespace {

using Strings = std::vector<std::string>;

// Budgets: how many strings one piece keeps, and how deep groups may nest.
constexpr size_t kPerPiece = 6;
constexpr int kMaxDepth = 64;

void add_unique(Strings& out, std::string s, size_t limit) {
  if (out.size() < limit && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
}

Strings concat(const Strings& a, const Strings& b, size_t limit) {
  Strings out;
  for (const auto& x : a) {
    for (const auto& y : b) add_unique(out, x + y, limit);
  }
  return out;
}

// A set of bytes, for a character class.
struct ByteSet {
  bool in[256] = {};
  void add(unsigned lo, unsigned hi) {
    for (unsigned c = lo; c <= hi && c < 256; ++c) in[c] = true;
  }
};

class Sampler {
 public:
  explicit Sampler(std::string_view p, bool boundaries = false) : p_(p), boundaries_(boundaries) {}

  Strings run() { return alternation(0); }

 private:
  bool at_end() const { return i_ >= p_.size(); }
  char peek() const { return at_end() ? '\0' : p_[i_]; }

  Strings alternation(int depth) {
    Strings out;
    for (;;) {
      for (auto& s : sequence(depth)) add_unique(out, std::move(s), per_piece());
      if (peek() != '|') break;
      ++i_;
    }
    return out;
  }

  Strings sequence(int depth) {
    Strings acc{""};
    while (!at_end() && peek() != '|' && peek() != ')') acc = concat(acc, repeat(depth), per_piece());
    return acc;
  }

  Strings repeat(int depth) {
    Strings base = atom(depth);
    size_t lo = 1, hi = 1;
    bool quantified = true, unbounded = false;
    char c = peek();
    if (c == '*') {
      lo = 0, hi = 1, unbounded = true, ++i_;
    } else if (c == '+') {
      lo = 1, hi = 2, unbounded = true, ++i_;
    } else if (c == '?') {
      lo = 0, hi = 1, ++i_;
    } else if (c == '{' && braces(lo, hi, unbounded)) {
    } else {
      quantified = false;
    }
    if (quantified && peek() == '?') ++i_;  // lazy: the same strings
    if (!quantified) return base;
    std::vector<size_t> counts;
    if (!boundaries_) {
      for (size_t n = lo; n <= hi && n <= lo + 1; ++n) counts.push_back(n);
    } else {
      counts = {lo, lo + 1};
      if (unbounded) counts.push_back(lo + 4);
      else counts.insert(counts.end(), {hi, hi + 1});
    }
    Strings out;
    for (size_t n : counts) {
      Strings rep{""};
      for (size_t k = 0; k < n && k < 64; ++k) rep = concat(rep, base, per_piece());
      for (auto& s : rep) add_unique(out, std::move(s), per_piece());
    }
    return out;
  }

  // {n}, {n,}, {n,m}; leaves i_ alone when this is not a quantifier.
  bool braces(size_t& lo, size_t& hi, bool& unbounded) {
    size_t j = i_ + 1;
    auto number = [&](size_t& v) {
      size_t start = j;
      v = 0;
      while (j < p_.size() && std::isdigit(static_cast<unsigned char>(p_[j])) && v < 100000) v = v * 10 + (p_[j++] - '0');
      return j > start;
    };
    if (!number(lo)) return false;
    hi = lo;
    if (j < p_.size() && p_[j] == ',') {
      ++j;
      if (!number(hi)) {
        hi = lo + 1;
        unbounded = true;
      }
    }
    if (j >= p_.size() || p_[j] != '}') return false;
    i_ = j + 1;
    return true;
  }

  Strings atom(int depth) {
    char c = p_[i_++];
    switch (c) {
      case '(': {
        if (depth >= kMaxDepth) return {""};
        if (peek() == '?') {  // (?:...), (?P<name>...), (?i), (?i:...)
          ++i_;
          if (peek() == 'P' || peek() == '<') {
            while (!at_end() && peek() != '>') ++i_;
            if (!at_end()) ++i_;
          } else {
            while (!at_end() && peek() != ':' && peek() != ')') ++i_;
            if (peek() == ')') {  // flags alone: no text
              ++i_;
              return {""};
            }
            if (!at_end()) ++i_;
          }
        }
        Strings inner = alternation(depth + 1);
        if (peek() == ')') ++i_;
        return inner;
      }
      case '[': return {pick(char_class())};
      case '.': return {"x"};
      case '^':
      case '$': return {""};
      case '\\': return escape();
      default: return {std::string(1, c)};
    }
  }

  Strings escape() {
    if (at_end()) return {""};
    char e = p_[i_++];
    switch (e) {
      case 'd': return {"0", "1"};
      case 'D': return {"x"};
      case 'w': return {"x", "0"};
      case 'W': return {"-"};
      case 's': return {" "};
      case 'S': return {"x"};
      case 'b':
      case 'B':
      case 'A':
      case 'z': return {""};
      case 'n': return {"\n"};
      case 't': return {"\t"};
      case 'p':
      case 'P':
        if (peek() == '{') {
          while (!at_end() && peek() != '}') ++i_;
          if (!at_end()) ++i_;
        } else if (!at_end()) {
          ++i_;
        }
        return {"x"};
      case 'x': {
        unsigned v = 0;
        auto hexval = [](char h) { return std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10); };
        if (peek() == '{') {
          ++i_;
          while (!at_end() && peek() != '}' && std::isxdigit(static_cast<unsigned char>(peek()))) v = v * 16 + hexval(p_[i_++]);
          if (peek() == '}') ++i_;
        } else {
          for (int k = 0; k < 2 && std::isxdigit(static_cast<unsigned char>(peek())); ++k) v = v * 16 + hexval(p_[i_++]);
        }
        return {v < 128 ? std::string(1, static_cast<char>(v)) : std::string("x")};
      }
      default: return {std::string(1, e)};
    }
  }

  // Reads up to the closing ']' and returns the set, negation applied.
  ByteSet char_class() {
    ByteSet set;
    bool negate = peek() == '^';
    if (negate) ++i_;
    bool first = true;
    while (!at_end() && (peek() != ']' || first)) {
      first = false;
      unsigned lo = 0;
      if (peek() == '[' && i_ + 1 < p_.size() && p_[i_ + 1] == ':') {  // [:alpha:]
        size_t close = p_.find(":]", i_ + 2);
        std::string_view name = close == std::string_view::npos ? "" : p_.substr(i_ + 2, close - i_ - 2);
        i_ = close == std::string_view::npos ? p_.size() : close + 2;
        if (name == "digit") set.add('0', '9');
        else if (name == "space") set.add(' ', ' ');
        else set.add('a', 'z');
        continue;
      }
      if (peek() == '\\') {
        ++i_;
        char e = at_end() ? 'x' : p_[i_++];
        if (e == 'd') {
          set.add('0', '9');
          continue;
        }
        if (e == 'w') {
          set.add('a', 'z'), set.add('0', '9'), set.add('_', '_');
          continue;
        }
        if (e == 's') {
          set.add(' ', ' ');
          continue;
        }
        if (e == 'D' || e == 'W' || e == 'S' || e == 'p' || e == 'P') {
          set.add('-', '-');
          continue;
        }
        lo = static_cast<unsigned char>(e == 'n' ? '\n' : e == 't' ? '\t' : e);
      } else {
        lo = static_cast<unsigned char>(p_[i_++]);
      }
      unsigned hi = lo;
      if (peek() == '-' && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        ++i_;
        char h = p_[i_++];
        if (h == '\\' && !at_end()) h = p_[i_++];
        hi = static_cast<unsigned char>(h);
      }
      set.add(lo, hi);
    }
    if (!at_end()) ++i_;  // ']'
    if (negate) {
      for (bool& b : set.in) b = !b;
    }
    return set;
  }

  static std::string pick(const ByteSet& set) {
    for (char c : std::string_view("x0a-_.~A")) {
      if (set.in[static_cast<unsigned char>(c)]) return std::string(1, c);
    }
    for (unsigned c = 32; c < 127; ++c) {
      if (set.in[c]) return std::string(1, static_cast<char>(c));
    }
    return "x";
  }

  size_t per_piece() const { return boundaries_ ? 2 * kPerPiece : kPerPiece; }

  std::string_view p_;
  size_t i_ = 0;
  bool boundaries_ = false;
};

}  // namespace

std::vector<std::string> regex_samples(std::string_view pattern, size_t limit) {
  Sampler s(pattern);
  std::vector<std::string> out = s.run();
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<std::string> regex_boundary_samples(std::string_view pattern, size_t limit) {
  Sampler s(pattern, true);
  std::vector<std::string> out = s.run();
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace banyan::analysis
