#!/usr/bin/env python3
"""Proxying through the real gateway: host and path routing, rewrite, redirect, fixed
responses, forwarded headers, HEAD, keep-alive and pipelining, streamed bodies both
ways, Expect: 100-continue, body limits, and the 502/503/504 answers.

usage: proxy_test.py BANYAN BANYAN_ORIGIN
"""
import hashlib
import os
import re
import socket
import sys
import time

from harness import (Harness, check, curl, expect_eq, get, metric, raw, read_until_close, slow_download,
                     small_buffer_socket, statuses)

ROUTES = r"""
listen http :80

upstream app {
  server "127.0.0.1:1"
}
upstream iotd {
  server "127.0.0.1:1"
}
upstream dead {
  server "127.0.0.1:1"
  server "127.0.0.1:2"
}
upstream slow {
  server "127.0.0.1:1"
}

site "gallery.test" {
  route = /api/image {
    to iotd
    rewrite /image
    request_header Host $host
    response_header X-Proxy $hostname
    response_header X-Upstream $upstream_addr
  }
  route /users/:id/** {
    to app
    rewrite /v2/:id/**
  }
  route /echo {
    to app
    request_header X-Request-Id $request_id
    request_header X-User $cookie_user
    response_header X-Status $upstream_status
    response_header X-Route $route
  }
  route /old/:page { redirect 301 "https://gallery.test/new/$page" }
  route = /hello { respond 200 "hello $remote_addr\n" }
  route /limited {
    to app
    max_body 1KiB
  }
  route /dead { to dead }
  route /delay {
    to slow
    read_timeout 300ms
  }
  route /ws {
    to app
    rewrite /**
    allow upgrade
  }
  route / {
    to app
    response_header X-Upstream $upstream_addr
  }
}

site "other.test" {
  route / { respond 200 "other site\n" }
}
"""


MIGRATIONS = r"""
listen http :80
upstream app {
  server "127.0.0.1:1"
}
upstream iotd {
  server "127.0.0.1:1"
}
site "m.test" {
  route / { to app }
}
migration "all moved" {
  move /done/** from app to iotd
  shift 100%
  start "2020-01-01T00:00:00Z"
}
migration "half way" {
  move /half/** from app to iotd
  shift 50% hold
  bucket header "X-User"
  start "2020-01-01T00:00:00Z"
}
migration "not yet" {
  move /later/** from app to iotd
  shift 100%
  start "2099-01-01T00:00:00Z"
}
"""

# An upgrade route on a gateway whose idle timeout is far shorter than every other
# timeout (so only the idle timeout can close a silent tunnel).
TUNNEL = r"""
listen http :80
upstream app {
  server "127.0.0.1:1"
}
site "t.test" {
  route /ws {
    to app
    rewrite /**
    allow upgrade
  }
}
"""


def ipv6_routes(upstream_addr):
    return f"""listen http :80
upstream app {{
  server "{upstream_addr}"
}}
site "v6.test" {{
  route = /hello {{ respond 200 "hello $remote_addr\\n" }}
  route / {{ to app }}
}}
"""


def has_ipv6_loopback():
    """Whether ::1 is configured on this machine (the kernel's own list of IPv6 addresses)."""
    try:
        with open("/proc/net/if_inet6") as f:
            return any(line.split()[0] == "0" * 31 + "1" for line in f if line.strip())
    except FileNotFoundError:
        return False


