// Building the host table: linear probing, at most half full.
#include "runtime/plan/host_table.h"

#include <string>

namespace banyan::plan {

bool HostTable::add(std::string_view name, uint32_t site) {
  std::string padded(name);
  padded.append(8, '\0');
  if (find_padded({padded.data(), name.size()}) != 0xFFFFFFFFu) return false;
  if (2 * (used_ + 1) > slots_.size()) grow();
  const uint64_t h = hash(padded.data(), name.size());
  const size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  while (slots_[i].data) i = (i + 1) & mask;
  slots_[i] = {h, swar::load8(padded.data()) & head_mask(name.size()), name.data() ? name.data() : "",
               static_cast<uint32_t>(name.size()), site};
  ++used_;
  return true;
}

void HostTable::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (!s.data) continue;
    size_t i = s.hash & mask;
    while (slots_[i].data) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

}  // namespace banyan::plan
