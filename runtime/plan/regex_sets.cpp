// RE2::Set trees (regex_sets.h). A set whose DFA runs out of memory cannot say no,
// so it counts as a match and its halves decide.
#include "runtime/plan/regex_sets.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>

namespace banyan::plan {

struct RegexSetTree::Part {
  uint32_t lo = 0, hi = 0;                      // regexes [lo, hi)
  uint32_t left = 0xFFFFFFFFu, right = 0xFFFFFFFFu;  // halves; none for a leaf
  std::unique_ptr<RE2::Set> set;                // null for a leaf below the root
};

RegexSetTree::RegexSetTree() = default;
RegexSetTree::~RegexSetTree() = default;
RegexSetTree::RegexSetTree(RegexSetTree&&) noexcept = default;
RegexSetTree& RegexSetTree::operator=(RegexSetTree&&) noexcept = default;

bool RegexSetTree::build(std::span<const re2::RE2* const> regexes, std::string& error) {
  regexes_.assign(regexes.begin(), regexes.end());
  parts_.clear();
  parts_.reserve(2 * regexes_.size() / kRegexLeaf + 2);
  return add(0, static_cast<uint32_t>(regexes_.size()), error) != 0xFFFFFFFFu;
}

uint32_t RegexSetTree::add(uint32_t lo, uint32_t hi, std::string& error) {
  const uint32_t self = static_cast<uint32_t>(parts_.size());
  parts_.push_back({lo, hi, 0xFFFFFFFFu, 0xFFFFFFFFu, nullptr});
  // Every part has a set except the leaves below the root: the root's set is the one
  // pass a path that matches none of the regexes costs.
  if (self == 0 || hi - lo > kRegexLeaf) {
    RE2::Options opt;
    opt.set_log_errors(false);
    auto set = std::make_unique<RE2::Set>(opt, RE2::UNANCHORED);
    for (uint32_t i = lo; i < hi; ++i) {
      if (set->Add(regexes_[i]->pattern(), &error) < 0) return 0xFFFFFFFFu;
    }
    if (!set->Compile()) {
      error = "the regexes do not fit one RE2 set";
      return 0xFFFFFFFFu;
    }
    parts_[self].set = std::move(set);
  }
  if (hi - lo > kRegexLeaf) {
    uint32_t mid = lo + (hi - lo) / 2;
    uint32_t left = add(lo, mid, error);
    if (left == 0xFFFFFFFFu) return left;
    uint32_t right = add(mid, hi, error);
    if (right == 0xFFFFFFFFu) return right;
    parts_[self].left = left;
    parts_[self].right = right;
  }
  return self;
}

uint32_t RegexSetTree::next(std::string_view text, uint32_t from) const {
  return parts_.empty() ? 0xFFFFFFFFu : find(0, text, from);
}

uint32_t RegexSetTree::find(uint32_t part, std::string_view text, uint32_t from) const {
  const Part& p = parts_[part];
  if (p.hi <= from) return 0xFFFFFFFFu;
  re2::StringPiece piece(text.data(), text.size());
  if (p.set) {
    RE2::Set::ErrorInfo info;
    if (!p.set->Match(piece, nullptr, &info) && info.kind == RE2::Set::kNoError) return 0xFFFFFFFFu;
  }
  if (p.left == 0xFFFFFFFFu) {
    for (uint32_t i = std::max(p.lo, from); i < p.hi; ++i)
      if (RE2::PartialMatch(piece, *regexes_[i])) return i;
    return 0xFFFFFFFFu;
  }
  uint32_t r = find(p.left, text, from);
  return r != 0xFFFFFFFFu ? r : find(p.right, text, from);
}

}  // namespace banyan::plan
