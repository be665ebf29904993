// The disk tier: the file format (encode_entry, decode_entry), the index rebuilt by
// scan(), lookups that read and verify a file, and the writer thread that writes,
// renames and evicts. POSIX calls with errno, std::filesystem with error_code: nothing
// here throws.
#include "runtime/cache/disk_tier.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace banyan::cache {
namespace {

static_assert(std::endian::native == std::endian::little, "the disk format is written as the host's integers");

constexpr char kMagic[8] = {'B', 'N', 'Y', 'C', 'A', 'C', 'H', 'E'};
constexpr const char* kTmpPrefix = ".tmp.";

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void put_str(std::string& out, std::string_view s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out += s;
}

// Reads the meta: every read checks its length, so a bad length is a failure, not an
// overrun.
struct Reader {
  std::string_view in;
  bool ok = true;
  template <typename T>
  T get() {
    T v{};
    if (in.size() < sizeof v) {
      ok = false;
      return v;
    }
    std::memcpy(&v, in.data(), sizeof v);
    in.remove_prefix(sizeof v);
    return v;
  }
  std::string_view str() {
    const uint32_t n = get<uint32_t>();
    if (!ok || in.size() < n) {
      ok = false;
      return {};
    }
    std::string_view s = in.substr(0, n);
    in.remove_prefix(n);
    return s;
  }
  // A count of pairs: each takes at least 8 bytes, so a count beyond that is a lie.
  uint32_t count() {
    const uint32_t n = get<uint32_t>();
    if (ok && n > in.size() / 8) ok = false;
    return ok ? n : 0;
  }
};

struct Header {
  uint32_t meta = 0;
  uint64_t body = 0, checksum = 0;
};

// Magic, version and the meta's bound; the caller checks the lengths against the file.
std::optional<Header> read_header(std::string_view h) {
  if (h.size() < kDiskHeaderSize || std::memcmp(h.data(), kMagic, sizeof kMagic) != 0) return std::nullopt;
  Reader r{h.substr(8)};
  if (r.get<uint32_t>() != kDiskFormatVersion) return std::nullopt;
  Header out;
  out.meta = r.get<uint32_t>();
  out.body = r.get<uint64_t>();
  out.checksum = r.get<uint64_t>();
  if (out.meta > kMaxMeta) return std::nullopt;
  return out;
}

uint64_t checksum(std::string_view head24, std::string_view meta, std::string_view body) {
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  XXH3_64bits_update(st, head24.data(), head24.size());
  XXH3_64bits_update(st, meta.data(), meta.size());
  XXH3_64bits_update(st, body.data(), body.size());
  const uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

// The index's part of the meta: key, URI, Vary pairs.
bool read_ident(Reader& r, std::string& key, std::string& uri, Pairs& vary) {
  key = r.str();
  uri = r.str();
  const uint32_t n = r.count();
  for (uint32_t i = 0; i < n && r.ok; ++i) {
    std::string_view name = r.str(), value = r.str();
    vary.emplace_back(name, value);
  }
  return r.ok;
}

bool is_hex_name(std::string_view s) {
  return s.size() == 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Reads exactly n bytes at the file's current offset; false on a short file or error.
bool read_all(int fd, char* p, size_t n) {
  while (n > 0) {
    const ssize_t got = ::read(fd, p, n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t put = ::write(fd, p, n);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    p += put;
    n -= static_cast<size_t>(put);
  }
  return true;
}

int64_t mtime_ms(const struct stat& st) { return int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000; }

}  // namespace

std::string disk_name(std::string_view key, const Pairs& vary) {
  std::string id(key);
  for (const auto& [name, value] : vary) {  // lengths first: no two lists give one string
    id += '\0';
    put_str(id, name);
    put_str(id, value);
  }
  const XXH128_hash_t h = XXH3_128bits(id.data(), id.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(32, '0');
  for (int i = 0; i < 16; ++i) {
    const uint64_t word = i < 8 ? h.high64 : h.low64;
    const unsigned byte = static_cast<unsigned>(word >> (8 * (7 - i % 8))) & 0xff;
    s[2 * i] = kHex[byte >> 4];
    s[2 * i + 1] = kHex[byte & 15];
  }
  return s;
}

std::string encode_entry(const Entry& e) {
  std::string meta;
  put_str(meta, e.key);
  put_str(meta, e.uri);
  put<uint32_t>(meta, static_cast<uint32_t>(e.vary.size()));
  for (const auto& [name, value] : e.vary) put_str(meta, name), put_str(meta, value);
  put<uint32_t>(meta, static_cast<uint32_t>(e.status));
  put_str(meta, e.reason);
  put<uint32_t>(meta, static_cast<uint32_t>(e.fields.size()));
  for (const plan::HeaderField& f : e.fields) put_str(meta, f.name), put_str(meta, f.value);
  for (int64_t v : {e.timing.request_ms, e.timing.response_ms, e.timing.date_s, e.timing.age_s, e.lifetime_s})
    put<int64_t>(meta, v);
  put<uint8_t>(meta, static_cast<uint8_t>((e.no_cache ? 1 : 0) | (e.revalidate ? 2 : 0)));
  for (int64_t v : {e.while_revalidate_s, e.if_error_s, e.stored_ms}) put<int64_t>(meta, v);

  const std::string_view body = e.body ? std::string_view(*e.body) : std::string_view();
  std::string out;
  out.reserve(kDiskHeaderSize + meta.size() + body.size());
  out.append(kMagic, sizeof kMagic);
  put<uint32_t>(out, kDiskFormatVersion);
  put<uint32_t>(out, static_cast<uint32_t>(meta.size()));
  put<uint64_t>(out, body.size());
  put<uint64_t>(out, checksum(out, meta, body));
  out += meta;
  out += body;
  return out;
}

namespace {

// The meta and body (already checked against the header's checksum) as an Entry.
std::shared_ptr<Entry> entry_of(std::string_view meta, std::string body) {
  auto e = std::make_shared<Entry>();
  Reader r{meta};
  if (!read_ident(r, e->key, e->uri, e->vary)) return nullptr;
  e->status = static_cast<int>(r.get<uint32_t>());
  e->reason = r.str();
  const uint32_t n = r.count();
  std::vector<plan::HeaderField> fields;
  for (uint32_t i = 0; i < n && r.ok; ++i) {
    std::string_view name = r.str(), value = r.str();
    fields.push_back({name, value});
  }
  e->timing.request_ms = r.get<int64_t>();
  e->timing.response_ms = r.get<int64_t>();
  e->timing.date_s = r.get<int64_t>();
  e->timing.age_s = r.get<int64_t>();
  e->lifetime_s = r.get<int64_t>();
  const uint8_t flags = r.get<uint8_t>();
  e->while_revalidate_s = r.get<int64_t>();
  e->if_error_s = r.get<int64_t>();
  e->stored_ms = r.get<int64_t>();
  if (!r.ok || !r.in.empty() || e->status < 100 || e->status > 999) return nullptr;
  e->no_cache = flags & 1;
  e->revalidate = flags & 2;
  e->set_fields(fields);  // copies out of `meta`
  e->body = std::make_shared<const std::string>(std::move(body));
  return e;
}

}  // namespace

std::shared_ptr<Entry> decode_entry(std::string_view bytes) {
  std::optional<Header> h = read_header(bytes);
  if (!h || bytes.size() != kDiskHeaderSize + h->meta + h->body) return nullptr;
  const std::string_view meta = bytes.substr(kDiskHeaderSize, h->meta);
  const std::string_view body = bytes.substr(kDiskHeaderSize + h->meta);
  if (checksum(bytes.substr(0, 24), meta, body) != h->checksum) return nullptr;
  return entry_of(meta, std::string(body));
}

// ---- the tier ----

std::shared_ptr<DiskTier> DiskTier::open(const std::string& directory, uint64_t bytes, std::string& error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec || !fs::is_directory(directory, ec)) {
    error = "cannot create the directory: " + (ec ? ec.message() : std::string("a file of that name is in the way"));
    return nullptr;
  }
  const std::string probe = directory + "/" + kTmpPrefix + "probe." + std::to_string(::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || !write_all(fd, "x", 1)) {
    error = std::string("cannot write in it: ") + std::strerror(errno);
    if (fd >= 0) ::close(fd), ::unlink(probe.c_str());
    return nullptr;
  }
  ::close(fd);
  ::unlink(probe.c_str());
  std::shared_ptr<DiskTier> t(new DiskTier(directory, bytes));
  t->scan();
  {
    std::lock_guard lock(t->mu_);
    std::vector<std::string> unlink;
    t->evict_locked(0, unlink);  // a directory filled under a larger bound
    t->unlink_all(unlink);
  }
  t->writer_ = std::thread([p = t.get()] { p->run(); });
  return t;
}

DiskTier::DiskTier(std::string dir, uint64_t bytes) : dir_(std::move(dir)), limit_(bytes) {}

DiskTier::~DiskTier() {
  {
    std::lock_guard lock(qmu_);
    stop_ = true;
  }
  qcv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

std::string DiskTier::path_of(std::string_view name) const {
  std::string p = dir_;
  p += '/';
  p += name.substr(0, 2);
  p += '/';
  p += name;
  return p;
}

void DiskTier::fail(const char* what, std::string_view path, int err) {
  counters_.errors.fetch_add(1, std::memory_order_relaxed);
  if (!logged_.exchange(true))  // once: a failing disk must not flood the log
    std::cerr << "banyan: cache disk " << dir_ << ": " << what << " " << path << ": " << std::strerror(err)
              << " (further disk errors are counted, not logged)\n";
}

void DiskTier::scan() {
  namespace fs = std::filesystem;
  struct Found {
    Item item;
    int64_t mtime;
  };
  std::vector<Found> found;
  // `inactive` counts from the load, as nginx's cache loader does: a gateway stopped for
  // longer than `inactive` keeps its files. The LRU order is still the files' mtimes.
  const int64_t loaded_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::error_code ec;
  for (fs::directory_iterator sub(dir_, ec), end; !ec && sub != end; sub.increment(ec)) {
    const std::string subname = sub->path().filename().string();
    if (subname.size() != 2 || !sub->is_directory(ec)) continue;
    std::error_code ec2;
    for (fs::directory_iterator f(sub->path(), ec2); !ec2 && f != end; f.increment(ec2)) {
      const std::string name = f->path().filename().string();
      const std::string path = f->path().string();
      if (name.starts_with(kTmpPrefix)) {  // a write cut short by a stop or a crash
        ::unlink(path.c_str());
        continue;
      }
      if (!is_hex_name(name) || name.compare(0, 2, subname) != 0) continue;  // not ours: left alone
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      struct stat st {};
      char head[kDiskHeaderSize];
      bool ok = ::fstat(fd, &st) == 0 && read_all(fd, head, sizeof head);
      std::optional<Header> h = ok ? read_header({head, sizeof head}) : std::nullopt;
      ok = h && static_cast<uint64_t>(st.st_size) == kDiskHeaderSize + h->meta + h->body;
      std::string meta;
      Found x;
      if (ok) {
        meta.resize(h->meta);
        Reader r{meta};
        ok = read_all(fd, meta.data(), meta.size()) && read_ident(r, x.item.key, x.item.uri, x.item.vary) &&
             disk_name(x.item.key, x.item.vary) == name;
      }
      ::close(fd);
      if (!ok) {
        ::unlink(path.c_str());
        counters_.corrupt.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      x.item.name = name;
      x.item.size = static_cast<uint64_t>(st.st_size);
      x.mtime = mtime_ms(st);
      x.item.used_ms = std::max(x.mtime, loaded_ms);
      found.push_back(std::move(x));
    }
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.mtime < b.mtime; });
  std::lock_guard lock(mu_);
  for (Found& f : found) add_locked(std::move(f.item));  // the newest ends at the front
}

void DiskTier::add_locked(Item item) {
  if (auto old = by_name_.find(item.name); old != by_name_.end()) remove_locked(old->second);
  used_.fetch_add(item.size, std::memory_order_relaxed);
  files_.fetch_add(1, std::memory_order_relaxed);
  lru_.push_front(std::move(item));
  const Lru::iterator it = lru_.begin();
  by_key_[it->key].push_back(it);
  by_uri_[it->uri].push_back(it);
  by_name_[it->name] = it;
}

void DiskTier::remove_locked(Lru::iterator it) {
  auto drop = [&](StringMap<std::vector<Lru::iterator>>& m, const std::string& k) {
    auto v = m.find(k);
    if (v == m.end()) return;
    std::erase(v->second, it);
    if (v->second.empty()) m.erase(v);
  };
  drop(by_key_, it->key);
  drop(by_uri_, it->uri);
  by_name_.erase(it->name);
  used_.fetch_sub(it->size, std::memory_order_relaxed);
  files_.fetch_sub(1, std::memory_order_relaxed);
  lru_.erase(it);
}

void DiskTier::evict_locked(uint64_t room, std::vector<std::string>& unlink) {
  while (!lru_.empty() && used_.load(std::memory_order_relaxed) + room > limit()) {
    unlink.push_back(lru_.back().name);
    remove_locked(std::prev(lru_.end()));
    counters_.evictions.fetch_add(1, std::memory_order_relaxed);
  }
}

void DiskTier::unlink_all(const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    const std::string p = path_of(n);
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) fail("cannot delete", p, errno);
  }
}

void DiskTier::drop_files(const std::vector<std::string>& names) {
  unlink_all(names);
  // The writer may have renamed a new file under one of these names between the index
  // change and the unlink: then the index lists a file that is gone. Forget it now,
  // rather than on the next lookup.
  std::lock_guard lock(mu_);
  for (const std::string& n : names) {
    auto it = by_name_.find(n);
    struct stat st {};
    if (it != by_name_.end() && ::stat(path_of(n).c_str(), &st) != 0) remove_locked(it->second);
  }
}

std::shared_ptr<Entry> DiskTier::read_file(const std::string& path, bool& gone) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) fail("cannot open", path, errno);
    gone = true;
    return nullptr;
  }
  struct stat st {};
  char head[kDiskHeaderSize];
  std::shared_ptr<Entry> e;
  std::optional<Header> h;
  if (::fstat(fd, &st) == 0 && read_all(fd, head, sizeof head) && (h = read_header({head, sizeof head})) &&
      static_cast<uint64_t>(st.st_size) == kDiskHeaderSize + h->meta + h->body) {
    std::string meta(h->meta, '\0');
    std::string body(h->body, '\0');
    if (read_all(fd, meta.data(), meta.size()) && read_all(fd, body.data(), body.size()) &&
        checksum({head, 24}, meta, body) == h->checksum)
      e = entry_of(meta, std::move(body));
  }
  ::close(fd);
  return e;
}

