// libFuzzer target: any bytes as a request head, a response head and a chunked body.
// Beyond "no crash, no sanitizer report", it checks the parsers' contracts: Failed
// always says why, a Complete head's views lie inside the buffer, a prefix of the
// input is Incomplete or already has the whole input's verdict, and the chunked
// decoder gives the same bytes and verdict fed whole, one byte at a time or in pieces.
// Parsed fields are also read as the compression negotiation reads them: a coding
// is chosen only among the route's, and from an Accept-Encoding that names it. The
// same bytes are read as a PROXY protocol header: a verdict reached on a prefix is the
// whole input's, and a reader taking exactly the bytes `need` asks for (as a TLS
// listener does) ends at the header's last byte, never past it. The parsed fields are
// also read as the response cache reads them (runtime/cache/directives.h): every
// delta-seconds is absent or within [0, 2^31], every directive name and value lies in
// its field, an HTTP date that parses formats back to the same second, and a field read
// as a Range (runtime/http/range.h) gives, for any length, a non-empty range inside it.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/cache/directives.h"
#include "runtime/compress/negotiate.h"
#include "runtime/http/chunked.h"
#include "runtime/http/parse.h"
#include "runtime/http/proxy_protocol.h"
#include "runtime/http/range.h"

namespace {

using namespace banyan::http;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_cache_fields(std::span<const banyan::plan::HeaderField> fields) {
  namespace cache = banyan::cache;
  const auto delta = [](int64_t v) { return v == cache::kAbsent || (v >= 0 && v <= cache::kMaxDelta); };
  const cache::ResponseDirectives r = cache::response_directives(fields);
  require(delta(r.max_age) && delta(r.s_maxage) && delta(r.stale_while_revalidate) && delta(r.stale_if_error));
  const cache::RequestDirectives q = cache::request_directives(fields);
  require(delta(q.max_age) && delta(q.max_stale) && delta(q.min_fresh));
  for (const auto& f : fields) {
    cache::for_each_directive(f.value, [&](std::string_view n, std::string_view v, bool) {
      require(!n.empty() && inside(n, f.value) && inside(v, f.value));
    });
    if (std::optional<int64_t> t = cache::parse_http_date(f.value); t && *t >= 0 && *t < 253402300800) {  // years 1970..9999
      require(cache::parse_http_date(cache::format_http_date(*t)) == t);
    }
    for (uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{1000}, ~uint64_t{0}}) {
      ByteRange r;
      if (byte_range(f.value, size, r) == RangeAnswer::Partial)
        require(r.length >= 1 && r.first < size && r.length <= size - r.first);
    }
  }
}

struct Request {
  std::array<banyan::plan::HeaderField, 100> storage;
  RequestHead head;
  Error error = Error::None;
  Parse result = Parse::Incomplete;
  Request(std::string_view in, const Limits& limits) {
    result = parse_request(in, limits, storage, head, error);
    require((result == Parse::Failed) == (error != Error::None));
    if (result != Parse::Complete) return;
    const std::string_view h = in.substr(0, head.head_bytes);
    require(head.head_bytes >= 4 && head.head_bytes <= in.size() && h.ends_with("\r\n\r\n"));
    require(inside(head.method, h) && inside(head.target, h) && inside(head.query, h) && inside(head.host, h));
    require(inside(head.path, h) || head.path == "/");
    require(head.fields.size() <= limits.header_count);
    for (const auto& f : head.fields) require(inside(f.name, h) && inside(f.value, h) && !f.name.empty());
    require(head.version_minor <= 1);
    require(head.framing != Framing::UntilClose);
    require(head.content_length <= kMaxContentLength);
    using banyan::compress::Coding;
    const Coding both = banyan::compress::choose_coding(3, head.fields);
    require(banyan::compress::choose_coding(0, head.fields) == Coding::None);
    require(banyan::compress::choose_coding(1, head.fields) != Coding::Brotli);
    require(banyan::compress::choose_coding(2, head.fields) != Coding::Gzip);
    bool asked = false;
    for (const auto& f : head.fields) asked = asked || (f.name.size() == 15 && (f.name[0] == 'a' || f.name[0] == 'A'));
    require(both == Coding::None || asked);
    check_cache_fields(head.fields);
  }
};

struct Response {
  std::array<banyan::plan::HeaderField, 100> storage;
  ResponseHead head;
  Error error = Error::None;
  Parse result = Parse::Incomplete;
  Response(std::string_view in, bool head_request, const Limits& limits) {
    result = parse_response(in, head_request, limits, storage, head, error);
    require((result == Parse::Failed) == (error != Error::None));
    if (result != Parse::Complete) return;
    const std::string_view h = in.substr(0, head.head_bytes);
    require(head.head_bytes <= in.size() && h.ends_with("\r\n\r\n") && inside(head.reason, h));
    require(head.status >= 100 && head.status <= 599);
    require(head.framing != Framing::UntilClose || !head.keep_alive);
    const bool eligible = banyan::compress::eligible_response(head.status, head.fields,
                                                              head.framing == Framing::Length, head.content_length);
    require(!eligible || head.status == 200 || head.status == 403 || head.status == 404);
    check_cache_fields(head.fields);
  }
};

