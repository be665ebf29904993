#include "runtime/proxy/tls.h"

#include <openssl/ssl.h>

#include "runtime/plan/matcher.h"

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

// SNI: switch the connection to the context of the site the name selects. A name no
// site answers keeps the first block's certificate (the client will see a mismatch,
// as with nginx's default server).
int on_server_name(SSL* ssl, int* /*alert*/, void* arg) {
  const auto* set = static_cast<const TlsContexts*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_OK;
  const plan::Plan& p = *set->generation->plan;
  uint32_t site = plan::select_site(p, name);
  if (site == plan::kNone || p.sites()[site].tls == plan::kNone) return SSL_TLSEXT_ERR_OK;
  SSL_CTX* want = set->by_record[p.sites()[site].tls]->native_handle();
  if (SSL_get_SSL_CTX(ssl) != want) SSL_set_SSL_CTX(ssl, want);
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

std::shared_ptr<const TlsContexts> make_tls_contexts(std::shared_ptr<const Generation> generation, bool session_tickets,
                                                     std::string& error) {
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
    SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION);
    // No server-side session cache (it would be per worker and per process); resumption
    // is by stateless tickets, when the configuration allows them.
    SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
    if (!session_tickets) {
      SSL_CTX_set_options(raw, SSL_OP_NO_TICKET);
      SSL_CTX_set_num_tickets(raw, 0);
    }
    std::string ciphers(p.str(t.ciphers));
    if (!ciphers.empty() && SSL_CTX_set_cipher_list(raw, ciphers.c_str()) != 1) {
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
    SSL_CTX_set_tlsext_servername_callback(raw, on_server_name);
    SSL_CTX_set_tlsext_servername_arg(raw, set.get());
    set->by_record.push_back(std::move(ctx));
  }
  return set;
}

}  // namespace banyan::proxy
