// A streaming gzip (zlib) or Brotli encoder for one response body at a time, and the
// per-worker pool that keeps them: a deflate state is about 256 KiB (zlib's formula,
// 2^(windowBits+2) + 2^(memLevel+9) bytes), so it is reset and reused, not allocated per response (Brotli has no reset; its state is made per
// response).
#pragma once

#include <brotli/encode.h>
#include <zlib.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/compress/negotiate.h"

namespace banyan::compress {

// Middle-of-the-range levels for encoding on the fly (nginx's gzip_comp_level default
// is 1; bench/proxy_bench.sh compares both proxies at gzip level 4).
inline constexpr int kGzipLevel = 4;
inline constexpr int kBrotliQuality = 4;
// The most encoders a worker keeps idle; more are freed when they are returned.
inline constexpr size_t kIdleEncodersPerWorker = 16;

class Encoder {
 public:
  Encoder() = default;
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;
  ~Encoder();

  // Starts a body. False when the library cannot (out of memory): send it uncompressed.
  bool begin(Coding coding);
  // Compresses `in`, and with `last` ends the stream; what is ready is appended to
  // output(). False on a library error (the response cannot be completed).
  bool update(std::string_view in, bool last);
  std::string_view output() const { return out_; }
  void clear_output() { out_.clear(); }
  // Drops a body that was not finished (the Brotli state with it), keeping what reuse needs.
  void reset();

 private:
  Coding coding_ = Coding::None;
  z_stream z_{};
  bool z_ready_ = false;
  BrotliEncoderState* br_ = nullptr;
  std::string out_;
};

class EncoderPool {
 public:
  struct Return {
    EncoderPool* pool;
    void operator()(Encoder* e) const { pool->put(e); }
  };
  using Lease = std::unique_ptr<Encoder, Return>;

  // An encoder begun for `coding`, or null when none could be (send it uncompressed).
  Lease take(Coding coding);

 private:
  void put(Encoder* e);
  std::vector<std::unique_ptr<Encoder>> idle_;
};

}  // namespace banyan::compress
