// compare.h: sorted merges of the two answers' headers and JSON leaves.
#include "migrations/compare.h"

#include <algorithm>

namespace banyan::migrations {
namespace {

// Merges two lists sorted by key, each key's values joined by ", ", and reports each
// key whose joined values differ (or that one side has and the other has not, even
// with an empty value), named prefix + key.
template <typename List, typename Key, typename Value>
void merge(const List& a, const List& b, Key key, Value value, const std::string& prefix,
           std::vector<FieldDifference>& out) {
  size_t i = 0, j = 0;
  auto take = [&](const List& l, size_t& at, const std::string& k, bool& present) {
    std::string joined;
    present = at < l.size() && key(l[at]) == k;
    for (bool first = true; at < l.size() && key(l[at]) == k; ++at, first = false)
      joined += (first ? "" : ", ") + value(l[at]);
    return joined;
  };
  while (i < a.size() || j < b.size()) {
    std::string k = j == b.size() || (i < a.size() && key(a[i]) < key(b[j])) ? key(a[i]) : key(b[j]);
    bool in_a = false, in_b = false;
    std::string va = take(a, i, k, in_a), vb = take(b, j, k, in_b);
    if (va != vb || in_a != in_b) out.push_back({prefix + k, std::move(va), std::move(vb)});
  }
}

}  // namespace

std::vector<FieldDifference> differences(const Answer& a, const Answer& b, uint8_t parts) {
  std::vector<FieldDifference> out;
  if ((parts & kStatus) && a.status != b.status) out.push_back({"status", std::to_string(a.status), std::to_string(b.status)});
  if (parts & kHeaders) {
    merge(a.headers, b.headers, [](const auto& kv) { return kv.first; }, [](const auto& kv) { return kv.second; },
          "header ", out);
  }
  if (parts & kBody) {
    if ((parts & kJson) && a.is_json && b.is_json) {
      merge(a.leaves, b.leaves, [](const JsonLeaf& l) { return l.path; }, [](const JsonLeaf& l) { return l.value; }, "",
            out);
    } else if (a.length != b.length || a.digest != b.digest) {
      out.push_back({"body", "", ""});
    }
  }
  std::sort(out.begin(), out.end(), [](const FieldDifference& x, const FieldDifference& y) { return x.field < y.field; });
  return out;
}

std::vector<FieldDifference> without_noise(std::vector<FieldDifference> found, const std::vector<FieldDifference>& noise,
                                           std::vector<std::string>& left_out) {
  std::vector<FieldDifference> kept;
  size_t n = 0;
  for (FieldDifference& f : found) {
    while (n < noise.size() && noise[n].field < f.field) ++n;
    if (n < noise.size() && noise[n].field == f.field) {
      left_out.push_back(f.field);
    } else {
      kept.push_back(std::move(f));
    }
  }
  return kept;
}

}  // namespace banyan::migrations
