// zone_bench [SECONDS]: do the workers contend on a cache zone? Lookups (Zone::find of
// a stored response, as every cache hit does) by 1 and by 2 threads at once on one
// warmed zone of 10,000 entries: lookups per second per thread, and the 2-thread
// total against twice the 1-thread rate (the scaling). The keys are spread over the
// zone's 16 shards, each with its own lock, so two threads rarely meet; a zone with
// one lock would serialise them. Prints one line per thread count.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime/cache/zone.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kKeys = 10000;

double lookups_per_second(banyan::cache::Zone& zone, const std::vector<std::string>& keys, int threads, double seconds,
                          double* per_thread) {
  std::atomic<bool> go{false}, stop{false};
  std::vector<uint64_t> done(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (!go.load()) {
      }
      uint64_t n = 0, found = 0;
      size_t i = static_cast<size_t>(t) * 7919;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int k = 0; k < 256; ++k, ++n) {
          i = (i + 104729) % keys.size();
          found += zone.find(keys[i], {}, 0) != nullptr;
        }
      }
      if (found != n) std::fprintf(stderr, "zone_bench: %llu of %llu lookups missed\n", (unsigned long long)(n - found),
                                   (unsigned long long)n);
      done[static_cast<size_t>(t)] = n;
    });
  }
  const auto start = Clock::now();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  uint64_t total = 0;
  for (uint64_t n : done) total += n;
  *per_thread = static_cast<double>(total) / threads / elapsed;
  return static_cast<double>(total) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  banyan::cache::Zone zone("bench", 256 << 20, 0, -1);
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) {
    keys.push_back("http://example.com/items/" + std::to_string(i));
    auto e = std::make_shared<banyan::cache::Entry>();
    e->key = keys.back();
    e->uri = keys.back().substr(7);
    e->body = std::make_shared<const std::string>(1024, 'x');
    e->lifetime_s = 3600;
    zone.insert(std::move(e));
  }
  double one_each = 0, two_each = 0;
  const double one = lookups_per_second(zone, keys, 1, seconds, &one_each);
  const double two = lookups_per_second(zone, keys, 2, seconds, &two_each);
  std::printf("threads=1 lookups_per_s=%.0f per_thread=%.0f\n", one, one_each);
  std::printf("threads=2 lookups_per_s=%.0f per_thread=%.0f scaling=%.2f\n", two, two_each, two / (2 * one));
  return 0;
}
