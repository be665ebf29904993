// TLS termination: one OpenSSL context per `tls` block of the plan, built when a plan
// is loaded (a certificate that does not load refuses the plan, at start or reload).
// Every https listener starts a handshake on the first block's context; the client's
// SNI name, read from the ClientHello before anything is negotiated, then picks the
// site it names (the matcher's host rules), and that site's block with its
// certificate, versions and ciphers. Without a `ciphers` line a block gets the
// defaults of runtime/plan/tls_profile.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <utility>
#include <boost/asio/ssl/context.hpp>

#include "runtime/proxy/generation.h"

typedef struct ssl_st SSL;

namespace banyan::proxy {

class TicketKeys;

struct TlsContexts {
  std::shared_ptr<const Generation> generation;  // whose plan the SNI callback reads
  std::vector<std::unique_ptr<boost::asio::ssl::context>> by_record;  // indexed like plan.tls()
  std::vector<std::string> ciphers;  // each block's TLS 1.2 cipher list, for the SNI switch
  boost::asio::ssl::context& first() const { return *by_record.front(); }
};

// Null when the plan has no `tls` block (no https listener can serve), or on error
// (`error` says which block and file).
// `tickets`: the gateway's session ticket keys (ticket_keys.h); null: no tickets.
// `h2`: ALPN offers "h2" before "http/1.1" (`[http2] tls`); otherwise only "http/1.1".
std::shared_ptr<const TlsContexts> make_tls_contexts(std::shared_ptr<const Generation> generation,
                                                     const TicketKeys* tickets, bool h2, std::string& error);

// Whether the handshake on `ssl` chose HTTP/2 by ALPN.
bool negotiated_h2(const SSL* ssl);

}  // namespace banyan::proxy
