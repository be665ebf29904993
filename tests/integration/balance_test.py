#!/usr/bin/env python3
"""Load balancing through the real gateway, against each algorithm's definition:
smooth weighted round robin, least connections, power of two choices, random,
consistent hashing on a header and a cookie, stateless sticky cookies, backups, an
endpoint that dies mid-test (retried elsewhere, then skipped), which requests are retried
after an upstream reset (idempotent ones only), max_conns, and active health checks
taking an endpoint out and bringing it back.

usage: balance_test.py BANYAN BANYAN_ORIGIN
"""
import re
import sys
import threading
from collections import Counter

from harness import Harness, check, curl, expect_eq, get, wait_until


def served_by(gw, path="/", *args):
    s, hd, body = get(gw.url(path), "-H", "Host: b.test", *args)
    expect_eq(s, 200, f"status of {path}")
    return hd["x-served-by"].split("@")[1], hd


def routes(upstreams):
    text = "listen http :80\n"
    for name, body in upstreams.items():
        text += f"upstream {name} {{\n{body}\n}}\n"
    text += 'site "b.test" {\n'
    for name in upstreams:
        text += f"  route /{name} {{\n    to {name}\n    rewrite /**\n  }}\n"
    text += "}\n"
    return text


def servers(addrs, extra=None):
    extra = extra or {}
    return "\n".join(f'  server "{a}"{extra.get(a, "")}' for a in addrs)


