#!/usr/bin/env python3
"""The client's address behind load balancers (docs/gateway-config.md, "The client's
address"), through the real gateway and a real origin on 127.0.0.1:

  a. a PROXY protocol v1 or v2 header (TCP4, TCP6, LOCAL), whole or a byte at a time,
     names the client: the origin sees it in X-Real-IP ($remote_addr) and at the right
     end of X-Forwarded-For, and the access log records it;
  b. a malformed, missing or late header closes the connection with no answer, counted
     and noted with its reason; no byte of it reaches the origin; on an https listener
     the header comes before the handshake, which still succeeds;
  c. a trusted peer's X-Forwarded-For is read from the right, skipping trusted hops;
     the X-Forwarded-For sent on appends the peer, not the derived client;
  d. an untrusted peer's X-Forwarded-For (spoofed) is passed on but never believed;
  e. `balance hash client_ip` hashes the derived client: one forwarded address, one
     replica; a spoofed list moves nobody;
  f. a migration buckets a request without its cookie by the derived client too (the
     access log's bucket, against the bucket function computed here from its definition).

usage: clients_test.py BANYAN BANYAN_ORIGIN
"""
import os
import socket
import ssl
import struct
import subprocess
import sys

from harness import WAIT, Harness, check, expect_eq, free_port, read_until_close

ROUTES = """
listen http :80
listen http :81

upstream app {{
  server "{app}"
}}
upstream next {{
  server "{app}"
}}
upstream pool {{
{pool}
  balance hash client_ip
}}

site "x.test" {{
  route /who {{
    to pool
    response_header X-Upstream $upstream_addr
  }}
  route /echo {{
    to app
    request_header X-Real-IP $remote_addr
  }}
  route /moving/** {{
    to app
  }}
}}
migration "by session" {{
  move /moving/** from app to next
  shift 50% hold
  bucket cookie "session"
}}
"""

TLS_ROUTES = """
listen https :443
tls xt {{
  certificate "{pem}"
  key "{key}"
}}
upstream app {{
  server "{app}"
}}
site "x.test" {{
  tls xt
  route /echo {{
    to app
    request_header X-Real-IP $remote_addr
  }}
}}
"""

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def bucket_of(name, key):
    """migrations/bucket.h's definition: FNV-1a 64 of name, a 0 byte and key, then
    murmur3's fmix64, modulo 10000."""
    h = 0xcbf29ce484222325
    for c in name.encode() + b"\0" + key.encode():
        h = ((h ^ c) * 0x100000001b3) % 2**64
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) % 2**64
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) % 2**64
    h ^= h >> 33
    return h % 10000


def v2(command, family, body):
    return V2_SIG + bytes([0x20 | command, family]) + struct.pack("!H", len(body)) + body


def v2_tcp4(src, dst, sport, dport, tlvs=b""):
    return v2(1, 0x11, socket.inet_pton(socket.AF_INET, src) + socket.inet_pton(socket.AF_INET, dst)
              + struct.pack("!HH", sport, dport) + tlvs)


def v2_tcp6(src, dst, sport, dport):
    return v2(1, 0x21, socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
              + struct.pack("!HH", sport, dport))


def request(tag, xff=None):
    head = f"GET /echo?{tag} HTTP/1.1\r\nHost: x.test\r\nConnection: close\r\n"
    if xff is not None:
        head += f"X-Forwarded-For: {xff}\r\n"
    return (head + "\r\n").encode()


def send(port, pieces, source="127.0.0.1"):
    """Sends each piece in its own write from `source`; returns (answer, closed)."""
    with socket.socket(socket.AF_INET) as s:
        s.settimeout(5)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        for p in pieces:
            s.sendall(p)
        return read_until_close(s, 5.0)


def echoed(answer):
    """The fields the origin received, from its /echo body: {lower-case name: value}."""
    head, _, body = answer.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 200 "), f"a 200 from the origin, got {answer[:300]!r}")
    fields = {}
    for line in body.decode(errors="replace").split("\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(": ")
        fields[k.lower()] = v
    return fields


def certificate(directory):
    """A new key and a self-signed certificate for x.test (openssl, as scripts/make-test-certs.sh)."""
    key, pem = os.path.join(directory, "x.key"), os.path.join(directory, "x.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", pem, "-days", "30", "-subj", "/CN=x.test",
                        "-addext", "subjectAltName=DNS:x.test"], capture_output=True, text=True, timeout=WAIT)
    check(r.returncode == 0, f"openssl req: {r.stderr}")
    return pem, key


