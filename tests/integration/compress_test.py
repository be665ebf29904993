#!/usr/bin/env python3
"""`compress gzip br` through the real gateway, decoded by real clients: Python's zlib
for gzip (an independent decoder of the bytes on the wire) and curl --compressed for
both codings. Which responses are encoded follows nginx's gzip filter and Traefik's
compress middleware (runtime/compress/negotiate.h).

usage: compress_test.py BANYAN BANYAN_ORIGIN
"""
import sys
import zlib

from harness import Harness, check, curl, expect_eq, get, raw

PATTERN = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def pattern(n):
    return (PATTERN * (n // len(PATTERN) + 1))[:n]


ROUTES = r"""
listen http :80

upstream app {
  server "127.0.0.1:1"
}
upstream pair {
  server "127.0.0.1:1"
}

site "zip.test" {
  route / {
    to app
    compress gzip br
  }
  route /gzip-only/** {
    to app
    rewrite /**
    compress gzip
  }
  route /plain/** {
    to app
    rewrite /**
  }
  route /pair/** {
    to pair
    rewrite /**
    compress gzip
  }
}
"""


def raw_get(gw, path, *fields):
    """The whole raw answer to one GET (the connection closed after it)."""
    head = f"GET {path} HTTP/1.1\r\nHost: zip.test\r\nConnection: close\r\n" + "".join(f + "\r\n" for f in fields)
    return raw(gw.port, (head + "\r\n").encode())


def dechunk(body):
    out, rest = b"", body
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            check(rest == b"\r\n", f"nothing after the last chunk, got {rest[:40]!r}")
            return out
        out += rest[:size]
        check(rest[size:size + 2] == b"\r\n", "a chunk ends with CRLF")
        rest = rest[size + 2:]


def split(answer):
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    fields = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        fields.setdefault(k.strip().lower(), []).append(v.strip())
    return int(lines[0].split()[1]), fields, body


def main():
    with Harness(sys.argv) as h:
        origin = h.origin("app")
        pair = h.origin("pair", replicas=2)
        gw = h.gateway(ROUTES, upstreams={"app": [f"127.0.0.1:{origin.ports[0]}"], "pair": pair.addrs},
                       extra='[errors]\nshow_details = [":80"]\n')  # a failure case reads the cause in the answer

        def gzip_on_the_wire():
            # Content-Length and chunked upstream bodies, small and past several buffers.
            for n, chunked in ((5000, False), (300000, False), (300000, True)):
                q = "&chunked=1" if chunked else ""
                answer = raw_get(gw, f"/bytes/{n}?type=text/html{q}&h=ETag:%22v1%22&h=Accept-Ranges:bytes",
                                 "Accept-Encoding: gzip")
                status, f, body = split(answer)
                expect_eq(status, 200, "status")
                expect_eq(f.get("content-encoding"), ["gzip"], "Content-Encoding")
                expect_eq(f.get("transfer-encoding"), ["chunked"], "the encoded body is chunked")
                check("content-length" not in f, "no Content-Length on an encoded body")
                expect_eq(f.get("vary"), ["Accept-Encoding"], "Vary")
                expect_eq(f.get("etag"), ['W/"v1"'], "a strong ETag is made weak")
                check("accept-ranges" not in f, "no ranges are offered on an encoded body")
                encoded = dechunk(body)
                decoded = zlib.decompress(encoded, 16 + zlib.MAX_WBITS)  # gzip wrapper, checked CRC
                expect_eq(len(decoded), n, "decoded length")
                check(decoded == pattern(n), "the decoded body is the origin's")
                check(len(encoded) < n // 10, f"a repetitive body compresses ({len(encoded)} of {n} bytes)")

        def curl_decodes_both():
            for enc in ("gzip", "br"):
                out, rc = curl("-s", "-D", "-", "-H", f"Accept-Encoding: {enc}", "--compressed", "-H", "Host: zip.test",
                               gw.url("/bytes/70000?type=application/json"))
                expect_eq(rc, 0, f"curl --compressed ({enc}) exit")
                head, _, body = out.partition("\r\n\r\n")
                check(f"content-encoding: {enc}" in head.lower(), f"{enc} was chosen: {head}")
                check(body.encode() == pattern(70000), f"curl decodes {enc} to the origin's body")

        def negotiation():
            cases = [
                ("gzip, br", "/", "br"),          # both accepted: br first
                ("gzip;q=1, br;q=0.5", "/", "gzip"),
                ("br;q=0, gzip", "/", "gzip"),
                ("*", "/", "br"),
                ("*;q=0", "/", None),
                ("identity", "/", None),
                ("GZIP", "/", "gzip"),
                ("br", "/gzip-only", None),       # the route offers gzip only
                ("gzip, br", "/gzip-only", "gzip"),
                ("gzip", "/plain", None),         # no `compress` on the route
            ]
            for accept, prefix, want in cases:
                status, f, _ = split(raw_get(gw, f"{prefix}/bytes/4096?type=text/plain", f"Accept-Encoding: {accept}"))
                expect_eq(status, 200, f"status for {accept!r} on {prefix}")
                expect_eq(f.get("content-encoding", [None])[0], want, f"coding for {accept!r} on {prefix}")
            # No Accept-Encoding at all: identity, still marked as varying.
            status, f, body = split(raw_get(gw, "/bytes/4096?type=text/plain"))
            check("content-encoding" not in f, "no coding without Accept-Encoding")
            expect_eq(f.get("content-length"), ["4096"], "the length is kept when not encoding")
            expect_eq(f.get("vary"), ["Accept-Encoding"], "an eligible response varies by Accept-Encoding")
            expect_eq(body, pattern(4096), "the identity body")

        def ineligible_responses_pass_through():
            cases = [
                ("/bytes/4096?type=image/png", "an already compressed type"),
                ("/bytes/4096", "application/octet-stream"),
                ("/bytes/4096?type=text/event-stream", "event streams"),
                ("/bytes/500?type=text/plain", "a body under 1 KiB"),
                ("/bytes/4096?type=text/plain&h=Content-Encoding:gzip", "a body that is encoded already"),
                ("/bytes/4096?type=text/plain&h=Cache-Control:public,%20no-transform", "Cache-Control: no-transform"),
                ("/status/500", "a 500"),
            ]
            for path, why in cases:
                status, f, body = split(raw_get(gw, path, "Accept-Encoding: gzip, br"))
                origin_coding = ["gzip"] if "encoded already" in why else None
                expect_eq(f.get("content-encoding"), origin_coding, f"{why}: Content-Encoding as the origin sent it")
                check("vary" not in f, f"{why}: no Vary added")
                if status == 200 and origin_coding is None:
                    check(body == pattern(len(body)) and len(body) > 0, f"{why}: the origin's bytes")
            # HEAD: no body to encode; the head is the identity one.
            status, f, _ = split(raw(gw.port, b"HEAD /bytes/4096?type=text/plain HTTP/1.1\r\nHost: zip.test\r\n"
                                             b"Accept-Encoding: gzip\r\nConnection: close\r\n\r\n"))
            expect_eq(f.get("content-length"), ["4096"], "HEAD keeps the identity length")
            check("content-encoding" not in f, "HEAD is not encoded")
            # HTTP/1.0 clients get identity (the encoded body needs chunked framing).
            status, f, body = split(raw(gw.port, b"GET /bytes/4096?type=text/plain HTTP/1.0\r\nHost: zip.test\r\n"
                                                 b"Accept-Encoding: gzip\r\n\r\n"))
            check("content-encoding" not in f, "HTTP/1.0 is not encoded")
            expect_eq(body, pattern(4096), "HTTP/1.0 identity body")

        def keep_alive_after_encoding():
            # Three encoded responses on one connection, then a plain one: framing holds.
            req = (b"GET /bytes/3000?type=text/css HTTP/1.1\r\nHost: zip.test\r\nAccept-Encoding: gzip\r\n\r\n" * 3 +
                   b"GET /plain/bytes/100 HTTP/1.1\r\nHost: zip.test\r\nConnection: close\r\n\r\n")
            answer = raw(gw.port, req)
            rest = answer
            for i in range(3):
                status, f, after = split(rest)
                expect_eq(f.get("content-encoding"), ["gzip"], f"response {i}")
                # The chunked body ends at the first "\r\n0\r\n\r\n"; the next response follows.
                end = after.index(b"\r\n0\r\n\r\n") + 7
                decoded = zlib.decompress(dechunk(after[:end]), 16 + zlib.MAX_WBITS)
                check(decoded == pattern(3000), f"response {i} decodes")
                rest = after[end:]
            status, f, body = split(rest)
            expect_eq((status, body), (200, pattern(100)), "the plain response after them")

        def upstream_stops_short():
            # 50,000 of 100,000 bytes, then the origin closes. The encoded output is still
            # under one chunk, so nothing has reached the client: it gets a 502 naming the
            # cause, not a truncated body.
            answer = raw_get(gw, "/bytes/100000?type=text/plain&cut=50000", "Accept-Encoding: gzip")
            status, f, body = split(answer)
            expect_eq(status, 502, "status")
            check(b"upstream closed in the body" in body, f"the cause is named: {body[:200]!r}")
            check("content-encoding" not in f, "the error is not encoded")
            # Identity to a client that takes no coding: the head went first, so the body is
            # cut short and the connection closed (as for any route).
            status, f, body = split(raw_get(gw, "/bytes/100000?type=text/plain&cut=50000"))
            expect_eq((status, f.get("content-length")), (200, ["100000"]), "the identity head")
            expect_eq(len(body), 50000, "the body stops where the origin stopped")

        def a_broken_body_counts_against_its_endpoint():
            # Round robin over two replicas; the first answer breaks off mid-body. Passive
            # health (one failure, as nginx's max_fails=1) takes that replica out for its
            # cool-down, so the next requests all reach the other one.
            status, f, _ = split(raw_get(gw, "/pair/bytes/100000?type=text/plain&cut=50000", "Accept-Encoding: gzip"))
            expect_eq(status, 502, "the broken answer")
            served = set()
            for _ in range(4):
                status, f, _ = split(raw_get(gw, "/pair/bytes/2000?type=text/plain", "Accept-Encoding: gzip"))
                expect_eq(status, 200, "status")
                served.add(f["x-served-by"][0])
            expect_eq(len(served), 1, f"one replica left for the cool-down, got {served}")

        def metrics_count_encoded_responses():
            before = gw.admin("/metrics")[1]
            raw_get(gw, "/bytes/20000?type=text/plain", "Accept-Encoding: br")
            after = gw.admin("/metrics")[1]

            def value(text, series):
                for line in text.splitlines():
                    if line.startswith(series + " "):
                        return float(line.split()[-1])
                raise AssertionError(f"no {series} in /metrics")
            expect_eq(value(after, 'banyan_compressed_responses_total{coding="br"}') -
                      value(before, 'banyan_compressed_responses_total{coding="br"}'), 1, "one more br response")
            expect_eq(value(after, "banyan_compress_input_bytes_total") - value(before, "banyan_compress_input_bytes_total"),
                      20000, "input bytes")
            out = value(after, "banyan_compress_output_bytes_total") - value(before, "banyan_compress_output_bytes_total")
            check(0 < out < 2000, f"output bytes: {out}")

        h.case("gzip on the wire, decoded by zlib", gzip_on_the_wire)
        h.case("curl --compressed decodes gzip and br", curl_decodes_both)
        h.case("Accept-Encoding negotiation", negotiation)
        h.case("ineligible responses pass through", ineligible_responses_pass_through)
        h.case("keep-alive after encoded responses", keep_alive_after_encoding)
        h.case("an upstream that stops short", upstream_stops_short)
        h.case("metrics count encoded responses", metrics_count_encoded_responses)
        h.case("a broken body counts against its endpoint", a_broken_body_counts_against_its_endpoint)


if __name__ == "__main__":
    main()
