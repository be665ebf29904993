// The memory tier (runtime/cache/zone.h): insert and find, Vary's variants (RFC 9111
// 4.1), the byte bound with least-recently-used eviction, `inactive`, invalidation by
// URI (4.4), purge, the variants' cap, the fill marks of request collapsing, and the
// byte accounting, which must come back to 0 whatever removed the entries (also under
// four threads at once).
#include "runtime/cache/zone.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace banyan::cache {
namespace {

using Fields = std::vector<plan::HeaderField>;
using Vary = std::vector<std::pair<std::string, std::string>>;

std::shared_ptr<Entry> make(std::string key, std::string uri, size_t body, int64_t stored_ms, Vary vary = {}) {
  auto e = std::make_shared<Entry>();
  e->key = std::move(key);
  e->uri = std::move(uri);
  e->status = 200;
  e->reason = "OK";
  const Fields f = {{"Content-Type", "text/plain"}};
  e->set_fields(f);
  e->body = std::make_shared<const std::string>(body, 'x');
  e->vary = std::move(vary);
  e->stored_ms = stored_ms;
  e->lifetime_s = 60;
  return e;
}

const Fields kNone;

TEST_CASE("zone: an entry's charge counts its strings, body and overhead", "[cache]") {
  const auto e = make("k", "a/x", 100, 0, {{"accept", "gzip"}});
  // "Content-Type: text/plain\r\n" is 12 + 2 + 10 + 2 = 26 bytes
  CHECK(e->head == "Content-Type: text/plain\r\n");
  CHECK(e->charge() == kEntryOverhead + 1 + 3 + 2 + 26 + sizeof(plan::HeaderField) + 100 + 6 + 4 +
                           2 * sizeof(std::string));
}

TEST_CASE("zone: set_fields keeps views into its own head, and finds the validators", "[cache]") {
  Entry e;
  std::string name = "ETag", value = "\"v1\"";
  const Fields f = {{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {name, value}, {"Last-Modified", "x"}};
  e.set_fields(f);
  name = "XXXX";
  value = "XXXX";
  REQUIRE(e.fields.size() == 3);
  CHECK(e.fields[1].name == "ETag");
  CHECK(e.etag == "\"v1\"");
  CHECK(e.last_modified == "x");
  CHECK(e.head == "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nETag: \"v1\"\r\nLast-Modified: x\r\n");
}

TEST_CASE("zone: what is inserted is found under its key, and only there", "[cache]") {
  Zone z("z", 1 << 20, 0, -1);
  const auto e = make("GET http://a/x", "a/x", 10, 1000);
  REQUIRE(z.insert(e));
  CHECK(z.entries() == 1);
  CHECK(z.bytes() == e->charge());
  CHECK(z.find("GET http://a/x", kNone, 1001) == e);
  CHECK(z.find("GET http://a/y", kNone, 1001) == nullptr);
  CHECK(z.find("GET http://a/", kNone, 1001) == nullptr);
  CHECK(z.counters().stored.load() == 1);
}

TEST_CASE("4.1: a variant matches when the request's selecting fields match its stored values", "[cache]") {
  Zone z("z", 1 << 20, 0, -1);
  const auto gz = make("k", "a/x", 10, 1, {{"accept-encoding", "gzip, br"}});
  const auto id = make("k", "a/x", 20, 2, {{"accept-encoding", "identity"}});
  REQUIRE(z.insert(gz));
  REQUIRE(z.insert(id));
  CHECK(z.entries() == 2);
  const Fields one_line = {{"Accept-Encoding", "gzip, br"}};
  CHECK(z.find("k", one_line, 3) == gz);
  // 4.1: "combining multiple header field lines" (RFC 9110 5.3) is a match
  const Fields two_lines = {{"accept-encoding", "gzip"}, {"Host", "a"}, {"ACCEPT-ENCODING", "br"}};
  CHECK(z.find("k", two_lines, 3) == gz);
  const Fields identity = {{"Accept-Encoding", "identity"}};
  CHECK(z.find("k", identity, 3) == id);
  const Fields part = {{"Accept-Encoding", "gzip"}};
  CHECK(z.find("k", part, 3) == nullptr);
  const Fields more = {{"Accept-Encoding", "gzip, br, zstd"}};
  CHECK(z.find("k", more, 3) == nullptr);
  CHECK(z.find("k", kNone, 3) == nullptr);  // absent: matches no stored value here
}

TEST_CASE("4.1: every selecting field must match", "[cache]") {
  Zone z("z", 1 << 20, 0, -1);
  const auto e = make("k", "a/x", 10, 1, {{"accept-language", "fr"}, {"x-tenant", "7"}});
  REQUIRE(z.insert(e));
  const Fields both = {{"X-Tenant", "7"}, {"Accept-Language", "fr"}};
  CHECK(z.find("k", both, 2) == e);
  const Fields one = {{"Accept-Language", "fr"}};
  CHECK(z.find("k", one, 2) == nullptr);
  const Fields other = {{"Accept-Language", "fr"}, {"X-Tenant", "8"}};
  CHECK(z.find("k", other, 2) == nullptr);
}

TEST_CASE("4.1: a request without the selecting field matches a variant stored without it", "[cache]") {
  Zone z("z", 1 << 20, 0, -1);
  // what the gateway stores for a request without X-V (cache_answer.cpp): kVaryAbsent
  const auto absent = make("k", "a/x", 10, 1, {{"x-v", kVaryAbsent}});
  REQUIRE(z.insert(absent));
  CHECK(z.find("k", kNone, 2) == absent);
  const Fields present = {{"X-V", "1"}};
  CHECK(z.find("k", present, 2) == nullptr);
}

// 4.1: "If (after any normalization that might take place) a header field is absent
// from a request, it can only match another request if it is also absent there."
// Entry::vary keeps a field absent from the request as kVaryAbsent.
TEST_CASE("4.1: a selecting field absent from the request does not match one present and empty", "[cache]") {
  Zone z("z", 1 << 20, 0, -1);
  const auto absent = make("k", "a/x", 10, 1, {{"x-v", kVaryAbsent}});
  REQUIRE(z.insert(absent));
  const Fields empty = {{"X-V", ""}};
  CHECK(z.find("k", empty, 2) == nullptr);
  CHECK(z.find("k", {}, 2) == absent);
  const auto present_empty = make("k", "a/x", 10, 3, {{"x-v", ""}});
  REQUIRE(z.insert(present_empty));
  CHECK(z.find("k", empty, 4) == present_empty);  // two variants now
  CHECK(z.find("k", {}, 4) == absent);
}

TEST_CASE("zone: a second insert of the same key and Vary replaces the first", "[cache]") {
  Zone z("z", 1 << 20, 0, -1);
  const auto first = make("k", "a/x", 100, 1, {{"accept", "a"}});
  const auto second = make("k", "a/x", 300, 2, {{"accept", "a"}});
  REQUIRE(z.insert(first));
  REQUIRE(z.insert(second));
  CHECK(z.entries() == 1);
  CHECK(z.bytes() == second->charge());
  const Fields a = {{"Accept", "a"}};
  CHECK(z.find("k", a, 3) == second);
  // and without Vary too
  const auto p1 = make("p", "a/p", 50, 1), p2 = make("p", "a/p", 10, 2);
  REQUIRE(z.insert(p1));
  REQUIRE(z.insert(p2));
  CHECK(z.entries() == 2);
  CHECK(z.bytes() == second->charge() + p2->charge());
  CHECK(z.find("p", kNone, 3) == p2);
  // the URI index counts the key once per variant: one invalidation removes both
  CHECK(z.invalidate("a/x") == 1);
  CHECK(z.invalidate("a/p") == 1);
  CHECK(z.entries() == 0);
  CHECK(z.bytes() == 0);
}

TEST_CASE("zone: the least recently used entry goes first when the bytes run out", "[cache]") {
  // six entries of one size, room for five
  std::vector<std::shared_ptr<Entry>> es;
  for (int i = 0; i < 6; ++i) es.push_back(make("k" + std::to_string(i), "a/k" + std::to_string(i), 1000, i + 1));
  const uint64_t c = es[0]->charge();
  for (const auto& e : es) REQUIRE(e->charge() == c);
  Zone z("z", 5 * c, 5 * c, -1);
  for (int i = 0; i < 5; ++i) REQUIRE(z.insert(es[i]));
  CHECK(z.entries() == 5);
  CHECK(z.bytes() == 5 * c);
  // k0, stored first, is used: k1 is now the least recently used
  CHECK(z.find("k0", kNone, 10) == es[0]);
  REQUIRE(z.insert(es[5]));
  CHECK(z.entries() == 5);
  CHECK(z.bytes() == 5 * c);
  CHECK(z.counters().evictions.load() == 1);
  CHECK(z.find("k1", kNone, 12) == nullptr);
  CHECK(z.find("k0", kNone, 12) == es[0]);
  for (int i = 2; i < 6; ++i) CHECK(z.find("k" + std::to_string(i), kNone, 12) == es[i]);
}

TEST_CASE("zone: bytes() stays within memory() whatever is inserted, and matches what is left", "[cache]") {
  Zone z("z", 20'000, 5'000, -1);
  std::mt19937 rng(7);
  std::vector<std::shared_ptr<Entry>> all;
  for (int i = 0; i < 300; ++i) {
    all.push_back(make("r" + std::to_string(i), "a/r" + std::to_string(i), rng() % 4000, i));
    REQUIRE(z.insert(all.back()));
    REQUIRE(z.bytes() <= z.memory());
  }
  uint64_t sum = 0, n = 0;
  for (const auto& e : all) {
    if (auto f = z.find(e->key, kNone, 1000)) {
      CHECK(f == e);
      sum += f->charge();
      ++n;
    }
  }
  CHECK(n < 300);
  CHECK(z.find("r299", kNone, 1000) == all.back());  // the newest is there
  CHECK(z.bytes() == sum);
  CHECK(z.entries() == n);
  CHECK(z.counters().evictions.load() == 300 - n);
  // a smaller bound evicts down to it at once
  z.resize(8'000, 0, -1);
  CHECK(z.bytes() <= 8'000);
  CHECK(z.max_entry() == 2'000);
  const uint64_t left = z.entries();
  CHECK(z.purge("", true) == left);
  CHECK(z.counters().purged.load() == left);
  CHECK(z.bytes() == 0);
  CHECK(z.entries() == 0);
}

TEST_CASE("zone: an entry larger than max_entry is refused and counted", "[cache]") {
  Zone z("z", 1 << 20, 1000, -1);
  const auto big = make("big", "a/big", 1001, 1);  // its charge is over 1000 + the overhead
  CHECK_FALSE(z.insert(big));
  CHECK(z.counters().too_large.load() == 1);
  CHECK(z.entries() == 0);
  CHECK(z.bytes() == 0);
  CHECK(z.find("big", kNone, 2) == nullptr);
  CHECK(z.insert(make("small", "a/small", 100, 1)));
  CHECK(z.counters().too_large.load() == 1);
  // larger than the whole zone: refused too
  Zone tiny("t", 600, 0, -1);
  CHECK_FALSE(tiny.insert(make("k", "a/k", 200, 1)));
  CHECK(tiny.counters().too_large.load() == 1);
  CHECK(tiny.bytes() == 0);
}

TEST_CASE("zone: an entry unused for longer than `inactive` is dropped by find", "[cache]") {
  Zone z("z", 1 << 20, 0, 1000);
  REQUIRE(z.insert(make("k", "a/x", 10, 0)));
  CHECK(z.find("k", kNone, 1000) != nullptr);  // 1000 since stored: not longer
  CHECK(z.find("k", kNone, 2000) != nullptr);  // 1000 since its last use
  CHECK(z.find("k", kNone, 3001) == nullptr);  // 1001
  CHECK(z.entries() == 0);
  CHECK(z.bytes() == 0);
  CHECK(z.counters().evictions.load() == 1);
  CHECK(z.invalidate("a/x") == 0);  // gone from the URI index too
}

TEST_CASE("4.4: invalidating a URI removes every key and variant stored for it", "[cache]") {
  Zone z("z", 1 << 20, 0, -1);
  const auto other = make("GET http://a/y", "a/y", 10, 1);
  REQUIRE(z.insert(make("GET http://a/x", "a/x", 10, 1)));
  REQUIRE(z.insert(make("custom:x:fr", "a/x", 10, 1, {{"accept-language", "fr"}})));
  REQUIRE(z.insert(make("custom:x:fr", "a/x", 10, 1, {{"accept-language", "de"}})));
  REQUIRE(z.insert(other));
  CHECK(z.entries() == 4);
  CHECK(z.invalidate("a/x") == 3);
  CHECK(z.entries() == 1);
  CHECK(z.bytes() == other->charge());
  CHECK(z.find("GET http://a/x", kNone, 2) == nullptr);
  CHECK(z.find("GET http://a/y", kNone, 2) == other);
  CHECK(z.invalidate("a/x") == 0);
  CHECK(z.invalidate("a/z") == 0);
  CHECK(z.counters().invalidated.load() == 3);
}

TEST_CASE("4.4: invalidation takes only the URI's variants of a key shared with another URI", "[cache]") {
  Zone z("z", 1 << 20, 0, -1);
  const auto y = make("shared", "a/y", 10, 1, {{"x-u", "y"}});
  REQUIRE(z.insert(make("shared", "a/x", 10, 1, {{"x-u", "x"}})));
  REQUIRE(z.insert(y));
  CHECK(z.invalidate("a/x") == 1);
  CHECK(z.entries() == 1);
  CHECK(z.bytes() == y->charge());
  CHECK(z.invalidate("a/y") == 1);
  CHECK(z.bytes() == 0);
}

TEST_CASE("zone: purge by exact key, by prefix, and all", "[cache]") {
  Zone z("z", 1 << 20, 0, -1);
  for (const char* k : {"https://a/x", "https://a/x?1", "https://a/y", "https://b/z"})
    REQUIRE(z.insert(make(k, std::string(k).substr(8), 10, 1)));
  REQUIRE(z.insert(make("https://a/y", "a/y", 10, 1, {{"accept", "v"}})));  // a second variant
  CHECK(z.entries() == 5);
  CHECK(z.purge("https://a/x", false) == 1);  // not https://a/x?1
  CHECK(z.find("https://a/x?1", kNone, 2) != nullptr);
  CHECK(z.purge("https://a/nothing", false) == 0);
  CHECK(z.purge("https://a/", true) == 3);  // x?1 and both variants of y
  CHECK(z.find("https://b/z", kNone, 2) != nullptr);
  CHECK(z.purge("", true) == 1);
  CHECK(z.entries() == 0);
  CHECK(z.bytes() == 0);
  CHECK(z.counters().purged.load() == 5);
  CHECK(z.invalidate("a/y") == 0);  // the URI index forgot them
  CHECK(z.invalidate("b/z") == 0);
}

TEST_CASE("zone: a key keeps at most kMaxVariants variants, dropping the least recently used", "[cache]") {
  Zone z("z", 1 << 24, 0, -1);
  const auto variant = [](size_t i) { return Vary{{"x-v", "v" + std::to_string(i)}}; };
  std::vector<std::shared_ptr<Entry>> es;
  for (size_t i = 0; i <= kMaxVariants + 1; ++i) es.push_back(make("k", "a/k", 10, int64_t(i) + 1, variant(i)));
  for (size_t i = 0; i < kMaxVariants; ++i) REQUIRE(z.insert(es[i]));
  CHECK(z.entries() == kMaxVariants);
  // v0 used now: v1 is the least recently used
  const Fields v0 = {{"X-V", "v0"}};
  CHECK(z.find("k", v0, 100) == es[0]);
  REQUIRE(z.insert(es[kMaxVariants]));
  CHECK(z.entries() == kMaxVariants);
  const Fields v1 = {{"X-V", "v1"}};
  CHECK(z.find("k", v1, 101) == nullptr);
  CHECK(z.find("k", v0, 101) == es[0]);
  REQUIRE(z.insert(es[kMaxVariants + 1]));  // then v2
  CHECK(z.entries() == kMaxVariants);
  const Fields v2 = {{"X-V", "v2"}};
  CHECK(z.find("k", v2, 102) == nullptr);
  uint64_t sum = 0;
  for (size_t i = 0; i < es.size(); ++i)
    if (i != 1 && i != 2) sum += es[i]->charge();
  CHECK(z.bytes() == sum);
  CHECK(z.invalidate("a/k") == kMaxVariants);
  CHECK(z.bytes() == 0);
}

TEST_CASE("zone: the first miss fills, the others wait until its lease ends", "[cache]") {
  Zone z("z", 1 << 20, 0, -1);
  std::shared_ptr<Filling> f;
  CHECK(z.begin_fill("k", 0, 5000, f) == Zone::Fill::Mine);
  std::shared_ptr<Filling> mine = f;
  CHECK(z.begin_fill("k", 1, 5000, f) == Zone::Fill::Wait);
  CHECK(f == mine);  // a waiter sees the holder's fill
  CHECK(z.begin_fill("k", 4999, 5000, f) == Zone::Fill::Wait);
  CHECK(z.begin_fill("other", 1, 5000, f) == Zone::Fill::Mine);  // per key
  // the lease ended without end_fill: the next miss takes the fill
  CHECK(z.begin_fill("k", 5000, 5000, f) == Zone::Fill::Mine);
  CHECK(z.begin_fill("k", 5001, 5000, f) == Zone::Fill::Wait);
  // a stored fill: the next miss (the entry gone meanwhile) fills again at once
  z.end_fill("k", false, 6000);
  CHECK(z.begin_fill("k", 6001, 5000, f) == Zone::Fill::Mine);
}

TEST_CASE("zone: a fill that could not be stored leaves a Pass mark for kPassMs", "[cache]") {
  Zone z("z", 1 << 20, 0, -1);
  std::shared_ptr<Filling> f;
  CHECK(z.begin_fill("k", 0, 5000, f) == Zone::Fill::Mine);
  z.end_fill("k", true, 200);
  CHECK(z.begin_fill("k", 200, 5000, f) == Zone::Fill::Pass);
  CHECK(z.begin_fill("k", 300, 5000, f) == Zone::Fill::Pass);
  CHECK(z.begin_fill("k", 200 + kPassMs - 1, 5000, f) == Zone::Fill::Pass);
  CHECK(z.begin_fill("k", 200 + kPassMs, 5000, f) == Zone::Fill::Mine);
  CHECK(z.begin_fill("k", 200 + kPassMs + 1, 5000, f) == Zone::Fill::Wait);
}

TEST_CASE("zone: many fill marks of keys no one asks for again do not break the live ones", "[cache]") {
  Zone z("z", 1 << 20, 0, -1);
  std::shared_ptr<Filling> f;
  CHECK(z.begin_fill("live", 0, 1'000'000, f) == Zone::Fill::Mine);
  for (int i = 0; i < 40'000; ++i) {
    const std::string k = "dead" + std::to_string(i);
    REQUIRE(z.begin_fill(k, i, 1, f) == Zone::Fill::Mine);
    z.end_fill(k, i % 2 == 0, i);
  }
  CHECK(z.begin_fill("live", 50'000, 1'000'000, f) == Zone::Fill::Wait);
}

TEST_CASE("zone: Zones gives a name's zone again, with its entries and the new bounds", "[cache]") {
  Zones zones;
  const std::shared_ptr<Zone> a = zones.get("a", 1 << 20, 0, -1);
  REQUIRE(a->insert(make("k", "a/k", 10, 1)));
  const std::shared_ptr<Zone> again = zones.get("a", 1 << 21, 1000, -1);
  CHECK(again == a);
  CHECK(a->memory() == 1 << 21);
  CHECK(a->max_entry() == 1000);
  CHECK(a->entries() == 1);
  CHECK(zones.get("b", 1 << 20, 0, -1) != a);
  CHECK(zones.all().size() == 2);
}

TEST_CASE("zone: four threads inserting, finding, invalidating and purging keep the bytes exact", "[cache]") {
  Zone z("z", 64 * 1024, 0, int64_t{1} << 40);
  std::atomic<int64_t> clock{1};
  std::atomic<bool> wrong{false};  // Catch's assertions are not for other threads
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  auto work = [&](unsigned seed) {
    std::mt19937 rng(seed);
    while (std::chrono::steady_clock::now() < until) {
      for (int round = 0; round < 64; ++round) {
        const int64_t now = clock.fetch_add(1);
        const unsigned op = rng() % 100, k = rng() % 48, v = rng() % 3;
        const bool varies = k % 2 == 1;  // odd keys have three variants, even ones none
        const std::string key = "k" + std::to_string(k);
        const std::string uri = "a/u" + std::to_string(k % 16);  // three keys per URI
        const std::string value = "v" + std::to_string(v);
        const Fields req = {{"X-V", value}};
        if (op < 45) {
          z.insert(make(key, uri, rng() % 6000, now, varies ? Vary{{"x-v", value}} : Vary{}));
        } else if (op < 80) {
          if (auto e = z.find(key, req, now); e && e->key != key) wrong = true;
        } else if (op < 88) {
          z.purge(key, false);
        } else if (op < 93) {
          z.invalidate(uri);
        } else if (op < 95) {
          z.purge("k1", true);
        } else if (std::shared_ptr<Filling> f; z.begin_fill(key, now, 50, f) == Zone::Fill::Mine) {
          z.end_fill(key, rng() % 2 == 0, now);
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; ++t) threads.emplace_back(work, t + 1);
  for (auto& t : threads) t.join();
  CHECK_FALSE(wrong.load());

  CHECK(z.bytes() <= z.memory());
  uint64_t sum = 0, n = 0;
  for (int k = 0; k < 48; ++k) {
    const std::string key = "k" + std::to_string(k);
    for (int v = 0; v < (k % 2 == 1 ? 3 : 1); ++v) {
      const std::string value = "v" + std::to_string(v);
      const Fields req = {{"X-V", value}};
      if (auto e = z.find(key, req, clock.load())) {
        sum += e->charge();
        ++n;
      }
    }
  }
  CHECK(z.bytes() == sum);
  CHECK(z.entries() == n);
  z.purge("", true);
  CHECK(z.bytes() == 0);
  CHECK(z.entries() == 0);
  for (int u = 0; u < 16; ++u) CHECK(z.invalidate("a/u" + std::to_string(u)) == 0);
}

}  // namespace
}  // namespace banyan::cache
