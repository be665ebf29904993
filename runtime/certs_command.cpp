// certs_command.h: OpenSSL 3 makes the keys (EC P-256) and certificates; the routes
// file is read by the compiler's loader (syntax only: the files it names may not exist
// yet, which is why this command runs).
#include "runtime/certs_command.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "compiler/diag/render.h"
#include "compiler/parse/load_routes.h"
#include "compiler/source/file_reader.h"

namespace banyan {
namespace {

constexpr long kLeafDays = 825;      // the longest a browser accepts for a certificate it is told to trust
constexpr long kCaDays = 3650;
constexpr long kRenewDays = 30;      // a certificate with less left is issued again

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(FILE* p) const { std::fclose(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;
using File = std::unique_ptr<FILE, Free>;

std::string openssl_error() {
  char buf[256] = "unknown error";
  if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

Cert read_cert(const std::string& path) {
  File f(std::fopen(path.c_str(), "r"));
  return Cert(f ? PEM_read_X509(f.get(), nullptr, nullptr, nullptr) : nullptr);
}

Key read_key(const std::string& path) {
  File f(std::fopen(path.c_str(), "r"));
  return Key(f ? PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr) : nullptr);
}

// Writes through a temporary file and a rename, so a reader never sees half a file.
bool write_pem(const std::string& path, mode_t mode, const std::function<int(FILE*)>& write, std::string& error) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return error = "cannot write '" + tmp + "': " + std::strerror(errno), false;
  File f(::fdopen(fd, "w"));
  if (!f) return ::close(fd), error = "cannot write '" + tmp + "'", false;
  bool ok = write(f.get()) == 1;
  ok = std::fflush(f.get()) == 0 && ok;
  f.reset();
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot write '" + path + "': " + (ok ? std::strerror(errno) : openssl_error());
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

bool add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate for `subject_key`, named `cn`, valid for `days`, signed by `issuer`
// (itself when null) with `issuer_key`; `exts` are (nid, value) pairs.
Cert make_cert(EVP_PKEY* subject_key, const std::string& cn, long days, X509* issuer, EVP_PKEY* issuer_key,
               const std::vector<std::pair<int, std::string>>& exts) {
  Cert c(X509_new());
  unsigned char serial[16];
  if (!c || RAND_bytes(serial, sizeof serial) != 1) return nullptr;
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c.get())) && X509_set_version(c.get(), 2) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600) && X509_gmtime_adj(X509_getm_notAfter(c.get()), days * 86400L);
  BN_free(bn);
  X509_NAME* name = X509_get_subject_name(c.get());
  ok = ok && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("banyan development"), -1, -1, 0) &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  ok = ok && X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name) == 1 &&
       X509_set_pubkey(c.get(), subject_key) == 1;
  for (const auto& [nid, value] : exts) ok = ok && add_ext(c.get(), issuer ? issuer : c.get(), nid, value.c_str());
  ok = ok && X509_sign(c.get(), issuer_key, EVP_sha256()) > 0;
  return ok ? std::move(c) : nullptr;
}

// The CA in `dir`: read, or made when absent (or when `renew`, keeping the one it
// replaces in `old`, whose certificates are then issued again).
bool load_or_make_ca(const std::string& dir, bool renew, Cert& ca, Key& ca_key, Cert& old, std::string& said,
                     std::string& error) {
  const std::string cert_path = dir + "/ca-cert.pem", key_path = dir + "/ca-key.pem";
  const bool exists = std::filesystem::exists(cert_path) || std::filesystem::exists(key_path);
  if (exists && renew) old = read_cert(cert_path);
  if (exists && !renew) {
    ca = read_cert(cert_path);
    ca_key = read_key(key_path);
    if (!ca || !ca_key || X509_check_private_key(ca.get(), ca_key.get()) != 1) {
      ERR_clear_error();
      return error = "the CA in '" + dir + "' cannot be read or its key does not match; make a new one with --new-ca", false;
    }
    said = "the CA " + cert_path + " (kept)";
    return true;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return error = "cannot create '" + dir + "': " + ec.message(), false;
  ca_key.reset(EVP_EC_gen("P-256"));
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  const char* user = std::getenv("USER");
  ca = ca_key ? make_cert(ca_key.get(), "banyan development CA " + (user && *user ? std::string(user) + "@" : "") + host, kCaDays,
                          nullptr, ca_key.get(),
                          {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                           {NID_key_usage, "critical,keyCertSign,cRLSign"},
                           {NID_subject_key_identifier, "hash"}})
              : nullptr;
  if (!ca) return error = "cannot make the CA: " + openssl_error(), false;
  if (!write_pem(key_path, 0600, [&](FILE* f) { return PEM_write_PrivateKey(f, ca_key.get(), nullptr, nullptr, 0, nullptr, nullptr); }, error) ||
      !write_pem(cert_path, 0644, [&](FILE* f) { return PEM_write_X509(f, ca.get()); }, error))
    return false;
  said = "the CA " + cert_path + (exists ? " (new: the old one was replaced)" : " (new)");
  return true;
}

// The names of a certificate's subjectAltName: DNS names as they are, addresses as
// the site writes them ("127.0.0.1", "[::1]").
std::set<std::string> san_names(X509* cert) {
  std::set<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS) {
      out.emplace(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)), ASN1_STRING_length(n->d.dNSName));
    } else if (n->type == GEN_IPADD) {
      const int len = ASN1_STRING_length(n->d.iPAddress);
      char text[INET6_ADDRSTRLEN] = "";
      if (inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(n->d.iPAddress), text, sizeof text))
        out.insert(len == 4 ? std::string(text) : "[" + std::string(text) + "]");
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

