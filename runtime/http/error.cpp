// The catalog of head errors: the status each one answers with and its phrase, in
// the order of the enum (checked at compile time).
#include "runtime/http/error.h"

#include <array>

namespace banyan::http {
namespace {

struct Entry {
  Error error;
  int status;
  std::string_view phrase;
};

constexpr std::array kCatalog = {
    Entry{Error::None, 200, "no error"},
    Entry{Error::BadRequestLine, 400, "malformed request line"},
    Entry{Error::BadVersion, 505, "HTTP version not supported"},
    Entry{Error::UriTooLong, 414, "request line too long"},
    Entry{Error::HeadersTooLarge, 431, "header section too large"},
    Entry{Error::TooManyHeaders, 431, "too many header fields"},
    Entry{Error::BadHeaderName, 400, "invalid header field name"},
    Entry{Error::SpaceBeforeColon, 400, "whitespace between field name and colon"},
    Entry{Error::ObsFold, 400, "obsolete line folding"},
    Entry{Error::BadHeaderValue, 400, "invalid byte in header field value"},
    Entry{Error::BareLF, 400, "line ending in LF without CR"},
    Entry{Error::BothLengthAndChunked, 400, "both Content-Length and Transfer-Encoding"},
    Entry{Error::BadContentLength, 400, "invalid or repeated Content-Length"},
    Entry{Error::UnsupportedTransferEncoding, 501, "unsupported transfer coding"},
    Entry{Error::BadTransferEncoding, 400, "invalid Transfer-Encoding"},
    Entry{Error::MissingHost, 400, "missing Host"},
    Entry{Error::DuplicateHost, 400, "more than one Host"},
    Entry{Error::BadHost, 400, "invalid Host"},
    Entry{Error::BadStatusLine, 502, "malformed status line"},
};

constexpr bool in_enum_order() {
  for (size_t i = 0; i < kCatalog.size(); ++i)
    if (static_cast<size_t>(kCatalog[i].error) != i) return false;
  return kCatalog.back().error == Error::BadStatusLine;
}
static_assert(in_enum_order(), "kCatalog lists every Error once, in the enum's order");

const Entry& entry(Error e) {
  const auto i = static_cast<size_t>(e);
  return i < kCatalog.size() ? kCatalog[i] : kCatalog[static_cast<size_t>(Error::BadRequestLine)];
}

}  // namespace

int status_for(Error e) { return entry(e).status; }
std::string_view describe(Error e) { return entry(e).phrase; }

}  // namespace banyan::http