std::shared_ptr<Entry> DiskTier::find(std::string_view key, std::span<const plan::HeaderField> request, int64_t now_ms,
                                      int64_t inactive_ms) {
  std::string name;
  {
    std::lock_guard lock(mu_);
    auto k = by_key_.find(key);
    if (k == by_key_.end()) return nullptr;
    for (Lru::iterator it : k->second) {
      if (!vary_matches(it->vary, request)) continue;
      if (now_ms - it->used_ms > inactive_ms) {  // `inactive`: unused for too long
        name = it->name;
        remove_locked(it);
        counters_.evictions.fetch_add(1, std::memory_order_relaxed);
        unlink_all({name});
        return nullptr;
      }
      it->used_ms = now_ms;
      lru_.splice(lru_.begin(), lru_, it);
      name = it->name;
      break;
    }
  }
  if (name.empty()) return nullptr;

  const std::string path = path_of(name);
  bool gone = false;
  std::shared_ptr<Entry> e = read_file(path, gone);
  if (gone) {  // deleted meanwhile (purge, eviction, or by hand): forget it
    std::lock_guard lock(mu_);
    if (auto it = by_name_.find(name); it != by_name_.end()) remove_locked(it->second);
    return nullptr;
  }
  // The file must be what the index says: a collision of names, or a file swapped by
  // hand, is as good as corrupt.
  if (e && (e->key != key || !vary_matches(e->vary, request) || disk_name(e->key, e->vary) != name)) e.reset();
  if (!e) {
    counters_.corrupt.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    if (auto it = by_name_.find(name); it != by_name_.end()) remove_locked(it->second);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail("cannot delete", path, errno);
    return nullptr;
  }
  counters_.hits.fetch_add(1, std::memory_order_relaxed);
  return e;
}

