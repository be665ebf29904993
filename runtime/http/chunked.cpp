// The chunked decoder's state machine: one transition per byte of chunk-size lines,
// CRLFs and trailers; chunk data is handed back as one view per call.
#include "runtime/http/chunked.h"

#include <algorithm>

#include "runtime/http/chars.h"

namespace banyan::http {
namespace {

int hex_value(char c) {
  if (chars::is_digit(c)) return c - '0';
  return chars::lower(c) - 'a' + 10;
}

// qdtext and the bytes a quoted-pair may escape (RFC 9110 5.6.4).
bool is_qdtext(char c) { return chars::is_field_value(c) && c != '"' && c != '\\'; }

}  // namespace

bool ChunkedDecoder::in_extension(State s) {
  switch (s) {
    case State::SizeBws:
    case State::ExtNameStart:
    case State::ExtName:
    case State::ExtAfterName:
    case State::ExtValueStart:
    case State::ExtToken:
    case State::ExtQuoted:
    case State::ExtQuotedEscape:
    case State::ExtAfterQuoted:
      return true;
    default:
      return false;
  }
}

ChunkedDecoder::Step ChunkedDecoder::next(std::string_view in) {
  Step step;
  while (step.consumed < in.size() && state_ != State::Done && state_ != State::Failed) {
    if (state_ == State::Data) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - step.consumed));
      step.data = in.substr(step.consumed, n);
      step.consumed += n;
      remaining_ -= n;
      if (remaining_ == 0) state_ = State::DataCr;
      break;  // one view per call
    }
    const char c = in[step.consumed++];
    if (!advance(c)) state_ = State::Failed;
  }
  step.done = state_ == State::Done;
  step.failed = state_ == State::Failed;
  return step;
}

bool ChunkedDecoder::advance(char c) {
  const bool ws = chars::is_ws(c), token = chars::is_token(c);
  // Every byte of a size line after the size, except the CR that ends it.
  const bool extension = c != '\r' && (in_extension(state_) || (state_ == State::Size && (c == ';' || ws)));
  if (extension && ++extension_bytes_ > kMaxExtensionBytes) return false;
  switch (state_) {
    case State::SizeStart:
    case State::Size:
      if (chars::is(c, chars::kHex)) {
        if (++size_digits_ > kMaxSizeDigits) return false;
        remaining_ = remaining_ << 4 | static_cast<uint64_t>(hex_value(c));
        state_ = State::Size;
        return true;
      }
      if (state_ == State::SizeStart) return false;
      break;  // the end of the size: shared with the extension states below
    case State::ExtNameStart:
      if (ws) return true;
      return token && to(State::ExtName);
    case State::ExtName:
      if (token) return true;
      if (ws) return to(State::ExtAfterName);
      if (c == '=') return to(State::ExtValueStart);
      break;
    case State::ExtAfterName:
      if (ws) return true;
      if (c == '=') return to(State::ExtValueStart);
      if (c == ';') return to(State::ExtNameStart);
      return false;
    case State::ExtValueStart:
      if (ws) return true;
      if (c == '"') return to(State::ExtQuoted);
      return token && to(State::ExtToken);
    case State::ExtToken:
      if (token) return true;
      break;
    case State::ExtQuoted:
      if (c == '"') return to(State::ExtAfterQuoted);
      if (c == '\\') return to(State::ExtQuotedEscape);
      return is_qdtext(c);
    case State::ExtQuotedEscape:
      return chars::is_field_value(c) && to(State::ExtQuoted);
    case State::ExtAfterQuoted:
      break;              // as after a token value
    case State::SizeBws:  // BWS may only come before a ';' (RFC 9112 7.1.1)
      if (ws) return true;
      return c == ';' && to(State::ExtNameStart);
    case State::SizeLf:
      if (c != '\n') return false;
      state_ = remaining_ == 0 ? State::TrailerStart : State::Data;
      return true;
    case State::DataCr:
      return c == '\r' && to(State::DataLf);
    case State::DataLf:
      if (c != '\n') return false;
      state_ = State::SizeStart;
      size_digits_ = 0;
      return true;
    case State::TrailerStart:
    case State::TrailerName:
    case State::TrailerValue:
    case State::TrailerLf:
    case State::FinalLf:
      return ++trailer_bytes_ <= max_trailer_bytes_ && trailer(c, token);
    case State::Data:
    case State::Done:
    case State::Failed:
      return false;
  }
  // After a size, an extension name or an extension value: another extension,
  // whitespace before one, or the CR of the line's end.
  if (c == ';') return to(State::ExtNameStart);
  if (ws) return to(State::SizeBws);
  if (c == '\r') return to(State::SizeLf);
  return false;
}

// The trailer section's bytes (RFC 9112 7.1.2): fields, then the CRLF that ends it.
bool ChunkedDecoder::trailer(char c, bool token) {
  switch (state_) {
    case State::TrailerStart:
      if (c == '\r') return to(State::FinalLf);
      if (!token) return false;  // also obs-fold (SP/HT) and a bare LF
      return to(State::TrailerName);
    case State::TrailerName:
      if (c == ':') return to(State::TrailerValue);
      return token;
    case State::TrailerValue:
      if (c == '\r') return to(State::TrailerLf);
      return chars::is_field_value(c);
    case State::TrailerLf:
      return c == '\n' && to(State::TrailerStart);
    default:  // FinalLf
      return c == '\n' && to(State::Done);
  }
}

}  // namespace banyan::http
