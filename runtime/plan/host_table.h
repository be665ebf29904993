// The plan's host names to sites: an open-addressing table built once at load (the
// standard unordered_map costs a division by a prime and a byte-wise hash per
// lookup). Keys are views into the plan's strings. A lookup reads the name eight
// bytes at a time, so the name it is given must be followed by 8 readable zero bytes
// (select_site.cpp's buffer is).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "runtime/plan/swar.h"

namespace banyan::plan {

class HostTable {
 public:
  // False when `name` is already there.
  bool add(std::string_view name, uint32_t site);

  // The site of `name`, or 0xFFFFFFFF. `name` is followed by 8 readable zero bytes.
  uint32_t find_padded(std::string_view name) const {
    if (used_ == 0) return 0xFFFFFFFFu;
    const uint64_t head = swar::load8(name.data()) & head_mask(name.size());
    const uint64_t h = hash(name.data(), name.size());
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask; slots_[i].data; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.hash == h && s.head == head && s.length == name.size() && tail_equal(s.data, name.data(), name.size())) return s.site;
    }
    return 0xFFFFFFFFu;
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t head = 0;           // the name's first 8 bytes, zero-padded
    const char* data = nullptr;  // null: a free slot
    uint32_t length = 0;
    uint32_t site = 0;
  };

  // Bytes [8, n) of two names whose first 8 bytes are equal.
  // (Word by word, the last word ending at the name's end and overlapping the one
  // before: host names are short, and a memcmp call was a tenth of a host lookup.)
  static bool tail_equal(const char* a, const char* b, size_t n) {
    for (size_t i = 8; i < n; i += 8) {
      size_t at = i + 8 <= n ? i : n - 8;
      if (swar::load8(a + at) != swar::load8(b + at)) return false;
    }
    return true;
  }

  static uint64_t head_mask(size_t n) { return n >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1; }

  // Each 8-byte word of the name (the last zero-padded) multiplied on its own, so the
  // multiplies run side by side, summed, then finished by a multiply and a shift.
  static uint64_t hash(const char* p, size_t n) {
    uint64_t h = n * 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i += 8) h += (swar::load8(p + i) + i * 0xC2B2AE3D27D4EB4Full) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
  }

  void grow();
  std::vector<Slot> slots_;  // a power of two of them, at most half full
  size_t used_ = 0;
};

}  // namespace banyan::plan