void DiskTier::touch(std::string_view key, const Pairs& vary, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto k = by_key_.find(key);
  if (k == by_key_.end()) return;
  for (Lru::iterator it : k->second) {
    if (it->vary != vary) continue;
    it->used_ms = std::max(it->used_ms, now_ms);
    lru_.splice(lru_.begin(), lru_, it);
    return;
  }
}

bool DiskTier::store(std::shared_ptr<const Entry> e) {
  const uint64_t size = e->body ? e->body->size() : 0;
  if (size + kDiskHeaderSize > limit()) return false;
  std::string name = disk_name(e->key, e->vary);
  std::lock_guard lock(mu_);  // mu_, then qmu_: the writer never takes them the other way
  uint64_t seq = 0;
  {
    std::lock_guard q(qmu_);
    if (stop_ || queue_.size() >= kQueueEntries || queued_bytes_ + size > kQueueBytes) {
      counters_.write_drops.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    seq = ++seq_;
    queued_bytes_ += size;
    queue_.push_back({e, seq});
  }
  pending_[std::move(name)] = {seq, e->key, e->uri};
  qcv_.notify_one();
  return true;
}

void DiskTier::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(qmu_);
      qcv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopped, and everything queued is written
      job = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    write(job);
    {
      std::lock_guard lock(qmu_);
      queued_bytes_ -= job.entry->body ? job.entry->body->size() : 0;
      busy_ = false;
    }
    idle_.notify_all();
  }
}

