#!/usr/bin/env python3
"""HTTP/2 to clients through the real gateway: ALPN "h2" on an https listener, prior
knowledge (h2c) on a plain listener the TOML names, and HTTP/1.1 kept on the ones it
does not. Real clients: curl --http2, nghttp, h2load (Debian's nghttp2-client), and
the `h2` library (Debian's python3-h2) for what no polite client sends: oversized and
contradictory heads, connection-specific fields, a Content-Length DATA does not match,
a rapid-reset flood (CVE-2023-44487), a CONTINUATION flood, a PING flood, a stream
stuck on a zero window, a body that never comes; and GOAWAY on a graceful reload.

usage: http2_test.py BANYAN BANYAN_ORIGIN
"""
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time

try:
    import h2.config
    import h2.connection
    import h2.events
    import h2.exceptions
    import h2.settings
except ImportError:  # Debian's python3-h2, under an interpreter that is not Debian's own
    sys.path.append("/usr/lib/python3/dist-packages")
    import h2.config
    import h2.connection
    import h2.events
    import h2.exceptions
    import h2.settings

from harness import WAIT, Harness, check, curl, expect_eq, free_port, metric, wait_until

CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "certs")


class Client:
    """An HTTP/2 client connection driven frame by frame (h2), over TLS or clear text."""

    def __init__(self, port, tls=False, settings=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        if tls:
            ctx = ssl.create_default_context(cafile=f"{CERTS}/example.pem")
            ctx.set_alpn_protocols(["h2"])
            self.sock = ctx.wrap_socket(self.sock, server_hostname="example.com")
            check(self.sock.selected_alpn_protocol() == "h2", "ALPN chose h2")
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8",
                                                                         validate_outbound_headers=False,
                                                                         normalize_outbound_headers=False))
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.flush()
        self.events = []
        self.closed = False
        self.acknowledge = not settings

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def send_raw(self, data):
        self.sock.sendall(data)

    def pump(self, until, timeout=WAIT):
        """Reads frames until until(self) is true; returns it. The connection's end counts as an event."""
        deadline = time.monotonic() + timeout
        while True:
            got = until(self)
            if got:
                return got
            if self.closed:
                raise AssertionError(f"connection closed; events: {self.events[-5:]}")
            left = deadline - time.monotonic()
            check(left > 0, f"waited {timeout:.0f}s; events: {self.events[-5:]}")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                data = b""
            if not data:
                self.closed = True
                self.events.append("closed")
                continue
            try:
                new = self.conn.receive_data(data)
                self.events += new
                for e in new:  # the window opens as data is read, unless the test holds it shut
                    if isinstance(e, h2.events.DataReceived) and self.acknowledge:
                        self.conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
            except h2.exceptions.ProtocolError as e:
                self.events.append(("protocol-error", str(e)))
                self.closed = True
            self.flush()

    def request(self, path, method="GET", headers=(), body=None, authority="example.com", end=True):
        sid = self.conn.get_next_available_stream_id()
        hd = [(":method", method), (":scheme", "https" if isinstance(self.sock, ssl.SSLSocket) else "http"),
              (":path", path)]
        if authority is not None:
            hd.append((":authority", authority))
        self.conn.send_headers(sid, hd + list(headers), end_stream=end and body is None)
        if body is not None:
            self.conn.send_data(sid, body, end_stream=end)
        self.flush()
        return sid

    def response(self, sid, timeout=WAIT):
        """(status, headers dict, body) of stream `sid`, or ("reset", code, b"") when it was reset."""
        def done(c):
            for e in c.events:
                if isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)) and e.stream_id == sid:
                    return True
            return False

        self.pump(done, timeout)
        status, headers, body = None, {}, b""
        for e in self.events:
            if getattr(e, "stream_id", None) != sid:
                continue
            if isinstance(e, h2.events.ResponseReceived):
                headers = dict(e.headers)
                status = int(headers[":status"])
            elif isinstance(e, h2.events.DataReceived):
                body += e.data
            elif isinstance(e, h2.events.StreamEnded):
                break  # a reset after the end (NO_ERROR: "stop sending your body") is no failure
            elif isinstance(e, h2.events.StreamReset):
                return "reset", int(e.error_code), b""
        self.flush()
        return status, headers, body

    def goaway(self, timeout=WAIT):
        e = self.pump(lambda c: next((e for e in c.events if isinstance(e, h2.events.ConnectionTerminated)), None)
                      or ("closed" in c.events and "closed"), timeout)
        return e

    def close(self):
        self.sock.close()


