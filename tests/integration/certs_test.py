#!/usr/bin/env python3
"""`banyan certs`: development certificates from a local CA (as mkcert makes them),
checked with openssl and used by the real gateway, which curl then trusts through the
CA alone (verification on):

  a. a first run makes the CA (its key 0600) and, for each tls block a named site
     serves, a key (0600) and a certificate for that site's hosts, signed by the CA,
     CA:FALSE, server auth, valid 825 days at most;
  b. a second run keeps everything (same bytes); a changed host list is issued again;
  c. a certificate the CA did not issue, or a key without a certificate, is replaced
     only with --force; the CA is never replaced without --new-ca (and then the leaf
     is issued again);
  d. the gateway serves the certificate: curl --cacert CA reaches each host, and a host
     the certificate does not name fails verification;
  e. usage errors exit 2, a routes file with errors exits 1 with its diagnostics.

usage: certs_test.py BANYAN BANYAN_ORIGIN
"""
import os
import stat
import subprocess
import sys

from harness import Harness, check, curl, expect_eq, free_port, get

ROUTES = """listen https :443
tls dev {{
  certificate "certs/dev.pem"
  key "keys/dev.key"
}}
tls spare {{
  certificate "certs/spare.pem"
  key "certs/spare.key"
}}
site {hosts} {{
  tls dev
  route / {{ respond 200 "hello\\n" }}
}}
"""


