#include "runtime/proxy/tls.h"

#include "runtime/proxy/ticket_keys.h"

#include <openssl/ssl.h>

#include "runtime/plan/matcher.h"
#include "runtime/plan/tls_profile.h"

namespace banyan::proxy {

namespace {

int ssl_version(plan::TlsVersion v) {
  switch (v) {
    case plan::TlsVersion::V1_0: return TLS1_VERSION;
    case plan::TlsVersion::V1_1: return TLS1_1_VERSION;
    case plan::TlsVersion::V1_2: return TLS1_2_VERSION;
    case plan::TlsVersion::V1_3: return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

// The server name a ClientHello asks for (RFC 6066 §3), or "" when it names none or
// the extension is malformed (the handshake then goes on with the first block, and
// OpenSSL itself rejects a malformed extension).
std::string_view client_hello_server_name(SSL* ssl) {
  const unsigned char* p = nullptr;
  size_t n = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &n) != 1 || n < 5) return {};
  const size_t list = size_t{p[0]} << 8 | p[1];
  if (list + 2 != n || p[2] != TLSEXT_NAMETYPE_host_name) return {};
  const size_t len = size_t{p[3]} << 8 | p[4];
  if (len == 0 || len + 5 > n) return {};
  return {reinterpret_cast<const char*>(p + 5), len};
}

// SNI: switch the connection to the context of the site the name selects, with that
// block's versions and ciphers, as nginx picks a server block by server_name. This
// runs on the ClientHello, before the version and the cipher are chosen (a switch in
// the servername callback comes after the version is settled, so the first block's
// versions would apply to every site). A name no site answers keeps the first
// block's certificate (the client will see a mismatch, as with nginx's default server).
int on_client_hello(SSL* ssl, int* /*alert*/, void* arg) {
  const auto* set = static_cast<const TlsContexts*>(arg);
  std::string_view name = client_hello_server_name(ssl);
  if (name.empty()) return SSL_CLIENT_HELLO_SUCCESS;
  const plan::Plan& p = *set->generation->plan;
  uint32_t site = plan::select_site(p, name);
  if (site == plan::kNone || p.sites()[site].tls == plan::kNone) return SSL_CLIENT_HELLO_SUCCESS;
  const uint32_t record = p.sites()[site].tls;
  SSL_CTX* want = set->by_record[record]->native_handle();
  if (SSL_get_SSL_CTX(ssl) == want) return SSL_CLIENT_HELLO_SUCCESS;
  // SSL_set_SSL_CTX takes the certificate and key; the rest is copied by hand.
  if (SSL_set_SSL_CTX(ssl, want) == nullptr || SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(want)) != 1 ||
      SSL_set_max_proto_version(ssl, SSL_CTX_get_max_proto_version(want)) != 1 ||
      SSL_set_cipher_list(ssl, set->ciphers[record].c_str()) != 1) {
    return SSL_CLIENT_HELLO_ERROR;
  }
  SSL_clear_options(ssl, SSL_get_options(ssl));
  SSL_set_options(ssl, SSL_CTX_get_options(want));
  return SSL_CLIENT_HELLO_SUCCESS;
}

// ALPN (RFC 7301): the server's preference among what the client offers. A client
// that offers neither protocol is refused with no_application_protocol, as nginx does.
constexpr unsigned char kAlpnH2[] = "\x02h2\x08http/1.1";
constexpr unsigned char kAlpnH1[] = "\x08http/1.1";

int on_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
            void* arg) {
  const bool h2 = arg != nullptr;
  const unsigned char* ours = h2 ? kAlpnH2 : kAlpnH1;
  const unsigned int ours_len = (h2 ? sizeof kAlpnH2 : sizeof kAlpnH1) - 1;
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, ours, ours_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

bool negotiated_h2(const SSL* ssl) {
  const unsigned char* p = nullptr;
  unsigned int n = 0;
  SSL_get0_alpn_selected(ssl, &p, &n);
  return n == 2 && p[0] == 'h' && p[1] == '2';
}

std::shared_ptr<const TlsContexts> make_tls_contexts(std::shared_ptr<const Generation> generation,
                                                     const TicketKeys* tickets, bool h2, std::string& error) {
  const plan::Plan& p = *generation->plan;
  if (p.tls().empty()) return nullptr;
  auto set = std::make_shared<TlsContexts>();
  set->generation = std::move(generation);
  namespace ssl = boost::asio::ssl;
  for (const plan::Tls& t : p.tls()) {
    std::string name(p.str(t.name));
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    boost::system::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression, ec);
    SSL_CTX* raw = ctx->native_handle();
    SSL_CTX_set_min_proto_version(raw, ssl_version(t.min_version));
    SSL_CTX_set_max_proto_version(raw, ssl_version(t.max_version));
    // The server's order decides (testssl's "cipher_order"), over the curves of the
    // intermediate profile; OpenSSL's record buffers go back to its pool while a
    // connection is idle (nginx does the same): an idle keep-alive connection keeps
    // no 34 KiB of them. A retried write may present its bytes at another address
    // (tls_stream.h gathers them again); a read takes what the socket has, not one
    // record header and then its body (two reads a record).
    SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(raw, 1);
    if (SSL_CTX_set1_groups_list(raw, plan::kDefaultGroups) != 1) {
      error = "tls " + name + ": OpenSSL refuses the groups '" + std::string(plan::kDefaultGroups) + "'";
      return nullptr;
    }
    // No server-side session cache (it would be per process); resumption is by
    // stateless tickets under the gateway's one ring of keys, when the configuration
    // allows them (ticket_keys.h).
    SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
    if (tickets) {
      tickets->install(raw);
    } else {
      SSL_CTX_set_options(raw, SSL_OP_NO_TICKET);
      SSL_CTX_set_num_tickets(raw, 0);
    }
    if (SSL_CTX_set_ciphersuites(raw, plan::kDefaultSuites) != 1) {
      error = "tls " + name + ": OpenSSL refuses the TLS 1.3 suites '" + std::string(plan::kDefaultSuites) + "'";
      return nullptr;
    }
    std::string ciphers(p.str(t.ciphers));
    if (ciphers.empty()) ciphers = plan::kDefaultCiphers;
    if (SSL_CTX_set_cipher_list(raw, ciphers.c_str()) != 1) {
      error = "tls " + name + ": OpenSSL refuses the cipher list '" + ciphers + "'";
      return nullptr;
    }
    ctx->use_certificate_chain_file(std::string(p.str(t.certificate)), ec);
    if (ec) {
      error = "tls " + name + ": certificate '" + std::string(p.str(t.certificate)) + "': " + ec.message();
      return nullptr;
    }
    ctx->use_private_key_file(std::string(p.str(t.key)), ssl::context::pem, ec);
    if (ec) {
      error = "tls " + name + ": key '" + std::string(p.str(t.key)) + "': " + ec.message();
      return nullptr;
    }
    SSL_CTX_set_client_hello_cb(raw, on_client_hello, set.get());
    SSL_CTX_set_alpn_select_cb(raw, on_alpn, h2 ? raw : nullptr);
    set->by_record.push_back(std::move(ctx));
    set->ciphers.push_back(std::move(ciphers));
  }
  return set;
}

}  // namespace banyan::proxy
