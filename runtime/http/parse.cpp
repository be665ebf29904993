// Request and response heads: the line scanner, the start lines and field lines
// (each validator accepts any prefix of a valid line, so partial lines are checked as
// they arrive), then what the fields mean (target form, Host, framing, Connection).
#include "runtime/http/parse.h"

#include <algorithm>

#include "runtime/http/chars.h"

namespace banyan::http {
namespace {

using plan::HeaderField;

// One line of the head. `content` excludes the CRLF; on an unfinished line it is
// everything so far, minus a final CR that may yet be followed by LF.
struct Line {
  std::string_view content;
  bool complete = false;
  bool bare_lf = false;
  size_t next = 0;  // the offset after the line's end
};

Line line_at(std::string_view buf, size_t pos) {
  const size_t lf = buf.find('\n', pos);
  if (lf == std::string_view::npos) {
    const size_t end = buf.size() > pos && buf.back() == '\r' ? buf.size() - 1 : buf.size();
    return {buf.substr(pos, end - pos), false, false, buf.size()};
  }
  const bool crlf = lf > pos && buf[lf - 1] == '\r';
  return {buf.substr(pos, lf - pos - (crlf ? 1 : 0)), true, !crlf, lf + 1};
}

// Checks `s` (a prefix of a line's text when !complete) against `pattern`, where 'd'
// stands for a digit; `s` may run past the pattern. False on the first mismatch.
bool matches_prefix(std::string_view s, std::string_view pattern) {
  for (size_t i = 0; i < std::min(s.size(), pattern.size()); ++i) {
    if (pattern[i] == 'd' ? !chars::is_digit(s[i]) : s[i] != pattern[i]) return false;
  }
  return true;
}

// "HTTP/1.0" or "HTTP/1.1", judged byte by byte so that the first offending byte
// decides: a well-formed other version is `unsupported`, anything else `garbage`.
Error read_version(std::string_view v, bool complete, Error garbage, Error unsupported, uint8_t& minor) {
  constexpr std::string_view kPattern = "HTTP/d.d";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i >= kPattern.size() || !matches_prefix(v.substr(i), kPattern.substr(i, 1))) return garbage;
    if ((i == 5 && v[i] != '1') || (i == 7 && v[i] > '1')) return unsupported;  // "HTTP/2.0", "HTTP/1.2"
  }
  if (!complete) return Error::None;
  if (v.size() != kPattern.size()) return garbage;
  minor = static_cast<uint8_t>(v[7] - '0');
  return Error::None;
}

// method SP request-target SP HTTP-version (RFC 9112 3): exactly one SP each.
Error read_request_line(std::string_view s, bool complete, RequestHead& out) {
  size_t i = 0;
  while (i < s.size() && chars::is_token(s[i])) ++i;
  if (i == s.size()) return complete ? Error::BadRequestLine : Error::None;
  if (i == 0 || s[i] != ' ') return Error::BadRequestLine;
  out.method = s.substr(0, i);
  const size_t target = ++i;
  while (i < s.size() && chars::is(s[i], chars::kTarget)) ++i;
  if (i == s.size()) return complete ? Error::BadRequestLine : Error::None;
  if (i == target || s[i] != ' ') return Error::BadRequestLine;
  out.target = s.substr(target, i - target);
  return read_version(s.substr(i + 1), complete, Error::BadRequestLine, Error::BadVersion, out.version_minor);
}

