#!/usr/bin/env python3
"""The exchange's defects (issue 12), each proven fixed by the real gateway:

  a. every answer the gateway makes itself (502, 503, 504, 404, a redirect, a fixed
     response) keeps a keep-alive connection whose request was fully read, or says
     `Connection: close` and closes it; an unread request body means close, said;
  b. a 502/503/504 body tells the client a short phrase and the request id (the access
     log line's), never the upstream's address, the routes file or the route, unless
     the listener is in `[errors] show_details`;
  c. a retry never goes back to an endpoint whose stale pooled connection just failed
     (a Python origin in this file kills its open connections on a switch);
  d. access log lines name the upstream, and under a migration its name, side, bucket;
  e. an absolute-form target with the scheme's default port is the same authority as
     a Host without it; an https:// target on a plain-HTTP listener is refused;
  f. a pooled connection the upstream closed while idle is probed before reuse when it
     idled over 100 ms, and retried on a new connection when it was taken sooner.

usage: exchange_test.py BANYAN BANYAN_ORIGIN
"""
import re
import socket
import sys
import threading
import time

from harness import Harness, TestFailure, check, expect_eq, metric, raw, read_until_close, wait_until

ROUTES = r"""
listen http :80

upstream app {
  server "127.0.0.1:1"
}
upstream iotd {
  server "127.0.0.1:1"
}
# One server nobody listens on: every request is refused, 502 (an upstream with one
# server is never taken out, as nginx).
upstream vault {
  server "127.0.0.1:1"
}
# Two servers nobody listens on, out for ten minutes after one failure: the first
# request gets 502, every later one 503 (no usable endpoint).
upstream attic {
  server "127.0.0.1:1"
  server "127.0.0.1:2"
  fail 1 within 10s cooldown 10m
}
upstream slow {
  server "127.0.0.1:1"
}

site "x.test" {
  route /app { to app }
  route /vault { to vault }
  route /attic { to attic }
  route /delay {
    to slow
    read_timeout 300ms
  }
  route /moved { redirect 301 "https://x.test/new" }
  route = /hello { respond 200 "hello\n" }
}

site "t.test" {
  route / { to app }
}

migration "half way" {
  move /half/** on "t.test" from app to iotd
  shift 50% hold
  bucket header "X-User"
  start "2020-01-01T00:00:00Z"
}
"""

# The flaky replicas of case c, balanced by a header so that one key always picks the
# same replica first (the one the test dooms), with two retries.
FLAKY_ROUTES = r"""
listen http :80
upstream flaky {
  server "127.0.0.1:1"
  balance hash header "X-Key"
  retries 2
}
site "f.test" {
  route / { to flaky }
}
"""

PHRASES = {502: "bad gateway", 503: "service unavailable", 504: "gateway timeout"}
MASK = (1 << 64) - 1


def bucket_of(migration, key):
    """migrations/bucket.cpp, written from docs/plan-format.md: FNV-1a 64 over the
    migration's name, a zero byte and the key, the murmur3 finaliser, modulo 10000."""
    h = 0xCBF29CE484222325
    for b in migration.encode() + b"\0" + key.encode():
        h = ((h ^ b) * 0x100000001B3) & MASK
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK
    h ^= h >> 33
    return h % 10000


def unused_ports(n):
    """n distinct ports on 127.0.0.1 that nothing listens on (bound together, then released)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def says_close(self):
        return any(t.strip().lower() == "close" for t in self.headers.get("connection", "").split(","))


def read_response(s, buf=b"", timeout=10.0):
    """One response from socket s (its head, then Content-Length bytes of body):
    (Response, the bytes after it), or (None, what arrived) if the peer closed first."""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in buf:
        chunk = recv_some(s, deadline)
        if not chunk:
            return None, buf
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = recv_some(s, deadline)
        if not chunk:
            return None, buf
        rest += chunk
    return Response(status, headers, rest[:length].decode(errors="replace")), rest[length:]


def recv_some(s, deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("no response in time")
    s.settimeout(left)
    try:
        return s.recv(65536)
    except ConnectionResetError:
        return b""


def request(method, path, host, extra=""):
    return f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()


def each(what, *calls):
    """Runs every (function, args...) and fails once with all their failures, so a case
    that checks several statuses reports each of them."""
    failures = []
    for fn, *args in calls:
        try:
            fn(*args)
        except TestFailure as e:
            failures.append(str(e))
    check(not failures, f"{len(failures)} of {len(calls)} {what}:\n  " + "\n  ".join(failures))


def one_answer(port, data):
    """Sends data on a new connection; returns the first response (or fails)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        r, got = read_response(s)
    check(r is not None, f"no response to {data[:60]!r}: got {got!r}")
    return r


