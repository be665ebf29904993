// A cache zone's disk tier (`disk "DIRECTORY" SIZE`): one file per stored response,
// kept across restarts and reloads, bounded in bytes, evicted least recently used
// first. The zone (zone.h) asks it on a memory miss and hands it every entry it stores.
//
// Files. DIRECTORY/ab/<32 hex>, the hex being XXH3-128 of the key and the Vary pairs
// (ab: its first two digits, so no directory holds more than 1/256 of the files).
// Written under DIRECTORY/ab/.tmp.<32 hex>.<n> and renamed, so a final name never
// holds a half-written file; a leftover .tmp file is deleted by the next scan. No
// fsync: after a power loss a renamed file may be empty or torn, and the checksum turns
// that into a miss (fsync per response would cap the write rate at the disk's flushes).
// Format, version 1, integers little-endian:
//   0  8  magic "BNYCACHE"
//   8  4  version (1)
//   12 4  meta length M (at most kMaxMeta)
//   16 8  body length B
//   24 8  XXH3-64 of bytes 0..24, then the meta, then the body
//   32 M  meta: str key, str uri, u32 n, n x (str name, str value) Vary pairs,
//             u32 status, str reason, u32 n, n x (str name, str value) stored fields,
//             i64 request_ms, response_ms, date_s, age_s, lifetime_s,
//             u8 flags (1: no-cache, 2: revalidate), i64 while_revalidate_s,
//             i64 if_error_s, stored_ms          (str: u32 length, then the bytes)
//   32+M B  body
// The file is exactly 32 + M + B bytes. Another version or magic is corrupt: the file
// is deleted (a cache may always forget).
//
// The index (key -> variants with their Vary pairs, URI, file, size, last use) is in
// memory, about 200 bytes per file plus the key, URI and Vary strings. At open it is
// rebuilt by reading each file's first 32 + M bytes (never a body); the LRU order is
// the files' mtimes, and `inactive` counts from the load (as nginx's cache loader
// does), so a gateway stopped for longer than `inactive` keeps its files. A file whose
// header or meta does not hold together is deleted and counted as corrupt then; a
// body's corruption is found when the file is read. The scan runs before the plan
// serves: 20,000 files in ~360 ms from the page cache, so ~18 s per million files
// (nginx's cache loader scans in the background; not built here).
//
// The directory: the compiler writes it absolute, resolved from the routes file's
// directory, as it does certificates; a plan holding a relative one (written by an
// older banyanc) is resolved from the gateway's working directory (zone.cpp).
//
// Costs. Writes happen on the tier's own thread: store() only queues (bounded by
// kQueueEntries and kQueueBytes; a full queue drops the entry and counts it). A disk
// hit is read synchronously on the calling worker: open, fstat, two reads, the
// checksum (XXH3, ~10 GB/s) and the Entry built. Measured with -O2 from the page cache
// on a 2-core VM: ~20 us for 4 KiB, ~30 us for 64 KiB, ~220 us for 1 MiB (the hidden
// test "a disk hit costs" in tests/unit/cache/disk_tier_test.cpp prints the figure of
// the build it runs in: `banyan_tests "[bench]"`; ~5 times more under ASan). A cold
// read adds the device's latency (~100 us on an SSD, ~10 ms on a rotating disk), and
// the worker waits meanwhile: a thread pool for reads is the next step if that shows
// up in the latency tail.
//
// The bound counts file sizes, not the file system's blocks (4 KiB each, usually). The
// memory tier's kMaxVariants is not applied on disk: the bound on bytes is.
// Errors from the file system are values: counted (errors), logged once to stderr,
// never thrown; a lookup that cannot read is a miss.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/cache/zone.h"

namespace banyan::cache {

inline constexpr size_t kQueueEntries = 256;          // writes waiting for the writer thread
inline constexpr uint64_t kQueueBytes = 64ull << 20;  // and their bodies' bytes, at most
inline constexpr uint32_t kMaxMeta = 1u << 20;        // a stored head beyond 1 MiB is corrupt
inline constexpr uint32_t kDiskFormatVersion = 1;
inline constexpr size_t kDiskHeaderSize = 32;

struct DiskCounters {
  std::atomic<uint64_t> hits{0}, corrupt{0}, write_drops{0}, written{0}, evictions{0}, errors{0};
};

// The bytes of one file for `e` (exposed for tests and the scan's checks).
std::string encode_entry(const Entry& e);
// The entry a file's bytes hold, or null when they do not hold together (magic,
// version, lengths, checksum, meta).
std::shared_ptr<Entry> decode_entry(std::string_view bytes);
// The file name (32 hex digits) of a key and its Vary pairs.
std::string disk_name(std::string_view key, const std::vector<std::pair<std::string, std::string>>& vary);

class DiskTier {
 public:
  // Creates DIRECTORY if needed, checks that a file can be written in it, scans it.
  // Null and `error` set ("cannot create the directory: ...") when it cannot be used.
  static std::shared_ptr<DiskTier> open(const std::string& directory, uint64_t bytes, std::string& error);
  ~DiskTier();  // writes what is queued, then stops the writer
  DiskTier(const DiskTier&) = delete;
  DiskTier& operator=(const DiskTier&) = delete;

