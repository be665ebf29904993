#!/usr/bin/env python3
"""TLS termination through the real gateway, checked by curl with certificate
verification: plain HTTP redirected to HTTPS, each site served with its own
certificate chosen by SNI, HSTS, the minimum version enforced, and a garbage
handshake that costs nothing but its connection.

usage: tls_test.py BANYAN BANYAN_ORIGIN
"""
import os
import sys

from harness import Harness, check, curl, expect_eq, get, raw

CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "certs")


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
            s, hd, body = get(f"https://www.example.org:{https_port}/", "--resolve",
                              f"www.example.org:{https_port}:127.0.0.1", "--cacert", f"{CERTS}/example-org.pem")
            expect_eq((s, body), (200, "org\n"), "www.example.org with its own certificate")
            check("strict-transport-security" not in hd, "no HSTS where the block sets none")

        def minimum_version():
            out, rc = curl("-o", "/dev/null", f"https://example.com:{https_port}/", "--resolve",
                           f"example.com:{https_port}:127.0.0.1", "--cacert", f"{CERTS}/example.pem", "--tls-max", "1.2")
            check(rc != 0, f"TLS 1.2 refused where min_version is TLS1.3 (curl exit {rc})")

        def garbage_handshake():
            ans = raw(https_port, b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", read_timeout=3)
            check(not ans.startswith(b"HTTP/1.1 200"), f"plain HTTP on the TLS port is not served: {ans[:80]!r}")
            expect_eq(com()[0], 200, "still serving")

        h.case("http is redirected to https", redirect)
        h.case("SNI picks each site's certificate; HSTS", sni_picks_the_certificate)
        h.case("min_version is enforced", minimum_version)
        h.case("a garbage handshake", garbage_handshake)


if __name__ == "__main__":
    main()
