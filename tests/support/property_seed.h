// The seed and size of a property test. CI runs a fixed seed, so a failure reproduces;
// scripts/fuzz.sh runs the property tests again with a random seed and more rounds
// (BANYAN_PROPERTY_SEED, BANYAN_PROPERTY_SCALE). Tests report the seed with INFO, so
// every failure names the seed that reproduces it.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

namespace banyan::test {

// BANYAN_PROPERTY_SEED when set, else `fixed`.
inline uint32_t property_seed(uint32_t fixed) {
  const char* s = std::getenv("BANYAN_PROPERTY_SEED");
  return s && *s ? static_cast<uint32_t>(std::strtoul(s, nullptr, 10)) : fixed;
}

// `base` rounds times BANYAN_PROPERTY_SCALE (default 1).
inline int property_rounds(int base) {
  const char* s = std::getenv("BANYAN_PROPERTY_SCALE");
  int scale = s && *s ? std::atoi(s) : 1;
  return base * (scale > 0 ? scale : 1);
}

}  // namespace banyan::test
