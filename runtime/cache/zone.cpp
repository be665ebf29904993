#include "runtime/cache/zone.h"

#include <filesystem>
#include <functional>

#include "runtime/cache/disk_tier.h"
#include "runtime/http/fields.h"

namespace banyan::cache {
namespace {

inline constexpr size_t kMaxFillMarks = 1024;  // per shard, before expired ones are swept
inline constexpr int64_t kDefaultInactiveMs = 10 * 60 * 1000;  // nginx's proxy_cache_path inactive=10m

// The request's value of a selecting field: its lines joined with ", " (RFC 9110
// 5.3), compared as they are (RFC 9111 4.1 allows no more normalisation than that).
bool field_matches(std::span<const plan::HeaderField> request, std::string_view name, std::string_view stored) {
  size_t at = 0;
  bool any = false;
  if (stored == kVaryAbsent) {  // 4.1: absent matches only absent
    for (const plan::HeaderField& f : request)
      if (http::iequals(f.name, name)) return false;
    return true;
  }
  for (const plan::HeaderField& f : request) {
    if (!http::iequals(f.name, name)) continue;
    if (any) {
      if (stored.substr(at, 2) != ", ") return false;
      at += 2;
    }
    if (stored.substr(at, f.value.size()) != f.value) return false;
    at += f.value.size();
    any = true;
  }
  return at == stored.size();
}

}  // namespace

bool vary_matches(const std::vector<std::pair<std::string, std::string>>& vary,
                  std::span<const plan::HeaderField> request) {
  for (const auto& [name, value] : vary)
    if (!field_matches(request, name, value)) return false;
  return true;
}

namespace {

bool variant_matches(const Entry& e, std::string_view key, std::span<const plan::HeaderField> request) {
  return e.key == key && vary_matches(e.vary, request);
}

}  // namespace

std::string_view status_name(Status s) {
  switch (s) {
    case Status::Miss: return "MISS";
    case Status::Hit: return "HIT";
    case Status::Expired: return "EXPIRED";
    case Status::Stale: return "STALE";
    case Status::Updating: return "UPDATING";
    case Status::Revalidated: return "REVALIDATED";
    case Status::Bypass: return "BYPASS";
  }
  return "MISS";
}

void Entry::set_fields(std::span<const plan::HeaderField> in) {
  head.clear();
  size_t size = 0;
  for (const plan::HeaderField& f : in) size += f.name.size() + f.value.size() + 4;
  head.reserve(size);  // no reallocation below: the views stay valid
  fields.clear();
  fields.reserve(in.size());
  etag = last_modified = {};
  for (const plan::HeaderField& f : in) {
    const size_t n = head.size();
    head += f.name;
    head += ": ";
    const size_t v = head.size();
    head += f.value;
    head += "\r\n";
    plan::HeaderField stored{std::string_view(head).substr(n, f.name.size()),
                             std::string_view(head).substr(v, f.value.size())};
    fields.push_back(stored);
    if (http::iequals(f.name, "etag")) etag = stored.value;
    if (http::iequals(f.name, "last-modified")) last_modified = stored.value;
  }
}

Stored Entry::stored(int64_t now_ms) const {
  Stored s;
  s.age_ms = current_age_ms(timing, now_ms);
  s.lifetime_ms = lifetime_s * 1000;
  s.no_cache = no_cache;
  s.revalidate = revalidate;
  s.while_revalidate_s = while_revalidate_s;
  s.if_error_s = if_error_s;
  return s;
}

uint64_t Entry::charge() const {
  uint64_t n = kEntryOverhead + key.size() + uri.size() + reason.size() + head.size() +
               fields.size() * sizeof(plan::HeaderField) + (body ? body->size() : 0);
  for (const auto& [name, value] : vary) n += name.size() + value.size() + 2 * sizeof(std::string);
  return n;
}

Zone::Zone(std::string name, uint64_t memory, uint64_t max_entry, int64_t inactive_ms)
    : name_(std::move(name)), memory_(memory), max_entry_(0), inactive_ms_(0) {
  resize(memory, max_entry, inactive_ms);
}

void Zone::resize(uint64_t memory, uint64_t max_entry, int64_t inactive_ms) {
  memory_.store(memory, std::memory_order_relaxed);
  memory_max_entry_.store(max_entry ? std::min(max_entry, memory) : memory / 4, std::memory_order_relaxed);
  asked_max_entry_.store(max_entry, std::memory_order_relaxed);
  update_max_entry();
  inactive_ms_.store(inactive_ms < 0 ? kDefaultInactiveMs : inactive_ms, std::memory_order_relaxed);
  evict();
}

Zone::Shard& Zone::shard_of(std::string_view key) { return shards_[std::hash<std::string_view>{}(key) % kShards]; }

Zone::UriShard& Zone::uri_shard_of(std::string_view uri) {
  return uri_shards_[std::hash<std::string_view>{}(uri) % kShards];
}

void Zone::index_add(const Entry& e) {
  UriShard& u = uri_shard_of(e.uri);
  std::lock_guard lock(u.mu);
  auto& keys = u.keys[e.uri];
  for (auto& [key, n] : keys) {
    if (key == e.key) {
      ++n;
      return;
    }
  }
  keys.emplace_back(e.key, 1);
}

void Zone::index_remove(const Entry& e) {
  UriShard& u = uri_shard_of(e.uri);
  std::lock_guard lock(u.mu);
  auto it = u.keys.find(e.uri);
  if (it == u.keys.end()) return;
  auto& keys = it->second;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].first != e.key) continue;
    if (--keys[i].second == 0) keys.erase(keys.begin() + static_cast<std::ptrdiff_t>(i));
    break;
  }
  if (keys.empty()) u.keys.erase(it);
}

