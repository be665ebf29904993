#!/usr/bin/env python3
"""The client is untrusted: every smuggling shape and limit case, sent as raw bytes
over a socket. For each: the status the gateway answers, that it closes the
connection after a framing error (bytes after it are never read as a request), and
what the upstream saw (nothing, or only a safe, re-serialised message). Then the same
strictness for upstream responses (502), and the timeouts that cut slow clients off.

usage: smuggling_test.py BANYAN BANYAN_ORIGIN
"""
import signal
import socket
import sys
import time

from harness import WAIT, Harness, check, exchange, expect_eq, raw, read_one_response, read_until_close, statuses

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

# Bodies that break after the head was accepted. The head is valid, so the gateway has
# already sent it upstream (re-serialised, chunked) and streams the body, re-chunked, as
# it decodes it; the decoder stops at the first bad byte, the gateway drops the upstream
# connection and answers 400 itself, then closes. No response can have started: the
# gateway reads the upstream's answer only after the whole body was sent, and the origin
# answers only after reading the whole body. So the client always gets exactly one 400;
# the origin may have seen the head and part of the body, never a second request.
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
            extra='[limits]\nrequest_line = "1KiB"\nheader_bytes = "4KiB"\nheader_count = 20\n',
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
                before = app.heads(b"POST / ")
                ans, closed = exchange(gw.port, (req + SMUGGLED).encode())
                expect_eq(statuses(ans), [400], f"{name}: the answers ({ans!r})")
                check(b"bad request: malformed chunked body" in ans, f"{name}: the 400 says why: {ans!r}")
                check(b"Connection: close" in ans, f"{name}: the gateway says it closes")
                check(closed, f"{name}: the gateway closes the connection after the 400")
                # The head went upstream once (framed by the gateway); nothing after the bad chunk did.
                app.wait_heads(b"POST / ", before + 1)
                expect_eq(app.heads(b"POST / "), before + 1, f"{name}: the origin saw the head once")
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

        def timeouts(header="30s", idle="30s", body="30s", name="timeouts"):
            """A gateway where only the timeout under test is short (1 s) and every other
            is 30 s: a connection cut within the wait was cut by that one."""
            return h.gateway(ROUTES, name=name, upstreams={"app": app.addrs},
                             extra=f'[limits]\nheader_timeout = "{header}"\nidle_timeout = "{idle}"\n'
                                   f'body_timeout = "{body}"\n')

        def slow_head_is_cut_off():
            # A head that trickles in, a byte every 0.2 s, never completes: the header
            # timeout bounds the whole head, not each read, so a 408 ends it while bytes
            # still arrive. A per-read timeout would let it trickle on for the whole wait.
            g = timeouts(header="1s", name="header-timeout")
            with socket.create_connection(("127.0.0.1", g.port), timeout=5) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: t.test\r\nX-Slow: ")
                ans, closed, sent = b"", False, 0
                deadline = time.monotonic() + WAIT
                while not closed and time.monotonic() < deadline:
                    try:
                        s.sendall(b"a")
                        sent += 1
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the gateway has closed: read what it answered
                    got, closed = read_until_close(s, 0.2)
                    ans += got
            check(closed, f"a head trickling in for {WAIT:.0f}s ({sent} bytes) was not cut off (header_timeout 1s)")
            expect_eq(statuses(ans), [408], f"slowloris head: the answer ({ans!r})")
            check(b"Connection: close" in ans and b"did not arrive in time" in ans, f"the 408 says why: {ans!r}")

        def idle_connection_is_closed():
            g = timeouts(idle="1s", name="idle-timeout")
            with socket.create_connection(("127.0.0.1", g.port), timeout=5) as s:
                got, closed = read_until_close(s, WAIT)
            check(closed, f"an idle connection was not closed within {WAIT:.0f}s (idle_timeout 1s)")
            expect_eq(got, b"", "an idle connection is closed without an answer")

        def idle_keepalive_connections_park():
            # A keep-alive connection still idle at two 20 ms ticks parks: its session goes
            # back to the worker and it waits for readiness with its socket alone. The next
            # request on it is served as any other; parked, it is still closed at the idle
            # timeout (every other timeout is 30 s); and a drain closes parked ones at once.
            g = timeouts(idle="2s", name="parking")
            g.wait_metric("banyan_connections_open", 0)
            socks = [socket.create_connection(("127.0.0.1", g.port), timeout=5) for _ in range(3)]
            try:
                for turn in range(3):
                    for i, s in enumerate(socks):
                        s.sendall(f"GET /?turn={turn} HTTP/1.1\r\n{H}\r\n".encode())
                        status, _ = read_one_response(s)
                        expect_eq(status, 200, f"turn {turn}, connection {i}: a request on a connection that parked")
                    g.wait_metric("banyan_connections_parked", 3)
                for i, s in enumerate(socks):
                    got, closed = read_until_close(s, WAIT)
                    check(closed, f"a parked connection was not closed within {WAIT:.0f}s (idle_timeout 2s)")
                    expect_eq(got, b"", f"connection {i}: closed at the idle timeout without an answer")
                g.wait_metric("banyan_connections_parked", 0)
                g.wait_metric("banyan_connections_open", 0)
            finally:
                for s in socks:
                    s.close()
            # SIGTERM: the drain closes parked connections rather than wait out its grace period.
            d = timeouts(name="parked-drain")
            held = [socket.create_connection(("127.0.0.1", d.port), timeout=5) for _ in range(2)]
            for s in held:
                s.sendall(f"GET / HTTP/1.1\r\n{H}\r\n".encode())
                expect_eq(read_one_response(s)[0], 200, "before the drain")
            d.wait_metric("banyan_connections_parked", 2)
            d.signal(signal.SIGTERM)
            for s in held:
                got, closed = read_until_close(s, WAIT)
                check(closed and got == b"", f"a parked connection is closed by the drain ({got!r})")
                s.close()
            d.wait_exit("the gateway exits once its parked connections are closed")

        def stalled_body_is_cut_off():
            # The head is whole and forwarded; the body stops arriving. The gateway closes
            # without an answer (the upstream has the head already) and logs why.
            g = timeouts(body="1s", name="body-timeout")
            with socket.create_connection(("127.0.0.1", g.port), timeout=5) as s:
                s.sendall(f"POST /upload?slow-body HTTP/1.1\r\n{H}Content-Length: 100\r\n\r\nonly this".encode())
                got, closed = read_until_close(s, WAIT)
            check(closed, f"a body that stopped arriving was not cut off within {WAIT:.0f}s (body_timeout 1s)")
            expect_eq(got, b"", "the answer to a body that stopped arriving")
            line = g.access_log(where=lambda l: l["path"] == "/upload?slow-body")[-1]
            expect_eq(line["error"], "client stopped sending the body", f"the access log says why: {line}")

        def connection_cap():
            capped = h.gateway(ROUTES, name="capped", upstreams={"app": app.addrs}, extra="[limits]\nconnections = 3\n")
            # The harness's readiness probe was a connection too: it counts until the
            # gateway has seen it close (a batch of accepts may come before that).
            capped.wait_metric("banyan_connections_open", 0)
            held = [socket.create_connection(("127.0.0.1", capped.port), timeout=5) for _ in range(3)]
            capped.wait_metric("banyan_connections_open", 3)  # the gateway has accepted all three
            with socket.create_connection(("127.0.0.1", capped.port), timeout=5) as extra:
                got, closed = read_until_close(extra, WAIT)
            check(closed, "a connection over the cap is closed (the three held ones stay open)")
            expect_eq(got, b"", "a connection over the cap gets no answer")
            for s_ in held:
                s_.close()
            capped.wait_metric("banyan_connections_open", 0)  # and seen them close
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
        h.case("a head that trickles in is cut off at the header timeout (408)", slow_head_is_cut_off)
        h.case("an idle connection is closed at the idle timeout", idle_connection_is_closed)
        h.case("an idle keep-alive connection parks, serves again, and is closed at the idle timeout or a drain",
               idle_keepalive_connections_park)
        h.case("a body that stops arriving is cut off at the body timeout", stalled_body_is_cut_off)
        h.case("the connection cap", connection_cap)


if __name__ == "__main__":
    main()
