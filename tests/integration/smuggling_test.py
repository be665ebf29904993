#!/usr/bin/env python3
"""The client is untrusted: every smuggling shape and limit case, sent as raw bytes
over a socket. For each: the status the gateway answers, that it closes the
connection after a framing error (bytes after it are never read as a request), and
what the upstream saw (nothing, or only a safe, re-serialised message). Then the same
strictness for upstream responses (502), and the timeouts that cut slow clients off.

usage: smuggling_test.py BANYAN BANYAN_ORIGIN
"""
import socket
import sys
import time

from harness import Harness, check, expect_eq, raw, statuses

ROUTES = r"""
listen http :80
upstream app {
  server "127.0.0.1:1"
}
site "t.test" {
  route / { to app }
}
"""

H = "Host: t.test\r\n"

# (name, raw request, status). The gateway must answer exactly one response with that
# status and close; the origin must not see a request head from any of them.
HEAD_CASES = [
    ("Content-Length and Transfer-Encoding", f"POST / HTTP/1.1\r\n{H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding then Content-Length", f"POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", 400),
    ("chunked not last", f"POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked, identity\r\n\r\n", 400),
    ("a coding we do not implement", f"POST / HTTP/1.1\r\n{H}Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
    ("an unknown coding alone", f"POST / HTTP/1.1\r\n{H}Transfer-Encoding: xchunked\r\n\r\n", 400),
    ("chunked twice", f"POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    ("space before the colon", f"POST / HTTP/1.1\r\n{H}Transfer-Encoding : chunked\r\n\r\n", 400),
    ("Transfer-Encoding in HTTP/1.0", f"POST / HTTP/1.0\r\n{H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("Content-Length list", f"POST / HTTP/1.1\r\n{H}Content-Length: 1,2\r\n\r\nab", 400),
    ("Content-Length with a sign", f"POST / HTTP/1.1\r\n{H}Content-Length: +5\r\n\r\nhello", 400),
    ("Content-Length in hex", f"POST / HTTP/1.1\r\n{H}Content-Length: 0x10\r\n\r\n", 400),
    ("two equal Content-Lengths", f"POST / HTTP/1.1\r\n{H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
    ("two differing Content-Lengths", f"POST / HTTP/1.1\r\n{H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    ("overflowing Content-Length", f"POST / HTTP/1.1\r\n{H}Content-Length: 99999999999999999999999\r\n\r\n", 400),
    ("obs-fold", f"GET / HTTP/1.1\r\n{H}X-A: b\r\n c\r\n\r\n", 400),
    ("NUL in a value", f"GET / HTTP/1.1\r\n{H}X-A: b\x00c\r\n\r\n", 400),
    ("bare CR in a value", f"GET / HTTP/1.1\r\n{H}X-A: b\rc\r\n\r\n", 400),
    ("a control character in a value", f"GET / HTTP/1.1\r\n{H}X-A: b\x01c\r\n\r\n", 400),
    ("bare LF line ends", "GET / HTTP/1.1\nHost: t.test\n\n", 400),
    ("two spaces in the request line", f"GET  / HTTP/1.1\r\n{H}\r\n", 400),
    ("HTTP/2.0 in a request line", f"GET / HTTP/2.0\r\n{H}\r\n", 505),
    ("no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400),
    ("two Hosts", f"GET / HTTP/1.1\r\n{H}Host: other.test\r\n\r\n", 400),
    ("absolute-form disagreeing with Host", f"GET http://other.test/ HTTP/1.1\r\n{H}\r\n", 400),
    ("a Host with userinfo", "GET / HTTP/1.1\r\nHost: user@t.test\r\n\r\n", 400),
    ("a Host with a space", "GET / HTTP/1.1\r\nHost: t test\r\n\r\n", 400),
    ("a fragment in the target", f"GET /a#b HTTP/1.1\r\n{H}\r\n", 400),
    ("an encoded dot-segment", f"GET /a/..%2f..%2fetc HTTP/1.1\r\n{H}\r\n", 400),
    ("a path above the root", f"GET /../etc/passwd HTTP/1.1\r\n{H}\r\n", 400),
    ("CONNECT", "CONNECT t.test:443 HTTP/1.1\r\nHost: t.test:443\r\n\r\n", 405),
    ("request line over the limit", f"GET /{'a' * 1100} HTTP/1.1\r\n{H}\r\n", 414),
    ("head over the limit", f"GET / HTTP/1.1\r\n{H}X-Big: {'b' * 5000}\r\n\r\n", 431),
    ("too many fields", f"GET / HTTP/1.1\r\n{H}" + "".join(f"X-{i}: 1\r\n" for i in range(30)) + "\r\n", 431),
]

# Bodies that break after the head was accepted: the gateway answers 400 and closes; the
# origin may have seen the (re-serialised, chunked) head and part of a body, never a
# second request.
BODY_CASES = [
    ("chunk size in hex notation", f"POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"),
    ("negative chunk size", f"POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n0\r\n\r\n"),
    ("overflowing chunk size", f"POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nx\r\n0\r\n\r\n"),
    ("chunk data without its CRLF", f"POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"),
    ("bare LF after a chunk size", f"POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"),
]

SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: t.test\r\n\r\n"

BAD_RESPONSES = ["both-framing", "dup-length", "bare-lf", "nul", "huge-header", "too-many-bytes", "no-status"]


def main():
    with Harness(sys.argv) as h:
        app = h.origin("app")
        gw = h.gateway(
            ROUTES,
            upstreams={"app": app.addrs},
            extra='[limits]\nrequest_line = "1KiB"\nheader_bytes = "4KiB"\nheader_count = 20\n'
                  'header_timeout = "1s"\nidle_timeout = "2s"\nbody_timeout = "1s"\n',
        )

        def head_cases():
            for name, req, want in HEAD_CASES:
                before = app.logged()
                ans = raw(gw.port, (req + SMUGGLED).encode("latin-1"))
                expect_eq(statuses(ans), [want], f"{name}: the answers")
                check(b"Connection: close" in ans, f"{name}: the gateway says it closes")
                expect_eq(app.logged(), before, f"{name}: the origin saw nothing")

        def body_cases():
            for name, req in BODY_CASES:
                ans = raw(gw.port, (req + SMUGGLED).encode())
                got = statuses(ans)
                check(got in ([400], []), f"{name}: one 400 (or a closed connection), got {got}")
                check(b"/smuggled" not in app.logged(), f"{name}: no second request reached the origin")
                for entry in app.logged().split(b"\n---\n"):
                    check(b"0x5" not in entry.split(b"\r\n\r\n")[0], f"{name}: raw bytes reached the origin's head")

        def body_is_never_a_request():
            # A valid Content-Length body that looks like a request stays a body.
            body = SMUGGLED
            req = f"POST /upload HTTP/1.1\r\n{H}Content-Length: {len(body)}\r\n\r\n{body}"
            ans = raw(gw.port, (req + f"GET /after HTTP/1.1\r\n{H}Connection: close\r\n\r\n").encode())
            expect_eq(statuses(ans), [200, 200], "a POST and the request after it")
            check(b"/smuggled" not in app.logged(), "the body was not parsed as a request")
            check(b"answered GET /after" in ans, "the next request is answered")

        def upgrade_h2c_is_not_forwarded():
            ans = raw(gw.port, f"GET /echo HTTP/1.1\r\n{H}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                               f"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nConnection: close\r\n\r\n".encode())
            expect_eq(statuses(ans), [200], "h2c upgrade request answered as HTTP/1.1")
            low = ans.lower()
            check(b"upgrade" not in low.split(b"\r\n\r\n", 1)[1] and b"http2-settings" not in low, f"no Upgrade upstream: {ans!r}")

        def absolute_form_routes_by_its_authority():
            ans = raw(gw.port, b"GET http://t.test/echo HTTP/1.1\r\nHost: t.test\r\nConnection: close\r\n\r\n")
            expect_eq(statuses(ans), [200], "absolute-form")
            check(b"GET /echo HTTP/1.1" in ans, f"upstream receives origin-form: {ans!r}")

        def upstream_strictness():
            for case in BAD_RESPONSES:
                ans = raw(gw.port, f"GET /bad/{case} HTTP/1.1\r\n{H}Connection: close\r\n\r\n".encode())
                expect_eq(statuses(ans), [502], f"/bad/{case}")
                check(b"bad gateway" in ans, f"/bad/{case}: body says why: {ans[-200:]!r}")
            # The gateway still serves, and a good response after the bad ones is whole.
            ans = raw(gw.port, f"GET /fine HTTP/1.1\r\n{H}Connection: close\r\n\r\n".encode())
            expect_eq(statuses(ans), [200], "after the bad responses")

        def slow_clients_are_cut_off():
            # A head that never ends: 408 and closed at the header timeout (1 s), not later.
            with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: t.test\r\n")
                t = time.time()
                s.settimeout(5)
                ans = b""
                while True:
                    b = s.recv(4096)
                    if not b:
                        break
                    ans += b
                took = time.time() - t
            expect_eq(statuses(ans), [408], "slowloris head")
            check(took < 3, f"cut off after {took:.1f}s")
            # An idle keep-alive connection is closed at the idle timeout (2 s).
            with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
                t = time.time()
                s.settimeout(5)
                check(s.recv(10) == b"", "idle connection closed without an answer")
                check(time.time() - t < 4, "idle timeout")
            # A body that stops arriving: the body timeout (1 s) ends the exchange.
            with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
                s.sendall(f"POST /upload HTTP/1.1\r\n{H}Content-Length: 100\r\n\r\nonly this".encode())
                t = time.time()
                s.settimeout(5)
                while s.recv(4096):
                    pass
                check(time.time() - t < 4, f"body timeout took {time.time() - t:.1f}s")

        def connection_cap():
            capped = h.gateway(ROUTES, name="capped", upstreams={"app": app.addrs}, extra="[limits]\nconnections = 3\n")
            held = [socket.create_connection(("127.0.0.1", capped.port), timeout=5) for _ in range(3)]
            time.sleep(0.2)
            with socket.create_connection(("127.0.0.1", capped.port), timeout=5) as extra:
                extra.settimeout(3)
                try:
                    got = extra.recv(10)
                except ConnectionResetError:
                    got = b""
                expect_eq(got, b"", "a connection over the cap is closed at once")
            for s_ in held:
                s_.close()
            time.sleep(0.2)
            ans = raw(capped.port, f"GET / HTTP/1.1\r\n{H}Connection: close\r\n\r\n".encode())
            expect_eq(statuses(ans), [200], "served again below the cap")
            s_, text = capped.admin("/metrics")
            check("banyan_connections_refused_total 1" in text, "the refusal is counted")

        h.case("refused heads (status, close, origin saw nothing)", head_cases)
        h.case("refused chunked bodies", body_cases)
        h.case("a body is never a request", body_is_never_a_request)
        h.case("Upgrade: h2c is not forwarded", upgrade_h2c_is_not_forwarded)
        h.case("absolute-form", absolute_form_routes_by_its_authority)
        h.case("upstream responses are held to the same rules (502)", upstream_strictness)
        h.case("slow clients are cut off", slow_clients_are_cut_off)
        h.case("the connection cap", connection_cap)


if __name__ == "__main__":
    main()