def upgrade(port, path, host):
    """A connection upgraded through the gateway: (socket, the 101's head, bytes after it)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(4096)
        check(b, f"the gateway closed before the 101: {head!r}")
        head += b
    head, _, rest = head.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 101 "), f"101 through the gateway: {head!r}")
    return s, head, rest


def echo(s, msg, rest=b""):
    """Sends msg through a tunnel to the echoing origin and reads it back."""
    s.sendall(msg)
    got = rest
    while len(got) < len(msg):
        b = s.recv(65536)
        check(b, f"the tunnel closed while echoing {msg[:20]!r}")
        got += b
    expect_eq(got, msg, "bytes echoed through the tunnel")


def main():
    with Harness(sys.argv) as h:
        app = h.origin("app")
        iotd = h.origin("iotd")
        slow = h.origin("slow")
        gw = h.gateway(
            ROUTES,
            upstreams={"app": app.addrs, "iotd": iotd.addrs, "dead": ["127.0.0.1:1", "127.0.0.1:2"], "slow": slow.addrs},
            # The error cases below read the cause in the answer: this listener shows it.
            extra='[limits]\nbody = "64MiB"\n[errors]\nshow_details = [":80"]\n',
        )
        host = ["-H", "Host: gallery.test"]

        def routing_by_host_and_path():
            s, hd, body = get(gw.url("/"), *host)
            expect_eq(s, 200, "status of /")
            expect_eq(body, f"app (app@{app.addrs[0]}) answered GET /\n", "body of /")
            expect_eq(hd["x-upstream"], app.addrs[0], "X-Upstream")
            s, _, body = get(gw.url("/"), "-H", "Host: OTHER.test:80")
            expect_eq((s, body), (200, "other site\n"), "another site by Host (any case, with a port)")
            s, _, body = get(gw.url("/"), "-H", "Host: nowhere.test")
            expect_eq(s, 404, "a host no site answers")
            check("no route" in body, f"404 body says why: {body!r}")

        def rewrite_to_iotd():
            s, hd, body = get(gw.url("/api/image"), *host)
            expect_eq((s, body), (200, f"iotd (iotd@{iotd.addrs[0]}) answered GET /image\n"), "/api/image")
            expect_eq(hd["x-upstream"], iotd.addrs[0], "X-Upstream of iotd")
            check(hd["x-proxy"] != "", "X-Proxy carries the gateway's host name")
            s, _, body = get(gw.url("/api/image?size=2"), *host)
            expect_eq(body, f"iotd (iotd@{iotd.addrs[0]}) answered GET /image?size=2\n", "the query survives a rewrite")

        def rewrite_with_captures():
            s, _, body = get(gw.url("/users/7/photos/1"), *host)
            expect_eq(body, f"app (app@{app.addrs[0]}) answered GET /v2/7/photos/1\n", "rewrite /v2/:id/**")
            s, _, body = get(gw.url("/users/7"), *host)
            expect_eq(body, f"app (app@{app.addrs[0]}) answered GET /v2/7\n", "** empty")

        def normalised_path_is_forwarded():
            s, _, body = get(gw.url("/a/./b/../c//d%7e"), "--path-as-is", *host)
            expect_eq(body, f"app (app@{app.addrs[0]}) answered GET /a/c/d~\n", "normalised path upstream")
            s, _, body = get(gw.url("/users/..%2Fadmin"), "--path-as-is", *host)
            expect_eq(s, 400, "an encoded dot-segment is refused")

        def redirect_and_respond():
            s, hd, _ = get(gw.url("/old/about"), *host)
            expect_eq((s, hd.get("location")), (301, "https://gallery.test/new/about"), "redirect with a capture")
            s, _, body = get(gw.url("/hello"), *host)
            expect_eq((s, body), (200, "hello 127.0.0.1\n"), "fixed response with $remote_addr")

        def forwarded_headers():
            out, rc = curl(
                "-i", gw.url("/echo?x=1"), *host, "-H", "Connection: keep-alive, X-Drop", "-H", "X-Drop: secret",
                "-H", "Keep-Alive: timeout=5", "-H", "TE: trailers", "-H", "Proxy-Connection: keep-alive",
                "-H", "X-Forwarded-For: 9.9.9.9", "-H", "X-Forwarded-Host: evil.test", "-H", "X-Keep: 1",
                "-H", "Cookie: user=ann; other=1",
            )
            check(rc == 0, "curl /echo")
            head, _, body = out.replace("\r\n", "\n").partition("\n\n")
            seen = body.lower()
            for gone in ("x-drop", "keep-alive", "\nte:", "proxy-connection", "evil.test"):
                check(gone not in seen, f"{gone!r} must not reach the upstream:\n{body}")
            check("get /echo?x=1 http/1.1" in seen, f"request line upstream: {body}")
            for want in ("x-forwarded-for: 9.9.9.9, 127.0.0.1", "x-forwarded-proto: http",
                         "x-forwarded-host: gallery.test", "via: 1.1 banyan", "x-keep: 1", "host: gallery.test",
                         "x-user: ann"):
                check(want in seen, f"{want!r} upstream:\n{body}")
            check(re.search(r"x-request-id: [0-9a-f]{32}\n", seen), f"$request_id upstream:\n{body}")
            check("x-status: 200" in head.lower(), f"$upstream_status in the response: {head}")
            check("x-route: gallery.test /echo" in head.lower(), f"$route in the response: {head}")

        def head_requests():
            s, hd, body = get(gw.url("/bytes/1000"), "-I", *host)
            expect_eq((s, hd.get("content-length"), body), (200, "1000", ""), "HEAD keeps Content-Length, no body")

        def pipelined_keep_alive():
            reqs = b"".join(
                f"GET /p{i} HTTP/1.1\r\nHost: gallery.test\r\n\r\n".encode() for i in range(5)
            ) + b"GET /last HTTP/1.1\r\nHost: gallery.test\r\nConnection: close\r\n\r\n"
            ans = raw(gw.port, reqs)
            expect_eq(statuses(ans), [200] * 6, "six pipelined answers")
            order = re.findall(rb"answered GET (/\w+)", ans)
            expect_eq(order, [b"/p0", b"/p1", b"/p2", b"/p3", b"/p4", b"/last"], "answered in order")

        def streamed_bodies():
            path = os.path.join(h.dir, "upload.bin")
            with open(path, "wb") as f:
                f.write(os.urandom(3 << 20))
            digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
            for framing in ([], ["-H", "Transfer-Encoding: chunked"]):
                out, rc = curl(gw.url("/upload"), *host, *framing, "--data-binary", f"@{path}")
                check(rc == 0 and f"body-sha256: {digest}" in out, f"upload {framing}: {out[:300]}")
            out, rc = curl(gw.url("/upload"), *host, "-H", "Expect: 100-continue", "--data-binary", f"@{path}",
                           "-w", "%{http_code}")
            check(rc == 0 and f"body-sha256: {digest}" in out, f"upload with Expect: 100-continue: {out[:300]}")
            for q in ("", "?chunked=1"):
                out, rc = curl(gw.url(f"/bytes/50000000{q}"), *host, "-o", "/dev/null", "-w", "%{size_download}")
                expect_eq((rc, out), (0, "50000000"), f"50 MB download{q}")
            # A client that reads slowly: the gateway's writes find its socket full and go
            # on where they stopped.
            with small_buffer_socket(gw.port) as s:
                slow_download(s, "gallery.test", 8 << 20)

        def body_limits():
            big = b"x" * 2048
            out, rc = curl("-i", gw.url("/limited"), *host, "--data-binary", "@-", data=big)
            check(out.startswith("HTTP/1.1 413"), f"Content-Length over max_body: {out[:200]}")
            out, rc = curl("-i", gw.url("/limited"), *host, "-H", "Transfer-Encoding: chunked", "--data-binary", "@-",
                           data=big)
            check(out.startswith("HTTP/1.1 413"), f"chunked over max_body: {out[:200]}")
            out, rc = curl("-i", gw.url("/limited"), *host, "--data-binary", "@-", data=b"x" * 100)
            check(out.startswith("HTTP/1.1 200"), f"under max_body: {out[:200]}")

        def upstream_errors():
            s, _, body = get(gw.url("/dead"), *host)
            expect_eq(s, 502, "every endpoint refuses")
            check("upstream dead" in body and "connect" in body and "/dead" in body, f"502 names the cause: {body!r}")
            s, _, body = get(gw.url("/dead"), *host)
            expect_eq(s, 503, "both endpoints cool down after failing")
            check("no usable endpoint" in body, f"503 body: {body!r}")
            s, _, body = get(gw.url("/delay/3000"), *host)
            expect_eq(s, 504, "read_timeout 300ms")
            check("gateway timeout" in body, f"504 body: {body!r}")
            s, _, _ = get(gw.url("/delay/10"), *host)
            expect_eq(s, 200, "a one-endpoint upstream is never taken out (as nginx)")

        def upgrade_where_a_route_opts_in():
            s, head, rest = upgrade(gw.port, "/ws/upgrade", "gallery.test")
            with s:
                check(b"Upgrade: websocket" in head, f"Upgrade in the 101: {head!r}")
                echo(s, b"ping", rest)
                echo(s, b"x" * 100000)
            # A route that does not opt in, and h2c anywhere: the origin sees no Upgrade (and answers 426).
            for path, up in (("/upgrade", "websocket"), ("/ws/upgrade", "h2c")):
                s, _, body = get(gw.url(path), *host, "-H", "Connection: Upgrade", "-H", f"Upgrade: {up}")
                expect_eq(s, 426, f"{path} with Upgrade: {up} is not upgraded")

        def metrics_and_plan():
            s, text = gw.admin("/metrics")
            expect_eq(s, 200, "/metrics")
            check('banyan_route_responses_total{route="gallery.test /",class="2xx"}' in text, "route counter")
            check('banyan_upstream_errors_total{upstream="dead",kind="connect"}' in text, "upstream errors")
            check(re.search(r'banyan_upstream_endpoint_healthy\{upstream="dead",endpoint="127.0.0.1:1"\} 0', text),
                  "endpoint health")
            s, text = gw.admin("/plan")
            check(s == 200 and '"name":"app"' in text and app.addrs[0] in text, f"/plan: {text[:300]}")
            expect_eq(gw.admin("/healthz"), (200, "ok\n"), "/healthz")

        def access_log_lines():
            one = gw.access_log(at_least=1, where=lambda l: l["path"] == "/api/image")[0]
            for key in ("time", "request_id", "method", "host", "path", "status", "bytes_out", "duration_us", "route",
                        "upstream_addr", "retries"):
                check(key in one, f"access log line has {key}: {one}")
            expect_eq((one["status"], one["upstream_addr"], one["route"]), (200, iotd.addrs[0], "gallery.test /api/image"),
                      "access log values")

        def accept_waits_for_the_first_bytes():
            # TCP_DEFER_ACCEPT (worker.h, kDeferAccept): the kernel hands a connection over
            # when its first bytes arrive, so a client that has connected and sent nothing
            # is not accepted yet (for about a second); its request is served at once.
            def accepted():
                return metric(gw.metrics(), "banyan_connections_accepted_total")

            before = accepted()
            with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as quiet:
                time.sleep(0.5)  # an accept without the option takes milliseconds
                expect_eq(accepted(), before, "connections accepted while the client has sent nothing")
                quiet.sendall(b"GET / HTTP/1.1\r\nHost: gallery.test\r\nConnection: close\r\n\r\n")
                check(read_until_close(quiet, 10)[0].startswith(b"HTTP/1.1 200 "), "its request, once sent, is served")
            expect_eq(accepted(), before + 1, "connections accepted after it spoke")

        h.case("routing by host and path", routing_by_host_and_path)
        h.case("a connection is accepted when its first bytes arrive", accept_waits_for_the_first_bytes)
        h.case("rewrite to iotd", rewrite_to_iotd)
        h.case("rewrite with captures", rewrite_with_captures)
        h.case("the normalised path is forwarded", normalised_path_is_forwarded)
        h.case("redirect and fixed responses", redirect_and_respond)
        h.case("forwarded headers", forwarded_headers)
        h.case("HEAD", head_requests)
        h.case("pipelined keep-alive requests", pipelined_keep_alive)
        h.case("streamed bodies", streamed_bodies)
        h.case("body limits", body_limits)
        h.case("upstream errors", upstream_errors)
        h.case("Upgrade where a route opts in", upgrade_where_a_route_opts_in)
        h.case("metrics, plan, healthz", metrics_and_plan)
        h.case("access log", access_log_lines)

        mg = h.gateway(MIGRATIONS, name="migrations", upstreams={"app": app.addrs, "iotd": iotd.addrs})

        def migration_splits():
            def side(path, *args):
                return get(mg.url(path), "-H", "Host: m.test", *args)[2].split(" ")[0]

            expect_eq({side("/done/1") for _ in range(3)}, {"iotd"}, "a finished shift sends everything to the new side")
            expect_eq({side("/later/1") for _ in range(3)}, {"app"}, "before start, everything stays")
            expect_eq(side("/other"), "app", "paths the migration does not move")
            sides = {}
            for user in range(40):
                got = {side("/half/x", "-H", f"X-User: u{user}") for _ in range(2)}
                expect_eq(len(got), 1, f"user u{user} stays on one side")
                sides[user] = got.pop()
            moved = sum(1 for v in sides.values() if v == "iotd")
            check(8 <= moved <= 32, f"about half of 40 users moved at 50%: {moved}")

        h.case("migration traffic split", migration_splits)

        tg = h.gateway(TUNNEL, name="tunnel", upstreams={"app": app.addrs},
                       extra='[limits]\nidle_timeout = "1s"\nheader_timeout = "30s"\nbody_timeout = "30s"\n')

        def silent_tunnel_closes_at_the_idle_timeout():
            s, _, rest = upgrade(tg.port, "/ws/upgrade", "t.test")
            with s:
                # Traffic keeps it open: 2.5 s of messages 0.3 s apart, well past the 1 s idle timeout.
                echo(s, b"first", rest)
                started = time.monotonic()
                n = 0
                while time.monotonic() - started < 2.5:
                    time.sleep(0.3)  # the traffic's pace, under test: a gap shorter than the idle timeout
                    n += 1
                    echo(s, f"message {n}".encode())
                # Silence: the gateway closes the tunnel. Its other timeouts (header, body,
                # the upstream's read timeout) are 30 s or more, so within the wait only
                # the idle timeout (1 s) can be the cause.
                got, closed = read_until_close(s, 15)
            check(closed, "the gateway did not close a silent tunnel within 15 s (idle_timeout is 1 s)")
            expect_eq(got, b"", "nothing arrives on a silent tunnel")
            line = tg.access_log(where=lambda l: l["path"] == "/ws/upgrade")[-1]
            expect_eq(line["status"], 101, "the tunnel's access log line")

        h.case("a silent Upgrade tunnel is closed at the idle timeout", silent_tunnel_closes_at_the_idle_timeout)

        def ipv6_end_to_end():
            check(has_ipv6_loopback(),
                  "this machine has no IPv6 loopback address (::1 is not in /proc/net/if_inet6): the IPv6 test "
                  "cannot run, and that is a failure, not a pass")
            v6 = h.origin("v6", host="::1")
            check(v6.addrs[0].startswith("[::1]:"), f"the origin listens on [::1]: {v6.addrs}")
            g6 = h.gateway(ipv6_routes(v6.addrs[0]), name="v6", host="::1")
            s, hd, body = get(g6.url("/echo"), "-g", "-H", "Host: v6.test")
            expect_eq(s, 200, f"GET http://{g6.netloc}/echo")
            expect_eq(hd.get("x-served-by"), f"v6@{v6.addrs[0]}", "the IPv6 upstream answered")
            check("x-forwarded-for: ::1\n" in body.lower(), f"the IPv6 client address upstream:\n{body}")
            s, _, body = get(g6.url("/hello"), "-g", "-H", "Host: v6.test")
            expect_eq((s, body), (200, "hello ::1\n"), "$remote_addr of an IPv6 client")
            line = g6.access_log(where=lambda l: l["path"] == "/echo")[-1]
            expect_eq((line["client"], line["upstream_addr"]), ("::1", v6.addrs[0]),
                      f"the access log's addresses: {line}")

        h.case("IPv6 end to end", ipv6_end_to_end)


if __name__ == "__main__":
    main()
