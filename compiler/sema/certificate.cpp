// The one place the compiler calls OpenSSL: PEM parsing, key matching, host names and
// validity dates. Every OpenSSL object lives in a unique_ptr; OpenSSL's thread-local
// error queue is cleared after each call that may fill it, so no state leaks from
// one check to the next.
#include "compiler/sema/certificate.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>
#include <cstdio>
#include <ctime>

namespace banyan::sema {
namespace {

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using GeneralNames = std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)>;

Bio memory_bio(std::string_view data) {
  // The caller's read budget keeps data far below INT_MAX; refuse rather than wrap.
  if (data.size() > static_cast<size_t>(INT_MAX)) return Bio(nullptr, &BIO_free);
  return Bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), &BIO_free);
}

// OpenSSL's reason for the last failure ("bad base64 decode"), and a clean queue.
std::string take_openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  const char* reason = code ? ERR_reason_error_string(code) : nullptr;
  std::string out = reason ? reason : "";
  ERR_clear_error();
  return out;
}

// Never prompt on the terminal for an encrypted key: fail instead.
int refuse_passphrase(char*, int, int, void*) { return -1; }

// The labels of the PEM blocks in `text`, in order: "CERTIFICATE", "PRIVATE KEY", ...
std::vector<std::string> pem_labels(std::string_view text) {
  static constexpr std::string_view kBegin = "-----BEGIN ";
  std::vector<std::string> labels;
  for (size_t at = text.find(kBegin); at != std::string_view::npos; at = text.find(kBegin, at + 1)) {
    size_t start = at + kBegin.size();
    size_t end = text.find("-----", start);
    size_t line_end = text.find('\n', start);
    if (end == std::string_view::npos || end > line_end) continue;
    labels.emplace_back(text.substr(start, end - start));
  }
  return labels;
}

bool is_certificate_label(const std::string& l) {
  return l == "CERTIFICATE" || l == "X509 CERTIFICATE" || l == "TRUSTED CERTIFICATE";
}
bool is_private_key_label(const std::string& l) {
  return l.size() >= 11 && l.compare(l.size() - 11, 11, "PRIVATE KEY") == 0;
}

template <typename Pred>
bool any_label(const std::vector<std::string>& labels, Pred pred) {
  return std::any_of(labels.begin(), labels.end(), pred);
}

// Why `text` holds no PEM block of the kind wanted, when it holds none.
std::string no_pem_block(std::string_view text, const std::vector<std::string>& labels, const char* wanted,
                         const char* begin_line, const char* der_hint) {
  if (text.empty()) return "the file is empty";
  if (labels.empty()) {
    // DER is a binary SEQUENCE: its first byte is 0x30.
    if (static_cast<unsigned char>(text[0]) == 0x30)
      return std::string("the file is binary (DER), not PEM; convert it with `") + der_hint + "`";
    return std::string("it holds no PEM ") + wanted + " (no '" + begin_line + "' line)";
  }
  return "it holds a PEM '" + labels.front() + "', not a " + wanted;
}

bool is_ipv4(std::string_view host) {
  int dots = 0;
  for (char c : host) {
    if (c == '.')
      ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
  }
  return dots == 3;
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
  const unsigned char* b = ASN1_STRING_get0_data(ip);
  int n = ASN1_STRING_length(ip);
  char buf[64];
  if (n == 4) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    return buf;
  }
  std::string out;  // IPv6: eight groups of hex, uncompressed
  for (int i = 0; i + 1 < n; i += 2) {
    std::snprintf(buf, sizeof buf, "%s%x", i ? ":" : "", (b[i] << 8) | b[i + 1]);
    out += buf;
  }
  return out;
}

bool to_unix(const ASN1_TIME* t, int64_t& out) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return false;
  using namespace std::chrono;
  sys_days day = year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)} /
                 std::chrono::day{static_cast<unsigned>(tm.tm_mday)};
  out = static_cast<int64_t>(day.time_since_epoch().count()) * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
  return true;
}

}  // namespace

void PrivateKey::Free::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }
void Certificate::Free::operator()(x509_st* cert) const { X509_free(cert); }

