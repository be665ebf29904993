// Which regex of a list is the first to match a path, without running them one by
// one: a tree of RE2::Sets over the list (the root holds all, each child half of its
// parent's, down to runs of kRegexLeaf, which are run alone). When none matches, the
// root's one pass says so; otherwise the first match is found in about two passes per
// level, O(log n). RE2::Set can also name every regex that matched, but it allocates
// for that on every call; a lookup allocates nothing, so the tree asks only yes or no.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace banyan::plan {

class RegexSetTree {
 public:
  RegexSetTree();
  ~RegexSetTree();
  RegexSetTree(RegexSetTree&&) noexcept;
  RegexSetTree& operator=(RegexSetTree&&) noexcept;

  // Over `regexes` in order (each already compiled: the leaves run them alone, and
  // must outlive the tree); false with `error` when the sets do not compile.
  bool build(std::span<const re2::RE2* const> regexes, std::string& error);
  // The first index >= `from` whose regex searches `text` successfully; 0xFFFFFFFF
  // when there is none.
  uint32_t next(std::string_view text, uint32_t from) const;

 private:
  struct Part;
  uint32_t find(uint32_t part, std::string_view text, uint32_t from) const;
  uint32_t add(uint32_t lo, uint32_t hi, std::string& error);

  std::vector<const re2::RE2*> regexes_;
  std::vector<Part> parts_;  // parts_[0] covers the whole list
};

// Runs of at most this many regexes are run one by one (below a set that matched).
inline constexpr uint32_t kRegexLeaf = 4;

}  // namespace banyan::plan
