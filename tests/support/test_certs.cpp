// OpenSSL's X509 builder, for tests only. A failure throws (Catch reports it): it means
// the test support itself is broken, not the code under test.
#include "tests/support/test_certs.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace banyan::test {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using Ext = std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)>;

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test_certs: ") + what + " failed");
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

std::string make_key_pem() {
  Key key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  require(key != nullptr, "EVP_EC_gen");
  Bio bio(BIO_new(BIO_s_mem()), &BIO_free);
  require(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1, "PEM_write");
  return drain(bio.get());
}

std::string make_cert_pem(const std::string& key_pem, const CertSpec& spec) {
  Bio in(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), &BIO_free);
  Key key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  require(key != nullptr, "PEM_read_bio_PrivateKey");

  Cert cert(X509_new(), &X509_free);
  require(X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_set_version");
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  require(ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(spec.not_before)) != nullptr, "notBefore");
  require(ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(spec.not_after)) != nullptr, "notAfter");
  require(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>(spec.common_name.c_str());
  require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1, "CN");
  require(X509_set_issuer_name(cert.get(), name) == 1, "issuer");
  if (!spec.san.empty()) {
    std::string value;
    for (const auto& s : spec.san) value += (value.empty() ? "" : ",") + s;
    Ext ext(X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, value.c_str()), &X509_EXTENSION_free);
    require(ext != nullptr && X509_add_ext(cert.get(), ext.get(), -1) == 1, "subjectAltName");
  }
  require(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

  Bio out(BIO_new(BIO_s_mem()), &BIO_free);
  require(PEM_write_bio_X509(out.get(), cert.get()) == 1, "PEM_write_bio_X509");
  return drain(out.get());
}

}  // namespace banyan::test