std::optional<PrivateKey> PrivateKey::parse_pem(std::string_view pem, std::string& error) {
  auto labels = pem_labels(pem);
  if (!any_label(labels, is_private_key_label)) {
    if (any_label(labels, is_certificate_label))
      error = "it holds a certificate, not a private key (are `certificate` and `key` swapped?)";
    else if (any_label(labels, [](const std::string& l) { return l == "PUBLIC KEY"; }))
      error = "it holds a public key; `key` needs the private key";
    else
      error = no_pem_block(pem, labels, "private key", "-----BEGIN PRIVATE KEY-----",
                           "openssl pkey -inform der -in KEY -out KEY.pem");
    return std::nullopt;
  }
  if (any_label(labels, [](const std::string& l) { return l == "ENCRYPTED PRIVATE KEY"; }) ||
      pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos) {
    error =
        "the key is encrypted with a passphrase, which banyan cannot ask for; store it unencrypted "
        "(`openssl pkey -in KEY -out PLAIN.key`) and protect the file instead";
    return std::nullopt;
  }
  Bio bio = memory_bio(pem);
  PrivateKey out;
  if (bio) out.key_.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
  if (!out.key_) {
    std::string reason = take_openssl_reason();
    error = "its private key does not parse" + (reason.empty() ? std::string() : " (OpenSSL: " + reason + ")");
    return std::nullopt;
  }
  ERR_clear_error();
  return out;
}

std::optional<Certificate> Certificate::parse_pem(std::string_view pem, std::string& error) {
  auto labels = pem_labels(pem);
  if (!any_label(labels, is_certificate_label)) {
    if (any_label(labels, is_private_key_label))
      error = "it holds a private key, not a certificate (are `certificate` and `key` swapped?)";
    else
      error = no_pem_block(pem, labels, "certificate", "-----BEGIN CERTIFICATE-----",
                           "openssl x509 -inform der -in CERT -out CERT.pem");
    return std::nullopt;
  }
  Bio bio = memory_bio(pem);
  Certificate out;
  if (bio) out.cert_.reset(PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr));
  if (!out.cert_ || !to_unix(X509_get0_notBefore(out.cert_.get()), out.not_before_) ||
      !to_unix(X509_get0_notAfter(out.cert_.get()), out.not_after_)) {
    std::string reason = take_openssl_reason();
    error = "its certificate does not parse" + (reason.empty() ? std::string() : " (OpenSSL: " + reason + ")");
    return std::nullopt;
  }

  GeneralNames sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(out.cert_.get(), NID_subject_alt_name, nullptr, nullptr)),
      &GENERAL_NAMES_free);
  std::vector<std::string> ips;
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans.get(), i);
    if (g->type == GEN_DNS) {
      const ASN1_IA5STRING* s = g->d.dNSName;
      std::string name(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<size_t>(ASN1_STRING_length(s)));
      out.names_.push_back(name);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      out.dns_names_.push_back(name);
    } else if (g->type == GEN_IPADD) {
      ips.push_back(ip_text(g->d.iPAddress));
    }
  }
  out.names_.insert(out.names_.end(), ips.begin(), ips.end());

  const X509_NAME* subject = X509_get_subject_name(out.cert_.get());
  int at = subject ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
  if (at >= 0) {
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)));
    if (n >= 0) out.common_name_.assign(reinterpret_cast<const char*>(utf8), static_cast<size_t>(n));
    OPENSSL_free(utf8);
  }
  ERR_clear_error();
  return out;
}

bool Certificate::matches(const PrivateKey& key) const {
  bool ok = X509_check_private_key(cert_.get(), key.key_.get()) == 1;
  ERR_clear_error();  // a mismatch leaves "key values mismatch" on the queue
  return ok;
}

bool Certificate::covers(std::string_view host) const {
  if (host.rfind("*.", 0) == 0) return std::find(dns_names_.begin(), dns_names_.end(), host) != dns_names_.end();
  std::string h(host);
  int rc = is_ipv4(h)
               ? X509_check_ip_asc(cert_.get(), h.c_str(), 0)
               : X509_check_host(cert_.get(), h.data(), h.size(),
                                 X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr);
  ERR_clear_error();
  return rc == 1;
}

std::vector<CipherSuite> expand_cipher_list(const std::string& list, std::string& error) {
  std::vector<CipherSuite> out;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) {
    error = "OpenSSL could not make a TLS context";
    return out;
  }
  ERR_clear_error();
  if (SSL_CTX_set_cipher_list(ctx.get(), list.c_str()) != 1) {
    ERR_clear_error();
    error = "selects no TLS 1.2 suite OpenSSL knows";
    return out;
  }
  STACK_OF(SSL_CIPHER)* all = SSL_CTX_get_ciphers(ctx.get());
  for (int i = 0; i < sk_SSL_CIPHER_num(all); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(all, i);
    if (std::string_view(SSL_CIPHER_get_version(c)) == "TLSv1.3") continue;  // TLS 1.3's own suites, not from this list
    out.push_back({SSL_CIPHER_get_name(c), SSL_CIPHER_is_aead(c) == 1 && SSL_CIPHER_get_kx_nid(c) == NID_kx_ecdhe});
  }
  return out;
}

std::string format_date(int64_t unix_seconds) {
  using namespace std::chrono;
  year_month_day ymd{floor<days>(sys_seconds{seconds{unix_seconds}})};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace banyan::sema