enum class Existing { None, Current, Stale, Foreign, LoneKey };

// What is at `cert_path` already: nothing, a current certificate of this CA for
// exactly `hosts` (with its key), one of this CA (or of the CA it replaced, `old`) to
// issue again, or someone else's.
Existing existing(const std::string& cert_path, const std::string& key_path, X509* ca, X509* old,
                  const std::set<std::string>& hosts) {
  if (!std::filesystem::exists(cert_path)) return std::filesystem::exists(key_path) ? Existing::LoneKey : Existing::None;
  Cert c = read_cert(cert_path);
  auto signed_by = [&](X509* issuer) {
    EVP_PKEY* pub = issuer ? X509_get0_pubkey(issuer) : nullptr;
    return c && pub && X509_verify(c.get(), pub) == 1;
  };
  if (!signed_by(ca)) {
    const bool replaced = signed_by(old);
    ERR_clear_error();
    return replaced ? Existing::Stale : Existing::Foreign;
  }
  Key k = read_key(key_path);
  time_t renew_at = std::time(nullptr) + kRenewDays * 86400;
  bool current = k && X509_check_private_key(c.get(), k.get()) == 1 && san_names(c.get()) == hosts &&
                 X509_cmp_time(X509_get0_notAfter(c.get()), &renew_at) > 0;
  ERR_clear_error();
  return current ? Existing::Current : Existing::Stale;
}