void Zone::erase_locked(Shard& s, std::vector<Lru::iterator>& variants, size_t i) {
  Lru::iterator it = variants[i];
  index_remove(**it);
  bytes_.fetch_sub((*it)->charge(), std::memory_order_relaxed);
  entries_.fetch_sub(1, std::memory_order_relaxed);
  s.lru.erase(it);
  variants.erase(variants.begin() + static_cast<std::ptrdiff_t>(i));
}

std::shared_ptr<const Entry> Zone::find_memory(std::string_view key, std::span<const plan::HeaderField> request,
                                               int64_t now_ms, bool& touch) {
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  auto k = s.keys.find(key);
  if (k == s.keys.end()) return nullptr;
  std::vector<Lru::iterator>& variants = k->second;
  for (size_t i = 0; i < variants.size(); ++i) {
    const std::shared_ptr<const Entry>& e = *variants[i];
    if (!variant_matches(*e, key, request)) continue;
    if (now_ms - e->used_ms.load(std::memory_order_relaxed) > inactive_ms_.load(std::memory_order_relaxed)) {
      erase_locked(s, variants, i);  // `inactive`: unused for too long
      counters_.evictions.fetch_add(1, std::memory_order_relaxed);
      if (variants.empty()) s.keys.erase(k);
      return nullptr;
    }
    touch = now_ms - e->used_ms.exchange(now_ms, std::memory_order_relaxed) >= kTouchMs;
    s.lru.splice(s.lru.begin(), s.lru, variants[i]);
    return e;
  }
  return nullptr;
}

std::shared_ptr<const Entry> Zone::find(std::string_view key, std::span<const plan::HeaderField> request,
                                        int64_t now_ms) {
  bool touch = false;
  std::shared_ptr<const Entry> e = find_memory(key, request, now_ms, touch);
  const std::shared_ptr<DiskTier> d = disk();
  if (!d) return e;
  if (e) {
    if (touch) d->touch(key, e->vary, now_ms);
    return e;
  }
  std::shared_ptr<const Entry> read = d->find(key, request, now_ms, inactive_ms_.load(std::memory_order_relaxed));
  if (read) insert_memory(read, now_ms);  // promoted: the next hit is a memory hit
  return read;
}

