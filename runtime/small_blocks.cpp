// The `banyan` executable's operator new and delete: small blocks freed by a thread are
// kept for that thread's next allocations of their size, up to a byte budget, in front
// of malloc.
//
// Why: a connection's objects are mostly Asio coroutine frames of 200 to 450 bytes
// (Asio 1.74 keeps one spare frame per thread), about 14 allocations per connection.
// glibc's per-thread cache keeps 7 blocks per size, so 50 connections opening and
// closing together overflow it and every allocation goes to malloc's bins: malloc and
// free were 15% of the gateway's user time on a new connection per request. Raising
// glibc's count (GLIBC_TUNABLES=glibc.malloc.tcache_count=256) or preloading jemalloc
// or mimalloc each cut about 2% of the CPU per connection (bench/proxy_bench.sh's
// scenario, measured alternately, 2026-12-04); this does the same inside the binary,
// without an environment variable, and without another allocator's rounding and arenas
// (the idle-connection memory benchmark is within 0.1 KiB of nginx's).
//
// Blocks come from malloc and go back to free; only their reuse is cached. A block's
// class is its usable size (malloc_usable_size), so an unsized delete (Asio frees its
// frames that way) needs no header, and a block serves any request its class covers.
// Sanitizer builds leave the gateway's operator new alone (their own checks each
// allocation); tests/unit/small_blocks_test.cpp runs this one under them too.
#include <malloc.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

// Classes are glibc's own chunk sizes up to its per-thread cache's largest: a block
// of class k holds 16k + 24 bytes, which malloc serves with no slack of its own, so a
// cached block costs no more memory than the block malloc would have kept.
constexpr size_t kClasses = 64;                    // 24, 40, ... 1032 bytes
constexpr size_t kLargest = 16 * (kClasses - 1) + 24;  // larger requests go to malloc
constexpr size_t kBudgetBytes = 256 * 1024;         // cached per thread, at most

constexpr size_t class_size(size_t k) { return 16 * k + 24; }
constexpr size_t class_of_request(size_t n) { return n <= 24 ? 0 : (n - 9) / 16; }  // the smallest that holds n
static_assert(class_size(class_of_request(25)) == 40 && class_size(class_of_request(1032)) == kLargest);

struct Block {
  Block* next;
};

// Per thread, zero-initialised, no constructor or destructor: usable from the first
// allocation of a thread to its last free. `Flush` (below) empties it at thread exit.
struct Cache {
  Block* head[kClasses];
  size_t bytes;
  bool registered;  // the thread's Flush exists
  bool closed;      // the thread is exiting: free at once
};
thread_local Cache t_cache;

struct Flush {
  ~Flush() {
    Cache& c = t_cache;
    for (Block*& h : c.head) {
      while (h) {
        Block* b = h;
        h = b->next;
        std::free(b);
      }
    }
    c.bytes = 0;
    c.closed = true;
  }
};
thread_local Flush t_flush;

void* allocate(size_t n) {
  if (n == 0) n = 1;
  if (n <= kLargest) {
    const size_t k = class_of_request(n);
    Cache& c = t_cache;
    if (Block* b = c.head[k]) {
      c.head[k] = b->next;
      c.bytes -= class_size(k);
      return b;
    }
    n = class_size(k);  // so the block's usable size names its class when it is freed
  }
  if (void* p = std::malloc(n)) return p;
  throw std::bad_alloc();
}

void release(void* p) noexcept {
  if (!p) return;
  const size_t usable = malloc_usable_size(p);
  Cache& c = t_cache;
  if (usable >= class_size(0) && usable < class_size(kClasses) && !c.closed) {
    const size_t k = (usable - class_size(0)) / 16;  // the largest class it holds whole
    const size_t size = class_size(k);
    if (c.bytes + size <= kBudgetBytes) {
      if (!c.registered) {
        c.registered = true;
        Flush* volatile f = &t_flush;  // constructs this thread's Flush, whose destructor empties the cache
        (void)f;
      }
      Block* b = static_cast<Block*>(p);
      b->next = c.head[k];
      c.head[k] = b;
      c.bytes += size;
      return;
    }
  }
  std::free(p);
}

}  // namespace

// Every replaceable form that the sized and unsized, array and nothrow news and deletes
// pair up with, so each pair allocates and frees the same way.
void* operator new(size_t n) { return allocate(n); }
void* operator new[](size_t n) { return allocate(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, size_t) noexcept { release(p); }
void operator delete[](void* p, size_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }
