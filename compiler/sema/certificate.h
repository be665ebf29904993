// A PEM certificate and private key, parsed with OpenSSL, and the questions the TLS
// checks ask of them: does the key belong to the certificate, which host names does
// it cover, when is it valid. OpenSSL stays behind this header (only certificate.cpp
// includes it); callers see plain data and error strings.
//
// Errors are never exceptions: parse_pem returns nullopt and says why in `error`, in
// words a user can act on ("holds a private key, not a certificate"), with OpenSSL's
// own reason appended where it adds something.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct x509_st;      // OpenSSL's X509
struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace banyan::sema {

class PrivateKey {
 public:
  // The first private key in `pem`. An encrypted key is refused (never prompted for).
  static std::optional<PrivateKey> parse_pem(std::string_view pem, std::string& error);

 private:
  friend class Certificate;
  struct Free {
    void operator()(evp_pkey_st* key) const;
  };
  std::unique_ptr<evp_pkey_st, Free> key_;
};

class Certificate {
 public:
  // The first certificate in `pem`: the leaf of a chain, the one a client checks.
  static std::optional<Certificate> parse_pem(std::string_view pem, std::string& error);

  // Whether `key` is this certificate's private key (the public halves are equal).
  bool matches(const PrivateKey& key) const;

  // Whether a client asking for `host` accepts this certificate, judged as browsers
  // do: subjectAltName only (the subject's common name is ignored, RFC 6125 section
  // 6.4.4 as applied since 2017), a wildcard covers exactly one label, no partial
  // wildcards (`w*.example.com`). A site host that is itself a wildcard
  // (`*.example.com`) is covered only by that same wildcard name; an IPv4 host by an
  // IP address entry.
  bool covers(std::string_view host) const;

  // What the certificate names, for messages: its DNS names, then IP addresses.
  const std::vector<std::string>& names() const { return names_; }
  // The subject's common name, or empty (shown when there are no names).
  const std::string& common_name() const { return common_name_; }

  // The validity period, in seconds since the Unix epoch (UTC).
  int64_t not_before() const { return not_before_; }
  int64_t not_after() const { return not_after_; }

 private:
  struct Free {
    void operator()(x509_st* cert) const;
  };
  std::unique_ptr<x509_st, Free> cert_;
  std::vector<std::string> names_;
  std::vector<std::string> dns_names_;  // lower-cased, for wildcard site hosts
  std::string common_name_;
  int64_t not_before_ = 0;
  int64_t not_after_ = 0;
};

// The TLS 1.2 suites an OpenSSL cipher list selects, by OpenSSL's names, in order,
// each with whether it is in the default profile (runtime/plan/tls_profile.h: ECDHE
// key exchange and an AEAD cipher). Empty, with `error` set, when OpenSSL refuses
// the list (it selects no suite), as the gateway then refuses the plan.
struct CipherSuite {
  std::string name;
  bool in_profile = false;
};
std::vector<CipherSuite> expand_cipher_list(const std::string& list, std::string& error);

// "2026-12-10" for a Unix time (UTC).
std::string format_date(int64_t unix_seconds);

}  // namespace banyan::sema