def main():
    with Harness(sys.argv) as h:
        m = h.origin("m", replicas=3)
        a, b, c = m.addrs
        spare = h.origin("spare", replicas=3)
        probed = h.origin("probed", replicas=2)
        r1, r2 = h.origin("r1"), h.origin("r2")  # one log each: who received what
        cap = h.origin("cap", replicas=2)
        gw = h.gateway(routes({
            "rr": servers(m.addrs),
            "weighted": servers(m.addrs, {a: " weight 5"}),
            "lc": servers(m.addrs) + "\n  balance least_conn",
            "p2c": servers(m.addrs) + "\n  balance p2c",
            "random": servers(m.addrs) + "\n  balance random",
            "byheader": servers(m.addrs) + '\n  balance hash header "X-User"',
            "bycookie": servers(m.addrs) + '\n  balance hash cookie "session"',
            "pinned": servers(m.addrs) + '\n  sticky cookie "srv" ttl 1h',
            "standby": servers([a]) + f'\n  server "{b}" backup',
            "dying": servers(spare.addrs) + "\n  retries 2",
            "checked": servers(probed.addrs) + "\n  health GET /healthz every 1s timeout 500ms fails 1 passes 1",
            # The same two servers twice: each upstream has its own passive health, so a
            # failure through one does not take an endpoint out of the other.
            "posts": servers(r1.addrs + r2.addrs),
            "gets": servers(r1.addrs + r2.addrs),
            "capped": servers(cap.addrs, {x: " max_conns 1" for x in cap.addrs}),
        }), workers=1,  # one worker: in-flight counts (least_conn, max_conns) are per worker
            extra='[errors]\nshow_details = [":80"]\n')  # the failure cases read the cause in the answer

        def round_robin():
            seq = [served_by(gw, "/rr")[0] for _ in range(9)]
            expect_eq(Counter(seq), Counter({a: 3, b: 3, c: 3}), "each replica 3 of 9")
            expect_eq(seq[3:6], seq[0:3], "the same order every round")
            expect_eq(seq[6:9], seq[0:3], "the same order every round")

        def weighted_round_robin():
            seq = [served_by(gw, "/weighted")[0] for _ in range(14)]
            expect_eq(Counter(seq), Counter({a: 10, b: 2, c: 2}), "weights 5:1:1 over two rounds")
            # Smooth: nginx's sequence for 5,1,1 is a a b a c a a (never b and c together).
            expect_eq(seq[:7], [a, a, b, a, c, a, a], "nginx's smooth order")

        def in_flight(origin, path, n):
            """Starts n requests to `path` (a slow answer of `origin`'s) and waits until the
            origin has received them all: then each holds its endpoint."""
            upstream_line = ("GET /" + path.split("/", 2)[2] + " ").encode()  # the route rewrites /NAME/** to /**
            before = origin.heads(upstream_line)
            results = []
            threads = [threading.Thread(target=lambda: results.append(served_by(gw, path)[0])) for _ in range(n)]
            for t in threads:
                t.start()
            origin.wait_heads(upstream_line, before + n)
            return threads, results

        def still_in_flight(threads, what):
            check(all(t.is_alive() for t in threads),
                  f"a slow request ended before {what} were sent: the test cannot tell what it set out to")

        def least_conn():
            # Two slow requests hold two endpoints; the quick ones must go to the third.
            slow, results = in_flight(m, "/lc/delay/2000", 2)
            quick = [served_by(gw, "/lc")[0] for _ in range(4)]
            still_in_flight(slow, "the quick ones")
            for t in slow:
                t.join()
            check(len(set(results)) == 2, f"the slow ones on two endpoints: {results}")
            free = ({a, b, c} - set(results)).pop()
            expect_eq(quick, [free] * 4, "quick requests go to the endpoint without one in flight")

        def max_conns():
            # Both servers take one connection at a time (max_conns 1). A slow request
            # holds one: round robin would alternate, but every quick request goes to the other.
            x, y = cap.addrs
            slow1, first = in_flight(cap, "/capped/delay/2000", 1)
            quick = [served_by(gw, "/capped")[0] for _ in range(4)]
            still_in_flight(slow1, "the quick ones")
            expect_eq(len(set(quick)), 1, f"quick requests avoid the full server: {quick}")
            # A second slow request takes the other; with both full, the next is refused.
            slow2, second = in_flight(cap, "/capped/delay/2000", 1)
            s, _, body = get(gw.url("/capped"), "-H", "Host: b.test")
            still_in_flight(slow1 + slow2, "the refused one")
            expect_eq(s, 503, "both servers at max_conns")
            check("upstream capped has no usable endpoint" in body, f"the 503 says why: {body!r}")
            for t in slow1 + slow2:
                t.join()
            check(first[0] != quick[0], f"the first slow request ({first}) is not where the quick ones went ({quick})")
            expect_eq(sorted(first + second), sorted([x, y]), "one slow request on each server")
            s, hd, _ = get(gw.url("/capped"), "-H", "Host: b.test")
            expect_eq(s, 200, "served again once they finished")

        def only_idempotent_requests_are_retried_after_a_reset():
            # Both servers reset every connection that asks for /reset, before any response byte.
            s, _, body = get(gw.url("/posts/reset"), "-H", "Host: b.test", "-X", "POST", "--data-binary", "x=1")
            expect_eq(s, 502, "a POST whose upstream resets")
            check("closed the connection before responding" in body, f"the 502 says why: {body!r}")
            posts = (r1.heads(b"POST /reset "), r2.heads(b"POST /reset "))
            expect_eq(sorted(posts), [0, 1], "the POST reached one server, once (it may have been processed)")
            s, _, body = get(gw.url("/gets/reset"), "-H", "Host: b.test")
            expect_eq(s, 502, "a GET that every server resets")
            gets = (r1.heads(b"GET /reset "), r2.heads(b"GET /reset "))
            expect_eq(gets, (1, 1), "the GET was tried again on the other server")
            post = gw.access_log(where=lambda l: l["method"] == "POST" and l["path"] == "/posts/reset")[-1]
            got = gw.access_log(where=lambda l: l["method"] == "GET" and l["path"] == "/gets/reset")[-1]
            expect_eq((post["retries"], got["retries"]), (0, 1), "retries in the access log (POST, GET)")

        def p2c_and_random():
            for path in ("/p2c", "/random"):
                n = Counter(served_by(gw, path)[0] for _ in range(150))
                check(set(n) == {a, b, c} and min(n.values()) >= 25, f"{path} spreads over every endpoint: {n}")

        def consistent_hashing():
            for path, arg in (("/byheader", lambda k: ["-H", f"X-User: user{k}"]),
                              ("/bycookie", lambda k: ["-H", f"Cookie: session=s{k}"])):
                owners = {}
                for k in range(12):
                    got = {served_by(gw, path, *arg(k))[0] for _ in range(4)}
                    expect_eq(len(got), 1, f"{path}: key {k} always on one endpoint")
                    owners[k] = got.pop()
                check(len(set(owners.values())) >= 2, f"{path}: keys spread over endpoints: {owners}")

        def sticky_cookies():
            first, hd = served_by(gw, "/pinned")
            cookie = hd["set-cookie"]
            check(re.fullmatch(r"srv=[0-9a-f]{16}; Path=/; HttpOnly; Max-Age=3600", cookie), f"cookie: {cookie}")
            value = cookie.split(";")[0]
            for _ in range(6):
                who, hd2 = served_by(gw, "/pinned", "-H", f"Cookie: {value}")
                expect_eq(who, first, "the cookie pins the endpoint")
                check("set-cookie" not in hd2, "no new cookie while it is honoured")
            who, hd3 = served_by(gw, "/pinned", "-H", "Cookie: srv=0123456789abcdef")
            check("set-cookie" in hd3, "an unknown value gets a fresh cookie")
            who, hd4 = served_by(gw, "/pinned", "-H", "Cookie: srv=<script>")
            check("set-cookie" in hd4, "a malformed value is ignored")

        def backups():
            seq = {served_by(gw, "/standby")[0] for _ in range(4)}
            expect_eq(seq, {a}, "the backup idles while the primary serves")

        def endpoint_dies_mid_test():
            x, y, z = spare.addrs
            before = Counter(served_by(gw, "/dying")[0] for _ in range(6))
            expect_eq(set(before), {x, y, z}, "all three serve")
            out, rc = curl(f"http://{y}/die")
            expect_eq((rc, out), (0, "bye\n"), "replica y dies")
            after = Counter(served_by(gw, "/dying")[0] for _ in range(30))
            expect_eq(set(after), {x, z}, "every request answered, by the living")
            s, text = gw.admin("/metrics")
            check(f'banyan_upstream_endpoint_healthy{{upstream="dying",endpoint="{y}"}} 0' in text,
                  "the dead endpoint is marked unhealthy")
            check(re.search(r'banyan_upstream_retries_total\{upstream="dying"\} [1-9]', text), "a retry was counted")

        def active_health_checks():
            p1, p2 = probed.addrs
            healthy = f'banyan_upstream_endpoint_healthy{{upstream="checked",endpoint="{p2}"}}'
            out, rc = curl(f"http://{p2}/die")
            expect_eq((rc, out), (0, "bye\n"), "replica p2 dies")
            gw.wait_metric(healthy, 0)  # no proxied request yet: only the probes can tell
            check('banyan_upstream_errors_total{upstream="checked",kind="connect"} 0' in gw.metrics(),
                  "no request failed on the way")
            expect_eq({served_by(gw, "/checked")[0] for _ in range(6)}, {p1}, "traffic goes to the live one")
            check(f"endpoint {p2} is down" in gw.stderr(), "the gateway says so")
            # A new server on p2's address: the probes mark it up again, and it gets traffic.
            h.origin("probed-again", ports=[int(p2.rsplit(":", 1)[1])])
            gw.wait_metric(healthy, 1)
            gw.wait_stderr(f"endpoint {p2} passes its health check again")
            s, plan = gw.admin("/plan")
            check(f'{{"address":"{p2}","weight":1,"backup":false,"healthy":true}}' in plan, f"/plan: {plan}")
            who = {get(gw.url("/checked"), "-H", "Host: b.test")[1]["x-served-by"] for _ in range(6)}
            expect_eq(who, {f"probed@{p1}", f"probed-again@{p2}"}, "both endpoints serve again")

        h.case("round robin", round_robin)
        h.case("weighted round robin", weighted_round_robin)
        h.case("least connections", least_conn)
        h.case("power of two choices and random", p2c_and_random)
        h.case("consistent hashing on a header and a cookie", consistent_hashing)
        h.case("sticky cookies", sticky_cookies)
        h.case("backups", backups)
        h.case("an endpoint dies mid-test", endpoint_dies_mid_test)
        h.case("max_conns", max_conns)
        h.case("after a reset only idempotent requests are retried", only_idempotent_requests_are_retried_after_a_reset)
        h.case("active health checks take an endpoint out and bring it back", active_health_checks)


if __name__ == "__main__":
    main()