class FlakyReplicas:
    """Three keep-alive HTTP/1.1 replicas on 127.0.0.1, one thread per connection.
    Each answers 200 with its name; a path containing "warm" is answered after a pause
    (so concurrent requests need concurrent upstream connections). doom(i) makes
    replica i stop listening (new connections are refused) and close each connection
    already open, without answering, when its next request arrives. Every request
    head received is recorded as (replica, X-Seq value)."""

    def __init__(self, n=3):
        self.lock = threading.Lock()
        self.received = []  # (replica index, x-seq or None, path)
        self.open = [0] * n
        self.doomed = None
        self.stopping = False
        self.listeners = []
        for i in range(n):
            ls = socket.socket()
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(("127.0.0.1", 0))
            ls.listen(64)
            ls.settimeout(0.05)
            self.listeners.append(ls)
            threading.Thread(target=self._accept, args=(i, ls), daemon=True).start()
        self.addrs = [f"127.0.0.1:{ls.getsockname()[1]}" for ls in self.listeners]

    def _accept(self, i, ls):
        while not self.stopping and self.doomed != i:
            try:
                conn, _ = ls.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            threading.Thread(target=self._serve, args=(i, conn), daemon=True).start()
        ls.close()  # doomed (or stopping): connections are refused from now on

    def _serve(self, i, conn):
        with self.lock:
            self.open[i] += 1
        buf = b""
        try:
            conn.settimeout(60)
            while not self.stopping:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.decode(errors="replace").split("\r\n")
                path = lines[0].split(" ")[1]
                seq = next((l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("x-seq:")), None)
                with self.lock:
                    self.received.append((i, seq, path))
                if self.doomed == i:
                    return  # closed without an answer
                if "warm" in path:
                    time.sleep(0.3)  # the warm-up's pace: overlapping requests, one upstream connection each
                body = f"r{i}\n".encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Served-By: r%d\r\n\r\n" % (len(body), i)
                             + body)
        except OSError:
            pass
        finally:
            conn.close()
            with self.lock:
                self.open[i] -= 1

    def doom(self, i):
        self.doomed = i

    def stop(self):
        self.stopping = True

    def hits(self, i, seq):
        with self.lock:
            return sum(1 for r, s, _ in self.received if r == i and s == seq)


class QuietCloser:
    """An origin that answers one request per connection with a keep-alive response
    (no `Connection: close`) and then closes the connection."""

    def __init__(self):
        self.requests = 0
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.addr = f"127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.listener.accept()
            except OSError:
                return
            with c:
                c.settimeout(5)
                buf = b""
                try:
                    while b"\r\n\r\n" not in buf:
                        chunk = c.recv(65536)
                        if not chunk:
                            break
                        buf += chunk
                    if b"\r\n\r\n" in buf:
                        self.requests += 1
                        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
                except OSError:
                    pass

    def stop(self):
        self.listener.close()


def one_upstream_gateway(h, name, server, host):
    """A gateway whose one site `host` sends everything to upstream `name`, one server."""
    return h.gateway(f"""listen http :80
upstream {name} {{
  server "{server}"
}}
site "{host}" {{
  route / {{ to {name} }}
}}
""", name=name)