def routes(app):
    return f"""
listen http :80
listen http :81
listen https :443
upstream app {{
  server "{app.addrs[0]}"
}}
tls com {{
  certificate "{CERTS}/example.pem"
  key "{CERTS}/example.key"
}}
cache short {{
  memory 10MiB
}}
site "example.com" {{
  tls com
  route /local {{ respond 200 "local\\n" }}
  route /big {{ respond 200 "{'b' * 1000}" }}
  route /cached/** {{
    to app
    rewrite /**
    cache short {{
      valid 200 1m
    }}
    response_header X-Cache $upstream_cache_status
  }}
  route /gz/** {{
    to app
    rewrite /**
    compress gzip
  }}
  route /up/** {{
    to app
    rewrite /**
    max_body 10MiB
  }}
  route / {{ to app }}
}}
"""


def main():
    with Harness(sys.argv) as h:
        app = h.origin("app")
        p80, p81, p443 = free_port(), free_port(), free_port()
        gw = h.gateway(routes(app), listen={":80": p80, ":81": p81, ":443": p443},
                       extra="[http2]\nprior_knowledge = [\":80\"]\n[limits]\nbody_timeout = \"1s\"\n")
        tls_args = ["--resolve", f"example.com:{p443}:127.0.0.1", "--cacert", f"{CERTS}/example.pem"]

        def curl_h2(path, *args, port=p443):
            out, rc = curl("-i", "--http2", *tls_args, *args, f"https://example.com:{port}{path}")
            check(rc == 0, f"curl --http2 {path} exited {rc}")
            return out

        def alpn_h2_with_curl():
            out = curl_h2("/x?q=1")
            check(out.startswith("HTTP/2 200"), f"HTTP/2 over TLS: {out[:200]}")
            check(f"app (app@{app.addrs[0]}) answered GET /x?q=1" in out, f"proxied: {out}")
            head = last_head(app)
            check(b"Via: 2 banyan" in head, f"the upstream sees Via 2: {head!r}")
            check(b"Host: example.com:" in head or b"Host: example.com\r" in head, f"Host from :authority: {head!r}")
            out = curl_h2("/local")
            check(out.startswith("HTTP/2 200") and out.endswith("local\n"), f"a local answer: {out}")
            # A POST body, upstream and back.
            out = curl_h2("/echo", "--data-binary", "hello body")
            check(out.startswith("HTTP/2 200") and "POST /echo" in out, f"POST over HTTP/2: {out}")
            head = last_head(app)
            check(b"Content-Length: 10" in head, f"a whole body goes with its length: {head!r}")

        def cached_over_http2():
            hits = [re.search(r"x-cache: (\w+)", curl_h2("/cached/c/page")).group(1) for _ in range(2)]
            expect_eq(hits, ["MISS", "HIT"], "the cache stores a response fetched for an HTTP/2 client")

        def http1_still_offered():
            out, rc = curl("-i", "--http1.1", *tls_args, f"https://example.com:{p443}/local")
            check(rc == 0 and out.startswith("HTTP/1.1 200"), f"HTTP/1.1 over TLS still served: {out[:200]}")

        def prior_knowledge_on_a_named_listener():
            out, rc = curl("-i", "--http2-prior-knowledge", "-H", "Host: example.com", f"http://127.0.0.1:{p80}/y")
            check(rc == 0 and out.startswith("HTTP/2 200"), f"h2c on :80: {out[:300]}")
            out, rc = curl("-i", "-H", "Host: example.com", f"http://127.0.0.1:{p80}/local")
            check(rc == 0 and out.startswith("HTTP/1.1 200"), f"HTTP/1.1 on the same listener: {out[:300]}")
            # :81 is not named: the preface is no HTTP/1.1 request.
            out, rc = curl("-i", "--http2-prior-knowledge", "-H", "Host: example.com", f"http://127.0.0.1:{p81}/local")
            check(not out.startswith("HTTP/2"), f"no h2c on :81: {out[:300]}")

        def nghttp_many_streams():
            # 20 requests multiplexed on one connection, bodies checked by their length.
            r = subprocess.run(["nghttp", "-n", "-v", "--no-dep", "-m", "20", "-H", ":authority: example.com",
                                f"http://127.0.0.1:{p80}/local"], capture_output=True, text=True, timeout=WAIT)
            check(r.returncode == 0, f"nghttp: {r.stderr[-500:]}")
            check(r.stdout.count(":status: 200") == 20, f"20 answers on one connection: {r.stdout[-800:]}")

        def h2load_completes():
            r = subprocess.run(["h2load", "-n", "400", "-c", "4", "-m", "10", "-H", ":authority: example.com",
                                f"http://127.0.0.1:{p80}/x"],
                               capture_output=True, text=True, timeout=60)
            check(r.returncode == 0, f"h2load: {r.stderr[-500:]}")
            m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed", r.stdout)
            check(m and m.group(4) == "400" and m.group(5) == "0", f"h2load: 400 succeeded: {r.stdout}")
            m = re.search(r"status codes: (\d+) 2xx", r.stdout)
            check(m and m.group(1) == "400", f"400 x 2xx: {r.stdout}")

        def compression_and_headers():
            out = curl_h2("/gz/bytes/4000?type=text/plain", "-H", "Accept-Encoding: gzip", "-o", "/dev/null", "-D", "-")
            check("content-encoding: gzip" in out.lower(), f"gzip over HTTP/2: {out}")
            check("connection:" not in out.lower() and "transfer-encoding" not in out.lower(),
                  f"no connection-specific field goes out: {out}")

        def cookies_joined():
            c = Client(p80)
            sid = c.request("/cookie", headers=[("cookie", "a=1"), ("cookie", "b=2")])
            status, _, _ = c.response(sid)
            expect_eq(status, 200, "cookies")
            head = last_head(app)
            check(b"Cookie: a=1; b=2" in head or b"cookie: a=1; b=2" in head, f"crumbs joined (RFC 9113 8.2.3): {head!r}")
            c.close()

        def bad_heads_refused():
            c = Client(p80)
            sid = c.request("/a", headers=[("host", "other.example")])
            status, _, body = c.response(sid)
            expect_eq(status, 400, ":authority and Host that differ")
            check(b"request id:" in body, f"a request id: {body!r}")
            sid = c.request("/b", headers=[("x-big", "v" * 20000), ("x-big2", "v" * 20000)])
            status, _, _ = c.response(sid)
            expect_eq(status, 431, "a head over limits.header_bytes")
            sid = c.request("/c", headers=[(f"x-{i}", "1") for i in range(150)])
            status, _, _ = c.response(sid)
            expect_eq(status, 431, "more fields than limits.header_count")
            # The connection still serves.
            sid = c.request("/local")
            expect_eq(c.response(sid)[0], 200, "the connection survives refused streams")
            # A connection-specific field is a malformed request: the stream is reset.
            sid = c.request("/d", headers=[("connection", "keep-alive")])
            status, code, _ = c.response(sid)
            expect_eq(status, "reset", "Connection in an HTTP/2 request")
            # CR/LF in a value: the desync the 2021 HTTP/2 attacks used. Reset, never forwarded.
            before = app.heads(b"GET /e")
            sid = c.request("/e", headers=[("x-evil", "a\r\nInjected: 1")])
            status, code, _ = c.response(sid)
            expect_eq(status, "reset", "CR LF in a field value")
            check(app.heads(b"GET /e") == before and b"Injected" not in app.logged(), "nothing went upstream")
            c.close()

        def content_length_checked():
            c = Client(p80)
            sid = c.request("/cl", method="POST", headers=[("content-length", "10")], body=b"12345")
            status, code, _ = c.response(sid)
            expect_eq(status, "reset", "a body shorter than its Content-Length")
            c.close()

        def large_response_and_flow_control():
            c = Client(p80)
            sid = c.request("/big")
            status, _, body = c.response(sid)
            expect_eq((status, len(body)), (200, 1000), "a local body")
            c.close()

        def rapid_reset_ends_the_connection():
            c = Client(p80)
            for i in range(1500):  # HEADERS then RST_STREAM, all in one write
                sid = c.conn.get_next_available_stream_id()
                c.conn.send_headers(sid, [(":method", "GET"), (":scheme", "http"), (":path", "/local"),
                                          (":authority", "example.com")], end_stream=True)
                c.conn.reset_stream(sid)
            try:
                c.flush()
            except OSError:
                pass  # the gateway may close before it has read the rest
            e = c.goaway()
            check(e == "closed" or isinstance(e, h2.events.ConnectionTerminated), f"GOAWAY after the reset flood: {e}")
            c.close()

        def ping_flood_ends_the_connection():
            c = Client(p80)
            for i in range(3000):
                c.conn.ping(i.to_bytes(8, "big"))
            try:
                c.flush()
            except OSError:
                pass  # the gateway may close before it has read the rest
            e = c.goaway()
            check(isinstance(e, h2.events.ConnectionTerminated) and e.error_code == 11,
                  f"ENHANCE_YOUR_CALM after 3000 PINGs: {e}")
            gw.wait_stderr("sent too many PING frames")
            c.close()

        def continuation_flood_ends_the_connection():
            # HEADERS without END_HEADERS, then CONTINUATION frames without end (raw frames).
            s = socket.create_connection(("127.0.0.1", p80), timeout=WAIT)
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
            block = b"\x82\x86\x84"  # :method GET, :scheme http, :path / (static table)
            s.sendall(frame(1, 0x1, 1, block))  # HEADERS, END_STREAM, no END_HEADERS
            try:
                for _ in range(100):
                    s.sendall(frame(9, 0, 1, b"\x40\x01a\x01b"))  # CONTINUATION, literal a: b
            except OSError:
                pass
            got = read_all(s)
            check(b"\x00\x00\x00\x00" in got and frame_types(got).count(7) == 1, f"a GOAWAY: {got[-40:]!r}")

        def settings_and_priority_floods():
            for kind, payload in ((4, b""), (2, b"\x00\x00\x00\x00\x10")):  # SETTINGS, PRIORITY (on stream 1)
                s = socket.create_connection(("127.0.0.1", p80), timeout=WAIT)
                flood = b"".join(frame(kind, 0, 0 if kind == 4 else 1, payload) for _ in range(3000))
                try:
                    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"") + flood)
                except OSError:
                    pass
                got = read_all(s)
                codes = goaway_codes(got)
                check(codes == [11], f"{'SETTINGS' if kind == 4 else 'PRIORITY'} flood: GOAWAY ENHANCE_YOUR_CALM: {codes}")
                s.close()

        def hpack_bomb_refused():
            # One 4,000-byte field into the HPACK table, then named 20 times by its index:
            # about 4 KiB on the wire, 80 KiB decoded; limits.header_bytes (32 KiB) applies
            # to what is decoded. The stream gets 431; the connection goes on.
            c = Client(p80)
            sid = c.request("/bomb", headers=[("x-bomb", "b" * 4000)] * 20)
            status, _, _ = c.response(sid)
            expect_eq(status, 431, "an HPACK decompression bomb")
            sid = c.request("/local")
            expect_eq(c.response(sid)[0], 200, "the connection survives it")
            c.close()

        def zero_window_stall_is_reset():
            c = Client(p80, settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
            c.pump(lambda c: any(isinstance(e, h2.events.SettingsAcknowledged) for e in c.events))
            sid = c.request("/big")
            # Never opens the window: the gateway gives up after body_timeout (1s).
            status, code, _ = c.response(sid, timeout=10)
            expect_eq(status, "reset", "a stream stuck on a zero window")
            c.close()

        def slow_body_is_reset():
            c = Client(p80)
            sid = c.request("/slow", method="POST", headers=[("content-length", "5")], body=None, end=False)
            status, code, _ = c.response(sid, timeout=10)
            expect_eq(status, "reset", "a body that never comes (body_timeout 1s)")
            c.close()

        def bodies_both_ways_with_flow_control():
            # 3 MiB up (the stream's window is 64 KiB: it opens as the upstream takes the
            # body), streamed without a length (curl -T - sends no Content-Length), and
            # 5 MiB down, checked byte for byte.
            import hashlib
            data = os.urandom(3 << 20)
            path = os.path.join(h.dir, "up.bin")
            with open(path, "wb") as f:
                f.write(data)
            want = hashlib.sha256(data).hexdigest()
            out = curl_h2("/up/upload", "--data-binary", f"@{path}")
            check(f"body-sha256: {want}" in out and "body-bytes: 3145728" in out, f"3 MiB upload: {out[-300:]}")
            with open(path, "rb") as f:
                r = subprocess.run(["curl", "-s", "--http2", *tls_args, "-T", "-", "-X", "POST",
                                    f"https://example.com:{p443}/up/upload"], stdin=f, capture_output=True,
                                   timeout=WAIT)
            check(f"body-sha256: {want}".encode() in r.stdout, f"3 MiB upload, no length: {r.stdout[-300:]!r}")
            head = last_head(app)
            check(b"Transfer-Encoding: chunked" in head, f"a body of unknown length goes chunked: {head!r}")
            r = subprocess.run(["curl", "-s", "--http2", *tls_args, f"https://example.com:{p443}/bytes/5242880"],
                               capture_output=True, timeout=WAIT)
            expect_eq(len(r.stdout), 5 << 20, "5 MiB down")
        gw2_port = [None]

        def early_answer_drops_the_rest_of_the_body():
            # An answer that needs no body (a `respond` route) while the body still comes:
            # the rest is read and dropped (the window keeps opening), as HTTP/1.1's
            # lingering close does, so the client can finish sending. (curl 7.88 spins on
            # such an upload over TLS, against nginx too: the h2 library is the client here.)
            c = Client(p80)
            sid = c.request("/local", method="POST", headers=[("content-length", "500000")], end=False)
            sent = 0
            while sent < 500000:
                window = min(c.conn.local_flow_control_window(sid), c.conn.max_outbound_frame_size, 500000 - sent)
                if window == 0:
                    n = len(c.events)
                    c.pump(lambda c: len(c.events) > n)
                    continue
                c.conn.send_data(sid, b"q" * window, end_stream=sent + window == 500000)
                c.flush()
                sent += window
            status, _, body = c.response(sid)
            expect_eq((status, body), (200, b"local\n"), "the early answer")
            check(not any(isinstance(e, h2.events.StreamReset) for e in c.events), f"no reset: {c.events[-5:]}")
            sid = c.request("/local")
            expect_eq(c.response(sid)[0], 200, "the connection goes on")
            c.close()

        def limits_and_failures_per_stream():
            c = Client(p80)
            sid = c.request("/x", method="POST", headers=[("content-length", str(2 << 20))], body=b"z" * 16000,
                            end=False)
            status, _, body = c.response(sid)
            expect_eq(status, 413, "a body over the route's limit (1 MiB)")
            sid = c.request("/nothing-there", authority="nosuch.test")
            expect_eq(c.response(sid)[0], 404, "no site")
            c.close()
            # An upstream that fails: 502 on the stream, the connection goes on.
            dead = free_port()
            gw2 = h.gateway(f"""listen http :80
upstream gone {{
  server "127.0.0.1:{dead}"
}}
site "example.com" {{
  route /cut/** {{
    to app
    rewrite /**
  }}
  route / {{ to gone }}
}}
upstream app {{
  server "{app.addrs[0]}"
}}
""", name="gw2", extra="[http2]\nprior_knowledge = [\":80\"]\nmax_concurrent_streams = 4\n")
            gw2_port[0] = gw2.port
            c = Client(gw2.port)
            sid = c.request("/a")
            status, _, body = c.response(sid)
            expect_eq(status, 502, "a refused connection upstream")
            check(b"127.0.0.1" not in body and b"request id:" in body, f"no address for the client: {body!r}")
            sid = c.request("/cut/bytes/300000?cut=70000")
            status, code, _ = c.response(sid)
            expect_eq((status, code), ("reset", 2), "an upstream that stops inside its body: INTERNAL_ERROR")
            sid = c.request("/b")
            expect_eq(c.response(sid)[0], 502, "the connection still serves")
            c.close()

        def max_concurrent_streams_enforced():
            # Six requests at once against max_concurrent_streams = 4 (raw frames: a
            # client library would respect the setting).
            s = socket.create_connection(("127.0.0.1", gw2_port[0]), timeout=WAIT)
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
            for i in range(6):
                path = b"/cut/delay/500"
                block = b"\x82\x86\x04" + bytes([len(path)]) + path + b"\x01\x0bexample.com"
                s.sendall(frame(1, 0x5, 1 + 2 * i, block))
            got = read_all(s, timeout=3, until=lambda got: len(rst_frames(got)) >= 2)
            resets = [(sid, code) for kind, sid, code in rst_frames(got)]
            expect_eq(sorted(resets), [(9, 7), (11, 7)], "streams 5 and 6 refused (REFUSED_STREAM)")
            s.close()

        def idle_and_slow_heads_end_with_goaway():
            # [limits] idle_timeout and header_timeout are 2s here (gw3): an idle
            # connection, and one whose HEADERS never get their END_HEADERS.
            c = Client(gw3.port)
            e = c.goaway(timeout=10)
            check(isinstance(e, h2.events.ConnectionTerminated) and e.error_code == 0, f"idle: GOAWAY: {e}")
            c.close()
            s = socket.create_connection(("127.0.0.1", gw3.port), timeout=WAIT)
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"") + frame(1, 0x1, 1, b"\x82\x86\x84"))
            t = time.monotonic()
            got = read_all(s, timeout=10)
            check(7 in frame_types(got) and time.monotonic() - t < 8, f"a head never finished: GOAWAY: {got[-30:]!r}")

        def metrics_count():
            text = gw.metrics()
            check((metric(text, "banyan_http2_connections_total") or 0) > 5, "http2 connections counted")
            check((metric(text, "banyan_http2_streams_total") or 0) > 400, "http2 streams counted")
            check((metric(text, "banyan_http2_floods_total") or 0) >= 1, "floods counted")

        def access_log_names_the_protocol():
            lines = gw.access_log(where=lambda l: l.get("path") == "/x?q=1")
            expect_eq(lines[0].get("protocol"), "HTTP/2.0", "the access log's protocol")
            expect_eq((lines[0]["status"], lines[0].get("error")), (200, None), "a complete exchange, no error")

        def reload_sends_goaway():
            c = Client(p80)
            sid = c.request("/local")
            expect_eq(c.response(sid)[0], 200, "before the reload")
            gw.signal(signal.SIGTERM)
            e = c.goaway()
            check(isinstance(e, h2.events.ConnectionTerminated) and e.error_code == 0, f"GOAWAY NO_ERROR: {e}")
            c.close()
            expect_eq(gw.wait_exit("the drain after SIGTERM"), 0, "the gateway drained every HTTP/2 connection and exited")

        h.case("ALPN h2: curl --http2 through the gateway", alpn_h2_with_curl)
        h.case("HTTP/1.1 still offered by ALPN", http1_still_offered)
        h.case("the cache over HTTP/2", cached_over_http2)
        h.case("h2c with prior knowledge only where [http2] names the listener", prior_knowledge_on_a_named_listener)
        h.case("nghttp: 20 streams on one connection", nghttp_many_streams)
        h.case("h2load: 400 requests on 4 connections x 10 streams", h2load_completes)
        h.case("compression and no connection-specific fields out", compression_and_headers)
        h.case("cookie crumbs joined", cookies_joined)
        h.case("bad heads refused per stream", bad_heads_refused)
        h.case("Content-Length checked against DATA", content_length_checked)
        h.case("a local body", large_response_and_flow_control)
        h.case("rapid reset: GOAWAY", rapid_reset_ends_the_connection)
        h.case("PING flood: GOAWAY", ping_flood_ends_the_connection)
        h.case("CONTINUATION flood: GOAWAY", continuation_flood_ends_the_connection)
        h.case("SETTINGS and PRIORITY floods: GOAWAY", settings_and_priority_floods)
        h.case("HPACK decompression bomb: 431", hpack_bomb_refused)
        h.case("zero window: the stream is reset after body_timeout", zero_window_stall_is_reset)
        h.case("slow body: the stream is reset after body_timeout", slow_body_is_reset)
        h.case("bodies both ways under flow control", bodies_both_ways_with_flow_control)
        h.case("an early answer: the rest of the body dropped", early_answer_drops_the_rest_of_the_body)
        h.case("limits and upstream failures answered per stream", limits_and_failures_per_stream)
        h.case("max_concurrent_streams", max_concurrent_streams_enforced)
        gw3 = h.gateway(routes(app), listen={":80": free_port(), ":81": free_port(), ":443": free_port()}, name="gw3",
                        extra="[http2]\nprior_knowledge = [\":80\"]\n"
                              "[limits]\nidle_timeout = \"2s\"\nheader_timeout = \"2s\"\n")
        h.case("idle, and a head never finished: GOAWAY", idle_and_slow_heads_end_with_goaway)
        h.case("metrics", metrics_count)
        h.case("access log", access_log_names_the_protocol)
        h.case("graceful stop: GOAWAY", reload_sends_goaway)


