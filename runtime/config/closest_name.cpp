// Edit distance over short names; ties go to the first name in the list.
#include "runtime/config/closest_name.h"

#include <algorithm>

namespace banyan::config {
namespace {

// Optimal string alignment: Levenshtein plus swapping two neighbours ("lgo" -> "log"),
// the commonest slip in a key.
size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::optional<std::string> closest_name(std::string_view word, const std::vector<std::string>& names) {
  if (word.size() > 64) return std::nullopt;  // not a typo of a short name; keeps the cost bounded
  size_t budget = std::max<size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  size_t best_distance = budget + 1;
  for (const auto& n : names) {
    if (n.size() > 64) continue;
    size_t d = distance(word, n);
    if (d < best_distance) {
      best_distance = d;
      best = n;
    }
  }
  return best;
}

std::string list_names(const std::vector<std::string>& names) {
  std::string list;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) list += i + 1 == names.size() ? " or " : ", ";
    list += names[i];
  }
  return list;
}

}  // namespace banyan::config