void DiskTier::forget(const std::string& name, uint64_t seq) {
  std::lock_guard lock(mu_);
  if (auto p = pending_.find(name); p != pending_.end() && p->second.seq == seq) pending_.erase(p);
}

bool DiskTier::write_tmp(const std::string& sub, const std::string& tmp, std::string_view bytes) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT && (::mkdir(sub.c_str(), 0755) == 0 || errno == EEXIST))
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    fail("cannot create", tmp, errno);
    return false;
  }
  const bool ok = write_all(fd, bytes.data(), bytes.size());
  const int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    fail("cannot write", tmp, err ? err : ENOSPC);
  }
  return ok;
}

void DiskTier::write(const Job& job) {
  const Entry& e = *job.entry;
  const std::string name = disk_name(e.key, e.vary);
  {
    std::lock_guard lock(mu_);
    auto p = pending_.find(name);
    if (p == pending_.end() || p->second.seq != job.seq) return;  // superseded or removed
  }
  const std::string bytes = encode_entry(e);
  const std::string sub = dir_ + "/" + name.substr(0, 2);
  const std::string tmp = sub + "/" + kTmpPrefix + name + "." + std::to_string(job.seq);
  // Larger than the whole bound once its meta is counted, or the file system failed.
  if (bytes.size() > limit() || !write_tmp(sub, tmp, bytes)) return forget(name, job.seq);
  std::vector<std::string> unlink;
  {
    std::lock_guard lock(mu_);
    auto p = pending_.find(name);
    if (p == pending_.end() || p->second.seq != job.seq) {  // removed while it was written
      ::unlink(tmp.c_str());
      return;
    }
    pending_.erase(p);
    if (auto old = by_name_.find(name); old != by_name_.end()) remove_locked(old->second);  // replaced below
    evict_locked(bytes.size(), unlink);
    const std::string final_path = path_of(name);
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      fail("cannot rename", tmp, err);
    } else {
      Item item{e.key, e.uri, name, e.vary, bytes.size(), 0};
      item.used_ms = std::max(e.stored_ms, e.used_ms.load(std::memory_order_relaxed));
      add_locked(std::move(item));
      counters_.written.fetch_add(1, std::memory_order_relaxed);
    }
  }
  unlink_all(unlink);
}