def last_head(origin):
    return origin.logged().split(b"\n---\n")[-2]


def frame(kind, flags, stream, payload):
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def read_all(s, timeout=5, until=None):
    s.settimeout(timeout)
    got = b""
    try:
        while not (until and until(got)):
            d = s.recv(65536)
            if not d:
                break
            got += d
    except (socket.timeout, ConnectionResetError):
        pass
    return got


def frames(data):
    """(type, flags, stream, payload) of each whole frame in `data`."""
    out, i = [], 0
    while i + 9 <= len(data):
        n = int.from_bytes(data[i:i + 3], "big")
        out.append((data[i + 3], data[i + 4], int.from_bytes(data[i + 5:i + 9], "big") & 0x7FFFFFFF,
                    data[i + 9:i + 9 + n]))
        i += 9 + n
    return out


def rst_frames(data):
    """(type, stream, error code) of each RST_STREAM frame in `data`."""
    return [(3, sid, int.from_bytes(p[:4], "big")) for kind, _, sid, p in frames(data) if kind == 3]


def goaway_codes(data):
    """The error code of each GOAWAY frame in `data`."""
    return [int.from_bytes(p[4:8], "big") for kind, _, _, p in frames(data) if kind == 7 and len(p) >= 8]


def frame_types(data):
    return [kind for kind, _, _, _ in frames(data)]


if __name__ == "__main__":
    main()
