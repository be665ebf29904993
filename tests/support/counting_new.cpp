// A counting global operator new for the "allocates nothing" programs (each its own
// executable, since replacing operator new is global). Every replaceable form that the
// sized and unsized, array and nothrow news and deletes pair up with is defined, so
// each pair allocates and frees the same way (ASan checks that).
#include "tests/support/counting_new.h"

#include <cstdlib>
#include <new>

namespace banyan::testing {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
thread_local bool not_counted = false;
}  // namespace banyan::testing

namespace {
void* counted(std::size_t n) noexcept {
  if (banyan::testing::counting.load(std::memory_order_relaxed) && !banyan::testing::not_counted)
    banyan::testing::allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = counted(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
