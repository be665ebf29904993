// The chunked transfer coding (RFC 9112 7.1), decoded incrementally and strictly:
//   chunk-size (1 to 16 HEXDIG, no sign, no "0x") [ext] CRLF, data, CRLF ... "0" [ext]
//   CRLF, trailer fields, CRLF.
//   ext: *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] ), at most
//   kMaxExtensionBytes in the whole body (extensions are never used, only abused).
//   Every line ends in CRLF: a bare LF, or a CR not followed by LF, fails. Trailer lines
//   obey the field-line rules (token name, no space before ':', no obs-fold, no CTL in
//   the value); they are discarded, and bounded by max_trailer_bytes (the trailer
//   section including its final CRLF).
// No allocation, no lookahead: the decoder keeps its state between calls, so feeding
// the body whole or one byte at a time gives the same bytes and the same verdict.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace banyan::http {

class ChunkedDecoder {
 public:
  static constexpr size_t kMaxExtensionBytes = 4096;
  static constexpr int kMaxSizeDigits = 16;  // 16 HEXDIG fit in 64 bits: no overflow possible

  struct Step {
    size_t consumed = 0;    // a prefix of `in`; call again with the rest and newly read bytes
    std::string_view data;  // body bytes: a view into `in` (maybe empty)
    bool done = false;      // the last chunk and the trailers are consumed
    bool failed = false;    // the body is malformed; the connection cannot be reused
  };

  explicit ChunkedDecoder(size_t max_trailer_bytes = 8192) : max_trailer_bytes_(max_trailer_bytes) {}

  // Consumes bytes of `in` up to the end of the next piece of chunk data (returned as
  // `data`), the end of the body, the first malformed byte, or the end of `in`. Given a
  // non-empty `in` and neither done nor failed, it consumes at least one byte. After
  // done or failed it consumes nothing.
  Step next(std::string_view in);

  bool done() const { return state_ == State::Done; }
  bool failed() const { return state_ == State::Failed; }

 private:
  enum class State : uint8_t {
    SizeStart,
    Size,
    SizeBws,
    ExtNameStart,
    ExtName,
    ExtAfterName,
    ExtValueStart,
    ExtToken,
    ExtQuoted,
    ExtQuotedEscape,
    ExtAfterQuoted,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    TrailerStart,
    TrailerName,
    TrailerValue,
    TrailerLf,
    FinalLf,
    Done,
    Failed,
  };
  // Moves the state machine by one byte outside chunk data; false on a malformed byte.
  bool advance(char c);
  bool trailer(char c, bool token);  // advance() in the trailer section
  static bool in_extension(State s);
  bool to(State s) {
    state_ = s;
    return true;
  }

  State state_ = State::SizeStart;
  int size_digits_ = 0;
  uint64_t remaining_ = 0;  // of the current chunk's size, then of its data
  size_t extension_bytes_ = 0;
  size_t trailer_bytes_ = 0;
  size_t max_trailer_bytes_;
};

}  // namespace banyan::http
