#!/usr/bin/env python3
"""Shadow traffic: a copy of each eligible request goes to the migration's new upstream,
the client is always answered by the old side and never waits for the copy, the two
answers are compared (a differing body keeps a sample at GET /migrations/NAME/diffs),
and the budgets hold: a body over the copy budget is not copied, copies over the
in-flight cap are dropped; both are counted.

usage: shadow_test.py BANYAN BANYAN_ORIGIN
"""
import json
import socket
import sys
import threading
import time

from harness import Harness, check, expect_eq, get, raw, statuses, wait_until

IN_FLIGHT_CAP = 64  # kShadowsInFlight


def hanging_upstream():
    """Accepts, reads, never answers: a new side that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    held = []

    def serve():
        while True:
            try:
                c, _ = listener.accept()
            except OSError:
                return
            held.append(c)  # kept open, never answered

    threading.Thread(target=serve, daemon=True).start()
    return listener, held


def routes(old, new, hang):
    return f"""listen http :80
upstream old {{
  server "{old}"
}}
upstream new {{
  server "{new}"
}}
upstream hang {{
  server "{hang}"
  read_timeout 30s
}}
upstream late {{
  server "{hang}"
  read_timeout 1s
}}
site "s.test" {{
  route / {{ to old }}
}}
migration "mirror" {{
  move /api/** from old to new
  shadow 100% compare status, body
  allow unsafe_methods
}}
migration "stuck" {{
  move /slow/** from old to hang
  shadow 100% compare status
}}
migration "late" {{
  move /late/** from old to late
  shadow 100% compare status
}}
migration "quiet" {{
  move /c/** from old to new
  shadow 100% compare status, headers ignore "x-count"
}}
"""


def shadow_of(gw, name):
    s, body = gw.admin("/migrations")
    expect_eq(s, 200, "GET /migrations")
    for m in json.loads(body)["migrations"]:
        if m["name"] == name:
            return m["shadow"]
    raise AssertionError(f"{name} not in {body}")


def main():
    with Harness(sys.argv) as h:
        old = h.origin("old")
        new = h.origin("new")
        listener, held = hanging_upstream()
        gw = h.gateway(routes(old.addrs[0], new.addrs[0], f"127.0.0.1:{listener.getsockname()[1]}"))

        def copies_are_compared_and_the_client_sees_the_old_side():
            check("with `shadow`" not in gw.stderr(), f"the gateway no longer says shadow is not built: {gw.stderr()}")
            for i in range(10):
                s, hd, body = get(gw.url(f"/api/item{i}"), "-H", "Host: s.test")
                expect_eq((s, hd.get("x-served-by", "").split("@")[0]), (200, "old"), "the client's answer")
            new.wait_heads(b"GET /api/item", 10)  # every copy reached the new side
            wait_until(lambda: shadow_of(gw, "mirror")["compared"] == 10, lambda: f"10 comparisons: {shadow_of(gw, 'mirror')}")
            sh = shadow_of(gw, "mirror")
            # The bodies name their replica ("old (old@...) answered ..."): they differ; statuses do not.
            expect_eq((sh["sent"], sh["body_mismatches"], sh["status_mismatches"], sh["matched"]), (10, 10, 0, 0),
                      "counts")
            s, text = gw.admin("/migrations/mirror/diffs")
            expect_eq(s, 200, "GET /migrations/mirror/diffs")
            diffs = json.loads(text)["diffs"]
            check(len(diffs) == 10, f"a sample per mismatch: {len(diffs)}")
            d = diffs[-1]
            expect_eq(d["status"], [200, 200], "both statuses")
            check(d["request"].startswith("GET s.test/api/item"), f"the request line: {d}")
            expect_eq(d["body"]["first_difference"], 0, "where the bodies part ('old' / 'new')")
            check(d["body"]["old"].startswith("old (") and d["body"]["new"].startswith("new ("), f"excerpts: {d}")
            expect_eq(gw.admin("/migrations/nope/diffs")[0], 404, "an unknown migration")

        def a_body_over_the_budget_is_not_copied():
            before = shadow_of(gw, "mirror")
            big = b"x" * (64 * 1024 + 1)
            ans = raw(gw.port, b"POST /api/upload HTTP/1.1\r\nHost: s.test\r\nConnection: close\r\nContent-Length: "
                      + str(len(big)).encode() + b"\r\n\r\n" + big)
            expect_eq(statuses(ans), [200], "the POST itself")
            small = b"y" * 100
            ans = raw(gw.port, b"POST /api/upload HTTP/1.1\r\nHost: s.test\r\nConnection: close\r\nContent-Length: 100\r\n\r\n"
                      + small)
            expect_eq(statuses(ans), [200], "a small POST")
            wait_until(lambda: shadow_of(gw, "mirror")["sent"] == before["sent"] + 1, "the small POST's copy")
            after = shadow_of(gw, "mirror")
            expect_eq(after["skipped_body"], before["skipped_body"] + 1, "the big body is counted, not copied")

        def a_hanging_new_side_never_holds_the_client():
            sent = IN_FLIGHT_CAP + 6
            for i in range(sent):
                s, hd, _ = get(gw.url(f"/slow/{i}"), "-H", "Host: s.test")
                expect_eq((s, hd.get("x-served-by", "").split("@")[0]), (200, "old"), f"request {i} answered by old")
            sh = shadow_of(gw, "stuck")
            # Every client was answered while the copies hung: none of them was compared yet.
            expect_eq(sh["compared"], 0, "no copy has come back")
            expect_eq((sh["sent"], sh["dropped"]), (IN_FLIGHT_CAP, sent - IN_FLIGHT_CAP),
                      f"copies over the in-flight cap are dropped and counted: {sh}")

        def a_copy_that_times_out_is_counted_as_failed():
            for i in range(3):
                expect_eq(get(gw.url(f"/late/{i}"), "-H", "Host: s.test")[0], 200, "answered by old")
            wait_until(lambda: shadow_of(gw, "late")["failed"] == 3, lambda: f"3 copies time out after 1s: "
                       f"{shadow_of(gw, 'late')}")

        def headers_named_by_ignore_are_left_out():
            # The origin's /c answers carry X-Count, the process's count of /c answers: one
            # request straight to the old side puts its count one ahead of the new side's.
            s, hd, _ = get(f"http://{old.addrs[0]}/c/warm")
            expect_eq(s, 200, "the old side, directly")
            counts = set()
            for i in range(5):
                s, hd, _ = get(gw.url(f"/c/q{i}?body=same"), "-H", "Host: s.test")
                expect_eq(s, 200, "the client's answer")
                counts.add(hd.get("x-count"))
            new.wait_heads(b"GET /c/q", 5)
            wait_until(lambda: shadow_of(gw, "quiet")["compared"] == 5, lambda: f"5 comparisons: {shadow_of(gw, 'quiet')}")
            sh = shadow_of(gw, "quiet")
            expect_eq(counts, {"2", "3", "4", "5", "6"}, "the old side's X-Count (the new side's runs 1 to 5)")
            expect_eq((sh["header_mismatches"], sh["status_mismatches"], sh["matched"]), (0, 0, 5),
                      "X-Count differs on every pair, and `ignore` leaves it out")

        h.case("copies are compared; the client is answered by the old side", copies_are_compared_and_the_client_sees_the_old_side)
        h.case("headers named by `ignore` are left out of the comparison", headers_named_by_ignore_are_left_out)
        h.case("a body over the copy budget is counted, not copied", a_body_over_the_budget_is_not_copied)
        h.case("a copy that times out is counted as failed", a_copy_that_times_out_is_counted_as_failed)
        h.case("a hanging new side never holds the client; the in-flight cap drops copies",
               a_hanging_new_side_never_holds_the_client)

        def the_gateway_stops_cleanly_with_copies_in_flight():
            gw.signal(__import__("signal").SIGTERM)
            expect_eq(gw.wait_exit("SIGTERM with hanging copies"), 0, "exit status")
            check("Sanitizer" not in gw.stderr(), f"no sanitizer report: {gw.stderr()[-2000:]}")

        h.case("the gateway stops cleanly with copies in flight", the_gateway_stops_cleanly_with_copies_in_flight)
        listener.close()
        for c in held:
            c.close()


if __name__ == "__main__":
    main()
