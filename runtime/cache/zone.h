// A cache zone's memory tier: stored responses, shared by every worker, bounded in
// bytes (metadata counted), evicted least recently used first.
//
// Entries are immutable once stored: a reader holds a shared_ptr, so an entry being
// replaced, evicted or purged stays whole for the responses that are reading it, and
// readers never block a writer beyond one shard's lock. The map is sharded by the hash
// of the key; a key's entries are its Vary variants. A second index, sharded by URI
// (host and target), lists the keys stored for each URI, so invalidating a URI (RFC
// 9111 4.4) finds them whatever the route's `key` template made of it. Locks: a key
// shard's, then a URI shard's, never the other way.
//
// A zone with `disk` also has a disk tier (disk_tier.h): a memory miss looks there,
// and a disk hit is verified, promoted into memory and returned as any entry; insert
// also queues the entry for the disk; invalidate and purge remove its files too.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/cache/freshness.h"
#include "runtime/plan/matcher.h"

namespace banyan::cache {

// Each entry counts this much beyond its strings and body: the entry, its map and list
// nodes, the shared_ptr's control block (measured with sizeof, rounded up).
inline constexpr uint64_t kEntryOverhead = 512;
// At most this many Vary variants of one key; the least recently used goes.
inline constexpr size_t kMaxVariants = 32;
inline constexpr size_t kShards = 16;
inline constexpr int64_t kPassMs = 10'000;
// A memory hit tells the disk tier at most this often per entry, so an entry popular
// in memory is not the disk's least recently used (the disk index takes a lock).
inline constexpr int64_t kTouchMs = 10'000;

class DiskTier;

// The stored value of a selecting field the request did not have: a NUL, which no
// parsed field value can hold (runtime/http refuses it), so it equals no real value.
inline const std::string kVaryAbsent(1, '\0');

// A map by string that a string_view finds without building a string (C++20's
// heterogeneous lookup): a cache lookup on the request path allocates no key.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// One stored response.
struct Entry {
  std::string key;  // the cache key (the route's `key`, or SCHEME://HOST TARGET)
  std::string uri;  // host and target, lower-case host: what invalidation names
  int status = 200;
  std::string reason;
  std::string head;                        // the stored fields, "Name: value\r\n" each
  std::vector<plan::HeaderField> fields;   // views into `head`
  std::shared_ptr<const std::string> body;  // shared with a copy refreshed by a 304
  // Vary: the selecting fields' names (lower-case) and the request's values for them.
  // A field the request did not have is kVaryAbsent, so it never matches one present
  // and empty (RFC 9111 4.1).
  std::vector<std::pair<std::string, std::string>> vary;
  Timing timing;
  int64_t lifetime_s = 0;
  bool no_cache = false, revalidate = false;
  int64_t while_revalidate_s = kAbsent, if_error_s = kAbsent;
  std::string_view etag, last_modified;  // views into `head`
  int64_t stored_ms = 0;

  // Mutable, shared by readers: when the entry was last used (for `inactive`), and
  // until when a request is refreshing it (for `updating`).
  mutable std::atomic<int64_t> used_ms{0};
  mutable std::atomic<int64_t> updating_until_ms{0};

  Entry() = default;
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

  // Sets `head` and `fields` from `fields_in` (copied), `etag` and `last_modified`.
  void set_fields(std::span<const plan::HeaderField> fields_in);
  Stored stored(int64_t now_ms) const;
  uint64_t charge() const;
};

// A response being stored, readable while its body arrives: the requests that wait
// for a fill (request collapsing) stream it from here once its head is known, instead
// of waiting for the whole body. Only a fill whose length is known (Content-Length,
// within max_entry) is streamed, so a fill that is abandoned for its size never cuts a
// reader short; one abandoned for an upstream failure does.
struct Filling {
  enum class State : uint8_t { Pending, Streaming, Complete, Abandoned };
  std::mutex mu;
  State state = State::Pending;  // Streaming: `head` and `length` are set
  std::shared_ptr<const Entry> head;  // the entry being filled, while Streaming (reset after: the entry
                                      // aliases `body`, and must not be kept alive by its own fill)
  uint64_t length = 0;
  std::string body;  // the stored entry's body aliases it once Complete
};

// Whether the request's values of the selecting fields are the stored ones (RFC 9111
// 4.1): each field's lines joined with ", ", compared as they are.
bool vary_matches(const std::vector<std::pair<std::string, std::string>>& vary,
                  std::span<const plan::HeaderField> request);

// Per zone, for /metrics.
struct ZoneCounters {
  // By cache status (Status below).
  std::array<std::atomic<uint64_t>, 7> requests{};
  std::atomic<uint64_t> stored{0}, evictions{0}, purged{0}, invalidated{0}, collapsed{0}, too_large{0};
};

// $upstream_cache_status, as nginx names them.
enum class Status : uint8_t { Miss, Hit, Expired, Stale, Updating, Revalidated, Bypass };
std::string_view status_name(Status s);  // "MISS", ...

class Zone {
 public:
  // `max_entry` 0: a quarter of `memory`; `inactive_ms` < 0: 10 minutes (nginx's).
  // `max_entry` is capped at `memory`, except with a disk tier: an entry larger than
  // the memory tier's cap (but within max_entry and the disk's bound) goes to disk only,
  // and is read from there on every use.
  Zone(std::string name, uint64_t memory, uint64_t max_entry, int64_t inactive_ms);

