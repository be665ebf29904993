// A byte buffer borrowed from the worker's pool, for a connection's reads (the client
// side) and an exchange's upstream reads. [begin, end) holds unread bytes. While a
// request is served its head stays where it was parsed, in [.., pinned): the parsed
// fields are views of it, so compacting moves unread bytes down to `pinned`, never
// over the head.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>

#include <boost/asio/buffer.hpp>

#include "runtime/proxy/worker.h"

namespace banyan::proxy {

struct Buffer {
  std::unique_ptr<char[]> data;
  size_t cap = 0, begin = 0, end = 0, pinned = 0;

  std::string_view view() const { return {data.get() + begin, end - begin}; }
  size_t size() const { return end - begin; }
  void consume(size_t n) {
    begin += n;
    if (begin == end) begin = end = pinned;
  }
  // Keeps the first `n` unread bytes (a request head) in place until unpin().
  void pin(size_t n) {
    begin += n;
    pinned = begin;
    if (begin == end) begin = end = pinned;
  }
  void unpin() {
    pinned = 0;
    if (begin == end) begin = end = 0;
  }
  void compact() {
    if (begin == pinned) return;
    std::memmove(data.get() + pinned, data.get() + begin, end - begin);
    end -= begin - pinned;
    begin = pinned;
  }
  boost::asio::mutable_buffer tail() { return {data.get() + end, cap - end}; }
  void acquire(BufferPool& pool) {
    if (data) return;
    data = pool.get();
    cap = BufferPool::kSize;
    begin = end = pinned = 0;
  }
  void release(BufferPool& pool) {
    if (!data) return;
    if (cap == BufferPool::kSize) pool.put(std::move(data));
    data.reset();
    cap = begin = end = pinned = 0;
  }
  // More room: up to `limit` bytes in all, keeping every offset.
  void grow(size_t limit) {
    size_t want = std::min(std::max(cap * 2, size_t{BufferPool::kSize}), limit);
    if (want <= cap) return;
    auto bigger = std::make_unique_for_overwrite<char[]>(want);
    std::memcpy(bigger.get(), data.get(), end);
    data = std::move(bigger);
    cap = want;
  }
  // Room to read into after compacting: a pinned head may leave too little.
  void make_room(size_t at_least, size_t limit) {
    compact();
    if (cap - end < at_least) grow(std::max(limit, end + at_least));
  }
  // Full with nothing consumed: the next read needs a bigger buffer.
  bool full() const { return end == cap && begin == 0; }
};

}  // namespace banyan::proxy
