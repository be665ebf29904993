// runtime/small_blocks.cpp, the executable's operator new, in its own program (replacing
// operator new is global): every block holds what was asked, two live blocks never
// share a byte, a freed small block is what its size class hands out next, the cache
// stays within its byte budget, and a block freed by another thread is reused there.
// Exit status 0 when every check holds; each failure is printed.
#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "small_blocks_test: FAILED: %s\n", what);
    ++failures;
  }
}

struct Live {
  unsigned char* p;
  size_t n;
  unsigned char tag;
};

// Random sizes from 1 to 2048 bytes, allocated and freed in random order, each block
// filled with its own tag: a block shorter than asked, or two live blocks sharing
// memory, shows as a wrong byte (or a corrupted heap).
void random_blocks() {
  std::mt19937 rng(12345);
  std::vector<Live> live;
  bool sizes_ok = true, contents_ok = true;
  for (int step = 0; step < 200000; ++step) {
    if (live.size() < 500 && (live.empty() || rng() % 2)) {
      size_t n = 1 + rng() % 2048;
      unsigned char tag = static_cast<unsigned char>(rng());
      auto* p = static_cast<unsigned char*>(::operator new(n));
      if (malloc_usable_size(p) < n) sizes_ok = false;
      std::memset(p, tag, n);
      live.push_back({p, n, tag});
    } else {
      size_t i = rng() % live.size();
      Live l = live[i];
      for (size_t j = 0; j < l.n; ++j) contents_ok &= l.p[j] == l.tag;
      if (rng() % 2) ::operator delete(l.p);  // unsized, as Asio frees its frames
      else ::operator delete(l.p, l.n);
      live[i] = live.back();
      live.pop_back();
    }
  }
  for (Live& l : live) {
    for (size_t j = 0; j < l.n; ++j) contents_ok &= l.p[j] == l.tag;
    ::operator delete(l.p);
  }
  check(sizes_ok, "a block is at least as large as asked");
  check(contents_ok, "live blocks keep their bytes (no two share memory)");
}

void reuse_and_budget() {
  // A freed small block is the next one of its class; sizes in one class share blocks.
  void* a = ::operator new(200);
  ::operator delete(a);
  void* b = ::operator new(185);  // 185..200 bytes: the same class (16k + 24 bytes, k = 11)
  check(a == b, "a freed 200-byte block serves the next 185-byte request");
  ::operator delete(b);

  // Freeing far more than the budget keeps at most the budget (256 KiB) for reuse: the
  // rest goes back to malloc, which counts only the kept ones as still in use.
  std::vector<void*> blocks, freed_list;
  blocks.reserve(20000);
  freed_list.reserve(20000);
  const size_t in_use_before = mallinfo2().uordblks;
  for (int i = 0; i < 20000; ++i) blocks.push_back(::operator new(64));
  freed_list = blocks;  // fits the reserved capacity: no allocation
  for (void* p : blocks) ::operator delete(p);
  malloc_trim(0);  // what malloc holds free in its bins is not "in use" after this
  const size_t kept = mallinfo2().uordblks - in_use_before;
  std::printf("small_blocks_test: 20000 64-byte blocks freed, %zu bytes still in use by malloc\n", kept);
  if (mallinfo2().arena == 0)  // a sanitizer's allocator, which does not count: said, not passed silently
    std::printf("small_blocks_test: the budget is not measurable under this allocator (a sanitizer's); a tree without sanitizers (build/release) checks it\n");
  else
    check(kept <= 400 * 1024, "the cache keeps at most its budget of freed blocks (256 KiB of blocks, 20000 freed)");
  blocks.clear();  // keeps its capacity
  for (int i = 0; i < 3000; ++i) blocks.push_back(::operator new(64));
  // The blocks kept were the first freed (64 bytes is the 72-byte class: the budget, less
  // the 200 bytes kept above, holds 3638 of them), and come back last-kept first.
  bool lifo = true;
  for (size_t i = 0; i < blocks.size(); ++i) lifo &= blocks[i] == freed_list[3637 - i];
  check(lifo, "kept blocks are handed out again, the last kept first");
  for (void* p : blocks) ::operator delete(p);
}

void cross_thread() {
  // In a thread of its own, whose cache is empty (the main thread's is full by now).
  std::thread([] {
    void* p = nullptr;
    std::thread([&] { p = ::operator new(300); }).join();
    ::operator delete(p);  // freed here: cached here
    void* q = ::operator new(300);
    check(p == q, "a block freed by another thread than its allocator's is reused by the freeing one");
    ::operator delete(q);
  }).join();
  // A thread that exits with blocks cached frees them (run under valgrind or heaptrack to see).
  std::thread([] {
    for (int i = 0; i < 100; ++i) ::operator delete(::operator new(100 + i));
  }).join();
}

}  // namespace

int main() {
  // First, on the main thread (mallinfo2 counts its arena) while its cache is empty.
  reuse_and_budget();
  cross_thread();
  std::thread(random_blocks).join();
  if (failures == 0) std::printf("small_blocks_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