  const std::string& name() const { return name_; }
  uint64_t memory() const { return memory_.load(std::memory_order_relaxed); }
  uint64_t max_entry() const { return max_entry_.load(std::memory_order_relaxed); }
  // A reload may change the bounds: the zone keeps its entries and evicts down to them.
  void resize(uint64_t memory, uint64_t max_entry, int64_t inactive_ms);

  // The entry stored under `key` whose Vary matches `request`; null if none (or only
  // one unused for longer than `inactive`).
  std::shared_ptr<const Entry> find(std::string_view key, std::span<const plan::HeaderField> request, int64_t now_ms);
  // Stores `e` (replacing the variant it supersedes), then evicts down to the bound.
  // False when it is larger than max_entry.
  bool insert(std::shared_ptr<const Entry> e);
  // Removes every entry of `uri`; how many.
  size_t invalidate(std::string_view uri);
  // Purge: entries whose key is `key`, or (prefix) starts with it (empty: all).
  size_t purge(std::string_view key, bool prefix);

  // Request collapsing: the first miss of a key takes the fill (Mine) and goes
  // upstream; the others Wait for it (polling find) until its lease ends. A fill whose
  // response could not be stored leaves a Pass mark for kPassMs: misses of that key go
  // upstream at once, not one after another (Varnish's hit-for-miss).
  // `filling` is the fill's shared state: new for Mine, the holder's for Wait.
  enum class Fill : uint8_t { Mine, Wait, Pass };
  Fill begin_fill(std::string_view key, int64_t now_ms, int64_t lease_ms, std::shared_ptr<Filling>& filling);
  void end_fill(std::string_view key, bool pass, int64_t now_ms);

  // The disk tier (null: memory only). Set by Zones::get; a reload may change it.
  std::shared_ptr<DiskTier> disk() const;
  void set_disk(std::shared_ptr<DiskTier> d);

  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  uint64_t entries() const { return entries_.load(std::memory_order_relaxed); }
  ZoneCounters& counters() { return counters_; }

 private:
  struct Node;
  using Lru = std::list<std::shared_ptr<const Entry>>;
  struct alignas(64) Shard {  // its own cache lines: two workers on two shards do not share one
    std::mutex mu;
    // key -> its variants, each with its place in the LRU list (front: most recent).
    StringMap<std::vector<Lru::iterator>> keys;
    Lru lru;
    struct FillMark {
      int64_t lease_until = 0, pass_until = 0;  // Unix ms
      std::shared_ptr<Filling> filling;
    };
    StringMap<FillMark> fills;  // by key
  };
  // The URI index: uri -> the keys stored for it, each with its number of variants.
  struct alignas(64) UriShard {
    std::mutex mu;
    StringMap<std::vector<std::pair<std::string, uint32_t>>> keys;
  };
  Shard& shard_of(std::string_view key);
  UriShard& uri_shard_of(std::string_view uri);
  // Adds or removes one variant of (uri, key) in the URI index.
  void index_add(const Entry& e);
  void index_remove(const Entry& e);
  // Removes one variant (the shard's lock held).
  void erase_locked(Shard& s, std::vector<Lru::iterator>& variants, size_t i);
  // Evicts least recently used entries until the bound holds.
  void evict();
  // max_entry_ from the asked max_entry, the memory's cap and the disk's bound.
  void update_max_entry();
  // The memory tier's lookup; `touch` says whether the disk should hear of the use.
  std::shared_ptr<const Entry> find_memory(std::string_view key, std::span<const plan::HeaderField> request,
                                           int64_t now_ms, bool& touch);
  // The memory tier's insert, the entry last used at `used_ms`.
  bool insert_memory(std::shared_ptr<const Entry> e, int64_t used_ms);

  std::string name_;
  std::atomic<uint64_t> memory_, max_entry_;  // max_entry_: the effective one, disk included
  std::atomic<uint64_t> memory_max_entry_{0}, asked_max_entry_{0};
  std::atomic<int64_t> inactive_ms_;
  std::atomic<uint64_t> bytes_{0}, entries_{0};
  std::array<Shard, kShards> shards_;
  std::array<UriShard, kShards> uri_shards_;
  ZoneCounters counters_;
  mutable std::mutex disk_mu_;
  std::shared_ptr<DiskTier> disk_;
};

// A zone's settings as the plan gives them.
struct ZoneSpec {
  uint64_t memory = 0, max_entry = 0;
  int64_t inactive_ms = -1;
  std::string disk_path;  // empty: memory only; relative: from the working directory
  uint64_t disk_bytes = 0;
};

// The gateway's zones by name, kept across reloads (a plan naming a zone again gets
// the same one, with its entries).
class Zones {
 public:
  std::shared_ptr<Zone> get(std::string_view name, uint64_t memory, uint64_t max_entry, int64_t inactive_ms);
  // With the disk tier: opened (created, checked writable, scanned) when the zone gets
  // a directory it did not have; kept, and resized, when it names the same one again.
  // A directory another zone had (a zone renamed) moves to this one. Null, and `error`
  // saying which zone and directory and why, when the directory cannot be used; the
  // zone is then left as it was.
  std::shared_ptr<Zone> get(std::string_view name, const ZoneSpec& spec, std::string& error);
  std::vector<std::shared_ptr<Zone>> all() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Zone>> zones_;
};

}  // namespace banyan::cache
