// The TLS a `tls` block gets when it says nothing: Mozilla's "intermediate" profile
// (https://wiki.mozilla.org/Security/Server_Side_TLS), narrowed to ECDHE key exchange
// as testssl.sh's audit wants: TLS 1.2 and 1.3, forward secrecy and AEAD only (no CBC:
// LUCKY13), the server's order, X25519, P-256 and P-384. TLS 1.3's suites in the
// profile's order, AES-128 first (OpenSSL's own order puts AES-256 first, with SHA-384
// for the handshake's hashes and a longer key schedule, which the profile does not ask
// for). The runtime applies these (runtime/proxy/tls.cpp); a block's `ciphers`
// replaces the TLS 1.2 list.
#pragma once

namespace banyan::plan {

inline constexpr const char* kDefaultCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

inline constexpr const char* kDefaultSuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

inline constexpr const char* kDefaultGroups = "X25519:P-256:P-384";

}  // namespace banyan::plan