std::string default_ca_dir() {
  if (const char* d = std::getenv("BANYAN_CA_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/banyan/ca";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/share/banyan/ca";
}

int usage(const std::string& why) {
  std::cerr << "banyan certs: " << why << "\nusage: banyan certs [--ca-dir DIR] [--new-ca] [--force] FILE.routes\n";
  return 2;
}

}  // namespace

int certs_command(const std::vector<std::string>& args) {
  std::string ca_dir = default_ca_dir(), routes;
  bool new_ca = false, force = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--ca-dir" && i + 1 < args.size()) {
      ca_dir = args[++i];
    } else if (args[i] == "--new-ca") {
      new_ca = true;
    } else if (args[i] == "--force") {
      force = true;
    } else if (!args[i].starts_with("-") && routes.empty()) {
      routes = args[i];
    } else {
      return usage("unexpected argument '" + args[i] + "'");
    }
  }
  if (routes.empty()) return usage("no routes file given");

  source::SourceManager sm;
  diag::DiagnosticSink sink;
  source::DiskFileReader reader;
  parse::LoadResult loaded = parse::load_routes(routes, sm, sink, reader);
  if (!loaded.read_ok || !loaded.syntax_ok) {
    std::cerr << diag::render_text(sink.all(), sm) << "banyan certs: '" << routes << "' cannot be read as a routes file\n";
    return loaded.read_ok ? 1 : 2;
  }
  // Each tls block a site serves, with the hosts of every site that serves it.
  std::map<std::string, std::set<std::string>> hosts_of;
  for (const ast::Site& site : loaded.ast.sites) {
    if (!site.tls) continue;
    for (const ast::HostPattern& h : site.hosts)
      if (!h.is_default) hosts_of[site.tls->text].insert(h.host);
  }
  int failures = 0, written = 0;
  Cert ca, old_ca;
  Key ca_key;
  for (const ast::Tls& t : loaded.ast.tls) {
    auto it = hosts_of.find(t.name.text);
    if (it == hosts_of.end() || it->second.empty()) {
      std::cerr << "banyan certs: tls " << t.name.text << ": no site with a host name serves it; skipped\n";
      continue;
    }
    if (!t.certificate || !t.key) {
      std::cerr << "banyan certs: tls " << t.name.text << ": names no `certificate` and `key` files to write\n";
      ++failures;
      continue;
    }
    std::string error, said;
    if (!ca && !load_or_make_ca(ca_dir, new_ca, ca, ca_key, old_ca, said, error)) {
      std::cerr << "banyan certs: " << error << "\n";
      return 1;
    }
    if (!said.empty()) std::cout << "banyan certs: " << said << "\n";
    const std::string cert_path = source::resolve_from(sm, t.certificate->range, t.certificate->text);
    const std::string key_path = source::resolve_from(sm, t.key->range, t.key->text);
    const std::set<std::string>& hosts = it->second;
    std::string names;
    for (const std::string& h : hosts) names += (names.empty() ? "" : ", ") + h;
    Existing was = existing(cert_path, key_path, ca.get(), old_ca.get(), hosts);
    if (was == Existing::Current) {
      std::cout << "banyan certs: " << cert_path << " for " << names << ": up to date\n";
      continue;
    }
    if (was == Existing::Foreign && !force) {
      std::cerr << "banyan certs: " << cert_path << " exists and was not issued by the CA in " << ca_dir
                << "; replace it with --force\n";
      ++failures;
      continue;
    }
    if (was == Existing::LoneKey && !force) {  // someone's key, perhaps: never overwritten unasked
      std::cerr << "banyan certs: " << key_path << " exists without its certificate " << cert_path
                << "; replace it with --force\n";
      ++failures;
      continue;
    }
    std::string san;
    for (const std::string& h : hosts) {  // an address is named as one (IP:), a name as DNS:
      unsigned char addr[16];
      std::string bare = h.size() > 2 && h.front() == '[' && h.back() == ']' ? h.substr(1, h.size() - 2) : h;
      const bool ip = inet_pton(AF_INET, bare.c_str(), addr) == 1 || inet_pton(AF_INET6, bare.c_str(), addr) == 1;
      san += (san.empty() ? "" : ",") + std::string(ip ? "IP:" : "DNS:") + (ip ? bare : h);
    }
    Key key(EVP_EC_gen("P-256"));
    Cert cert = key ? make_cert(key.get(), *hosts.begin(), kLeafDays, ca.get(), ca_key.get(),
                                {{NID_basic_constraints, "critical,CA:FALSE"},
                                 {NID_key_usage, "critical,digitalSignature"},
                                 {NID_ext_key_usage, "serverAuth"},
                                 {NID_subject_alt_name, san},
                                 {NID_authority_key_identifier, "keyid:always"}})
                    : nullptr;
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(cert_path).parent_path(), ec);
    std::filesystem::create_directories(std::filesystem::path(key_path).parent_path(), ec);
    if (!cert ||
        !write_pem(key_path, 0600, [&](FILE* f) { return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr); }, error) ||
        !write_pem(cert_path, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()); }, error)) {
      std::cerr << "banyan certs: tls " << t.name.text << ": " << (cert ? error : "cannot make the certificate: " + openssl_error()) << "\n";
      ++failures;
      continue;
    }
    ++written;
    std::cout << "banyan certs: wrote " << cert_path << " and " << key_path << " for " << names << " (" << kLeafDays
              << " days, signed by the CA)\n";
  }
  if (!ca) {
    std::cerr << "banyan certs: '" << routes << "' has no tls block a named site serves: nothing to do\n";
    return failures ? 1 : 0;
  }
  if (written)
    std::cout << "\nTrust the CA where you test (it signs anything for this machine's user; keep "
              << ca_dir << "/ca-key.pem private):\n"
              << "  curl --cacert " << ca_dir << "/ca-cert.pem https://HOST/\n"
              << "  Debian, system-wide: cp " << ca_dir
              << "/ca-cert.pem /usr/local/share/ca-certificates/banyan-dev.crt && update-ca-certificates\n"
              << "  Chromium and Firefox (libnss3-tools): certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n banyan-dev -i "
              << ca_dir << "/ca-cert.pem\n";
  return failures ? 1 : 0;
}

}  // namespace banyan
