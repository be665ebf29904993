// The disk tier (runtime/cache/disk_tier.h) on a real temporary directory: the file
// format's round trip, corrupt files (truncated, a flipped byte, a wrong magic) found,
// deleted, counted and never returned, the bound, the index rebuilt by a new tier, and
// the zone's use of it (promotion, invalidation, purge).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "runtime/cache/disk_tier.h"
#include "runtime/cache/zone.h"

namespace banyan::cache {
namespace {

namespace fs = std::filesystem;
using Pairs = std::vector<std::pair<std::string, std::string>>;

struct TempDir {
  std::string path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "banyan-disk-XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kInactive = 3600'000;

std::shared_ptr<Entry> make_entry(const std::string& key, const std::string& body, Pairs vary = {},
                                  int64_t stored_ms = kNow) {
  auto e = std::make_shared<Entry>();
  e->key = "http://example.com" + key;
  e->uri = "example.com" + key;
  e->status = 203;
  e->reason = "Non-Authoritative";
  const std::vector<plan::HeaderField> fields{{"Content-Type", "text/plain"},
                                              {"ETag", "\"v1\""},
                                              {"Last-Modified", "Tue, 15 Nov 1994 12:45:26 GMT"},
                                              {"X-Empty", ""}};
  e->set_fields(fields);
  e->vary = std::move(vary);
  e->timing = {stored_ms - 20, stored_ms - 10, stored_ms / 1000 - 1, 7};
  e->lifetime_s = 60;
  e->no_cache = false;
  e->revalidate = true;
  e->while_revalidate_s = 30;
  e->if_error_s = kAbsent;
  e->stored_ms = stored_ms;
  e->body = std::make_shared<const std::string>(body);
  return e;
}

std::string file_of(const DiskTier& d, const Entry& e) {
  const std::string name = disk_name(e.key, e.vary);
  return d.directory() + "/" + name.substr(0, 2) + "/" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

uint64_t files_in(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& f : fs::recursive_directory_iterator(dir)) n += f.is_regular_file();
  return n;
}

uint64_t bytes_in(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& f : fs::recursive_directory_iterator(dir))
    if (f.is_regular_file()) n += f.file_size();
  return n;
}

std::shared_ptr<DiskTier> open_tier(const std::string& dir, uint64_t bytes = 1 << 20) {
  std::string error;
  std::shared_ptr<DiskTier> d = DiskTier::open(dir, bytes, error);
  INFO(error);
  REQUIRE(d);
  return d;
}

void stored(DiskTier& d, const std::shared_ptr<Entry>& e) {
  REQUIRE(d.store(e));
  d.flush();
}

TEST_CASE("a response written to disk reads back with everything its entry holds") {
  TempDir t;
  auto d = open_tier(t.path);
  auto e = make_entry("/a", std::string("body\0with a nul", 15), {{"accept-language", "en, fr"}});
  stored(*d, e);
  const std::vector<plan::HeaderField> request{{"Accept-Language", "en"}, {"accept-language", "fr"}};
  std::shared_ptr<Entry> r = d->find(e->key, request, kNow, kInactive);
  REQUIRE(r);
  CHECK(r->key == e->key);
  CHECK(r->uri == e->uri);
  CHECK(r->status == 203);
  CHECK(r->reason == "Non-Authoritative");
  CHECK(r->head == e->head);
  REQUIRE(r->fields.size() == 4);
  CHECK(r->fields[3].name == "X-Empty");
  CHECK(r->fields[3].value.empty());
  CHECK(r->etag == "\"v1\"");
  CHECK(r->last_modified == "Tue, 15 Nov 1994 12:45:26 GMT");
  CHECK(r->vary == e->vary);
  CHECK(r->timing.request_ms == e->timing.request_ms);
  CHECK(r->timing.response_ms == e->timing.response_ms);
  CHECK(r->timing.date_s == e->timing.date_s);
  CHECK(r->timing.age_s == 7);
  CHECK(r->lifetime_s == 60);
  CHECK(!r->no_cache);
  CHECK(r->revalidate);
  CHECK(r->while_revalidate_s == 30);
  CHECK(r->if_error_s == kAbsent);
  CHECK(r->stored_ms == kNow);
  CHECK(*r->body == *e->body);
  CHECK(d->counters().hits == 1);
  CHECK(d->entries() == 1);
  CHECK(d->bytes() == bytes_in(t.path));
}

TEST_CASE("the disk finds only the variant whose Vary values the request has") {
  TempDir t;
  auto d = open_tier(t.path);
  auto en = make_entry("/v", "english", {{"accept-language", "en"}});
  auto fr = make_entry("/v", "french", {{"accept-language", "fr"}});
  stored(*d, en);
  stored(*d, fr);
  const std::vector<plan::HeaderField> want_fr{{"Accept-Language", "fr"}};
  const std::vector<plan::HeaderField> want_de{{"Accept-Language", "de"}};
  REQUIRE(d->find(en->key, want_fr, kNow, kInactive));
  CHECK(*d->find(en->key, want_fr, kNow, kInactive)->body == "french");
  CHECK(!d->find(en->key, want_de, kNow, kInactive));
  CHECK(!d->find(en->key, {}, kNow, kInactive));
  CHECK(d->entries() == 2);
}

// Each way of breaking a file: the lookup is a miss, the file is gone, the counter
// says so, and the body is never returned.
TEST_CASE("a corrupt file (truncated, a flipped byte, a wrong magic, a bad length) is deleted, counted, never served") {
  struct Damage {
    const char* what;
    void (*apply)(std::string&);
  };
  const Damage damages[] = {
      {"truncated", [](std::string& b) { b.resize(b.size() - 3); }},
      {"a flipped byte in the body", [](std::string& b) { b[b.size() - 2] ^= 0x20; }},
      {"a flipped byte in the meta", [](std::string& b) { b[kDiskHeaderSize + 6] ^= 1; }},
      {"a wrong magic", [](std::string& b) { b[0] = 'X'; }},
      {"another version", [](std::string& b) { b[8] = 9; }},
      {"a meta length beyond the file", [](std::string& b) { b[12] = static_cast<char>(0xff); }},
      {"empty", [](std::string& b) { b.clear(); }},
  };
  for (const Damage& dmg : damages) {
    SECTION(dmg.what) {
      TempDir t;
      auto d = open_tier(t.path);
      auto e = make_entry("/c", "the right body, which must never be served damaged");
      stored(*d, e);
      const std::string path = file_of(*d, *e);
      std::string bytes = slurp(path);
      REQUIRE(bytes.size() > kDiskHeaderSize);
      dmg.apply(bytes);
      spit(path, bytes);
      CHECK(!d->find(e->key, {}, kNow, kInactive));
      CHECK(d->counters().corrupt == 1);
      CHECK(d->counters().hits == 0);
      CHECK(!fs::exists(path));
      CHECK(d->entries() == 0);
      CHECK(d->bytes() == 0);
      CHECK(!d->find(e->key, {}, kNow, kInactive));  // and stays a miss
      CHECK(d->counters().corrupt == 1);
    }
  }
}

TEST_CASE("decode_entry refuses every truncation of a file and accepts only the whole") {
  auto e = make_entry("/t", "0123456789", {{"accept", "x"}});
  const std::string bytes = encode_entry(*e);
  REQUIRE(decode_entry(bytes));
  for (size_t n = 0; n < bytes.size(); ++n) {
    INFO("length " << n);
    CHECK(!decode_entry(std::string_view(bytes).substr(0, n)));
  }
  for (size_t i = 0; i < bytes.size(); ++i) {  // every single flipped bit of the first byte of each
    std::string b = bytes;
    b[i] ^= 1;
    INFO("byte " << i);
    CHECK(!decode_entry(b));
  }
}

TEST_CASE("a scan deletes and counts files whose header does not hold together, and leftover temporary files") {
  TempDir t;
  auto good = make_entry("/good", "good");
  auto bad = make_entry("/bad", "bad");
  std::string good_path, bad_path;
  {
    auto d = open_tier(t.path);
    stored(*d, good);
    stored(*d, bad);
    good_path = file_of(*d, *good);
    bad_path = file_of(*d, *bad);
  }
  std::string bytes = slurp(bad_path);
  bytes.resize(bytes.size() / 2);
  spit(bad_path, bytes);
  const std::string tmp = fs::path(good_path).parent_path().string() + "/.tmp.cut-short";
  spit(tmp, "half");
  const std::string foreign = t.path + "/README";
  spit(foreign, "not ours");

  auto d = open_tier(t.path);
  CHECK(d->counters().corrupt == 1);
  CHECK(d->entries() == 1);
  CHECK(!fs::exists(bad_path));
  CHECK(!fs::exists(tmp));
  CHECK(fs::exists(foreign));  // not the tier's: left alone
  CHECK(!d->find(bad->key, {}, kNow, kInactive));
  REQUIRE(d->find(good->key, {}, kNow, kInactive));
}

TEST_CASE("a new tier on the same directory rebuilds the index: entries, bytes, variants, URIs") {
  TempDir t;
  auto a = make_entry("/a", "aaaa");
  auto b1 = make_entry("/b", "b-en", {{"accept-language", "en"}});
  auto b2 = make_entry("/b", "b-fr", {{"accept-language", "fr"}});
  uint64_t bytes = 0;
  {
    auto d = open_tier(t.path);
    for (auto& e : {a, b1, b2}) REQUIRE(d->store(e));
  }  // the destructor writes what is queued
  {
    auto d = open_tier(t.path);
    CHECK(d->entries() == 3);
    bytes = d->bytes();
    CHECK(bytes == bytes_in(t.path));
    const std::vector<plan::HeaderField> fr{{"Accept-Language", "fr"}};
    REQUIRE(d->find(b1->key, fr, kNow, kInactive));
    CHECK(*d->find(b1->key, fr, kNow, kInactive)->body == "b-fr");
    CHECK(d->remove_uri(b1->uri) == 2);  // the URI index was rebuilt too
  }
  auto d = open_tier(t.path);
  CHECK(d->entries() == 1);
  CHECK(files_in(t.path) == 1);
}

TEST_CASE("after a stop longer than `inactive`, the files are kept: inactive counts from the load") {
  TempDir t;
  auto e = make_entry("/slept", "slept");
  std::string path;
  {
    auto d = open_tier(t.path);
    stored(*d, e);
    path = file_of(*d, *e);
  }
  const auto now = std::chrono::system_clock::now();
  const auto hour_ago = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() - 3600;
  struct timespec times[2] = {{hour_ago, 0}, {hour_ago, 0}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
  auto d = open_tier(t.path);
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  CHECK(d->find(e->key, {}, now_ms + 1000, 10 * 60 * 1000));
}

TEST_CASE("the disk bound evicts the least recently used files first") {
  TempDir t;
  const std::string body(1000, 'x');
  const uint64_t one = encode_entry(*make_entry("/0", body)).size();
  auto d = open_tier(t.path, 3 * one + one / 2);  // room for three
  std::vector<std::shared_ptr<Entry>> es;
  for (int i = 0; i < 3; ++i) {
    es.push_back(make_entry("/" + std::to_string(i), body, {}, kNow + i));
    stored(*d, es.back());
  }
  REQUIRE(d->find(es[0]->key, {}, kNow + 10, kInactive));  // /0 used: /1 is now the oldest
  es.push_back(make_entry("/3", body, {}, kNow + 11));
  stored(*d, es.back());
  CHECK(d->entries() == 3);
  CHECK(d->bytes() <= d->limit());
  CHECK(bytes_in(t.path) <= d->limit());
  CHECK(d->find(es[0]->key, {}, kNow + 12, kInactive));
  CHECK(!d->find(es[1]->key, {}, kNow + 12, kInactive));
  CHECK(!fs::exists(file_of(*d, *es[1])));
  CHECK(d->find(es[2]->key, {}, kNow + 12, kInactive));
  CHECK(d->counters().evictions == 1);

  d->resize(one + one / 2);  // a reload with a smaller bound
  CHECK(d->entries() == 1);
  CHECK(bytes_in(t.path) <= one + one / 2);
}

TEST_CASE("a new tier under a smaller bound evicts down to it at once") {
  TempDir t;
  {
    auto d = open_tier(t.path);
    for (int i = 0; i < 10; ++i) REQUIRE(d->store(make_entry("/" + std::to_string(i), std::string(500, 'y'))));
  }
  auto d = open_tier(t.path, 2000);
  CHECK(d->bytes() <= 2000);
  CHECK(bytes_in(t.path) <= 2000);
  CHECK(d->entries() >= 1);
}

TEST_CASE("a response larger than the disk bound is never written") {
  TempDir t;
  auto d = open_tier(t.path, 4096);
  CHECK(!d->store(make_entry("/big", std::string(8192, 'z'))));
  d->flush();
  CHECK(files_in(t.path) == 0);
}

TEST_CASE("`inactive`: a file unused for longer is removed on lookup") {
  TempDir t;
  auto d = open_tier(t.path);
  auto e = make_entry("/old", "old");
  stored(*d, e);
  CHECK(!d->find(e->key, {}, kNow + kInactive + 1, kInactive));
  CHECK(!fs::exists(file_of(*d, *e)));
  CHECK(d->counters().corrupt == 0);
}

TEST_CASE("purge by key, by prefix and of everything, and invalidation by URI, remove the files") {
  TempDir t;
  auto d = open_tier(t.path);
  auto a = make_entry("/p/a", "a");
  auto b = make_entry("/p/b", "b");
  auto c = make_entry("/q/c", "c");
  auto v1 = make_entry("/v", "v1", {{"accept", "1"}});
  auto v2 = make_entry("/v", "v2", {{"accept", "2"}});
  for (auto& e : {a, b, c, v1, v2}) stored(*d, e);
  CHECK(files_in(t.path) == 5);
  CHECK(d->purge(a->key, false) == 1);
  CHECK(!fs::exists(file_of(*d, *a)));
  CHECK(d->purge("http://example.com/p/", true) == 1);
  CHECK(!fs::exists(file_of(*d, *b)));
  CHECK(d->remove_uri("example.com/v") == 2);
  CHECK(files_in(t.path) == 1);
  CHECK(d->purge("", true) == 1);
  CHECK(files_in(t.path) == 0);
  CHECK(d->entries() == 0);
  CHECK(d->bytes() == 0);
}

TEST_CASE("a purge removes a write still queued, so it never lands afterwards") {
  TempDir t;
  auto d = open_tier(t.path);
  for (int round = 0; round < 50; ++round) {
    auto e = make_entry("/race" + std::to_string(round), std::string(20000, 'r'));
    REQUIRE(d->store(e));
    d->purge(e->key, false);
    d->flush();
    CHECK(!fs::exists(file_of(*d, *e)));
    CHECK(!d->find(e->key, {}, kNow, kInactive));
  }
  CHECK(d->entries() == 0);
}

TEST_CASE("a full write queue drops the entry and counts it") {
  TempDir t;
  auto d = open_tier(t.path, 1ull << 30);
  // kQueueBytes of bodies at most: more than that at once must drop some.
  const auto body = std::make_shared<const std::string>(8 << 20, 'q');
  int accepted = 0;
  for (int i = 0; i < 10; ++i) {
    auto e = make_entry("/q" + std::to_string(i), "");
    e->body = body;
    accepted += d->store(e);
  }
  d->flush();
  CHECK(d->counters().write_drops == static_cast<uint64_t>(10 - accepted));
  CHECK(d->counters().write_drops > 0);
  CHECK(d->entries() == static_cast<uint64_t>(accepted));
}

TEST_CASE("a write the file system refuses is counted, not thrown, and the lookup is a miss") {
  TempDir t;
  auto d = open_tier(t.path);
  auto e = make_entry("/refused", "x");
  const std::string name = disk_name(e->key, e->vary);
  spit(t.path + "/" + name.substr(0, 2), "a file where the folder goes");
  REQUIRE(d->store(e));
  d->flush();
  CHECK(d->counters().errors == 1);
  CHECK(d->counters().written == 0);
  CHECK(d->entries() == 0);
  CHECK(!d->find(e->key, {}, kNow, kInactive));
  fs::remove(t.path + "/" + name.substr(0, 2));
  stored(*d, e);  // the next write of the same response lands
  CHECK(d->find(e->key, {}, kNow, kInactive));
}

TEST_CASE("stores, lookups, purges and invalidations from several threads keep the index and the files in step") {
  TempDir t;
  const std::string body(3000, 's');
  const uint64_t one = encode_entry(*make_entry("/s/0/00", body)).size();
  auto d = open_tier(t.path, 20 * one);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0}, found{0};  // Catch2's assertions are not for other threads
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 200; ++i) {
        auto e = make_entry("/s/" + std::to_string(w) + "/" + std::to_string(i % 40), body);
        d->store(e);
        const std::string earlier = "http://example.com/s/" + std::to_string(w) + "/" + std::to_string((i + 39) % 40);
        if (auto r = d->find(earlier, {}, kNow, kInactive)) wrong += *r->body != body, ++found;
        if (i % 17 == 0) d->purge("http://example.com/s/" + std::to_string(w) + "/", true);
        if (i % 13 == 0) d->remove_uri(e->uri);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  d->flush();
  found = 0;
  for (int w = 0; w < 4; ++w)  // what is left reads back whole
    for (int i = 0; i < 40; ++i)
      if (auto r = d->find("http://example.com/s/" + std::to_string(w) + "/" + std::to_string(i), {}, kNow, kInactive))
        wrong += *r->body != body, ++found;
  const DiskCounters& c = d->counters();
  INFO("written " << c.written << ", dropped from a full queue " << c.write_drops << ", evicted " << c.evictions
                  << ", entries " << d->entries());
  CHECK(wrong == 0);
  // Something is left to read back, unless the storm overran the write queue (store()
  // drops and counts then, by design: on a slow machine, such as a sanitizer build
  // sharing its cores, the writer thread can fall 256 writes behind).
  if (c.write_drops == 0) CHECK(found > 0);
  CHECK(found <= 20);
  CHECK(d->bytes() <= d->limit());
  CHECK(d->bytes() == bytes_in(t.path));
  CHECK(d->entries() == files_in(t.path));
  CHECK(d->counters().corrupt == 0);
}

TEST_CASE("a directory that cannot be created is refused with the reason") {
  TempDir t;
  spit(t.path + "/file", "x");
  std::string error;
  CHECK(!DiskTier::open(t.path + "/file/sub", 1 << 20, error));
  CHECK(error.starts_with("cannot create the directory: "));
  ZoneSpec spec{1 << 20, 0, -1, t.path + "/file/sub", 1 << 20};
  Zones zones;
  CHECK(!zones.get("pages", spec, error));
  CHECK(error.starts_with("cache zone 'pages': disk \"" + t.path + "/file/sub\": cannot create the directory: "));
  CHECK(zones.all().empty());
}

TEST_CASE("a zone's memory miss is answered from disk after a restart, and promoted into memory") {
  TempDir t;
  ZoneSpec spec{1 << 20, 0, -1, t.path, 1 << 20};
  std::string error;
  auto e = make_entry("/z", "from disk", {}, kNow);
  {
    Zones zones;
    auto z = zones.get("pages", spec, error);
    REQUIRE(z);
    REQUIRE(z->insert(e));
    z->disk()->flush();
  }
  Zones zones;  // a restart: a new process's zones
  auto z = zones.get("pages", spec, error);
  REQUIRE(z);
  CHECK(z->entries() == 0);
  std::shared_ptr<const Entry> r = z->find(e->key, {}, kNow + 1000);
  REQUIRE(r);
  CHECK(*r->body == "from disk");
  CHECK(z->entries() == 1);  // promoted
  CHECK(z->disk()->counters().hits == 1);
  REQUIRE(z->find(e->key, {}, kNow + 2000));  // a memory hit now
  CHECK(z->disk()->counters().hits == 1);
}

TEST_CASE("a zone's invalidation and purge remove the disk's files too") {
  TempDir t;
  ZoneSpec spec{1 << 20, 0, -1, t.path, 1 << 20};
  std::string error;
  Zones zones;
  auto z = zones.get("pages", spec, error);
  REQUIRE(z);
  auto a = make_entry("/a", "a");
  auto b = make_entry("/b", "b");
  REQUIRE(z->insert(a));
  REQUIRE(z->insert(b));
  z->disk()->flush();
  CHECK(files_in(t.path) == 2);
  CHECK(z->invalidate(a->uri) == 1);
  CHECK(files_in(t.path) == 1);
  CHECK(z->purge(b->key, false) == 1);
  CHECK(files_in(t.path) == 0);
  CHECK(!z->find(a->key, {}, kNow));
}

TEST_CASE("with a disk tier, a response beyond the memory's cap but within max_entry is stored on disk only") {
  TempDir t;
  ZoneSpec spec{64 << 10, 1 << 20, -1, t.path, 4 << 20};  // memory 64 KiB, max_entry 1 MiB
  std::string error;
  Zones zones;
  auto z = zones.get("big", spec, error);
  REQUIRE(z);
  CHECK(z->max_entry() == 1 << 20);
  auto e = make_entry("/big", std::string(200 << 10, 'b'));
  REQUIRE(z->insert(e));
  CHECK(z->entries() == 0);
  z->disk()->flush();
  std::shared_ptr<const Entry> r = z->find(e->key, {}, kNow);
  REQUIRE(r);
  CHECK(r->body->size() == 200 << 10);
  CHECK(z->entries() == 0);  // too large to promote: read from disk each time
  auto small = make_entry("/grows", "small");  // a response that grows beyond the memory's cap
  REQUIRE(z->insert(small));
  CHECK(z->entries() == 1);
  REQUIRE(z->insert(make_entry("/grows", std::string(100 << 10, 'g'))));
  CHECK(z->entries() == 0);  // the small one no longer answers from memory
  z->disk()->flush();
  REQUIRE(z->find(small->key, {}, kNow));
  CHECK(z->find(small->key, {}, kNow)->body->size() == 100 << 10);
  CHECK(!z->insert(make_entry("/huge", std::string(2 << 20, 'h'))));
  CHECK(z->counters().too_large == 1);
  Zones memory_only;
  ZoneSpec plain = spec;
  plain.disk_path.clear();
  CHECK(memory_only.get("big", plain, error)->max_entry() == 64 << 10);
}

TEST_CASE("a zone that names the same directory again keeps its tier and another zone cannot take it twice") {
  TempDir t;
  ZoneSpec spec{1 << 20, 0, -1, t.path, 1 << 20};
  std::string error;
  Zones zones;
  auto z = zones.get("pages", spec, error);
  REQUIRE(z);
  const std::shared_ptr<DiskTier> tier = z->disk();
  spec.disk_bytes = 1 << 19;
  REQUIRE(zones.get("pages", spec, error) == z);
  CHECK(z->disk() == tier);
  CHECK(tier->limit() == 1 << 19);
  auto renamed = zones.get("renamed", spec, error);  // a reload that renamed the zone
  REQUIRE(renamed);
  CHECK(renamed->disk() == tier);
  CHECK(!z->disk());
}

TEST_CASE("a disk hit costs (measured, not checked)", "[.][bench]") {
  TempDir t;
  auto d = open_tier(t.path, 1ull << 30);
  for (size_t size : {size_t{4096}, size_t{1} << 20}) {
    auto e = make_entry("/cost" + std::to_string(size), std::string(size, 'c'));
    stored(*d, e);
    constexpr int kRuns = 200;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kRuns; ++i) REQUIRE(d->find(e->key, {}, kNow, kInactive));
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    WARN(size << " bytes: " << us / kRuns << " us per disk hit");
  }
}

}  // namespace
}  // namespace banyan::cache
