// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2): what a
// load balancer that does not speak HTTP (HAProxy in TCP mode, AWS NLB, GCP's TCP
// proxy) writes before the client's bytes so that the server learns the client's
// address. A listener with `proxy_protocol` reads it before anything else
// (docs/gateway-config.md, "The client's address").
//
// Contract, as parse.h's: a pure function over the bytes received so far. Complete:
// `out` holds the header and its length (the bytes after it are the client's own).
// Incomplete: every byte so far can begin a valid header; `out.need` is how many more
// bytes at least can complete it (exactly the rest of a v2 header once its length is
// known, 1 for a v1 line), so a reader that must not read past the header (TLS comes
// next) can read exactly that. Failed: `why` names the rule broken (a static string).
// A prefix of a valid header is never Failed; a Failed input stays Failed however it
// goes on. No allocation, no exceptions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace banyan::http {

// v1: "a line of at most 107 bytes, CRLF included" (section 2.1).
inline constexpr size_t kProxyV1MaxBytes = 107;
// v2: 16 bytes, then as many as the length field says (up to 65535). Addresses take
// at most 216; the rest are TLVs, which we skip. A cloud balancer's TLVs (AWS's VPC
// endpoint id, Azure's link id, GCP's connection id) are tens of bytes; 4 KiB of them
// is a hostile peer holding our buffer, refused.
inline constexpr size_t kProxyV2MaxBytes = 4096;
// The shortest header of either version ("PROXY UNKNOWN\r\n"): a reader may always
// read this many bytes first without taking any of the client's.
inline constexpr size_t kProxyMinBytes = 15;

enum class ProxyParse : uint8_t { Complete, Incomplete, Failed };

struct ProxyHeader {
  uint8_t version = 0;  // 1 or 2
  // The source and destination the balancer saw; false for v1 UNKNOWN, a v2 LOCAL
  // command (the balancer's own health check) and v2 AF_UNSPEC/AF_UNIX: the
  // connection's own peer then stands.
  bool has_address = false;
  bool v6 = false;
  std::array<uint8_t, 16> source{}, destination{};  // network order; IPv4 v4-mapped (::ffff:a.b.c.d)
  uint16_t source_port = 0, destination_port = 0;
  size_t length = 0;  // Complete: the header's bytes, to be dropped before HTTP
  size_t need = 0;    // Incomplete: at least this many more bytes
};

ProxyParse parse_proxy_header(std::string_view in, ProxyHeader& out, std::string_view& why);

}  // namespace banyan::http