def main():
    with Harness(sys.argv) as h:
        app = h.origin("app")
        iotd = h.origin("iotd")
        slow = h.origin("slow")
        vault_port, attic_a, attic_b = unused_ports(3)
        vault_addr = f"127.0.0.1:{vault_port}"
        attic_addrs = [f"127.0.0.1:{attic_a}", f"127.0.0.1:{attic_b}"]
        upstreams = {"app": app.addrs, "iotd": iotd.addrs, "vault": [vault_addr], "attic": attic_addrs,
                     "slow": slow.addrs}

        def gateway(**kw):
            g = h.gateway(ROUTES, upstreams=upstreams, **kw)
            # The attic's two servers refuse the first request (502) and are then out
            # for ten minutes: every later request to it gets 503.
            r = one_answer(g.port, request("GET", "/attic/first", "x.test", "Connection: close\r\n"))
            expect_eq(r.status, 502, "the first request to the attic (both servers refuse)")
            return g

        gw = gateway()

        def keep_alive_after(status, path):
            """A keep-alive GET without a body answered by the gateway itself with `status`:
            the connection must stay open (no `Connection: close`, and a second request
            on it is answered)."""
            with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
                s.sendall(request("GET", path, "x.test"))
                r, rest = read_response(s)
                check(r is not None, f"GET {path}: the gateway closed without answering: {rest!r}")
                expect_eq(r.status, status, f"GET {path}")
                check(not r.says_close(),
                      f"GET {path} ({status}): the request was read whole, yet the response says "
                      f"Connection: {r.headers.get('connection')}; the connection should stay open")
                s.sendall(request("GET", "/hello", "x.test"))
                second, got = read_response(s, rest)
                check(second is not None,
                      f"GET {path} ({status}): the response had no Connection: close, yet the gateway closed the "
                      f"connection: the next request on it got no answer ({got!r})")
                expect_eq(second.status, 200, f"the request after GET {path} ({status}) on the same connection")

        def answered_failures_keep_the_connection():
            each("answers closed a keep-alive connection", (keep_alive_after, 502, "/vault/ka"),
                 (keep_alive_after, 503, "/attic/ka"), (keep_alive_after, 504, "/delay/3000"))

        def local_answers_keep_the_connection():
            each("answers closed a keep-alive connection", (keep_alive_after, 404, "/nowhere"),
                 (keep_alive_after, 301, "/moved"), (keep_alive_after, 200, "/hello"))

        def unread_body_says_close(status, path):
            """A POST whose body has not arrived (10 of 100000 bytes), answered by the
            gateway before reading it: the response says Connection: close, and closes."""
            with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
                s.sendall(request("POST", path, "x.test", "Content-Length: 100000\r\n") + b"0123456789")
                r, rest = read_response(s)
                check(r is not None, f"POST {path}: the gateway closed without answering: {rest!r}")
                expect_eq(r.status, status, f"POST {path} with an unread body")
                check(r.says_close(), f"POST {path} ({status}) with an unread body: the response must say "
                                      f"Connection: close; its fields: {r.headers}")
                more, closed = read_until_close(s, 10)
                check(closed, f"POST {path} ({status}): said Connection: close but kept the connection open")
                expect_eq(rest + more, b"", f"POST {path} ({status}): nothing after the response")

        def unread_bodies_close_and_say_so():
            each("answers to an unread body", (unread_body_says_close, 503, "/attic/post"),
                 (unread_body_says_close, 404, "/nowhere/post"))

        def log_line(g, path):
            return g.access_log(where=lambda l: l["path"] == path)[-1]

        def error_body(g, status, path):
            """The body of a gateway-made `status` for GET path, checked for the format
            every client gets: a phrase, then the request id of the access log line."""
            r = one_answer(g.port, request("GET", path, "x.test", "Connection: close\r\n"))
            expect_eq(r.status, status, f"GET {path}")
            line = log_line(g, path)
            rid = line["request_id"]
            check(re.fullmatch(r"[0-9a-f]{32}", rid), f"the access log's request_id: {rid!r}")
            lines = r.body.split("\n")
            check(PHRASES[status] in lines[0].lower(), f"{status} body's first line names the status: {r.body!r}")
            check(len(lines) > 1 and lines[1] == f"request id: {rid}",
                  f"{status} body's second line must be 'request id: {rid}' (the access log's); the body is "
                  f"{r.body!r}")
            return r.body

        def hides_details(status, path, name, addr):
            body = error_body(gw, status, path)
            for secret in [name, gw.routes_path, "route:", "127.0.0.1", "refused", "usable",
                           "no response within"] + ([addr] if addr else []):
                check(secret not in body, f"{status} body shows {secret!r} to the client: {body!r}")

        def error_bodies_hide_the_details():
            each("error bodies", (hides_details, 502, "/vault/b", "vault", vault_addr),
                 (hides_details, 503, "/attic/b", "attic", None),
                 (hides_details, 504, "/delay/3000?b", "slow", slow.addrs[0]))

        def error_bodies_show_details_where_configured():
            gd = gateway(name="details", extra='[errors]\nshow_details = [":80"]\n')

            def shows(status, path, wanted):
                body = error_body(gd, status, path)
                for want in wanted:
                    check(want in body, f"{status} on a show_details listener: {want!r} missing from {body!r}")

            each("error bodies", (shows, 502, "/vault/d", ["vault", vault_addr, "connect"]),
                 (shows, 503, "/attic/d", ["attic"]), (shows, 504, "/delay/3000?d", ["slow", slow.addrs[0]]))

        def access_log_names_the_upstream():
            for path, status, upstream in (("/app/log", 200, "app"), ("/vault/log", 502, "vault"),
                                           ("/attic/log", 503, "attic")):
                one_answer(gw.port, request("GET", path, "x.test", "Connection: close\r\n"))
                line = log_line(gw, path)
                expect_eq(line["status"], status, f"{path}'s status in the access log")
                expect_eq(line.get("upstream"), upstream, f"the access log's upstream for {path}: {line}")
                for key in ("migration", "side", "bucket"):
                    check(key not in line, f"no migration applies to {path}, yet the line has {key!r}: {line}")
            expect_eq(log_line(gw, "/attic/log")["upstream_addr"], "", "a 503's upstream_addr (no endpoint)")

        def access_log_names_the_migration_side_and_bucket():
            users = [f"u{n}" for n in range(12)]
            buckets = {u: bucket_of("half way", u) for u in users}
            check({b < 5000 for b in buckets.values()} == {True, False}, f"the users land on both sides: {buckets}")
            cases = [(f"/half/{u}", f"X-User: {u}\r\n", buckets[u]) for u in users]
            cases.append(("/half/nokey", "", bucket_of("half way", "127.0.0.1")))  # no key: the client address
            for path, extra, bucket in cases:
                r = one_answer(gw.port, request("GET", path, "t.test", extra + "Connection: close\r\n"))
                expect_eq(r.status, 200, f"GET {path}")
                side = "new" if bucket < 5000 else "old"
                expect_eq(r.body.split(" ")[0], "iotd" if side == "new" else "app", f"who answered {path}")
                line = log_line(gw, path)
                got = {k: line.get(k) for k in ("upstream", "migration", "side", "bucket")}
                expect_eq(got, {"upstream": "iotd" if side == "new" else "app", "migration": "half way",
                                "side": side, "bucket": bucket}, f"the access log of {path}")

        def absolute_form_with_the_default_port():
            r = one_answer(gw.port, b"GET http://t.test:80/abs-default HTTP/1.1\r\nHost: t.test\r\n"
                                    b"Connection: close\r\n\r\n")
            expect_eq(r.status, 200, "GET http://t.test:80/abs-default with Host: t.test")
            expect_eq(r.body, f"app (app@{app.addrs[0]}) answered GET /abs-default\n", "the origin's answer")

        def https_target_on_a_plain_listener():
            r = one_answer(gw.port, b"GET https://t.test/abs-https HTTP/1.1\r\nHost: t.test\r\n"
                                    b"Connection: close\r\n\r\n")
            expect_eq(r.status, 400, f"GET https://t.test/abs-https on a plain-HTTP listener ({r.body!r})")
            expect_eq(app.heads(b"GET /abs-https"), 0, "requests the origin received for /abs-https")

        h.case("a. 502, 503 and 504 to a keep-alive GET keep the connection", answered_failures_keep_the_connection)
        h.case("a. 404, a redirect and a fixed response to a keep-alive GET keep the connection",
               local_answers_keep_the_connection)
        h.case("a. an answer before the request body was read says Connection: close, and closes",
               unread_bodies_close_and_say_so)
        h.case("b. 502, 503 and 504 bodies give the phrase and the request id, no upstream, address or route",
               error_bodies_hide_the_details)
        h.case("b. a listener in [errors] show_details shows the upstream, its address and the cause",
               error_bodies_show_details_where_configured)
        h.case("d. access log lines name the upstream, even on a 503 without an address",
               access_log_names_the_upstream)
        h.case("d. access log lines under a migration name it, the side and the bucket",
               access_log_names_the_migration_side_and_bucket)
        h.case("e. an absolute-form target with the default port matches a Host without it",
               absolute_form_with_the_default_port)
        h.case("e. an https:// target on a plain-HTTP listener is refused with 400", https_target_on_a_plain_listener)

        flaky = FlakyReplicas()
        gf = h.gateway(FLAKY_ROUTES, name="flaky", upstreams={"flaky": flaky.addrs})

        def retries_skip_an_endpoint_whose_pooled_connection_failed():
            try:
                key = "X-Key: k\r\nConnection: close\r\n"
                first = one_answer(gf.port, request("GET", "/warm/0", "f.test", key))
                expect_eq(first.status, 200, "the warm-up request")
                doomed = int(first.body.strip()[1:])  # the replica this key picks first: "r1\n" -> 1
                # Warm the pool: twelve overlapping requests, each holding its own upstream
                # connection to the doomed replica, which the gateway then keeps idle.
                pool = 12
                answers = []

                def warm(n):
                    answers.append(one_answer(gf.port, request("GET", f"/warm/{n}", "f.test", key)).status)

                threads = [threading.Thread(target=warm, args=(n,)) for n in range(1, pool + 1)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(30)
                expect_eq(answers, [200] * pool, "the warm-up answers")
                # Today a request with this key spends up to three of them on the doomed replica.
                check(flaky.open[doomed] >= pool // 2,
                      f"the gateway holds {flaky.open[doomed]} connections to r{doomed}, fewer than {pool // 2}: "
                      f"the warm-up did not overlap")

                flaky.doom(doomed)
                wait_until(lambda: not socket_accepts(flaky.addrs[doomed]), f"r{doomed} to stop accepting")
                failures = []
                for seq in range(1, 11):
                    r = one_answer(gf.port, request("GET", f"/after/{seq}", "f.test", f"X-Key: k\r\nX-Seq: {seq}\r\n"
                                                                                  "Connection: close\r\n"))
                    hits = flaky.hits(doomed, str(seq))
                    if r.status != 200 or hits > 1:
                        line = log_line(gf, f"/after/{seq}")
                        failures.append(f"request {seq}: {r.status}, the doomed replica r{doomed} received it {hits} "
                                        f"time(s); access log: retries {line['retries']}, upstream_addr "
                                        f"{line['upstream_addr']}")
                check(not failures, "after r%d closed its pooled connections:\n  %s" % (doomed, "\n  ".join(failures)))
                for seq in range(1, 11):
                    line = log_line(gf, f"/after/{seq}")
                    check(line["upstream_addr"] != flaky.addrs[doomed] or line["retries"] == 0,
                          f"request {seq} went back to r{doomed} after a retry: {line}")
            finally:
                flaky.stop()

        h.case("c. a retry never goes back to an endpoint whose pooled connection just failed",
               retries_skip_an_endpoint_whose_pooled_connection_failed)

        def the_upstream_reason_phrase_arrives_whole():
            # The head and the first half of the body in one segment, the rest 50 ms later:
            # the gateway compacts its buffer while it waits, and once sent the reason
            # phrase from the bytes it moved (found by a rollback test: "500 roken").
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(8)
            body = b"x" * 20000

            def serve():
                while True:
                    try:
                        c, _ = listener.accept()
                    except OSError:
                        return
                    with c:
                        buf = b""
                        while True:
                            data = c.recv(65536)
                            if not data:
                                break
                            buf += data
                            while b"\r\n\r\n" in buf:
                                buf = buf.split(b"\r\n\r\n", 1)[1]
                                c.sendall(b"HTTP/1.1 200 Very Custom Reason\r\nContent-Length: 20000\r\n\r\n" + body[:10000])
                                time.sleep(0.05)
                                c.sendall(body[10000:])

            threading.Thread(target=serve, daemon=True).start()
            try:
                gr = one_upstream_gateway(h, "reason", f"127.0.0.1:{listener.getsockname()[1]}", "r.test")
                for i in range(5):
                    ans = raw(gr.port, f"GET /r{i} HTTP/1.1\r\nHost: r.test\r\nConnection: close\r\n\r\n".encode())
                    expect_eq(ans.split(b"\r\n", 1)[0], b"HTTP/1.1 200 Very Custom Reason", f"request {i}: the status line")
                    expect_eq(len(ans.split(b"\r\n\r\n", 1)[1]), 20000, f"request {i}: the body")
            finally:
                listener.close()

        h.case("the upstream's reason phrase arrives whole, though the body comes in pieces",
               the_upstream_reason_phrase_arrives_whole)

        closer = QuietCloser()
        gq = one_upstream_gateway(h, "quiet", closer.addr, "q.test")

        def a_pooled_connection_closed_while_idle():
            try:
                # The origin closes every connection after its answer, without saying so:
                # the gateway pools each one, and finds it closed the next time.
                warm = one_answer(gq.port, request("GET", "/q/warm", "q.test", "Connection: close\r\n"))
                expect_eq(warm.status, 200, "the warm-up request")
                # Idle for longer than the probe threshold: probed, closed, not used.
                time.sleep(0.4)
                r = one_answer(gq.port, request("GET", "/q/later", "q.test", "Connection: close\r\n"))
                expect_eq(r.status, 200, "a request 400 ms later")
                expect_eq(log_line(gq, "/q/later")["retries"], 0,
                          "retries of a request 400 ms later (the dead pooled connection was probed and skipped)")
                # Back at once: taken without a probe, it fails as a stale connection, and
                # the request goes again on a new one.
                for i in range(5):
                    r = one_answer(gq.port, request("GET", f"/q/soon/{i}", "q.test", "Connection: close\r\n"))
                    expect_eq(r.status, 200, f"request {i} sent right after the previous answer")
                    check(log_line(gq, f"/q/soon/{i}")["retries"] <= 1, f"request {i}: {log_line(gq, f'/q/soon/{i}')}")
                expect_eq(closer.requests, 7, "requests the origin answered (each once)")
            finally:
                closer.stop()

        h.case("f. a pooled connection the upstream closed while idle: probed after 100 ms, retried before",
               a_pooled_connection_closed_while_idle)

        pool_origin = h.origin("pool")
        gp = one_upstream_gateway(h, "pool", pool_origin.addrs[0], "p.test")

        def upstream_connections_outlast_a_burst():
            # 40 keep-alive clients in 6 rounds, all of a round's requests sent together and
            # answered after 30 ms: 40 upstream connections are busy, then all idle, then
            # all wanted again. An upstream without `keepalive` must keep them: a pool that
            # keeps fewer idle closes some after every round and opens them again (a
            # connect per request for that share, and sockets left in TIME_WAIT).
            clients, rounds = 40, 6
            failures = []
            start = threading.Barrier(clients)

            def client(i):
                try:
                    with socket.create_connection(("127.0.0.1", gp.port), timeout=10) as s:
                        rest = b""
                        for k in range(rounds):
                            start.wait(30)
                            s.sendall(request("GET", f"/delay/30?c={i}&k={k}", "p.test"))
                            r, rest = read_response(s, rest)
                            if r is None or r.status != 200:
                                failures.append((i, k, r and r.status))
                                return
                except Exception as e:  # noqa: BLE001 - reported below, by client
                    failures.append((i, repr(e)))

            threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            check(not failures, f"requests that failed: {failures[:5]}")
            text = gp.metrics()
            opened = metric(text, 'banyan_upstream_connections_total{upstream="pool",kind="opened"}')
            reused = metric(text, 'banyan_upstream_connections_total{upstream="pool",kind="reused"}')
            check(opened <= clients + 4,
                  f"{opened} upstream connections opened for {clients} clients at once ({reused} reused): "
                  f"the pool closed connections it needed again")
            expect_eq(opened + reused, clients * rounds, "upstream requests")

        h.case("upstream connections outlast a burst: as many kept idle as were busy (no keepalive statement)",
               upstream_connections_outlast_a_burst)


def socket_accepts(addr):
    host, port = addr.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    main()
