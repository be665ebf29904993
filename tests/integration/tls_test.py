#!/usr/bin/env python3
"""TLS termination through the real gateway, checked by curl with certificate
verification: plain HTTP redirected to HTTPS, each site served with its own
certificate chosen by SNI, HSTS, the minimum version enforced, a garbage handshake
that costs nothing but its connection; and reloads: a renewed certificate is served
after a reload, a certificate that does not load refuses the reload (from a routes
file, which the compiler checks, and from a compiled plan, which only the gateway's
own loading checks), and so does a plan that switches a listener between http and https.

usage: tls_test.py BANYAN BANYAN_ORIGIN
(banyanc, for the compiled plan, is found beside banyan in the build tree, or named by $BANYANC)
"""
import email.utils
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time

from harness import (WAIT, Harness, check, curl, expect_eq, find_banyanc, free_port, get, raw, read_one_response,
                     slow_download, small_buffer_socket)

CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "certs")


def make_certificate(directory, name, host):
    """A new key and a self-signed certificate for `host` (openssl, as scripts/make-test-certs.sh)."""
    key, pem = os.path.join(directory, f"{name}.key"), os.path.join(directory, f"{name}.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", pem, "-days", "30", "-subj", f"/CN={host}",
                        "-addext", f"subjectAltName=DNS:{host}", "-addext", "basicConstraints=critical,CA:FALSE"],
                       capture_output=True, text=True, timeout=WAIT)
    check(r.returncode == 0, f"openssl req for {name}: {r.stderr}")
    return pem, key


def fingerprint(pem_text):
    r = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem_text,
                       capture_output=True, text=True, timeout=WAIT)
    check(r.returncode == 0 and "Fingerprint=" in r.stdout, f"openssl x509 -fingerprint: {r.stderr}")
    return r.stdout.strip()


def served_fingerprint(port, host):
    """The fingerprint of the certificate the gateway presents for SNI `host` (openssl s_client)."""
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", host],
                       input="", capture_output=True, text=True, timeout=WAIT)
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n", r.stdout, re.S)
    check(m, f"openssl s_client got no certificate from 127.0.0.1:{port}: {r.stdout[-500:]} {r.stderr[-500:]}")
    return fingerprint(m.group(0))


def check_date(headers, what):
    """A Date field in IMF-fixdate (RFC 9110 5.6.7) within a day of now."""
    value = headers.get("date")
    check(value and re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", value),
          f"{what}: Date in IMF-fixdate, got {value!r}")
    when = email.utils.parsedate_to_datetime(value).timestamp()
    check(abs(when - time.time()) < 86400, f"{what}: Date {value!r} is today")


def renew_routes(directory, listen=("https :443",)):
    listeners = "".join(f"listen {l}\n" for l in listen)
    return f"""{listeners}tls renewed {{
  certificate "{directory}/site.pem"
  key "{directory}/site.key"
}}
site "renew.test" {{
  tls renewed
  route / {{ respond 200 "renew\\n" }}
}}
"""


