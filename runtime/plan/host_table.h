// The plan's host names to sites: an open-addressing table built once at load (the
// standard unordered_map costs a division by a prime and a byte-wise hash per
// lookup). Keys are views into the plan's strings. A lookup reads the name eight
// bytes at a time: a name under 8 bytes must be followed by zero bytes to make 8
// (select_site.cpp's buffer is); a longer one is read only inside its bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "runtime/plan/swar.h"

namespace banyan::plan {

class HostTable {
 public:
  // The shortest name find_unpadded() looks up (one whole word).
  static constexpr size_t kMinUnpadded = 8;

  // False when `name` is already there.
  bool add(std::string_view name, uint32_t site);

  // The site of `name`, or 0xFFFFFFFF. `name` is followed by 8 readable zero bytes.
  uint32_t find_padded(std::string_view name) const {
    const uint64_t head = swar::load8(name.data()) & head_mask(name.size());
    return find(name, head);
  }

  // The same for a name that is not padded; 0xFFFFFFFF for one under 8 bytes. A name
  // of 8 bytes or more is read as whole words inside it (the last ending at its end),
  // which is how the hash and the compares read every name.
  uint32_t find_unpadded(std::string_view name) const {
    if (name.size() < kMinUnpadded) return 0xFFFFFFFFu;
    return find(name, swar::load8(name.data()));
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t head = 0;           // the name's first 8 bytes, zero-padded
    const char* data = nullptr;  // null: a free slot
    uint32_t length = 0;
    uint32_t site = 0;
  };

  uint32_t find(std::string_view name, uint64_t head) const {
    if (used_ == 0) return 0xFFFFFFFFu;
    const uint64_t h = hash(name.data(), name.size());
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask; slots_[i].data; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.hash == h && s.head == head && s.length == name.size() && tail_equal(s.data, name.data(), name.size())) return s.site;
    }
    return 0xFFFFFFFFu;
  }

  // Bytes [8, n) of two names whose first 8 bytes are equal: the whole words between,
  // then the last word, which ends at the names' end and may overlap the one before.
  // (Host names are short, and a memcmp call was a tenth of a host lookup.)
  static bool tail_equal(const char* a, const char* b, size_t n) {
    if (n <= 8) return true;
    for (size_t i = 8; i + 8 < n; i += 8)
      if (swar::load8(a + i) != swar::load8(b + i)) return false;
    return swar::load8(a + n - 8) == swar::load8(b + n - 8);
  }

  static uint64_t head_mask(size_t n) { return n >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1; }

  // A name under 8 bytes is one zero-padded word; a longer one its whole words, the
  // last ending at the name's end, so no byte past the name is read. Each word is
  // multiplied on its own, so the multiplies run side by side, summed, then finished
  // by a multiply and a shift.
  static uint64_t hash(const char* p, size_t n) {
    uint64_t h = n * 0x9E3779B97F4A7C15ull;
    if (n <= 8) return finish(h + word(swar::load8(p), 0));
    for (size_t i = 0; i + 8 < n; i += 8) h += word(swar::load8(p + i), i);
    return finish(h + word(swar::load8(p + n - 8), n));
  }
  static uint64_t word(uint64_t w, size_t at) { return (w + at * 0xC2B2AE3D27D4EB4Full) * 0xFF51AFD7ED558CCDull; }
  static uint64_t finish(uint64_t h) {
    h ^= h >> 32;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
  }

  void grow();
  std::vector<Slot> slots_;  // a power of two of them, at most half full
  size_t used_ = 0;
};

}  // namespace banyan::plan