def openssl(*args):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def main():
    with Harness(sys.argv) as h:
        d = h.dir
        ca_dir = os.path.join(d, "ca")
        routes = os.path.join(d, "dev.routes")
        cert, key = os.path.join(d, "certs/dev.pem"), os.path.join(d, "keys/dev.key")
        ca_cert, ca_key = os.path.join(ca_dir, "ca-cert.pem"), os.path.join(ca_dir, "ca-key.pem")

        def write_routes(hosts):
            with open(routes, "w") as f:
                f.write(ROUTES.format(hosts=", ".join(f'"{x}"' for x in hosts)))

        def certs(*args):
            r = subprocess.run([h.banyan_bin, "certs", "--ca-dir", ca_dir, *args], capture_output=True, text=True,
                               timeout=60)
            return r.returncode, r.stdout + r.stderr

        def read(path):
            with open(path, "rb") as f:
                return f.read()

        def first_run_makes_the_ca_and_the_certificate():
            write_routes(["a.test", "www.a.test"])
            rc, out = certs(routes)
            expect_eq(rc, 0, f"banyan certs: {out}")
            check("the CA " + ca_cert + " (new)" in out, f"the CA is new: {out}")
            check("for a.test, www.a.test" in out and "spare" in out and "no site with a host name serves it" in out,
                  f"what it did, and the tls block no site serves: {out}")
            check("curl --cacert " + ca_cert in out, f"how to trust the CA: {out}")
            for path, mode in ((ca_key, 0o600), (key, 0o600), (cert, 0o644)):
                expect_eq(stat.S_IMODE(os.stat(path).st_mode), mode, f"the mode of {path}")
            rc, out = openssl("verify", "-CAfile", ca_cert, cert)
            expect_eq(rc, 0, f"openssl verify: {out}")
            rc, text = openssl("x509", "-in", cert, "-noout", "-text", "-dates")
            check("DNS:a.test, DNS:www.a.test" in text and "CA:FALSE" in text and "TLS Web Server Authentication" in text,
                  f"the names and uses: {text}")
            rc, end = openssl("x509", "-in", cert, "-noout", "-checkend", str(825 * 86400 + 60))
            expect_eq(rc, 1, "it expires within 825 days")
            rc, end = openssl("x509", "-in", cert, "-noout", "-checkend", str(800 * 86400))
            expect_eq(rc, 0, "... and lasts most of them")
            rc, text = openssl("x509", "-in", ca_cert, "-noout", "-text")
            check("CA:TRUE" in text and "Certificate Sign" in text, f"the CA: {text}")

        def a_second_run_keeps_everything():
            before = [read(p) for p in (ca_cert, ca_key, cert, key)]
            rc, out = certs(routes)
            expect_eq(rc, 0, out)
            check("(kept)" in out and "up to date" in out, f"kept: {out}")
            expect_eq([read(p) for p in (ca_cert, ca_key, cert, key)], before, "the same bytes")
            write_routes(["a.test", "www.a.test", "b.test"])
            rc, out = certs(routes)
            check(rc == 0 and "wrote" in out, f"a new host list is issued again: {out}")
            rc, text = openssl("x509", "-in", cert, "-noout", "-ext", "subjectAltName")
            check("DNS:b.test" in text, f"the new host is named: {text}")
            expect_eq(read(ca_cert), before[0], "the CA stays")

        def the_gateway_serves_it_and_curl_trusts_the_ca():
            port = free_port()
            with open(routes) as f:
                text = f.read()
            spare = text.index("tls spare")
            gw = h.gateway(text[:spare] + text[text.index("site ", spare):], listen={":443": port})  # beside dev.routes
            for host in ("a.test", "www.a.test", "b.test"):
                s, _, body = get(f"https://{host}:{port}/", "--resolve", f"{host}:{port}:127.0.0.1", "--cacert", ca_cert)
                expect_eq((s, body), (200, "hello\n"), f"https://{host}/ verified by the CA alone")
            out, rc = curl("-o", "/dev/null", "--resolve", f"c.test:{port}:127.0.0.1", "--cacert", ca_cert,
                           f"https://c.test:{port}/")
            expect_eq(rc, 60, "a host the certificate does not name fails verification")

        def foreign_files_and_the_ca_are_replaced_only_when_asked():
            rc, out = openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                              "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=a.test")
            expect_eq(rc, 0, out)
            foreign = read(cert)
            rc, out = certs(routes)
            check(rc == 1 and "was not issued by the CA" in out and "--force" in out, f"refused: {rc} {out}")
            expect_eq(read(cert), foreign, "the foreign certificate is untouched")
            rc, out = certs("--force", routes)
            check(rc == 0 and "wrote" in out, f"--force replaces it: {out}")
            old_ca = read(ca_cert)
            rc, out = certs("--new-ca", routes)
            check(rc == 0 and "replaced" in out and "wrote" in out, f"--new-ca: {out}")
            check(read(ca_cert) != old_ca, "a new CA")
            rc, out = openssl("verify", "-CAfile", ca_cert, cert)
            expect_eq(rc, 0, f"the leaf is issued again by the new CA: {out}")

        def a_lone_key_is_not_overwritten():
            os.remove(cert)
            before = read(key)
            rc, out = certs(routes)
            check(rc == 1 and "exists without its certificate" in out, f"refused: {rc} {out}")
            expect_eq(read(key), before, "the key is untouched")
            rc, out = certs("--force", routes)
            check(rc == 0 and "wrote" in out, f"--force: {out}")

        def an_address_is_named_as_an_address():
            ip_routes = os.path.join(d, "ip.routes")
            with open(ip_routes, "w") as f:
                f.write(ROUTES.format(hosts='"127.0.0.1", "local.test"').replace("certs/dev", "certs/ip").replace(
                    "keys/dev", "keys/ip"))
            rc, out = certs(ip_routes)
            expect_eq(rc, 0, out)
            rc, text = openssl("x509", "-in", os.path.join(d, "certs/ip.pem"), "-noout", "-ext", "subjectAltName")
            check("IP Address:127.0.0.1" in text and "DNS:local.test" in text, f"the names: {text}")
            rc, out = certs(ip_routes)
            check(rc == 0 and "up to date" in out, f"and a second run keeps it: {out}")

        def bad_input():
            rc, out = certs()
            check(rc == 2 and "usage" in out, f"no file: {rc} {out}")
            rc, out = certs(os.path.join(d, "missing.routes"))
            expect_eq(rc, 2, f"an unreadable file: {out}")
            bad = os.path.join(d, "bad.routes")
            with open(bad, "w") as f:
                f.write("tls x {\n  certificate \"a.pem\"\n")
            rc, out = certs(bad)
            check(rc == 1 and "error[" in out, f"a file with errors: {rc} {out}")

        h.case("a first run makes the CA and a certificate for the site's hosts", first_run_makes_the_ca_and_the_certificate)
        h.case("a second run keeps everything; a changed host list is issued again", a_second_run_keeps_everything)
        h.case("the gateway serves it, and curl trusts it through the CA alone", the_gateway_serves_it_and_curl_trusts_the_ca)
        h.case("a foreign certificate and the CA are replaced only when asked",
               foreign_files_and_the_ca_are_replaced_only_when_asked)
        h.case("a key without its certificate is replaced only when asked", a_lone_key_is_not_overwritten)
        h.case("an address is named as an address (IP), a name as a DNS name", an_address_is_named_as_an_address)
        h.case("usage errors exit 2, a routes file with errors 1", bad_input)


if __name__ == "__main__":
    main()