bool Zone::insert(std::shared_ptr<const Entry> e) {
  const int64_t stored_ms = e->stored_ms;
  const std::shared_ptr<DiskTier> d = disk();
  // Larger than the memory's cap: with a disk tier, stored there only (within max_entry).
  const bool in_memory = insert_memory(e, stored_ms);
  if (!in_memory && !(d && e->charge() <= max_entry() + kEntryOverhead)) {
    counters_.too_large.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (!in_memory) {  // on disk only: the variant it supersedes must not answer from memory
    Shard& s = shard_of(e->key);
    std::lock_guard lock(s.mu);
    if (auto k = s.keys.find(e->key); k != s.keys.end()) {
      for (size_t i = 0; i < k->second.size(); ++i) {
        if ((*k->second[i])->vary != e->vary) continue;
        erase_locked(s, k->second, i);
        break;
      }
      if (k->second.empty()) s.keys.erase(k);
    }
  }
  counters_.stored.fetch_add(1, std::memory_order_relaxed);
  if (d) d->store(std::move(e));
  return true;
}

void Zone::update_max_entry() {
  uint64_t m = memory_max_entry_.load(std::memory_order_relaxed);
  const uint64_t asked = asked_max_entry_.load(std::memory_order_relaxed);
  if (const std::shared_ptr<DiskTier> d = disk(); d && asked > 0) m = std::max(m, std::min(asked, d->limit()));
  max_entry_.store(m, std::memory_order_relaxed);
}

bool Zone::insert_memory(std::shared_ptr<const Entry> e, int64_t used_ms) {
  const uint64_t charge = e->charge();
  if (charge > memory_max_entry_.load(std::memory_order_relaxed) + kEntryOverhead || charge > memory()) return false;
  e->used_ms.store(used_ms, std::memory_order_relaxed);
  Shard& s = shard_of(e->key);
  {
    std::lock_guard lock(s.mu);
    std::vector<Lru::iterator>& variants = s.keys[e->key];
    for (size_t i = 0; i < variants.size(); ++i) {  // the variant it supersedes
      const Entry& old = **variants[i];
      if (old.vary == e->vary) {
        erase_locked(s, variants, i);
        break;
      }
    }
    if (variants.size() >= kMaxVariants) {  // the least recently used variant of this key
      size_t oldest = 0;
      for (size_t i = 1; i < variants.size(); ++i)
        if ((*variants[i])->used_ms.load(std::memory_order_relaxed) <
            (*variants[oldest])->used_ms.load(std::memory_order_relaxed))
          oldest = i;
      erase_locked(s, variants, oldest);
      counters_.evictions.fetch_add(1, std::memory_order_relaxed);
    }
    index_add(*e);
    s.lru.push_front(std::move(e));
    variants.push_back(s.lru.begin());
    bytes_.fetch_add(charge, std::memory_order_relaxed);
    entries_.fetch_add(1, std::memory_order_relaxed);
  }
  evict();
  return true;
}

void Zone::evict() {
  // One global LRU order, approximated: each shard's list is in use order, so the
  // least recently used entry of the zone is the oldest of the shards' tails.
  while (bytes() > memory()) {
    Shard* oldest = nullptr;
    int64_t oldest_used = 0;
    for (Shard& s : shards_) {
      std::lock_guard lock(s.mu);
      if (s.lru.empty()) continue;
      const int64_t used = s.lru.back()->used_ms.load(std::memory_order_relaxed);
      if (!oldest || used < oldest_used) oldest = &s, oldest_used = used;
    }
    if (!oldest) return;
    Shard& s = *oldest;
    std::lock_guard lock(s.mu);
    if (s.lru.empty()) continue;  // emptied meanwhile: look again
    const std::shared_ptr<const Entry> victim = s.lru.back();
    auto k = s.keys.find(victim->key);
    std::vector<Lru::iterator>& variants = k->second;
    for (size_t i = 0; i < variants.size(); ++i) {
      if (*variants[i] == victim) {
        erase_locked(s, variants, i);
        break;
      }
    }
    if (variants.empty()) s.keys.erase(k);
    counters_.evictions.fetch_add(1, std::memory_order_relaxed);
  }
}

size_t Zone::invalidate(std::string_view uri) {
  std::vector<std::string> keys;
  {
    UriShard& u = uri_shard_of(uri);
    std::lock_guard lock(u.mu);
    auto it = u.keys.find(uri);
    if (it != u.keys.end())
      for (const auto& [key, n] : it->second) keys.push_back(key);
  }
  size_t n = 0;
  for (const std::string& key : keys) {  // then each key's shard: the lock order is key, then URI
    Shard& s = shard_of(key);
    std::lock_guard lock(s.mu);
    auto k = s.keys.find(key);
    if (k == s.keys.end()) continue;
    std::vector<Lru::iterator>& variants = k->second;
    for (size_t i = variants.size(); i-- > 0;) {
      if ((*variants[i])->uri != uri) continue;
      erase_locked(s, variants, i);
      ++n;
    }
    if (variants.empty()) s.keys.erase(k);
  }
  // Every entry stored is on disk too (unless its write was dropped): the larger count
  // is the number of responses removed.
  if (const std::shared_ptr<DiskTier> d = disk()) n = std::max(n, d->remove_uri(uri));
  counters_.invalidated.fetch_add(n, std::memory_order_relaxed);
  return n;
}

size_t Zone::purge(std::string_view key, bool prefix) {
  size_t n = 0;
  auto drop = [&](Shard& s, StringMap<std::vector<Lru::iterator>>::iterator k) {
    std::vector<Lru::iterator>& variants = k->second;
    n += variants.size();
    while (!variants.empty()) erase_locked(s, variants, variants.size() - 1);
    return s.keys.erase(k);
  };
  if (!prefix) {
    Shard& s = shard_of(key);
    std::lock_guard lock(s.mu);
    if (auto k = s.keys.find(key); k != s.keys.end()) drop(s, k);
  } else {
    for (Shard& s : shards_) {
      std::lock_guard lock(s.mu);
      for (auto k = s.keys.begin(); k != s.keys.end();) k = k->first.starts_with(key) ? drop(s, k) : std::next(k);
    }
  }
  if (const std::shared_ptr<DiskTier> d = disk()) n = std::max(n, d->purge(key, prefix));
  counters_.purged.fetch_add(n, std::memory_order_relaxed);
  return n;
}

std::shared_ptr<DiskTier> Zone::disk() const {
  std::lock_guard lock(disk_mu_);
  return disk_;
}

void Zone::set_disk(std::shared_ptr<DiskTier> d) {
  {
    std::lock_guard lock(disk_mu_);
    disk_ = std::move(d);
  }
  update_max_entry();
}

Zone::Fill Zone::begin_fill(std::string_view key, int64_t now_ms, int64_t lease_ms,
                            std::shared_ptr<Filling>& filling) {
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  if (s.fills.size() >= kMaxFillMarks) {  // marks of keys no one asks for again: drop the expired
    std::erase_if(s.fills, [now_ms](const auto& kv) {
      return kv.second.lease_until <= now_ms && kv.second.pass_until <= now_ms;
    });
  }
  Shard::FillMark& m = s.fills[std::string(key)];
  if (m.lease_until > now_ms) {
    filling = m.filling;
    return Fill::Wait;
  }
  if (m.pass_until > now_ms) return Fill::Pass;
  m = {now_ms + lease_ms, 0, std::make_shared<Filling>()};
  filling = m.filling;
  return Fill::Mine;
}

void Zone::end_fill(std::string_view key, bool pass, int64_t now_ms) {
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  if (pass) {
    s.fills[std::string(key)] = {0, now_ms + kPassMs, nullptr};
    return;
  }
  if (auto it = s.fills.find(key); it != s.fills.end()) s.fills.erase(it);
}

std::shared_ptr<Zone> Zones::get(std::string_view name, uint64_t memory, uint64_t max_entry, int64_t inactive_ms) {
  std::lock_guard lock(mu_);
  for (const auto& z : zones_) {
    if (z->name() == name) {
      z->resize(memory, max_entry, inactive_ms);
      return z;
    }
  }
  zones_.push_back(std::make_shared<Zone>(std::string(name), memory, max_entry, inactive_ms));
  return zones_.back();
}

std::shared_ptr<Zone> Zones::get(std::string_view name, const ZoneSpec& spec, std::string& error) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Zone> zone;
  for (const auto& z : zones_)
    if (z->name() == name) zone = z;
  std::shared_ptr<DiskTier> tier;
  if (!spec.disk_path.empty()) {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::absolute(spec.disk_path, ec).lexically_normal();
    std::string dir = (ec ? std::filesystem::path(spec.disk_path) : p).string();
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    for (const auto& z : zones_) {  // this zone's own tier, or the one a renamed zone had
      std::shared_ptr<DiskTier> d = z->disk();
      if (!d || d->directory() != dir) continue;
      tier = std::move(d);
      if (z != zone) z->set_disk(nullptr);
      tier->resize(spec.disk_bytes);
    }
    if (!tier) {
      std::string why;
      tier = DiskTier::open(dir, spec.disk_bytes, why);
      if (!tier) {
        error = "cache zone '" + std::string(name) + "': disk \"" + dir + "\": " + why;
        return nullptr;
      }
    }
  }
  if (zone) {
    zone->resize(spec.memory, spec.max_entry, spec.inactive_ms);
  } else {
    zones_.push_back(std::make_shared<Zone>(std::string(name), spec.memory, spec.max_entry, spec.inactive_ms));
    zone = zones_.back();
  }
  zone->set_disk(std::move(tier));
  return zone;
}

std::vector<std::shared_ptr<Zone>> Zones::all() const {
  std::lock_guard lock(mu_);
  return zones_;
}

}  // namespace banyan::cache
