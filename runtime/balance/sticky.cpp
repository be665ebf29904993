// Sticky cookie values (sticky.h): XXH3-64 of the identity, written as 16 lowercase
// hex digits, and the strict parse back that find() needs before comparing.
#include "runtime/balance/sticky.h"

#include <xxhash.h>

#include <optional>

namespace banyan::balance {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

uint64_t identity_hash(std::string_view identity) { return XXH3_64bits(identity.data(), identity.size()); }

// Exactly kStickyValueLength characters in [0-9a-f] (uppercase is refused: the
// encoding is one spelling, so one endpoint has one value).
std::optional<uint64_t> parse_value(std::string_view value) {
  if (value.size() != kStickyValueLength) return std::nullopt;
  uint64_t id = 0;
  for (char c : value) {
    uint64_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint64_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    id = (id << 4) | digit;
  }
  return id;
}

}  // namespace

StickyValue sticky_value(std::string_view identity) {
  uint64_t id = identity_hash(identity);
  StickyValue value;
  for (std::size_t i = kStickyValueLength; i-- > 0;) {
    value.chars[i] = kHexDigits[id & 0xF];
    id >>= 4;
  }
  return value;
}

StickyTable::StickyTable(std::span<const std::string_view> identities) {
  ids_.reserve(identities.size());
  for (std::string_view identity : identities) ids_.push_back(identity_hash(identity));
}

uint32_t StickyTable::find(std::string_view value, std::span<const Endpoint> endpoints) const {
  require_same_size(ids_.size(), endpoints.size());
  const std::optional<uint64_t> id = parse_value(value);
  if (!id) return kNoEndpoint;
  for (uint32_t i = 0; i < ids_.size(); ++i) {
    if (ids_[i] != *id) continue;
    return in_tier(endpoints[i], usable_tier(endpoints)) ? i : kNoEndpoint;
  }
  return kNoEndpoint;
}

}  // namespace banyan::balance