def main():
    with Harness(sys.argv) as h:
        app = h.origin("app")
        routes = f"""
listen http :80 {{
  redirect https 301
}}
listen https :443
upstream app {{
  server "{app.addrs[0]}"
}}
tls com {{
  certificate "{CERTS}/example.pem"
  key "{CERTS}/example.key"
  min_version TLS1.3
  hsts 1d
}}
tls org {{
  certificate "{CERTS}/example-org.pem"
  key "{CERTS}/example.key"
}}
site "example.com" {{
  tls com
  route /local {{ respond 200 "local\\n" }}
  route / {{ to app }}
}}
site "www.example.org" {{
  tls org
  route / {{ respond 200 "org\\n" }}
}}
"""
        https_port = h_port = None
        from harness import free_port
        https_port, h_port = free_port(), free_port()
        gw = h.gateway(routes, listen={":80": h_port, ":443": https_port})

        def com(path="/", *args):
            return get(f"https://example.com:{https_port}{path}", "--resolve", f"example.com:{https_port}:127.0.0.1",
                       "--cacert", f"{CERTS}/example.pem", *args)

        def redirect():
            s, hd, _ = get(f"http://127.0.0.1:{h_port}/a?b=1", "-H", "Host: example.com")
            expect_eq((s, hd.get("location")), (301, f"https://example.com:{https_port}/a?b=1"), "http -> https")

        def sni_picks_the_certificate():
            s, hd, body = com("/x")
            expect_eq((s, body), (200, f"app (app@{app.addrs[0]}) answered GET /x\n"), "example.com, verified")
            expect_eq(hd.get("strict-transport-security"), "max-age=86400", "HSTS")
            check_date(hd, "a proxied response (the origin sends no Date)")
            # The gateway's own answers carry HSTS and a Date too (nginx's `add_header ... always`).
            s, hd, body = com("/local")
            expect_eq((s, body), (200, "local\n"), "a `respond` route")
            expect_eq(hd.get("strict-transport-security"), "max-age=86400", "HSTS on the gateway's own answer")
            check_date(hd, "the gateway's own answer")
            s, hd, body = get(f"https://www.example.org:{https_port}/", "--resolve",
                              f"www.example.org:{https_port}:127.0.0.1", "--cacert", f"{CERTS}/example-org.pem")
            expect_eq((s, body), (200, "org\n"), "www.example.org with its own certificate")
            check("strict-transport-security" not in hd, "no HSTS where the block sets none")

        def minimum_version():
            out, rc = curl("-o", "/dev/null", f"https://example.com:{https_port}/", "--resolve",
                           f"example.com:{https_port}:127.0.0.1", "--cacert", f"{CERTS}/example.pem", "--tls-max", "1.2")
            check(rc != 0, f"TLS 1.2 refused where min_version is TLS1.3 (curl exit {rc})")

        def handshake(*args):
            """openssl s_client to www.example.org (TLS 1.2 allowed there): (cipher chosen or None, output)."""
            r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{https_port}", "-servername",
                                "www.example.org", *args], input="", capture_output=True, text=True, timeout=WAIT)
            m = re.search(r"^New, \S+, Cipher is (\S+)", r.stdout, re.M)  # printed when the handshake ends
            cipher = m.group(1) if m and m.group(1) != "(NONE)" else None
            return cipher, r.stdout[-400:] + r.stderr[-400:]

        def default_profile():
            # TLS 1.2: ECDHE with AEAD only; CBC (LUCKY13) and static-RSA suites are not offered.
            for weak in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "AES128-GCM-SHA256"):
                cipher, out = handshake("-tls1_2", "-cipher", weak)
                check(cipher is None, f"{weak} refused by default, got {cipher}: {out}")
            # The server's order decides: the client prefers ChaCha20, the server AES-GCM.
            cipher, out = handshake("-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256")
            expect_eq(cipher, "ECDHE-ECDSA-AES128-GCM-SHA256", f"the server's cipher order: {out}")
            # Curves: X25519, P-256, P-384; a client with P-521 alone finds none.
            cipher, out = handshake("-tls1_2", "-curves", "P-521")
            check(cipher is None, f"P-521 alone is refused, got {cipher}: {out}")
            cipher, out = handshake("-tls1_3", "-groups", "X25519")
            check(cipher is not None and cipher.startswith("TLS_"), f"TLS 1.3 with X25519: {out}")
            # TLS 1.3 in the profile's order, whatever the client's (OpenSSL's own puts AES-256 first).
            cipher, out = handshake("-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256")
            expect_eq(cipher, "TLS_AES_128_GCM_SHA256", f"the server's TLS 1.3 order: {out}")
            cipher, out = handshake("-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256")
            expect_eq(cipher, "TLS_CHACHA20_POLY1305_SHA256", f"a client with ChaCha20 alone: {out}")

        def each_site_gets_its_own_versions():
            # The first block allows TLS 1.2, the second does not: a client naming the
            # second site must not get TLS 1.2 from the first block's settings.
            port = free_port()
            g = h.gateway(f"""listen https :443
tls lenient {{
  certificate "{CERTS}/example-org.pem"
  key "{CERTS}/example.key"
}}
tls strict {{
  certificate "{CERTS}/example.pem"
  key "{CERTS}/example.key"
  min_version TLS1.3
}}
site "www.example.org" {{
  tls lenient
  route / {{ respond 200 "org\\n" }}
}}
site "example.com" {{
  tls strict
  route / {{ respond 200 "com\\n" }}
}}
""", name="versions", listen={":443": port})

            def version(host, *args):
                r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", host, *args],
                                   input="", capture_output=True, text=True, timeout=WAIT)
                m = re.search(r"^New, (\S+), Cipher is (\S+)", r.stdout, re.M)  # printed when the handshake ends
                return m.group(1) if m and m.group(2) != "(NONE)" else None

            expect_eq(version("example.com", "-tls1_2"), None, "TLS 1.2 refused for the site whose block says TLS1.3")
            expect_eq(version("example.com"), "TLSv1.3", "TLS 1.3 for it")
            expect_eq(version("www.example.org", "-tls1_2"), "TLSv1.2", "TLS 1.2 for the site whose block allows it")

        def garbage_handshake():
            ans = raw(https_port, b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", read_timeout=3)
            check(not ans.startswith(b"HTTP/1.1 200"), f"plain HTTP on the TLS port is not served: {ans[:80]!r}")
            expect_eq(com()[0], 200, "still serving")

        def parked_tls_connection():
            # A TLS keep-alive connection idle past two 20 ms ticks parks: its session, and
            # the array its ciphertext lands in, go back to the worker. Each next request on
            # it is read and answered on the same TLS session; a large one too (its records
            # outgrow that array).
            gw.wait_metric("banyan_connections_parked", 0)
            ctx = ssl.create_default_context(cafile=f"{CERTS}/example.pem")
            with socket.create_connection(("127.0.0.1", https_port), timeout=5) as plain:
                with ctx.wrap_socket(plain, server_hostname="example.com") as s:
                    for turn in range(3):
                        pad = "x" * (20000 if turn == 2 else 10)
                        s.sendall(f"GET /local HTTP/1.1\r\nHost: example.com\r\nX-Pad: {pad}\r\n\r\n".encode())
                        expect_eq(read_one_response(s), (200, b"local\n"), f"turn {turn} on a parked TLS connection")
                        gw.wait_metric("banyan_connections_parked", 1)
            gw.wait_metric("banyan_connections_parked", 0)

        def slow_reader():
            # A response larger than the sockets hold, to a client that reads slowly: the
            # gateway's writes find the socket full and go on where they stopped.
            ctx = ssl.create_default_context(cafile=f"{CERTS}/example.pem")
            with small_buffer_socket(https_port) as plain:
                with ctx.wrap_socket(plain, server_hostname="example.com") as s:
                    slow_download(s, "example.com", 8 << 20)

        h.case("http is redirected to https", redirect)
        h.case("SNI picks each site's certificate; HSTS", sni_picks_the_certificate)
        h.case("min_version is enforced", minimum_version)
        h.case("by default: ECDHE with AEAD, the server's order, X25519/P-256/P-384", default_profile)
        h.case("each site's block sets its versions, whichever block is first", each_site_gets_its_own_versions)
        h.case("a garbage handshake", garbage_handshake)
        h.case("a parked TLS keep-alive connection serves its next requests", parked_tls_connection)
        h.case("a slow reader gets a large response whole", slow_reader)

        # Reloads. The site's certificate lives at one path (site.pem, site.key) whose
        # contents the test replaces, as a certificate renewal does.
        gen = os.path.join(h.dir, "certs")
        os.makedirs(gen)
        old_pem, old_key = make_certificate(gen, "old", "renew.test")
        new_pem, new_key = make_certificate(gen, "new", "renew.test")

        def install(pem, key, directory=h.dir):
            for src, dst in ((pem, "site.pem"), (key, "site.key")):
                shutil.copyfile(src, os.path.join(directory, dst + ".tmp"))
                os.replace(os.path.join(directory, dst + ".tmp"), os.path.join(directory, dst))

        def renew(port, pem):
            """A request verified against `pem` alone: (curl's exit status, the body)."""
            out, rc = curl(f"https://renew.test:{port}/", "--resolve", f"renew.test:{port}:127.0.0.1", "--cacert", pem)
            return rc, out

        install(old_pem, old_key)
        rport = free_port()
        rg = h.gateway(renew_routes(h.dir), name="renew", listen={":443": rport})
        old_fp, new_fp = fingerprint(open(old_pem).read()), fingerprint(open(new_pem).read())

        def reload_renews_the_certificate():
            expect_eq(served_fingerprint(rport, "renew.test"), old_fp, "the certificate served at start")
            expect_eq(renew(rport, old_pem), (0, "renew\n"), "verified with the old certificate")
            install(new_pem, new_key)
            s, body = rg.admin("/reload", "POST")
            expect_eq(s, 200, f"POST /reload after renewing the certificate ({body.strip()})")
            expect_eq(served_fingerprint(rport, "renew.test"), new_fp, "the certificate served after the reload")
            expect_eq(renew(rport, new_pem), (0, "renew\n"), "verified with the new certificate")
            rc, _ = renew(rport, old_pem)
            expect_eq(rc, 60, "curl's exit status when verifying against the old certificate (60: not trusted)")

        def a_certificate_that_does_not_load_refuses_the_reload():
            # A routes file: its compilation reads the certificate and refuses it.
            serving = served_fingerprint(rport, "renew.test")
            serving_pem = {old_fp: old_pem, new_fp: new_pem}.get(serving)
            check(serving_pem, f"the gateway serves one of the test's certificates: {serving}")
            good = open(os.path.join(h.dir, "site.pem")).read()
            try:
                with open(os.path.join(h.dir, "site.pem"), "w") as f:
                    f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
                s, body = rg.admin("/reload", "POST")
                expect_eq(s, 422, "POST /reload with a broken certificate")
                check("reload refused; the previous plan keeps serving" in body and "the routes file has errors" in body,
                      f"the refusal says why: {body}")
                check(f"cannot use certificate file '{h.dir}/site.pem'" in rg.stderr(),
                      f"the diagnostics name the certificate: {rg.stderr()[-1500:]}")
                expect_eq(served_fingerprint(rport, "renew.test"), serving, "the certificate served after the refusal")
                expect_eq(renew(rport, serving_pem), (0, "renew\n"), "still verified with the certificate it had")
            finally:
                with open(os.path.join(h.dir, "site.pem"), "w") as f:
                    f.write(good)

        def a_compiled_plan_whose_certificate_does_not_load():
            # A compiled plan names the files; only the gateway's own loading reads them at reload.
            d = os.path.join(h.dir, "compiled")
            os.makedirs(d)
            install(new_pem, new_key, d)
            routes = os.path.join(d, "site.routes")
            with open(routes, "w") as f:
                f.write(renew_routes(d))
            plan = os.path.join(d, "site.plan")
            r = subprocess.run([find_banyanc(h.banyan_bin), "compile", routes, "-o", plan], capture_output=True,
                               text=True, timeout=WAIT)
            check(r.returncode == 0, f"banyanc compile: {r.stdout} {r.stderr}")
            port = free_port()
            g = h.gateway(renew_routes(d), name="compiled", listen={":443": port}, plan=plan)
            expect_eq(served_fingerprint(port, "renew.test"), new_fp, "the compiled plan's certificate")
            garbage = os.path.join(gen, "garbage.pem")
            with open(garbage, "w") as f:
                f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
            for (pem, key), what, names in (((garbage, new_key), "a certificate that does not parse",
                                             f"tls renewed: certificate '{d}/site.pem'"),
                                            ((old_pem, new_key), "a certificate that does not match its key",
                                             f"tls renewed: key '{d}/site.key'")):
                install(pem, key, d)
                s, body = g.admin("/reload", "POST")
                expect_eq(s, 422, f"POST /reload of a plan with {what}")
                check("reload refused; the previous plan keeps serving" in body and names in body,
                      f"{what}: the refusal names the block and the file ({names!r}): {body}")
                expect_eq(served_fingerprint(port, "renew.test"), new_fp,
                          f"{what}: the certificate served after the refusal")
                expect_eq(renew(port, new_pem), (0, "renew\n"), f"{what}: still verified with the certificate it had")
            install(old_pem, old_key, d)  # a good pair again: the plan reloads
            expect_eq(g.admin("/reload", "POST")[0], 200, "POST /reload with a good pair")
            expect_eq(served_fingerprint(port, "renew.test"), old_fp, "the certificate served after the reload")

        def switching_http_and_https_is_refused():
            d = os.path.join(h.dir, "switch")
            os.makedirs(d)
            install(new_pem, new_key, d)
            hp, sp = free_port(), free_port()
            both = ("http :80", "https :443")
            g = h.gateway(renew_routes(d, both), name="switch", listen={":80": hp, ":443": sp})
            for listen, which in ((("https :80", "https :443"), ":80"), (("http :80", "http :443"), ":443")):
                with open(g.routes_path, "w") as f:
                    f.write(renew_routes(d, listen))
                s, body = g.admin("/reload", "POST")
                expect_eq(s, 422, f"POST /reload of a plan with {' and '.join(listen)}")
                check(f"listener {which} changes between http and https; that takes a restart" in body,
                      f"the refusal says why: {body}")
                s, _, body = get(f"http://127.0.0.1:{hp}/", "-H", "Host: renew.test")
                expect_eq((s, body), (200, "renew\n"), ":80 still serves plain http")
                expect_eq(renew(sp, new_pem), (0, "renew\n"), ":443 still serves https")

        h.case("a reload renews the certificate", reload_renews_the_certificate)
        h.case("a certificate that does not load refuses the reload",
               a_certificate_that_does_not_load_refuses_the_reload)
        h.case("a compiled plan whose certificate does not load refuses the reload",
               a_compiled_plan_whose_certificate_does_not_load)
        h.case("a reload that switches http and https is refused", switching_http_and_https_is_refused)


if __name__ == "__main__":
    main()
