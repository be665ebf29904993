#include "compiler/sema/certificate.h"

#include <catch2/catch.hpp>

#include "tests/support/test_certs.h"

namespace banyan::sema {
namespace {

constexpr int64_t kJan2027 = 1798761600;  // 2027-01-01T00:00:00Z
constexpr int64_t kDay = 86400;

Certificate parse(const std::string& pem) {
  std::string error;
  auto cert = Certificate::parse_pem(pem, error);
  INFO(error);
  REQUIRE(cert);
  return std::move(*cert);
}

Certificate make(std::vector<std::string> san, std::string cn = "test") {
  test::CertSpec spec;
  spec.san = std::move(san);
  spec.common_name = std::move(cn);
  spec.not_before = kJan2027;
  spec.not_after = kJan2027 + 365 * kDay;
  return parse(test::make_cert_pem(test::make_key_pem(), spec));
}

}  // namespace

TEST_CASE("a certificate's names, common name and validity dates are read from its PEM") {
  test::CertSpec spec;
  spec.san = {"DNS:Example.com", "IP:10.0.0.1", "DNS:*.example.com"};
  spec.common_name = "example.com";
  spec.not_before = kJan2027;
  spec.not_after = kJan2027 + 90 * kDay + 3600;
  Certificate c = parse(test::make_cert_pem(test::make_key_pem(), spec));
  CHECK(c.names() == std::vector<std::string>{"Example.com", "*.example.com", "10.0.0.1"});
  CHECK(c.common_name() == "example.com");
  CHECK(c.not_before() == kJan2027);
  CHECK(c.not_after() == kJan2027 + 90 * kDay + 3600);
  CHECK(format_date(c.not_after()) == "2027-04-01");
}

TEST_CASE("a host is covered as browsers judge it: one label per wildcard, no partial wildcards, any case") {
  Certificate c = make({"DNS:example.com", "DNS:*.example.com", "DNS:w*.example.net"});
  CHECK(c.covers("example.com"));
  CHECK(c.covers("www.example.com"));
  CHECK(c.covers("WWW.EXAMPLE.COM"));
  CHECK_FALSE(c.covers("a.b.example.com"));
  CHECK_FALSE(c.covers("example.org"));
  CHECK_FALSE(c.covers("www.example.net"));  // partial wildcards are refused by browsers
}

TEST_CASE("a wildcard site host is covered only by the same wildcard name") {
  CHECK(make({"DNS:*.Example.com"}).covers("*.example.com"));
  CHECK_FALSE(make({"DNS:www.example.com", "DNS:api.example.com"}).covers("*.example.com"));
  CHECK_FALSE(make({"DNS:*.example.com"}).covers("*.a.example.com"));
}

TEST_CASE("an IPv4 host is covered by an IP address entry, not by a DNS name") {
  CHECK(make({"IP:10.0.0.1"}).covers("10.0.0.1"));
  CHECK_FALSE(make({"IP:10.0.0.1"}).covers("10.0.0.2"));
  CHECK_FALSE(make({"DNS:10.0.0.1"}).covers("10.0.0.1"));
}

TEST_CASE("a certificate without subjectAltName covers no host, not even its common name") {
  Certificate c = make({}, "example.com");
  CHECK(c.names().empty());
  CHECK(c.common_name() == "example.com");
  CHECK_FALSE(c.covers("example.com"));
}

TEST_CASE("a key matches only the certificate it was issued with") {
  std::string key_pem = test::make_key_pem();
  test::CertSpec spec{{"DNS:example.com"}, "example.com", kJan2027, kJan2027 + kDay};
  Certificate cert = parse(test::make_cert_pem(key_pem, spec));
  std::string error;
  auto same = PrivateKey::parse_pem(key_pem, error);
  auto other = PrivateKey::parse_pem(test::make_key_pem(), error);
  REQUIRE(same);
  REQUIRE(other);
  CHECK(cert.matches(*same));
  CHECK_FALSE(cert.matches(*other));
}

TEST_CASE("text that is not a PEM certificate is refused with what was found instead") {
  std::string key_pem = test::make_key_pem();
  auto refused = [](const std::string& text) {
    std::string error;
    CHECK_FALSE(Certificate::parse_pem(text, error));
    return error;
  };
  CHECK(refused("") == "the file is empty");
  CHECK(refused(std::string("\x30\x82\x01\x0a", 4)).find("binary (DER), not PEM") != std::string::npos);
  CHECK(refused("hello\n").find("holds no PEM certificate") != std::string::npos);
  CHECK(refused(key_pem).find("holds a private key, not a certificate") != std::string::npos);
  CHECK(refused("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") ==
        "it holds a PEM 'PUBLIC KEY', not a certificate");
  std::string broken = refused("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
  CHECK(broken.find("its certificate does not parse") != std::string::npos);
}

TEST_CASE("text that is not a usable PEM private key is refused, and an encrypted key without a prompt") {
  test::CertSpec spec{{"DNS:example.com"}, "example.com", kJan2027, kJan2027 + kDay};
  std::string cert_pem = test::make_cert_pem(test::make_key_pem(), spec);
  std::string error;
  CHECK_FALSE(PrivateKey::parse_pem(cert_pem, error));
  CHECK(error.find("holds a certificate, not a private key") != std::string::npos);
  CHECK_FALSE(PrivateKey::parse_pem(
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", error));
  CHECK(error.find("encrypted with a passphrase") != std::string::npos);
  CHECK_FALSE(PrivateKey::parse_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", error));
  CHECK(error.find("its private key does not parse") != std::string::npos);
}

TEST_CASE("a chain file's first certificate is the one checked, and a key in the same file is found") {
  std::string key_pem = test::make_key_pem();
  test::CertSpec leaf{{"DNS:leaf.example.com"}, "leaf", kJan2027, kJan2027 + kDay};
  test::CertSpec next{{"DNS:intermediate.example.com"}, "intermediate", kJan2027, kJan2027 + kDay};
  std::string bundle = key_pem + test::make_cert_pem(key_pem, leaf) + test::make_cert_pem(test::make_key_pem(), next);
  Certificate c = parse(bundle);
  CHECK(c.names() == std::vector<std::string>{"leaf.example.com"});
  std::string error;
  auto key = PrivateKey::parse_pem(bundle, error);
  REQUIRE(key);
  CHECK(c.matches(*key));
}

}  // namespace banyan::sema
