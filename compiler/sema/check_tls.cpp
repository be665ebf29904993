// TLS, checked before anything is served: each tls block's certificate and key files
// (read through the Context's FileReader, relative paths from the routes file that
// names them), the hosts its certificate covers, its validity at cx.now_unix, the
// protocol versions it offers; then whether https listeners, `redirect https` and
// hsts have what they need. OpenSSL stays in certificate.cpp.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "compiler/sema/certificate.h"
#include "compiler/sema/passes.h"

namespace banyan::sema {
namespace {

using diag::Code;

// A certificate chain is a few KiB (ten 4096-bit certificates stay under 20 KiB): a
// file past 1 MiB is not one, and is not read whole.
constexpr size_t kMaxPemFileBytes = size_t{1} << 20;
constexpr int64_t kDay = 86400;
// ACME clients renew 30 days before expiry; a certificate closer than that to its end
// has missed at least one renewal.
constexpr int64_t kExpiringSoon = 30 * kDay;
// A note lists at most this many of a certificate's names.
constexpr size_t kMaxNamesShown = 8;

// One tls block and what could be read of its files.
struct TlsFiles {
  const ast::Tls* decl = nullptr;
  std::string cert_path, key_path;  // as resolved
  std::optional<Certificate> cert;  // nullopt: absent, or reported as unusable
  std::optional<PrivateKey> key;
};

std::string resolve(const Context& cx, const ast::Text& path) { return source::resolve_from(cx.sm, path.range, path.text); }

std::optional<std::string> read_file(const Context& cx, diag::DiagnosticSink& sink, const ast::Text& path,
                                     const std::string& what, std::string& resolved) {
  resolved = resolve(cx, path);
  std::string error;
  auto bytes = cx.reader.read(resolved, kMaxPemFileBytes, error);
  if (!bytes) {
    std::string msg = "cannot read " + what + " file '" + resolved + "': " + error;
    if (!std::filesystem::path(path.text).is_absolute())
      msg += "; a relative path is resolved from the directory of the routes file that names it";
    sink.report(Code::TlsFile, path.range, msg);
    return std::nullopt;
  }
  if (bytes->size() > kMaxPemFileBytes) {
    sink.report(
        Code::TlsFile, path.range,
        what + " file '" + resolved + "' is larger than 1 MiB, too large to be a PEM " + what + "; check the path");
    return std::nullopt;
  }
  return bytes;
}

TlsFiles load(const Context& cx, diag::DiagnosticSink& sink, const ast::Tls& t) {
  TlsFiles f;
  f.decl = &t;
  std::string error;
  if (t.certificate) {
    if (auto pem = read_file(cx, sink, *t.certificate, "certificate", f.cert_path)) {
      f.cert = Certificate::parse_pem(*pem, error);
      if (!f.cert)
        sink.report(Code::TlsFile, t.certificate->range, "cannot use certificate file '" + f.cert_path + "': " + error);
    }
  }
  if (t.key) {
    if (auto pem = read_file(cx, sink, *t.key, "key", f.key_path)) {
      f.key = PrivateKey::parse_pem(*pem, error);
      if (!f.key) sink.report(Code::TlsFile, t.key->range, "cannot use key file '" + f.key_path + "': " + error);
    }
  }
  if (f.cert && f.key && !f.cert->matches(*f.key)) {
    auto& d = sink.report(Code::TlsKeyMismatch, t.key->range,
                          "the key in '" + f.key_path + "' is not the private key of certificate '" + f.cert_path +
                              "'; use the key the certificate was issued with");
    d.notes.push_back({t.certificate->range, "the certificate is here"});
  }
  return f;
}

std::string days(int64_t seconds) {
  int64_t n = seconds / kDay;
  return n == 0 ? "less than a day" : n == 1 ? "1 day" : std::to_string(n) + " days";
}

void check_validity(const TlsFiles& f, int64_t now, diag::DiagnosticSink& sink) {
  const Certificate& c = *f.cert;
  const auto range = f.decl->certificate->range;
  const std::string what = "certificate '" + f.cert_path + "'";
  // RFC 5280 section 4.1.2.5: both ends of the validity period are inclusive.
  if (c.not_after() < now) {
    sink.report(Code::TlsExpired, range,
                what + " expired on " + format_date(c.not_after()) + ", " + days(now - c.not_after()) +
                    " ago; browsers refuse it: renew it");
  } else if (c.not_before() > now) {
    sink.report(Code::TlsExpired, range,
                what + " is not valid until " + format_date(c.not_before()) + ", in " + days(c.not_before() - now) +
                    "; browsers refuse it until then: use a certificate that is valid now");
  } else if (c.not_after() - now < kExpiringSoon) {
    sink.report(Code::TlsExpiring, range,
                what + " expires on " + format_date(c.not_after()) + ", in " + days(c.not_after() - now) +
                    "; renew it before then");
  }
}

// ---- protocol versions

bool is_legacy(ast::TlsVersion v) { return v == ast::TlsVersion::V1_0 || v == ast::TlsVersion::V1_1; }

std::string written(const Context& cx, source::SourceRange r) {
  return std::string(cx.sm.file(r.file).text().substr(r.begin, r.end - r.begin));
}

// "TLS1.2", or "TLSv1.2" when the version it replaces was written nginx's way.
std::string like(const std::string& as_written, const char* number) {
  return std::string(as_written.size() > 3 && as_written[3] == 'v' ? "TLSv" : "TLS") + number;
}

// The end of every legacy-version message: why, and the two ways out.
std::string legacy_advice(bool plural, const std::string& fix) {
  return std::string(plural ? ", which are" : ", which is") + " insecure and refused by current browsers (RFC 8996); " +
         fix + ", or add `allow legacy_protocols` to this tls block if old clients must connect";
}

void check_legacy_bounds(const Context& cx, const ast::Tls& t, diag::DiagnosticSink& sink) {
  if (t.min_version && is_legacy(t.min_version->version)) {
    std::string w = written(cx, t.min_version->range);
    bool v1_0 = t.min_version->version == ast::TlsVersion::V1_0;
    auto& d = sink.report(Code::TlsLegacyProtocol, t.min_version->range,
                          "min_version " + w + " enables " + (v1_0 ? "TLS 1.0 and 1.1" : "TLS 1.1") +
                              legacy_advice(v1_0, "use " + like(w, "1.2")));
    d.fixit = diag::FixIt{t.min_version->range, like(w, "1.2")};
  }
  if (t.max_version && is_legacy(t.max_version->version)) {
    std::string w = written(cx, t.max_version->range);
    auto& d = sink.report(
        Code::TlsLegacyProtocol, t.max_version->range,
        "max_version " + w + " leaves only versions below TLS 1.2" + legacy_advice(true, "use " + like(w, "1.3")));
    d.fixit = diag::FixIt{t.max_version->range, like(w, "1.3")};
  }
}

// One error per tls block, at its `protocols` list. The fix-it rewrites the list
// whole when it is one run of versions with only blanks between them (one statement,
// no comment); otherwise the error points at the first legacy version, with no fix-it.
void check_legacy_protocols(const Context& cx, const ast::Tls& t, diag::DiagnosticSink& sink) {
  std::vector<std::string> legacy, kept;
  for (const auto& p : t.protocols) (is_legacy(p.version) ? legacy : kept).push_back(written(cx, p.range));
  if (legacy.empty()) return;
  bool one_run = true;
  for (size_t i = 1; i < t.protocols.size(); ++i) {
    const auto& a = t.protocols[i - 1].range;
    const auto& b = t.protocols[i].range;
    one_run =
        one_run && a.file == b.file && a.end <= b.begin &&
        cx.sm.file(a.file).text().substr(a.end, b.begin - a.end).find_first_not_of(" \t") == std::string_view::npos;
  }
  std::string names = legacy[0];
  for (size_t i = 1; i < legacy.size(); ++i) names += (i + 1 == legacy.size() ? " and " : ", ") + legacy[i];
  auto list = source::SourceRange::join(t.protocols.front().range, t.protocols.back().range);
  auto first_legacy = std::find_if(t.protocols.begin(), t.protocols.end(),
                                   [](const ast::TlsVersionRef& p) { return is_legacy(p.version); });
  bool plural = legacy.size() > 1;
  auto& d = sink.report(Code::TlsLegacyProtocol, one_run ? list : first_legacy->range,
                        "protocols lists " + names + legacy_advice(plural, plural ? "remove them" : "remove it"));
  if (!one_run) return;
  std::string replacement;
  for (const auto& k : kept) replacement += (replacement.empty() ? "" : " ") + k;
  if (replacement.empty()) replacement = like(legacy[0], "1.2") + " " + like(legacy[0], "1.3");
  d.fixit = diag::FixIt{list, replacement};
}

void check_versions(const Context& cx, const ast::Tls& t, diag::DiagnosticSink& sink) {
  bool allowed =
      std::any_of(t.allow.begin(), t.allow.end(), [](const ast::Name& n) { return n.text == "legacy_protocols"; });
  if (!allowed) {
    check_legacy_bounds(cx, t, sink);
    check_legacy_protocols(cx, t, sink);
  }
  if (!t.protocols.empty() && (t.min_version || t.max_version)) {
    const ast::TlsVersionRef& bound = t.min_version ? *t.min_version : *t.max_version;
    auto& d = sink.report(Code::DuplicateSetting, bound.range,
                          std::string(t.min_version ? "min_version" : "max_version") +
                              " and `protocols` both set the versions to offer; keep one (min_version and max_version "
                              "say it with a range)");
    d.notes.push_back({source::SourceRange::join(t.protocols.front().range, t.protocols.back().range), "`protocols` is here"});
  }
  if (t.min_version && t.max_version && t.min_version->version > t.max_version->version) {
    auto& d = sink.report(Code::TlsVersionRange, t.min_version->range,
                          "min_version " + written(cx, t.min_version->range) + " is above max_version " +
                              written(cx, t.max_version->range) + ", so no version is left to offer; swap them");
    d.notes.push_back({t.max_version->range, "max_version is here"});
  }
}

// The block's TLS 1.2 cipher list: one OpenSSL accepts (the gateway refuses the plan
// otherwise), and one that keeps to the default profile or says why not.
void check_ciphers(const ast::Tls& t, diag::DiagnosticSink& sink) {
  if (!t.ciphers) return;
  std::string error;
  std::vector<CipherSuite> suites = expand_cipher_list(t.ciphers->text, error);
  if (suites.empty()) {
    sink.report(Code::TlsCipherList, t.ciphers->range,
                "ciphers \"" + t.ciphers->text + "\" " + (error.empty() ? "selects no TLS 1.2 suite" : error) +
                    ", so the gateway would refuse the plan; name suites such as ECDHE-ECDSA-AES128-GCM-SHA256, or "
                    "remove the line for the default profile");
    return;
  }
  std::vector<std::string> outside;
  for (const auto& c : suites)
    if (!c.in_profile) outside.push_back(c.name);
  if (outside.empty()) return;
  std::string names;
  const size_t shown = std::min<size_t>(outside.size(), 4);
  for (size_t i = 0; i < shown; ++i) names += (i ? ", " : "") + outside[i];
  if (outside.size() > shown) names += " and " + std::to_string(outside.size() - shown) + " more";
  sink.report(Code::TlsWeakCiphers, t.ciphers->range,
              "ciphers offers " + std::to_string(outside.size()) + " suite" + (outside.size() == 1 ? "" : "s") +
                  " outside the default profile of ECDHE with an AEAD cipher (" + names +
                  "); keep to ECDHE with AES-GCM or ChaCha20-Poly1305, or remove the line");
}

// ---- sites and listeners

const TlsFiles* find_block(const std::vector<TlsFiles>& blocks, const std::string& name) {
  for (const auto& b : blocks) {
    if (b.decl->name.text == name) return &b;
  }
  return nullptr;  // unknown: resolve_names reports it
}

std::string names_note(const Certificate& c) {
  if (c.names().empty()) {
    return "the certificate has no subjectAltName, so it covers no host" +
           (c.common_name().empty() ? std::string() : " (browsers ignore its common name '" + c.common_name() + "')");
  }
  std::string out = "the certificate covers ";
  for (size_t i = 0; i < c.names().size() && i < kMaxNamesShown; ++i) out += (i ? ", " : "") + c.names()[i];
  if (c.names().size() > kMaxNamesShown) out += " and " + std::to_string(c.names().size() - kMaxNamesShown) + " more";
  return out;
}

// Why a certificate with a wildcard might look as if it covered `host` and does not.
std::string wildcard_hint(const Certificate& c, const std::string& host) {
  if (host.rfind("*.", 0) == 0) return " (a wildcard host is covered only by that same wildcard)";
  for (const auto& n : c.names()) {
    if (n.rfind("*.", 0) != 0) continue;
    std::string suffix = n.substr(1);  // ".example.com"
    if (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0)
      return " ('" + n + "' covers one label only)";
  }
  return "";
}

void check_site_hosts(const ast::File& file, const std::vector<TlsFiles>& blocks, diag::DiagnosticSink& sink) {
  for (const auto& site : file.sites) {
    if (!site.tls) continue;
    const TlsFiles* b = find_block(blocks, site.tls->text);
    if (!b || !b->cert) continue;
    for (const auto& h : site.hosts) {
      if (h.is_default || b->cert->covers(h.host)) continue;
      auto& d = sink.report(Code::TlsHostMismatch, h.range,
                            "the certificate of tls block '" + b->decl->name.text + "' does not cover host '" + h.host +
                                "'" + wildcard_hint(*b->cert, h.host) +
                                "; add the name to the certificate, or serve this site with a tls block whose "
                                "certificate names it");
      d.notes.push_back({b->decl->certificate->range, names_note(*b->cert)});
    }
  }
}

void check_https_sites(const ast::File& file, const std::vector<TlsFiles>& blocks, const ast::Listen& https,
                       diag::DiagnosticSink& sink) {
  if (file.sites.empty()) return;
  auto has_tls = [](const ast::Site& s) { return s.tls.has_value(); };
  const std::string listener = "https listener '" + https.address.text + "'";
  if (std::none_of(file.sites.begin(), file.sites.end(), has_tls)) {
    auto& d = sink.report(Code::HttpsWithoutCertificate, https.range,
                          listener +
                              " has no certificate to offer: no site has a `tls` block; declare one "
                              "(`tls NAME { certificate ... key ... }`) and add `tls NAME` to each site");
    const auto& s = file.sites.front();
    d.notes.push_back({s.hosts.empty() ? s.range : s.hosts.front().range, "this site, for one, has no `tls`"});
    return;
  }
  // A site without `tls` still gets a certificate when one in use names all its hosts
  // (the handshake picks a certificate by the name the client asks for). When one in
  // use could not be read, that cannot be known: say nothing rather than guess.
  std::vector<const Certificate*> in_use;
  for (const auto& s : file.sites) {
    if (!s.tls) continue;
    const TlsFiles* b = find_block(blocks, s.tls->text);
    if (!b) continue;
    if (!b->cert) return;
    in_use.push_back(&*b->cert);
  }
  for (const auto& s : file.sites) {
    if (s.tls) continue;
    std::vector<const ast::HostPattern*> bare;
    for (const auto& h : s.hosts) {
      // `default` takes the names no certificate covers: the handshake offers one of
      // the certificates in use, as nginx's default server does.
      if (h.is_default) continue;
      if (std::none_of(in_use.begin(), in_use.end(), [&](const Certificate* c) { return c->covers(h.host); }))
        bare.push_back(&h);
    }
    if (bare.empty()) continue;
    std::string others = bare.size() == 1 ? "" : " (and " + std::to_string(bare.size() - 1) + " more of its hosts)";
    auto& d = sink.report(Code::HttpsWithoutCertificate, bare.front()->range,
                          "host '" + bare.front()->host + "'" + others +
                              " is served over https but has no certificate: its site has no `tls` and no "
                              "certificate in use covers it; add `tls NAME` to the site");
    d.notes.push_back({https.range, "the " + listener + " is here"});
  }
}

void check_listeners(const ast::File& file, const std::vector<TlsFiles>& blocks, diag::DiagnosticSink& sink) {
  const ast::Listen* https = nullptr;
  const ast::Listen* http = nullptr;
  for (const auto& l : file.listens) {
    const ast::Listen*& first = l.scheme == ast::Scheme::Https ? https : http;
    if (!first) first = &l;
    if (l.scheme == ast::Scheme::Https && l.redirect_https) {
      sink.report(Code::RedirectLoop, l.redirect_https->range,
                  "this listener already serves https, so redirecting its requests to https sends each one back "
                  "to itself for ever; put `redirect https` on the http listener");
    }
  }
  if (https) {
    check_https_sites(file, blocks, *https, sink);
    return;
  }
  for (const auto& l : file.listens) {
    if (!l.redirect_https) continue;
    sink.report(Code::RedirectWithoutHttps, l.redirect_https->range,
                "`redirect https` sends every request to https, but no listener serves https; add `listen https :443` "
                "(and a tls block for the sites), or remove the redirect");
  }
  // A file with no listener at all says nothing about how its hosts are reached (it may
  // be included by one that does).
  if (!http) return;
  for (const auto& b : blocks) {
    const ast::Tls& t = *b.decl;
    bool used = std::any_of(file.sites.begin(), file.sites.end(),
                            [&](const ast::Site& s) { return s.tls && find_block(blocks, s.tls->text) == &b; });
    if (!t.hsts_max_age || !used) continue;
    auto& d = sink.report(Code::HstsWithoutHttps, t.hsts_max_age->range,
                          "hsts has no effect: no listener serves https, and browsers ignore Strict-Transport-Security "
                          "over plain http; add `listen https :443`, or remove hsts");
    d.notes.push_back({http->range, "the listeners are http only, like this one"});
  }
}

}  // namespace

void check_tls(const Context& cx, diag::DiagnosticSink& sink) {
  std::vector<TlsFiles> blocks;
  blocks.reserve(cx.file.tls.size());
  for (const auto& t : cx.file.tls) {
    blocks.push_back(load(cx, sink, t));
    if (blocks.back().cert) check_validity(blocks.back(), cx.now_unix, sink);
    check_versions(cx, t, sink);
    check_ciphers(t, sink);
  }
  check_site_hosts(cx.file, blocks, sink);
  check_listeners(cx.file, blocks, sink);
}

}  // namespace banyan::sema