size_t DiskTier::remove_uri(std::string_view uri) {
  std::vector<std::string> unlink;
  {
    std::lock_guard lock(mu_);
    std::erase_if(pending_, [&](const auto& kv) { return kv.second.uri == uri; });
    auto u = by_uri_.find(uri);
    if (u == by_uri_.end()) return 0;
    const std::vector<Lru::iterator> items = u->second;
    for (Lru::iterator it : items) {
      unlink.push_back(it->name);
      remove_locked(it);
    }
  }
  drop_files(unlink);
  return unlink.size();
}

size_t DiskTier::purge(std::string_view key, bool prefix) {
  auto matches = [&](std::string_view k) { return prefix ? k.starts_with(key) : k == key; };
  std::vector<std::string> unlink;
  {
    std::lock_guard lock(mu_);
    std::erase_if(pending_, [&](const auto& kv) { return matches(kv.second.key); });
    std::vector<Lru::iterator> items;
    if (!prefix) {
      if (auto k = by_key_.find(key); k != by_key_.end()) items = k->second;
    } else {
      for (const auto& [k, v] : by_key_)
        if (matches(k)) items.insert(items.end(), v.begin(), v.end());
    }
    for (Lru::iterator it : items) {
      unlink.push_back(it->name);
      remove_locked(it);
    }
  }
  drop_files(unlink);
  return unlink.size();
}

void DiskTier::resize(uint64_t bytes) {
  limit_.store(bytes, std::memory_order_relaxed);
  std::vector<std::string> unlink;
  {
    std::lock_guard lock(mu_);
    evict_locked(0, unlink);
  }
  drop_files(unlink);
}

void DiskTier::flush() {
  std::unique_lock lock(qmu_);
  idle_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

}  // namespace banyan::cache
