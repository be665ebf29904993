#!/usr/bin/env python3
"""Load balancing through the real gateway, against each algorithm's definition:
smooth weighted round robin, least connections, power of two choices, random,
consistent hashing on a header and a cookie, stateless sticky cookies, backups, and an
endpoint that dies mid-test (retried elsewhere, then skipped).

usage: balance_test.py BANYAN BANYAN_ORIGIN
"""
import re
import sys
import threading
from collections import Counter

from harness import Harness, check, curl, expect_eq, get


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
        }), workers=1)

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

        def least_conn():
            # Two slow requests hold two endpoints; the quick ones must go to the third.
            results = []
            slow = [threading.Thread(target=lambda: results.append(served_by(gw, "/lc/delay/1500")[0])) for _ in range(2)]
            for t in slow:
                t.start()
            import time
            time.sleep(0.4)
            quick = [served_by(gw, "/lc")[0] for _ in range(4)]
            for t in slow:
                t.join()
            check(len(set(results)) == 2, f"the slow ones on two endpoints: {results}")
            free = ({a, b, c} - set(results)).pop()
            expect_eq(quick, [free] * 4, "quick requests go to the endpoint without one in flight")

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
            import time
            p1, p2 = probed.addrs
            out, rc = curl(f"http://{p2}/die")
            expect_eq((rc, out), (0, "bye\n"), "replica p2 dies")
            deadline = time.time() + 5
            down = False
            while time.time() < deadline and not down:  # no proxied request yet: only the probes can tell
                s, text = gw.admin("/metrics")
                down = f'banyan_upstream_endpoint_healthy{{upstream="checked",endpoint="{p2}"}} 0' in text
                time.sleep(0.2)
            check(down, "the health check marks the dead endpoint down")
            check('banyan_upstream_errors_total{upstream="checked",kind="connect"} 0' in text,
                  "no request failed on the way")
            expect_eq({served_by(gw, "/checked")[0] for _ in range(6)}, {p1}, "traffic goes to the live one")
            check(f"endpoint {p2} is down" in gw.stderr(), "the gateway says so")

        h.case("round robin", round_robin)
        h.case("weighted round robin", weighted_round_robin)
        h.case("least connections", least_conn)
        h.case("power of two choices and random", p2c_and_random)
        h.case("consistent hashing on a header and a cookie", consistent_hashing)
        h.case("sticky cookies", sticky_cookies)
        h.case("backups", backups)
        h.case("an endpoint dies mid-test", endpoint_dies_mid_test)
        h.case("active health checks", active_health_checks)


if __name__ == "__main__":
    main()
