#include "runtime/compress/encoder.h"

namespace banyan::compress {
namespace {

constexpr size_t kOutputStep = 16 * 1024;  // deflate's output is taken in pieces of this size
constexpr int kGzipWindowBits = 15 + 16;   // 32 KiB window, with the gzip wrapper
constexpr int kGzipMemLevel = 8;           // zlib's default
constexpr int kBrotliWindowBits = 18;      // 256 KiB window (the default, 22, is 4 MiB per response)

}  // namespace

Encoder::~Encoder() {
  reset();
  if (z_ready_) deflateEnd(&z_);
}

void Encoder::reset() {
  if (br_) BrotliEncoderDestroyInstance(br_);
  br_ = nullptr;
  coding_ = Coding::None;
  out_.clear();
}

bool Encoder::begin(Coding coding) {
  reset();
  if (coding == Coding::Gzip) {
    if (z_ready_) {
      if (deflateReset(&z_) != Z_OK) return false;
    } else {
      if (deflateInit2(&z_, kGzipLevel, Z_DEFLATED, kGzipWindowBits, kGzipMemLevel, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
      z_ready_ = true;
    }
  } else if (coding == Coding::Brotli) {
    br_ = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
    if (!br_) return false;
    if (!BrotliEncoderSetParameter(br_, BROTLI_PARAM_QUALITY, kBrotliQuality) ||
        !BrotliEncoderSetParameter(br_, BROTLI_PARAM_LGWIN, kBrotliWindowBits) ||
        !BrotliEncoderSetParameter(br_, BROTLI_PARAM_MODE, BROTLI_MODE_TEXT)) {
      reset();
      return false;
    }
  } else {
    return false;
  }
  coding_ = coding;
  return true;
}

bool Encoder::update(std::string_view in, bool last) {
  if (coding_ == Coding::Gzip) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    for (;;) {
      const size_t had = out_.size();
      out_.resize(had + kOutputStep);
      z_.next_out = reinterpret_cast<Bytef*>(out_.data() + had);
      z_.avail_out = static_cast<uInt>(kOutputStep);
      const int r = deflate(&z_, last ? Z_FINISH : Z_NO_FLUSH);
      const bool room_left = z_.avail_out != 0;
      out_.resize(had + kOutputStep - z_.avail_out);
      if (r == Z_STREAM_ERROR) return false;
      if (last ? r == Z_STREAM_END : room_left) break;  // without FINISH, room left means all input was taken
      if (r == Z_BUF_ERROR && room_left) return false;  // no progress possible
    }
    if (last) coding_ = Coding::None;
    return true;
  }
  if (coding_ == Coding::Brotli) {
    size_t avail_in = in.size();
    const uint8_t* next_in = reinterpret_cast<const uint8_t*>(in.data());
    const BrotliEncoderOperation op = last ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_PROCESS;
    for (;;) {
      size_t avail_out = 0;
      if (!BrotliEncoderCompressStream(br_, op, &avail_in, &next_in, &avail_out, nullptr, nullptr)) return false;
      size_t size = 0;
      const uint8_t* ready = BrotliEncoderTakeOutput(br_, &size);
      out_.append(reinterpret_cast<const char*>(ready), size);
      if (last ? BrotliEncoderIsFinished(br_) : (avail_in == 0 && !BrotliEncoderHasMoreOutput(br_))) break;
    }
    if (last) {
      BrotliEncoderDestroyInstance(br_);
      br_ = nullptr;
      coding_ = Coding::None;
    }
    return true;
  }
  return false;
}

EncoderPool::Lease EncoderPool::take(Coding coding) {
  std::unique_ptr<Encoder> e;
  if (!idle_.empty()) {
    e = std::move(idle_.back());
    idle_.pop_back();
  } else {
    e = std::make_unique<Encoder>();
  }
  if (!e->begin(coding)) {
    put(e.release());
    return Lease(nullptr, Return{this});
  }
  return Lease(e.release(), Return{this});
}

void EncoderPool::put(Encoder* e) {
  std::unique_ptr<Encoder> owned(e);
  if (idle_.size() >= kIdleEncodersPerWorker) return;
  owned->reset();
  idle_.push_back(std::move(owned));
}

}  // namespace banyan::compress