// HTTP-version SP 3DIGIT SP reason-phrase (RFC 9112 4), status 100-599.
Error read_status_line(std::string_view s, bool complete, ResponseHead& out) {
  constexpr size_t kReason = 13;  // "HTTP/1.1 200 " is 13 bytes
  if (Error e = read_version(s.substr(0, 8), complete || s.size() > 8, Error::BadStatusLine, Error::BadStatusLine,
                             out.version_minor);
      e != Error::None)
    return e;
  if (!matches_prefix(s.substr(std::min<size_t>(s.size(), 8)), " ddd ")) return Error::BadStatusLine;
  if (s.size() > 9 && (s[9] < '1' || s[9] > '5')) return Error::BadStatusLine;
  for (size_t i = kReason; i < s.size(); ++i)
    if (!chars::is_field_value(s[i])) return Error::BadStatusLine;
  if (s.size() < kReason) return complete ? Error::BadStatusLine : Error::None;
  out.status = static_cast<uint16_t>((s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0'));
  out.reason = s.substr(kReason);
  return Error::None;
}

// field-name ":" OWS field-value OWS (RFC 9112 5). The caller has ruled out a line
// starting with whitespace.
Error read_field(std::string_view s, bool complete, HeaderField& out) {
  size_t i = 0;
  while (i < s.size() && chars::is_token(s[i])) ++i;
  if (i == s.size()) return complete ? Error::BadHeaderName : Error::None;
  if (i > 0 && chars::is_ws(s[i])) return Error::SpaceBeforeColon;  // RFC 9112 5.1: MUST reject
  if (i == 0 || s[i] != ':') return Error::BadHeaderName;
  for (size_t j = i + 1; j < s.size(); ++j)
    if (!chars::is_field_value(s[j])) return Error::BadHeaderValue;
  out = {s.substr(0, i), chars::trim_ws(s.substr(i + 1))};
  return Error::None;
}

Parse fail(Error& slot, Error e) {
  slot = e;
  return Parse::Failed;
}

// The whole head within `buf` (already cut at limits.header_bytes): the start line,
// bounded by `line_limit` (`too_long` beyond it), then field lines up to CRLF CRLF.
template <typename ReadStartLine>
Parse scan_head(std::string_view buf, size_t line_limit, Error too_long, ReadStartLine read_start,
                std::span<HeaderField> storage, size_t& count, size_t& head_bytes, Error& error) {
  const Line start = line_at(buf, 0);
  const bool over = start.content.size() > line_limit;
  // Beyond the limit, only the bytes up to it are judged: the verdict must not depend
  // on bytes after the one that crossed it.
  error = read_start(start.content.substr(0, line_limit), start.complete && !over);
  if (error == Error::None && over) error = too_long;
  if (error == Error::None && start.bare_lf) error = Error::BareLF;
  if (error != Error::None) return Parse::Failed;
  if (!start.complete) return Parse::Incomplete;

  count = 0;
  for (size_t pos = start.next;;) {
    if (pos == buf.size()) return Parse::Incomplete;
    const char c = buf[pos];
    if (c == '\r') {
      if (pos + 1 == buf.size()) return Parse::Incomplete;
      if (buf[pos + 1] != '\n') return fail(error, Error::BadHeaderName);
      head_bytes = pos + 2;
      return Parse::Complete;
    }
    if (c == '\n') return fail(error, Error::BareLF);
    if (chars::is_ws(c)) return fail(error, Error::ObsFold);
    if (count == storage.size()) return fail(error, Error::TooManyHeaders);
    const Line line = line_at(buf, pos);
    error = read_field(line.content, line.complete, storage[count]);
    if (error == Error::None && line.bare_lf) error = Error::BareLF;
    if (error != Error::None) return Parse::Failed;
    if (!line.complete) return Parse::Incomplete;
    ++count;
    pos = line.next;
  }
}

template <typename ReadStartLine>
Parse scan_limited(std::string_view buf, const Limits& limits, size_t line_limit, Error too_long,
                   ReadStartLine read_start, std::span<HeaderField> storage, size_t& count, size_t& head_bytes,
                   Error& error) {
  storage = storage.first(std::min(storage.size(), limits.header_count));
  const Parse p = scan_head(buf.substr(0, limits.header_bytes), line_limit, too_long, read_start, storage, count,
                            head_bytes, error);
  return p == Parse::Incomplete && buf.size() > limits.header_bytes ? fail(error, Error::HeadersTooLarge) : p;
}

bool keep_alive(std::span<const HeaderField> fields, uint8_t version_minor) {
  if (connection_lists(fields, "close")) return false;
  return version_minor == 1 || connection_lists(fields, "keep-alive");
}

bool has_field(std::span<const HeaderField> fields, std::string_view name, std::string_view value = {}) {
  for (const HeaderField& f : fields)
    if (iequals(f.name, name) && (value.empty() || iequals(f.value, value))) return true;
  return false;
}

// The target's form (RFC 9112 3.2) gives path, query and maybe an authority.
Error read_target(RequestHead& out, bool& has_authority, std::string_view& authority) {
  const std::string_view t = out.target;
  if (out.method == "CONNECT") {  // authority-form: host and port, nothing else
    const size_t colon = t.rfind(':');
    if (t.find('@') != std::string_view::npos || !valid_host(t) || colon == std::string_view::npos ||
        t.find(']', colon) != std::string_view::npos)
      return Error::BadHost;
    has_authority = true;
    authority = t;
    return Error::None;
  }
  std::string_view path_and_query = t;
  if (t == "*") {
    return out.method == "OPTIONS" ? Error::None : Error::BadRequestLine;
  } else if (!t.starts_with('/')) {  // absolute-form
    const size_t scheme_end = t.find("://");
    if (scheme_end == std::string_view::npos) return Error::BadRequestLine;
    const std::string_view scheme = t.substr(0, scheme_end);
    if (iequals(scheme, "http"))
      out.scheme = TargetScheme::Http;
    else if (iequals(scheme, "https"))
      out.scheme = TargetScheme::Https;
    else
      return Error::BadRequestLine;
    const std::string_view rest = t.substr(scheme_end + 3);
    const size_t end = std::min(rest.find_first_of("/?"), rest.size());
    has_authority = true;
    authority = rest.substr(0, end);
    if (authority.find('@') != std::string_view::npos) return Error::BadHost;  // no userinfo
    path_and_query = rest.substr(end);
  }
  const size_t q = path_and_query.find('?');
  out.path = path_and_query.substr(0, q);
  if (out.path.empty()) out.path = "/";  // "http://h" and "http://h?q" mean the path "/"
  if (q != std::string_view::npos) out.query = path_and_query.substr(q + 1);
  return Error::None;
}

// A valid host's port as a number: 0 when it has none (valid_host has checked the digits).
uint32_t port_of(std::string_view host_port, std::string_view& host) {
  const size_t close = host_port.starts_with('[') ? host_port.find(']') : 0;
  const size_t colon = host_port.find(':', close);
  host = host_port.substr(0, colon);
  uint32_t port = 0;
  if (colon != std::string_view::npos)
    for (char c : host_port.substr(colon + 1)) port = port * 10 + static_cast<uint32_t>(c - '0');
  return port;
}

// RFC 9110 4.2.3: two valid authorities name the same origin when their hosts are
// equal in any case and their ports are, with the scheme's default port standing for
// no port (0: the scheme has none, as for CONNECT).
bool same_authority(std::string_view a, std::string_view b, uint32_t default_port) {
  std::string_view host_a, host_b;
  uint32_t port_a = port_of(a, host_a), port_b = port_of(b, host_b);
  if (port_a == 0) port_a = default_port;
  if (port_b == 0) port_b = default_port;
  return port_a == port_b && iequals(host_a, host_b);
}

uint32_t default_port(TargetScheme s) { return s == TargetScheme::Http ? 80 : s == TargetScheme::Https ? 443 : 0; }

Error read_request_fields(RequestHead& out) {
  bool has_authority = false;
  std::string_view authority;
  if (Error e = read_target(out, has_authority, authority); e != Error::None) return e;
  int hosts = 0;
  std::string_view host_field;
  for (const HeaderField& f : out.fields) {
    if (iequals(f.name, "host")) {
      ++hosts;
      host_field = f.value;
    }
  }
  if (hosts > 1) return Error::DuplicateHost;
  if (hosts == 0 && out.version_minor == 1) return Error::MissingHost;
  if (has_authority) {
    if (!valid_host(authority)) return Error::BadHost;
    if (hosts == 1 && (!valid_host(host_field) || !same_authority(authority, host_field, default_port(out.scheme))))
      return Error::BadHost;
    out.host = authority;
  } else if (hosts == 1) {
    if (!valid_host(host_field)) return Error::BadHost;
    out.host = host_field;
  }
  const BodyFraming framing = read_framing(out.fields, out.version_minor);
  if (framing.error != Error::None) return framing.error;
  out.framing = framing.chunked ? Framing::Chunked : framing.length ? Framing::Length : Framing::None;
  out.content_length = framing.content_length;
  out.keep_alive = keep_alive(out.fields, out.version_minor);
  out.expect_continue = has_field(out.fields, "expect", "100-continue");
  out.upgrade = has_field(out.fields, "upgrade");
  return Error::None;
}

}  // namespace

Parse parse_request(std::string_view buf, const Limits& limits, std::span<HeaderField> storage, RequestHead& out,
                    Error& error) {
  out = RequestHead{};
  size_t count = 0;
  const auto read_start = [&out](std::string_view s, bool complete) { return read_request_line(s, complete, out); };
  const Parse p = scan_limited(buf, limits, limits.request_line, Error::UriTooLong, read_start, storage, count,
                               out.head_bytes, error);
  if (p != Parse::Complete) return p;
  out.fields = storage.first(count);
  error = read_request_fields(out);
  return error == Error::None ? Parse::Complete : Parse::Failed;
}

Parse parse_response(std::string_view buf, bool request_was_head, const Limits& limits, std::span<HeaderField> storage,
                     ResponseHead& out, Error& error) {
  out = ResponseHead{};
  size_t count = 0;
  const auto read_start = [&out](std::string_view s, bool complete) { return read_status_line(s, complete, out); };
  // A status line longer than the request-line limit is treated as an oversized head.
  const Parse p = scan_limited(buf, limits, limits.request_line, Error::HeadersTooLarge, read_start, storage, count,
                               out.head_bytes, error);
  if (p != Parse::Complete) return p;
  out.fields = storage.first(count);
  const BodyFraming framing = read_framing(out.fields, out.version_minor);
  if (framing.error != Error::None) {
    error = framing.error;
    return Parse::Failed;
  }
  out.content_length = framing.content_length;
  out.keep_alive = keep_alive(out.fields, out.version_minor);
  // RFC 9112 6.3: no body after HEAD, 1xx, 204 and 304, whatever the fields say.
  const bool no_body = request_was_head || out.status < 200 || out.status == 204 || out.status == 304;
  if (no_body) {
    out.framing = Framing::None;
  } else if (framing.chunked) {
    out.framing = Framing::Chunked;
  } else if (framing.length) {
    out.framing = Framing::Length;
  } else {
    out.framing = Framing::UntilClose;
    out.keep_alive = false;
  }
  return Parse::Complete;
}

}  // namespace banyan::http