def main():
    with Harness(sys.argv) as h:
        app = h.origin("app")
        pool = h.origin("pool", replicas=4)
        pool_servers = "\n".join(f'  server "{a}"' for a in pool.addrs)
        gw = h.gateway(ROUTES.format(app=app.addrs[0], pool=pool_servers), listen={":80": free_port(), ":81": free_port()},
                       extra='[clients]\ntrusted_proxies = ["10.0.0.0/8", "127.0.0.2", "2001:db8:1::/48"]\n'
                             'proxy_protocol = [":81"]\n[limits]\nheader_timeout = "1s"\n')
        plain, pp = gw.ports[":80"], gw.ports[":81"]

        def logged_client(tag):
            lines = gw.access_log(where=lambda l: l.get("path") == "/echo?" + tag)
            return lines[-1]["client"]

        def sees(pieces, tag, client, xff, port=None, source="127.0.0.1"):
            answer, _ = send(port or pp, pieces, source)
            f = echoed(answer)
            expect_eq(f.get("x-real-ip"), client, f"{tag}: X-Real-IP the origin saw")
            expect_eq(f.get("x-forwarded-for"), xff, f"{tag}: X-Forwarded-For the origin saw")

        def v1_tcp4():
            sees([b"PROXY TCP4 203.0.113.7 127.0.0.1 40000 81\r\n" + request("v1tcp4")], "v1 TCP4",
                 "203.0.113.7", "203.0.113.7")

        def v1_tcp6_in_pieces():
            whole = b"PROXY TCP6 2001:db8::7 ::1 40000 81\r\n" + request("v1tcp6")
            sees([whole[i:i + 1] for i in range(60)] + [whole[60:]], "v1 TCP6 a byte at a time",
                 "2001:db8::7", "2001:db8::7")

        def v2_tcp4_with_tlvs():
            tlvs = b"\x04\x00\x05hello" + b"\xea\x00\x03vpc"  # NOOP and an AWS-style TLV, skipped
            header = v2_tcp4("198.51.100.20", "127.0.0.1", 1234, 81, tlvs)
            sees([header[:7], header[7:17], header[17:] + request("v2tcp4")], "v2 TCP4 in three pieces",
                 "198.51.100.20", "198.51.100.20")

        def v2_tcp6_header():
            sees([v2_tcp6("2001:db8:77::1", "::1", 5555, 81) + request("v2tcp6")], "v2 TCP6",
                 "2001:db8:77::1", "2001:db8:77::1")

        def v2_local():
            sees([v2(0, 0x00, b"") + request("v2local")], "v2 LOCAL", "127.0.0.1", "127.0.0.1")

        def access_log_records_the_client():
            expect_eq(logged_client("v1tcp4"), "203.0.113.7", "access log client after a v1 header")
            expect_eq(logged_client("v2tcp6"), "2001:db8:77::1", "access log client after a v2 header")
            expect_eq(logged_client("v2local"), "127.0.0.1", "access log client after a LOCAL header")

        def trusted_balancer_behind_proxy_protocol():
            # The balancer named by the header (10.0.0.5) is trusted: its list is read.
            sees([b"PROXY TCP4 10.0.0.5 127.0.0.1 40000 81\r\n" + request("ppxff", "6.6.6.6, 192.0.2.44, 10.1.1.1")],
                 "a trusted PROXY source's X-Forwarded-For", "192.0.2.44", "6.6.6.6, 192.0.2.44, 10.1.1.1, 10.0.0.5")
            expect_eq(logged_client("ppxff"), "192.0.2.44", "access log client behind a trusted balancer")
            # An untrusted source's list is passed on, never believed.
            sees([b"PROXY TCP4 198.51.100.9 127.0.0.1 40000 81\r\n" + request("ppspoof", "10.0.0.9")],
                 "an untrusted PROXY source's X-Forwarded-For", "198.51.100.9", "10.0.0.9, 198.51.100.9")

        def malformed_headers_close():
            before = app.heads(b"GET /echo")
            for tag, pieces, reason in [
                ("plain HTTP", [request("nopp")],
                 "not a PROXY protocol header: it begins with neither \"PROXY \" nor the v2 signature"),
                ("bad port", [b"PROXY TCP4 1.2.3.4 127.0.0.1 99999 81\r\n" + request("badport")],
                 "v1: a port must be a number from 0 to 65535 without leading zeros"),
                ("v2 version 3", [V2_SIG + b"\x31\x11\x00\x0c" + bytes(12) + request("badver")],
                 "v2: the version must be 2"),
                ("cut short", [b"PROXY TCP4 1.2.3.4 "], "the connection closed inside it"),
            ]:
                with socket.create_connection(("127.0.0.1", pp), timeout=5) as s:
                    for p in pieces:
                        s.sendall(p)
                    if tag == "cut short":
                        s.shutdown(socket.SHUT_WR)
                    answer, closed = read_until_close(s, 5.0)
                expect_eq((answer, closed), (b"", True), f"{tag}: closed with no answer")
                gw.wait_stderr(reason)
            gw.wait_metric("banyan_bad_proxy_headers_total", 4)
            expect_eq(app.heads(b"GET /echo"), before, "requests that reached the origin after malformed headers")

        def late_header_closes():
            with socket.create_connection(("127.0.0.1", pp), timeout=WAIT) as s:
                s.sendall(b"PROXY TCP4 1.2.3.4 ")
                answer, closed = read_until_close(s, WAIT)
            expect_eq((answer, closed), (b"", True), "a header cut short and left: closed with no answer")
            gw.wait_stderr("it did not arrive within the header timeout")

        def https_after_the_header():
            pem, key = certificate(h.dir)
            tls_gw = h.gateway(TLS_ROUTES.format(app=app.addrs[0], pem=pem, key=key), listen={":443": free_port()},
                               name="tls", extra='[clients]\nproxy_protocol = true\n')
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            for tag, header in [("tlsv1", b"PROXY TCP4 203.0.113.50 127.0.0.1 1111 443\r\n"),
                                ("tlsv2", v2_tcp4("203.0.113.51", "127.0.0.1", 2222, 443))]:
                with socket.create_connection(("127.0.0.1", tls_gw.port), timeout=WAIT) as raw_socket:
                    raw_socket.sendall(header)
                    with ctx.wrap_socket(raw_socket, server_hostname="x.test") as s:
                        s.sendall(request(tag))
                        chunks = []
                        while True:
                            try:
                                b = s.recv(65536)
                            except (ssl.SSLError, OSError):
                                break
                            if not b:
                                break
                            chunks.append(b)
                f = echoed(b"".join(chunks))
                want = "203.0.113.50" if tag == "tlsv1" else "203.0.113.51"
                expect_eq((f.get("x-real-ip"), f.get("x-forwarded-for")), (want, want),
                          f"{tag}: X-Real-IP and X-Forwarded-For over https after the header")

        def trusted_peer_xff():
            # 127.0.0.2 is trusted: the list is read from the right, trusted hops skipped.
            sees([request("trusted", "6.6.6.6, 192.0.2.1, 2001:db8:1::9, 10.2.2.2")], "a trusted peer's list",
                 "192.0.2.1", "6.6.6.6, 192.0.2.1, 2001:db8:1::9, 10.2.2.2, 127.0.0.2", port=plain,
                 source="127.0.0.2")
            expect_eq(logged_client("trusted"), "192.0.2.1", "access log client behind a trusted peer")
            # Every hop trusted: the leftmost.
            sees([request("alltrusted", "10.3.3.3, 10.2.2.2")], "an all-trusted list", "10.3.3.3",
                 "10.3.3.3, 10.2.2.2, 127.0.0.2", port=plain, source="127.0.0.2")

        def untrusted_peer_spoofing():
            # 127.0.0.1 is not trusted: its X-Forwarded-For is a claim, passed on and ignored.
            sees([request("spoof", "10.0.0.1, 1.2.3.4")], "a spoofed list", "127.0.0.1",
                 "10.0.0.1, 1.2.3.4, 127.0.0.1", port=plain)
            expect_eq(logged_client("spoof"), "127.0.0.1", "access log client of a spoofed list")

        def replica_for(xff, source):
            head = f"GET /who HTTP/1.1\r\nHost: x.test\r\nConnection: close\r\nX-Forwarded-For: {xff}\r\n\r\n"
            answer, _ = send(plain, [head.encode()], source)
            for line in answer.split(b"\r\n\r\n")[0].split(b"\r\n"):
                if line.lower().startswith(b"x-upstream:"):
                    return line.split(b":", 1)[1].strip().decode()
            raise AssertionError(f"no X-Upstream in {answer[:300]!r}")

        def hashing_sees_the_client():
            clients = [f"198.51.100.{i}" for i in range(1, 25)]
            first = {c: replica_for(c, "127.0.0.2") for c in clients}
            for c in clients[:6]:
                expect_eq(replica_for(f"{c}, 10.0.0.3", "127.0.0.2"), first[c],
                          f"the replica of forwarded client {c}, through one more trusted hop")
            check(len(set(first.values())) > 1,
                  f"24 forwarded clients spread over the 4 replicas, not all on one: {set(first.values())}")
            spoofed = {replica_for(c, "127.0.0.1") for c in clients}
            expect_eq(len(spoofed), 1, "replicas an untrusted peer reaches by changing its X-Forwarded-For")

        def migration_buckets_the_derived_client():
            def bucket(tag, source, xff=None, cookie=None):
                head = f"GET /moving/{tag} HTTP/1.1\r\nHost: x.test\r\nConnection: close\r\n"
                head += f"X-Forwarded-For: {xff}\r\n" if xff else ""
                head += f"Cookie: session={cookie}\r\n" if cookie else ""
                answer, _ = send(plain, [(head + "\r\n").encode()], source)
                check(answer.startswith(b"HTTP/1.1 200 "), f"{tag}: {answer[:200]!r}")
                return gw.access_log(where=lambda l: l.get("path") == f"/moving/{tag}")[-1]["bucket"]

            for i, client in enumerate(["192.0.2.7", "198.51.100.23", "203.0.113.99"]):
                expect_eq(bucket(f"fwd{i}", "127.0.0.2", xff=f"{client}, 10.4.4.4"), bucket_of("by session", client),
                          f"a cookie-less request forwarded for {client} by a trusted peer")
            expect_eq(bucket("cookie", "127.0.0.2", xff="192.0.2.7", cookie="abc"), bucket_of("by session", "abc"),
                      "a request with the cookie, by the cookie")
            expect_eq(bucket("spoofed", "127.0.0.1", xff="192.0.2.7"), bucket_of("by session", "127.0.0.1"),
                      "an untrusted peer's claim moves no bucket: its own address")

        h.case("a PROXY v1 TCP4 header names the client", v1_tcp4)
        h.case("a PROXY v1 TCP6 header sent a byte at a time names the client", v1_tcp6_in_pieces)
        h.case("a PROXY v2 TCP4 header with TLVs, in pieces, names the client", v2_tcp4_with_tlvs)
        h.case("a PROXY v2 TCP6 header names the client", v2_tcp6_header)
        h.case("a PROXY v2 LOCAL header leaves the socket's peer", v2_local)
        h.case("the access log records the client the header names", access_log_records_the_client)
        h.case("behind a PROXY header, a trusted source's X-Forwarded-For is read", trusted_balancer_behind_proxy_protocol)
        h.case("a malformed or missing PROXY header closes the connection, counted and noted", malformed_headers_close)
        h.case("a PROXY header that does not arrive within the header timeout closes the connection",
               late_header_closes)
        h.case("on an https listener the PROXY header comes before the handshake", https_after_the_header)
        h.case("a trusted peer's X-Forwarded-For is read from the right", trusted_peer_xff)
        h.case("an untrusted peer's X-Forwarded-For is passed on, never believed", untrusted_peer_spoofing)
        h.case("hash client_ip hashes the client a trusted peer names, and ignores a spoofed list",
               hashing_sees_the_client)
        h.case("a migration buckets a cookie-less request by the client a trusted peer names",
               migration_buckets_the_derived_client)


if __name__ == "__main__":
    main()
