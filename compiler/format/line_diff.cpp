#include "compiler/format/line_diff.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace banyan::format {
namespace {

constexpr size_t kContext = 3;

// Each line keeps its '\n', so a last line without one differs from the same line with one.
std::vector<std::string_view> lines_of(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find('\n', start);
    end = end == std::string_view::npos ? s.size() : end + 1;
    out.push_back(s.substr(start, end - start));
    start = end;
  }
  return out;
}

enum class Op : char { Keep, Delete, Insert };

// A shortest edit script from a to b (Myers, "An O(ND) Difference Algorithm", 1986),
// or nothing when it needs more than `max_edits` deletions and insertions. The
// furthest-reaching x of every diagonal is kept for each d, to walk back from the end.
std::optional<std::vector<Op>> shortest_edit(const std::string_view* a, int n, const std::string_view* b, int m,
                                             int max_edits) {
  const int limit = std::min(n + m, max_edits);
  const int off = limit + 1;
  std::vector<int> v(2 * static_cast<size_t>(limit) + 3, 0);
  std::vector<int> trace;  // for each d >= 1, v[-d..d] as it stood after d - 1; d's starts at d*d - 1
  for (int d = 0; d <= limit; ++d) {
    if (d > 0) trace.insert(trace.end(), v.begin() + off - d, v.begin() + off + d + 1);
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1] : v[off + k - 1] + 1;
      int y = x - k;
      while (x < n && y < m && a[x] == b[y]) ++x, ++y;
      v[off + k] = x;
      if (x < n || y < m) continue;
      // Walk back from (n, m): each d is one move plus the snake that followed it.
      std::vector<Op> ops;
      for (int e = d; e > 0; --e) {
        const int* slice = trace.data() + static_cast<size_t>(e) * e - 1;  // v[-e..e] after e - 1
        auto pv = [&](int kk) { return slice[kk + e]; };
        int kk = x - y;
        int prev_k = (kk == -e || (kk != e && pv(kk - 1) < pv(kk + 1))) ? kk + 1 : kk - 1;
        int prev_x = pv(prev_k), prev_y = prev_x - prev_k;
        while (x > prev_x && y > prev_y) ops.push_back(Op::Keep), --x, --y;
        ops.push_back(prev_k == kk + 1 ? Op::Insert : Op::Delete);
        x = prev_x, y = prev_y;
      }
      while (x > 0 && y > 0) ops.push_back(Op::Keep), --x, --y;
      std::reverse(ops.begin(), ops.end());
      return ops;
    }
  }
  return std::nullopt;
}

void append_range(std::string& out, size_t start, size_t count) {
  // GNU diff's convention: an empty range names the line before it; a range of one
  // line is written without its length.
  out += std::to_string(count == 0 ? start : start + 1);
  if (count != 1) out += "," + std::to_string(count);
}

void append_line(std::string& out, char mark, std::string_view line) {
  out += mark;
  out += line;
  if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

}  // namespace

std::string unified_diff(std::string_view before, std::string_view after, std::string_view before_label,
                         std::string_view after_label, size_t max_edits) {
  if (before == after) return {};
  const auto a = lines_of(before), b = lines_of(after);
  size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) ++tail;

  std::vector<Op> ops(head, Op::Keep);
  const int n = static_cast<int>(a.size() - head - tail), m = static_cast<int>(b.size() - head - tail);
  auto middle = shortest_edit(a.data() + head, n, b.data() + head, m, static_cast<int>(std::min<size_t>(max_edits, 1 << 30)));
  if (middle) {
    ops.insert(ops.end(), middle->begin(), middle->end());
  } else {
    ops.insert(ops.end(), n, Op::Delete);
    ops.insert(ops.end(), m, Op::Insert);
  }
  ops.insert(ops.end(), tail, Op::Keep);

  std::string out;
  out.append("--- ").append(before_label).append("\n+++ ").append(after_label).append("\n");
  // Hunks: changes closer than twice the context share one.
  size_t i = 0, ai = 0, bi = 0;  // op index, and the lines of a and b before it
  while (true) {
    size_t first = i;
    while (first < ops.size() && ops[first] == Op::Keep) ++first;
    if (first == ops.size()) break;
    size_t start = first - std::min(kContext, first - i);
    ai += start - i, bi += start - i;  // the ops skipped are all Keep
    size_t end = first;                // one past the last change in this hunk
    for (size_t j = first; j < ops.size(); ++j) {
      if (ops[j] != Op::Keep) end = j + 1;
      else if (j - end >= 2 * kContext) break;
    }
    size_t stop = std::min(ops.size(), end + kContext);
    size_t a_count = 0, b_count = 0;
    for (size_t j = start; j < stop; ++j) a_count += ops[j] != Op::Insert, b_count += ops[j] != Op::Delete;
    out += "@@ -";
    append_range(out, ai, a_count);
    out += " +";
    append_range(out, bi, b_count);
    out += " @@\n";
    // Within a run of changes, deletions first, as diff prints them.
    for (size_t j = start; j < stop;) {
      if (ops[j] == Op::Keep) {
        append_line(out, ' ', a[ai]);
        ++ai, ++bi, ++j;
        continue;
      }
      size_t run_end = j;
      while (run_end < stop && ops[run_end] != Op::Keep) ++run_end;
      for (size_t r = j; r < run_end; ++r)
        if (ops[r] == Op::Delete) append_line(out, '-', a[ai++]);
      for (size_t r = j; r < run_end; ++r)
        if (ops[r] == Op::Insert) append_line(out, '+', b[bi++]);
      j = run_end;
    }
    i = stop;
  }
  return out;
}

}  // namespace banyan::format
