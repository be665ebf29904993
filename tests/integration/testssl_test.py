#!/usr/bin/env python3
"""testssl.sh (Debian's package) audits the gateway's TLS on its defaults: a `tls` block
with only a certificate, a key and `hsts`, in front of a real origin. The audit may
find nothing at MEDIUM or above except what the test certificate itself causes: it is
self-signed (no chain of trust), names no CRL or OCSP responder, and is valid for a
century. The site sets the response headers testssl looks for and removes the test
origin's X-Served-By, which names an address (as a deployment would, with
`response_header` and `remove_response_header`); the gateway adds HSTS.

The audit runs against 127.0.0.1 only (`--ip`), with no phone-out, in about a
minute and a half; ctest bounds it.

usage: testssl_test.py BANYAN BANYAN_ORIGIN
"""
import json
import os
import shutil
import subprocess
import sys

from harness import Harness, check, free_port

CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "certs")
# Findings the test certificate causes, not the gateway.
CAUSED_BY_THE_TEST_CERTIFICATE = {"cert_chain_of_trust", "cert_revocation", "cert_validityPeriod"}
AT_LEAST_MEDIUM = {"MEDIUM", "HIGH", "CRITICAL"}


def main():
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    check(testssl, "testssl.sh is not installed (scripts/setup.sh installs it)")
    with Harness(sys.argv) as h:
        app = h.origin("app")
        port = free_port()
        h.gateway(f"""listen https :443
upstream app {{
  server "{app.addrs[0]}"
}}
tls main {{
  certificate "{CERTS}/example.pem"
  key "{CERTS}/example.key"
  hsts 365d
}}
site "example.com" {{
  tls main
  route / {{
    to app
    response_header X-Content-Type-Options "nosniff"
    response_header X-Frame-Options "DENY"
    response_header Content-Security-Policy "default-src 'self'"
    remove_response_header X-Served-By
  }}
}}
""", listen={":443": port})

        def audit():
            report = os.path.join(h.dir, "testssl.json")
            r = subprocess.run([testssl, "--quiet", "--color", "0", "--warnings", "off", "--jsonfile", report,
                                "--ip", "127.0.0.1", f"https://example.com:{port}"],
                               capture_output=True, text=True, timeout=400)
            check(os.path.exists(report), f"testssl wrote no report (exit {r.returncode}): {r.stdout[-2000:]}")
            findings = json.load(open(report))
            check(len(findings) > 50, f"testssl ran its checks ({len(findings)} findings): {r.stdout[-2000:]}")
            ids = {f["id"] for f in findings}
            # The audit reached the parts it is about (an audit that ran nothing passes nothing).
            for needed in ("cipher_order", "HSTS_time", "LUCKY13", "cert_chain_of_trust", "TLS1_3"):
                check(needed in ids, f"testssl reported on {needed} (it reported on {', '.join(sorted(ids))})")
            serious = [f for f in findings if f["severity"] in AT_LEAST_MEDIUM
                       and f["id"] not in CAUSED_BY_THE_TEST_CERTIFICATE]
            check(not serious, "findings at MEDIUM or above: " +
                  "; ".join(f"{f['severity']} {f['id']}: {f['finding']}" for f in serious))
            print("  " + ", ".join(sorted(f"{f['id']}={f['finding'][:40]}" for f in findings
                                          if f["id"] in ("cipher_order", "HSTS_time", "LUCKY13", "TLS1_3", "TLS1"))))

        h.case("testssl.sh finds nothing at MEDIUM or above but the test certificate's own", audit)


if __name__ == "__main__":
    main()
