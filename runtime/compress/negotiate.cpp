#include "runtime/compress/negotiate.h"

#include "runtime/http/fields.h"

namespace banyan::compress {
namespace {

using http::iequals;

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// An element's q-value in thousandths (RFC 9110 12.4.2: "0" to "1", up to three
// decimals). -1 when it is malformed: such an element is ignored.
int q_value(std::string_view params) {
  int q = 1000;
  while (!params.empty()) {
    size_t semi = params.find(';');
    std::string_view p = http::chars::trim_ws(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
    std::string_view v = p.substr(2);
    if (v.empty() || (v[0] != '0' && v[0] != '1')) return -1;
    int whole = v[0] - '0', frac = 0, digits = 0;
    if (v.size() > 1) {
      if (v[1] != '.' || v.size() > 5) return -1;
      for (char c : v.substr(2)) {
        if (!http::chars::is_digit(c) || (whole == 1 && c != '0')) return -1;
        frac = frac * 10 + (c - '0');
        ++digits;
      }
    }
    for (; digits < 3; ++digits) frac *= 10;
    q = whole * 1000 + frac;
  }
  return q;
}

bool compressible_type(std::string_view type) {
  type = http::chars::trim_ws(type.substr(0, type.find(';')));
  if (istarts_with(type, "text/")) return !iequals(type, "text/event-stream");
  static constexpr std::string_view kTypes[] = {
      "application/json",        "application/javascript", "application/x-javascript", "application/ecmascript",
      "application/xml",         "application/wasm",       "application/manifest+json", "image/svg+xml",
      "image/x-icon",            "image/vnd.microsoft.icon", "font/ttf",               "font/otf",
      "application/vnd.ms-fontobject", "application/x-font-ttf", "application/x-font-opentype",
  };
  for (std::string_view t : kTypes)
    if (iequals(type, t)) return true;
  // Structured syntax suffixes (RFC 6839): application/ld+json, application/atom+xml, ...
  const size_t plus = type.rfind('+');
  if (plus == std::string_view::npos) return false;
  std::string_view suffix = type.substr(plus);
  return iequals(suffix, "+json") || iequals(suffix, "+xml");
}

}  // namespace

std::string_view coding_name(Coding c) {
  switch (c) {
    case Coding::Gzip: return "gzip";
    case Coding::Brotli: return "br";
    case Coding::None: break;
  }
  return "";
}

Coding choose_coding(uint8_t route_codings, std::span<const plan::HeaderField> request_fields) {
  int gzip = -1, br = -1, star = -1;  // -1: not named
  for (const plan::HeaderField& f : request_fields) {
    if (!iequals(f.name, "accept-encoding")) continue;
    http::for_each_element(f.value, [&](std::string_view e) {
      const size_t semi = e.find(';');
      std::string_view coding = http::chars::trim_ws(e.substr(0, semi));
      int q = q_value(semi == std::string_view::npos ? std::string_view() : e.substr(semi + 1));
      if (q < 0) return true;
      if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) gzip = std::max(gzip, q);
      else if (iequals(coding, "br")) br = std::max(br, q);
      else if (coding == "*") star = std::max(star, q);
      return true;
    });
  }
  if (gzip < 0) gzip = star;
  if (br < 0) br = star;
  if (!(route_codings & kRouteGzip)) gzip = -1;
  if (!(route_codings & kRouteBrotli)) br = -1;
  if (br > 0 && br >= gzip) return Coding::Brotli;
  if (gzip > 0) return Coding::Gzip;
  return Coding::None;
}

bool eligible_response(int status, std::span<const plan::HeaderField> response_fields, bool has_length,
                       uint64_t content_length) {
  if (status != 200 && status != 403 && status != 404) return false;
  if (has_length && content_length < kMinCompressBytes) return false;
  bool typed = false;
  for (const plan::HeaderField& f : response_fields) {
    if (iequals(f.name, "content-encoding")) {
      bool identity = true;
      http::for_each_element(f.value, [&](std::string_view e) { return identity = e.empty() || iequals(e, "identity"); });
      if (!identity) return false;
    } else if (iequals(f.name, "content-range")) {
      return false;
    } else if (iequals(f.name, "cache-control")) {
      bool no_transform = false;
      http::for_each_element(f.value, [&](std::string_view e) { return !(no_transform = iequals(e, "no-transform")); });
      if (no_transform) return false;
    } else if (iequals(f.name, "content-type")) {
      if (typed) return false;  // two types: which one is it?
      typed = compressible_type(f.value);
      if (!typed) return false;
    }
  }
  return typed;
}

}  // namespace banyan::compress