  const std::string& directory() const { return dir_; }

  // The stored variant of `key` whose Vary matches `request`, read and verified; null
  // when none, when it was unused for longer than `inactive_ms`, or when its file is
  // corrupt (then it is deleted and counted).
  std::shared_ptr<Entry> find(std::string_view key, std::span<const plan::HeaderField> request, int64_t now_ms,
                              int64_t inactive_ms);
  // Marks a variant used (the zone calls it on memory hits, at most every kTouchMs per
  // entry, so popular entries stay on disk).
  void touch(std::string_view key, const std::vector<std::pair<std::string, std::string>>& vary, int64_t now_ms);
  // Queues `e` for writing; false when the queue is full (dropped, counted) or when
  // it can never fit.
  bool store(std::shared_ptr<const Entry> e);
  // Removes every variant of `uri` (invalidation) or whose key is `key` or starts with
  // it (purge; empty: all), queued writes included; how many files.
  size_t remove_uri(std::string_view uri);
  size_t purge(std::string_view key, bool prefix);
  // A reload may change the bound: evicts down to it.
  void resize(uint64_t bytes);
  // Waits until every queued write is done (tests, and orderly stops).
  void flush();

  uint64_t bytes() const { return used_.load(std::memory_order_relaxed); }
  uint64_t entries() const { return files_.load(std::memory_order_relaxed); }
  uint64_t limit() const { return limit_.load(std::memory_order_relaxed); }
  DiskCounters& counters() { return counters_; }

 private:
  struct Item {
    std::string key, uri, name;
    std::vector<std::pair<std::string, std::string>> vary;
    uint64_t size = 0;
    int64_t used_ms = 0;
  };
  using Lru = std::list<Item>;  // front: most recently used
  struct Job {
    std::shared_ptr<const Entry> entry;
    uint64_t seq = 0;
  };

  DiskTier(std::string dir, uint64_t bytes);
  void scan();
  void run();
  void write(const Job& job);
  bool write_tmp(const std::string& sub, const std::string& tmp, std::string_view bytes);
  void forget(const std::string& name, uint64_t seq);  // drops a pending write
  std::string path_of(std::string_view name) const;
  // A file's entry, verified; null when corrupt, or (`gone`) when it cannot be opened.
  std::shared_ptr<Entry> read_file(const std::string& path, bool& gone);
  // Index changes, mu_ held. Unlinking is left to the caller, after mu_ is released.
  void add_locked(Item item);
  void remove_locked(Lru::iterator it);
  void evict_locked(uint64_t room, std::vector<std::string>& unlink);
  void unlink_all(const std::vector<std::string>& names);
  void drop_files(const std::vector<std::string>& names);  // unlink_all, mu_ not held, then reconciles
  void fail(const char* what, std::string_view path, int err);

  const std::string dir_;
  std::atomic<uint64_t> limit_;
  std::atomic<uint64_t> used_{0}, files_{0};
  DiskCounters counters_;
  std::atomic<bool> logged_{false};

  std::mutex mu_;  // the index and the pending writes
  Lru lru_;
  StringMap<std::vector<Lru::iterator>> by_key_;
  StringMap<std::vector<Lru::iterator>> by_uri_;
  std::unordered_map<std::string, Lru::iterator> by_name_;
  // The latest queued write of each file name: a write whose seq is no longer there
  // was superseded or removed (purge, invalidation) and is skipped.
  struct Pending {
    uint64_t seq = 0;
    std::string key, uri;
  };
  std::unordered_map<std::string, Pending> pending_;

  std::mutex qmu_;  // the queue
  std::condition_variable qcv_, idle_;
  std::deque<Job> queue_;
  uint64_t queued_bytes_ = 0;
  uint64_t seq_ = 0;  // under mu_ and qmu_
  bool busy_ = false, stop_ = false;
  std::thread writer_;
};

}  // namespace banyan::cache
