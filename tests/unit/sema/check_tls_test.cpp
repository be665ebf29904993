// The TLS pass through the whole pipeline, on files in memory and a fixed clock:
// path resolution, validity boundaries, exact fix-its, and the https rules.
#include <catch2/catch.hpp>

#include "compiler/check_pipeline.h"
#include "compiler/diag/render.h"
#include "compiler/source/file_reader.h"
#include "tests/support/test_certs.h"

namespace banyan {
namespace {

constexpr int64_t kNow = 1800000000;  // 2027-01-15T08:00:00Z
constexpr int64_t kDay = 86400;

struct TlsRun {
  source::MemoryFileReader fs;
  source::SourceManager sm;
  diag::DiagnosticSink sink;
  std::string key = test::make_key_pem();

  // A certificate for example.com and *.example.com (or `san`), made with `key`.
  std::string cert(int64_t not_before = kNow - 10 * kDay, int64_t not_after = kNow + 365 * kDay,
                   std::vector<std::string> san = {"DNS:example.com", "DNS:*.example.com"}) {
    return test::make_cert_pem(key, {std::move(san), "example.com", not_before, not_after});
  }
  // conf/certs/site.pem and conf/certs/site.key, the pair kTls names.
  void add_site_pair() {
    fs.add("conf/certs/site.pem", cert());
    fs.add("conf/certs/site.key", key);
  }
  void check(const std::string& routes, int64_t now = kNow) {
    fs.add("conf/main.routes", routes);
    CheckOptions options;
    options.now_unix = now;
    check_file("conf/main.routes", sm, sink, fs, options);
  }
  std::vector<std::string> codes() const {
    std::vector<std::string> out;
    for (const auto& d : sink.all()) out.emplace_back(diag::info(d.code).code);
    return out;
  }
  std::string text() const { return diag::render_text(sink.all(), sm); }
  std::string at(source::SourceRange r) const {
    return std::string(sm.file(r.file).text().substr(r.begin, r.end - r.begin));
  }
};

const std::string kTls = "tls main {\n  certificate \"certs/site.pem\"\n  key \"certs/site.key\"\n";

}  // namespace

TEST_CASE("certificate and key paths are resolved from the directory of the routes file that names them") {
  TlsRun r;
  r.fs.add("conf/tls/certs/site.pem", r.cert());
  r.fs.add("conf/tls/certs/site.key", r.key);
  r.fs.add("conf/tls/main.routes", kTls + "}\n");
  r.check("include \"tls/main.routes\"\nsite \"example.com\" {\n  tls main\n  route / { respond 200 }\n}\n");
  INFO(r.text());
  CHECK(r.sink.all().empty());
}

TEST_CASE("an absolute certificate path is read as written, and a missing one is named in the error") {
  TlsRun r;
  r.fs.add("/etc/banyan/site.pem", r.cert());
  r.check("tls main {\n  certificate \"/etc/banyan/site.pem\"\n  key \"/etc/banyan/site.key\"\n}\n");
  REQUIRE(r.codes() == std::vector<std::string>{"B0501"});
  CHECK(r.sink.all()[0].message == "cannot read key file '/etc/banyan/site.key': no such file");
  CHECK(r.at(r.sink.all()[0].range) == "\"/etc/banyan/site.key\"");
}

TEST_CASE("a certificate file past the 1 MiB budget is reported as too large, not parsed") {
  TlsRun r;
  r.fs.add("conf/certs/site.pem", std::string((size_t{1} << 20) + 10, 'A'));
  r.fs.add("conf/certs/site.key", r.key);
  r.check(kTls + "}\n");
  REQUIRE(r.codes() == std::vector<std::string>{"B0501"});
  CHECK(r.sink.all()[0].message.find("is larger than 1 MiB") != std::string::npos);
}

TEST_CASE("a key that belongs to another certificate is reported at the key, with a note at the certificate") {
  TlsRun r;
  r.fs.add("conf/certs/site.pem", r.cert());
  r.fs.add("conf/certs/site.key", test::make_key_pem());
  r.check(kTls + "}\n");
  REQUIRE(r.codes() == std::vector<std::string>{"B0502"});
  const auto& d = r.sink.all()[0];
  CHECK(r.at(d.range) == "\"certs/site.key\"");
  REQUIRE(d.notes.size() == 1);
  CHECK(r.at(d.notes[0].range) == "\"certs/site.pem\"");
}

TEST_CASE("validity is checked against the given time, with both ends inclusive and a 30-day warning") {
  struct Case {
    int64_t not_before, not_after;
    std::vector<std::string> codes;
    std::string message;
  };
  const Case cases[] = {
      {kNow - kDay, kNow + 30 * kDay, {}, ""},
      {kNow, kNow + 31 * kDay, {}, ""},
      {kNow - kDay, kNow + 30 * kDay - 1, {"B0505"}, "in 29 days; renew it before then"},
      {kNow - kDay, kNow + kDay, {"B0505"}, "expires on 2027-01-16, in 1 day"},
      {kNow - kDay, kNow, {"B0505"}, "in less than a day"},
      {kNow - 10 * kDay, kNow - 1, {"B0504"}, "expired on 2027-01-15, less than a day ago"},
      {kNow - 100 * kDay, kNow - 40 * kDay, {"B0504"}, "expired on 2026-12-06, 40 days ago"},
      {kNow + 1, kNow + 100 * kDay, {"B0504"}, "is not valid until 2027-01-15, in less than a day"},
  };
  for (const auto& c : cases) {
    TlsRun r;
    r.fs.add("conf/certs/site.pem", r.cert(c.not_before, c.not_after));
    r.fs.add("conf/certs/site.key", r.key);
    r.check(kTls + "}\n");
    INFO(r.text());
    CHECK(r.codes() == c.codes);
    if (!c.codes.empty()) CHECK(r.sink.all()[0].message.find(c.message) != std::string::npos);
  }
}

TEST_CASE("the tutorial's ssl_protocols TLSv1 TLSv1.1 TLSv1.2 gets a fix-it that keeps TLSv1.2 only") {
  TlsRun r;
  r.add_site_pair();
  r.check(kTls + "  protocols TLSv1 TLSv1.1 TLSv1.2\n}\n");
  REQUIRE(r.codes() == std::vector<std::string>{"B0506"});
  const auto& d = r.sink.all()[0];
  REQUIRE(d.fixit);
  CHECK(r.at(d.fixit->range) == "TLSv1 TLSv1.1 TLSv1.2");
  CHECK(d.fixit->replacement == "TLSv1.2");
  CHECK(r.at(d.range) == "TLSv1 TLSv1.1 TLSv1.2");
  CHECK(r.text() ==
        "conf/main.routes:4:13: error[B0506]: protocols lists TLSv1 and TLSv1.1, which are insecure and refused by "
        "current browsers (RFC 8996); remove them, or add `allow legacy_protocols` to this tls block if old clients "
        "must connect\n"
        "  protocols TLSv1 TLSv1.1 TLSv1.2\n"
        "            ^~~~~~~~~~~~~~~~~~~~~\n"
        "            TLSv1.2\n");
}

TEST_CASE("a protocols list of legacy versions only is replaced by 1.2 and 1.3, spelled as it was written") {
  TlsRun r;
  r.add_site_pair();
  r.check(kTls +
          "  protocols TLS1.0 TLS1.1\n}\ntls other {\n  certificate \"certs/site.pem\"\n"
          "  key \"certs/site.key\"\n  protocols TLSv1\n}\n");
  REQUIRE(r.codes() == std::vector<std::string>{"B0506", "B0506"});
  CHECK(r.sink.all()[0].fixit->replacement == "TLS1.2 TLS1.3");
  CHECK(r.sink.all()[1].fixit->replacement == "TLSv1.2 TLSv1.3");
}

TEST_CASE("legacy versions split over two protocols statements are reported without a fix-it") {
  TlsRun r;
  r.add_site_pair();
  r.check(kTls + "  protocols TLSv1.2\n  protocols TLSv1.1\n}\n");
  REQUIRE(r.codes() == std::vector<std::string>{"B0506"});
  CHECK_FALSE(r.sink.all()[0].fixit);
  CHECK(r.at(r.sink.all()[0].range) == "TLSv1.1");
}

TEST_CASE("min_version TLS1.0 is raised to TLS1.2 by the fix-it, and allow legacy_protocols accepts it") {
  TlsRun r;
  r.add_site_pair();
  r.check(kTls + "  min_version TLS1.0\n}\n");
  REQUIRE(r.codes() == std::vector<std::string>{"B0506"});
  CHECK(r.sink.all()[0].fixit->replacement == "TLS1.2");
  CHECK(r.at(r.sink.all()[0].fixit->range) == "TLS1.0");

  TlsRun allowed;
  allowed.add_site_pair();
  allowed.check(kTls + "  min_version TLS1.0\n  max_version TLS1.3\n  allow legacy_protocols\n}\n");
  CHECK(allowed.sink.all().empty());
}

TEST_CASE("allow legacy_protocols does not excuse a min_version above the max_version") {
  TlsRun r;
  r.add_site_pair();
  r.check(kTls + "  min_version TLS1.1\n  max_version TLSv1\n  allow legacy_protocols\n}\n");
  REQUIRE(r.codes() == std::vector<std::string>{"B0507"});
  CHECK(r.sink.all()[0].message.find("min_version TLS1.1 is above max_version TLSv1") != std::string::npos);
}

TEST_CASE("a host the certificate does not cover gets a note listing what it covers, or why it covers nothing") {
  TlsRun r;
  r.add_site_pair();
  r.check(kTls +
          "}\nsite \"example.com\", \"shop.example.org\", default {\n  tls main\n  route / { respond 200 }\n}\n");
  REQUIRE(r.codes() == std::vector<std::string>{"B0503"});
  CHECK(r.at(r.sink.all()[0].range) == "\"shop.example.org\"");
  CHECK(r.sink.all()[0].notes.at(0).message == "the certificate covers example.com, *.example.com");

  TlsRun cn_only;
  cn_only.fs.add("conf/certs/site.pem", cn_only.cert(kNow - kDay, kNow + 365 * kDay, {}));
  cn_only.fs.add("conf/certs/site.key", cn_only.key);
  cn_only.check(kTls + "}\nsite \"example.com\" {\n  tls main\n  route / { respond 200 }\n}\n");
  REQUIRE(cn_only.codes() == std::vector<std::string>{"B0503"});
  CHECK(cn_only.sink.all()[0].notes.at(0).message ==
        "the certificate has no subjectAltName, so it covers no host (browsers ignore its common name "
        "'example.com')");
}

TEST_CASE("https listeners with sites but no tls anywhere give one error, at the first https listener") {
  TlsRun r;
  r.check(
      "listen https :443\nlisten https :8443\nsite \"a.com\" { route / { respond 200 } }\n"
      "site \"b.com\" { route / { respond 200 } }\n");
  REQUIRE(r.codes() == std::vector<std::string>{"B0508"});
  CHECK(r.at(r.sink.all()[0].range) == "listen https :443");
  CHECK(r.at(r.sink.all()[0].notes.at(0).range) == "\"a.com\"");
}

TEST_CASE("a site without tls is served by a certificate in use that names its hosts, and default by any") {
  TlsRun r;
  r.add_site_pair();
  r.check("listen https :443\n" + kTls +
          "}\nsite \"example.com\" {\n  tls main\n  route / { respond 200 }\n}\n"
          "site \"www.example.com\" { route / { respond 200 } }\nsite default { route / { respond 404 } }\n"
          "site \"api.example.com\", \"example.net\", \"a.b.example.com\" { route / { respond 200 } }\n");
  REQUIRE(r.codes() == std::vector<std::string>{"B0508"});
  const auto& d = r.sink.all()[0];
  CHECK(r.at(d.range) == "\"example.net\"");
  CHECK(d.message.find("host 'example.net' (and 1 more of its hosts)") != std::string::npos);
  CHECK(r.at(d.notes.at(0).range) == "listen https :443");
}

TEST_CASE("when a certificate in use cannot be read, sites without tls are not reported") {
  TlsRun r;
  r.check("listen https :443\n" + kTls +
          "}\nsite \"example.com\" {\n  tls main\n  route / { respond 200 }\n}\n"
          "site \"example.net\" { route / { respond 200 } }\n");
  CHECK(r.codes() == std::vector<std::string>{"B0501", "B0501"});
}

TEST_CASE("an https listener with no sites needs no certificate") {
  TlsRun r;
  r.check("listen https :443\nlisten http :80 { redirect https }\n");
  CHECK(r.sink.all().empty());
}

TEST_CASE("a file without listeners is not checked for https, hsts or redirects") {
  TlsRun r;
  r.add_site_pair();
  r.check(kTls +
          "  hsts 365d\n}\nsite \"www.example.com\" {\n  tls main\n  route / { respond 200 }\n}\n"
          "site \"example.net\" { route / { respond 200 } }\n");
  CHECK(r.sink.all().empty());
}

TEST_CASE("hsts without an https listener is reported only on tls blocks that sites use") {
  TlsRun r;
  r.add_site_pair();
  r.check("listen http :80\n" + kTls + "  hsts 365d\n}\ntls spare {\n  certificate \"certs/site.pem\"\n" +
          "  key \"certs/site.key\"\n  hsts 1d\n}\nsite \"example.com\" {\n  tls main\n  route / { respond 200 }\n}\n");
  // tls spare's hsts is not reported: no site serves it (B0306 says that instead).
  REQUIRE(r.codes() == std::vector<std::string>{"B0509", "B0306"});
  CHECK(r.sink.all()[0].severity == diag::Severity::Warning);
  CHECK(r.at(r.sink.all()[0].range) == "365d");
  CHECK(r.at(r.sink.all()[1].range) == "spare");
  CHECK(r.at(r.sink.all()[0].notes.at(0).range) == "listen http :80");
}

TEST_CASE("redirect https with no https listener is reported at each redirect") {
  TlsRun r;
  r.check("listen http :80 { redirect https }\nlisten http :81 { redirect https 301 }\nlisten http :82\n");
  REQUIRE(r.codes() == std::vector<std::string>{"B0510", "B0510"});
  CHECK(r.at(r.sink.all()[0].range) == "redirect https");
  CHECK(r.at(r.sink.all()[1].range) == "redirect https 301");
}

}  // namespace banyan
