// Certificates and keys made in memory for tests, with any names and dates, so the
// TLS checks are tested at exact boundaries without files or the clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace banyan::test {

// A fresh EC P-256 private key, PEM.
std::string make_key_pem();

struct CertSpec {
  std::vector<std::string> san;  // "DNS:example.com", "IP:10.0.0.1"; empty: no subjectAltName
  std::string common_name = "test";
  int64_t not_before = 0;  // Unix seconds
  int64_t not_after = 0;
};

// A certificate for `spec`, self-signed with `key_pem`, PEM.
std::string make_cert_pem(const std::string& key_pem, const CertSpec& spec);

}  // namespace banyan::test
