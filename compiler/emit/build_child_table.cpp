// Hash and displace (child_table.h): buckets are placed largest first, each with the
// first displacement that sends all its labels to free slots. Slots number a power
// of two at least twice the children (load at most 1/2), buckets a power of two near
// a quarter of them; a seed under which two labels of one bucket share their low
// bits (no displacement parts them) or a bucket finds no displacement is replaced
// by the next. Labels are distinct (they are the keys of one node's children), so
// some seed always works.
#include "compiler/emit/build_child_table.h"

#include <algorithm>
#include <bit>
#include <set>
#include <stdexcept>

#include "runtime/plan/child_table.h"

namespace banyan::emit {

using namespace banyan::plan;

namespace {

inline constexpr uint32_t kSeedsPerSize = 64;

// Displacements for every bucket under `seed`, with the slot of each label; false
// when a bucket cannot be placed.
bool place(const std::vector<std::string_view>& labels, uint32_t seed, uint8_t bucket_bits, uint8_t slot_bits,
           std::vector<uint32_t>& displacements, std::vector<uint32_t>& slot_of) {
  const uint32_t buckets = 1u << bucket_bits, slots = 1u << slot_bits;
  const size_t n = labels.size();
  std::vector<uint64_t> hash(n);
  std::vector<std::vector<uint32_t>> members(buckets);
  for (size_t i = 0; i < n; ++i) {
    hash[i] = label_hash(labels[i], label_head(labels[i]), seed);
    members[table_bucket(hash[i], bucket_bits)].push_back(static_cast<uint32_t>(i));
  }
  std::vector<uint32_t> order(buckets);
  for (uint32_t b = 0; b < buckets; ++b) order[b] = b;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return members[a].size() > members[b].size(); });
  std::vector<bool> taken(slots, false);
  displacements.assign(buckets, 0);
  slot_of.assign(n, 0);
  std::vector<uint32_t> mine;
  for (uint32_t b : order) {
    if (members[b].empty()) break;
    bool placed = false;
    for (uint32_t d = 0; d < slots && !placed; ++d) {
      mine.clear();
      placed = true;
      for (uint32_t k : members[b]) {
        uint32_t s = table_slot(hash[k], d, slot_bits);
        if (taken[s] || std::find(mine.begin(), mine.end(), s) != mine.end()) {
          placed = false;
          break;
        }
        mine.push_back(s);
      }
      if (!placed) continue;
      displacements[b] = d;
      for (size_t j = 0; j < mine.size(); ++j) {
        taken[mine[j]] = true;
        slot_of[members[b][j]] = mine[j];
      }
    }
    if (!placed) return false;
  }
  return true;
}

}  // namespace

ChildTable build_child_table(PlanWriter& w, const std::vector<std::string_view>& labels, uint32_t first_child) {
  const uint32_t n = static_cast<uint32_t>(labels.size());
  uint8_t slot_bits = static_cast<uint8_t>(std::bit_width(std::bit_ceil(std::max<uint32_t>(2 * n, 4))) - 1);
  const uint8_t bucket_bits = static_cast<uint8_t>(std::bit_width(std::bit_ceil(std::max<uint32_t>(1, n / 4))) - 1);
  std::vector<uint32_t> displacements, slot_of;
  if (std::set<std::string_view>(labels.begin(), labels.end()).size() != labels.size())
    throw std::logic_error("build_child_table: two children with one label");
  // Seeds from 0 up; a table that places under none of kSeedsPerSize gets twice the
  // slots (never needed in practice: the hash is checked on labels that differ in
  // one late byte only, tests/unit/plan/tree_bound_test.cpp).
  uint32_t seed = 0;
  while (!place(labels, seed, bucket_bits, slot_bits, displacements, slot_of)) {
    if (++seed % kSeedsPerSize == 0 && slot_bits < 24) ++slot_bits;
  }
  std::vector<ChildSlot> table(size_t{1} << slot_bits, ChildSlot{0, 0, kNone});
  for (uint32_t i = 0; i < n; ++i)
    table[slot_of[i]] = {label_head(labels[i]), static_cast<uint32_t>(labels[i].size()), first_child + i};
  ChildTable t{};
  t.seed = seed;
  t.displacements = w.u32s(displacements).first;
  t.slots = static_cast<uint32_t>(w.child_slots.size());
  t.bucket_bits = bucket_bits;
  t.slot_bits = slot_bits;
  t.present = 1;
  w.child_slots.insert(w.child_slots.end(), table.begin(), table.end());
  return t;
}

}  // namespace banyan::emit