void check_requests(std::string_view in, const Limits& limits) {
  const Request whole(in, limits);
  for (size_t n : {in.size() / 2, in.size() - (in.empty() ? 0 : 1)}) {
    const Request prefix(in.substr(0, n), limits);
    if (prefix.result == Parse::Incomplete) continue;
    require(prefix.result == whole.result && prefix.error == whole.error);
    require(prefix.head.head_bytes == whole.head.head_bytes);
  }
}

void check_responses(std::string_view in, bool head_request, const Limits& limits) {
  const Response whole(in, head_request, limits);
  for (size_t n : {in.size() / 2, in.size() - (in.empty() ? 0 : 1)}) {
    const Response prefix(in.substr(0, n), head_request, limits);
    if (prefix.result == Parse::Incomplete) continue;
    require(prefix.result == whole.result && prefix.error == whole.error);
  }
}

struct Decoded {
  std::string body;
  size_t consumed = 0;
  bool done = false, failed = false;
};

Decoded decode(std::string_view in, size_t piece) {
  ChunkedDecoder decoder(256);
  Decoded out;
  while (out.consumed < in.size() && !out.done && !out.failed) {
    const size_t end = piece == 0 ? in.size() : std::min(in.size(), out.consumed + piece);
    std::string_view avail = in.substr(out.consumed, end - out.consumed);
    while (!avail.empty() && !out.done && !out.failed) {
      const ChunkedDecoder::Step step = decoder.next(avail);
      require(step.consumed > 0 || step.done || step.failed);
      require(step.consumed <= avail.size() && inside(step.data, avail.substr(0, step.consumed)));
      require(step.data.size() <= step.consumed);
      out.body += step.data;
      out.consumed += step.consumed;
      avail.remove_prefix(step.consumed);
      out.done = step.done;
      out.failed = step.failed;
    }
  }
  require(!(out.done && out.failed));
  return out;
}

void check_chunked(std::string_view in) {
  const Decoded whole = decode(in, 0);
  for (size_t piece : {1, 7}) {
    const Decoded d = decode(in, piece);
    require(d.body == whole.body && d.consumed == whole.consumed && d.done == whole.done && d.failed == whole.failed);
  }
}

struct Proxy {
  ProxyHeader header;
  std::string_view why;
  ProxyParse result;
  explicit Proxy(std::string_view in) : result(parse_proxy_header(in, header, why)) {
    require((result == ProxyParse::Failed) == !why.empty());
    if (result == ProxyParse::Incomplete) require(header.need >= 1 && header.need <= kProxyV2MaxBytes);
    if (result != ProxyParse::Complete) return;
    require(header.length >= kProxyMinBytes && header.length <= in.size());
    require(header.version == 1 ? header.length <= kProxyV1MaxBytes : header.length <= kProxyV2MaxBytes);
  }
};

void check_proxy_header(std::string_view in) {
  const Proxy whole(in);
  for (size_t n : {size_t{0}, kProxyMinBytes, size_t{16}, in.size() / 2, in.size() - (in.empty() ? 0 : 1)}) {
    if (n > in.size()) continue;
    const Proxy prefix(in.substr(0, n));
    if (prefix.result == ProxyParse::Incomplete) continue;
    require(prefix.result == whole.result && prefix.why == whole.why);
    require(prefix.header.length == whole.header.length && prefix.header.source == whole.header.source &&
            prefix.header.source_port == whole.header.source_port);
  }
  // The exact reader: never a byte past the header.
  size_t have = 0;
  for (;;) {
    const Proxy step(in.substr(0, have));
    if (step.result == ProxyParse::Complete) {
      require(whole.result == ProxyParse::Complete && step.header.length == have);
      break;
    }
    if (step.result == ProxyParse::Failed) {
      require(whole.result == ProxyParse::Failed);
      break;
    }
    if (have + step.header.need > in.size()) {
      require(whole.result != ProxyParse::Complete);
      break;
    }
    have += step.header.need;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const Limits tight{.request_line = 40, .header_bytes = 160, .header_count = 4};
  check_requests(in, Limits{});
  check_requests(in, tight);
  check_responses(in, size % 2 == 1, Limits{});
  check_responses(in, false, tight);
  check_chunked(in);
  check_proxy_header(in);
  // A request head followed by its chunked body, as the proxy would see it.
  const Request r(in, Limits{});
  if (r.result == Parse::Complete && r.head.framing == Framing::Chunked) check_chunked(in.substr(r.head.head_bytes));
  return 0;
}
