#!/usr/bin/env python3
"""Migrations at runtime: a new side that answers 500s is rolled back by its rule within
its window and one evaluation, every request then goes to the old side, and a restart
keeps it rolled back (the [state] dir); an operator pauses, resumes, promotes and rolls
back through `banyan migrations`; GET /migrations and /plan show it.

usage: migrations_test.py BANYAN BANYAN_ORIGIN
"""
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time

from harness import Harness, check, expect_eq, get, metric, wait_until

REQUEST_BOUND = 400  # requests any loop below may send, whatever the machine's speed


class Failing(http.server.BaseHTTPRequestHandler):
    """The new service, broken: every request gets a 500."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = b"new side is broken\n"
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def failing_origin():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def routes(old, new, migrations=True):
    return f"""listen http :80
upstream old {{
  server "{old}"
}}
upstream new {{
  server "{new}"
}}
site "m.test" {{
  route / {{ to old }}
}}
""" + (migrations_text() if migrations else "")


def migrations_text():
    return f"""migration "extract api" {{
  move /api/** from old to new
  shift 100%
  start "2020-01-01T00:00:00Z"
  rollback when error_rate > 5% over 3s
}}
migration "reports" {{
  move /reports/** from old to new
  shift 10% for 1h, 100%
  start "2099-01-01T00:00:00Z"
}}
migration "ongoing" {{
  move /ongoing/** from old to new
  shift 10% for 1d, 100%
  start "{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() - 60))}"
}}
migration "held" {{
  move /held/** from old to new
  shift 5% hold
}}
migration "preview" {{
  move /preview/** from old to new
  shift 10% for 1h, 100%
  start "2099-01-01T00:00:00Z"
  testers header "X-Tester" "qa-7"
}}
"""


def migration(gw, name):
    s, body = gw.admin("/migrations")
    expect_eq(s, 200, "GET /migrations")
    for m in json.loads(body)["migrations"]:
        if m["name"] == name:
            return m
    raise AssertionError(f"{name} not in /migrations: {body}")


def main():
    with Harness(sys.argv) as h:
        old = h.origin("old")
        bad = failing_origin()
        new_addr = f"127.0.0.1:{bad.server_address[1]}"
        state = os.path.join(h.dir, "state")
        os.mkdir(state)
        extra = f'[state]\ndir = "{state}"\n'
        # The migrations arrive by a reload, as a team adds one to a serving gateway: the
        # main thread's migration poller sleeps while the plan has none, and the reload
        # must wake it, or no rollback rule would ever be evaluated (gateway.cpp,
        # wake_pollers).
        gw = h.gateway(routes(old.addrs[0], new_addr, migrations=False), extra=extra)
        with open(gw.routes_path, "w") as f:
            f.write(routes(old.addrs[0], new_addr))
        expect_eq(gw.admin("/reload", "POST")[0], 200, "POST /reload with the migrations")

        def served(path):
            s, hd, _ = get(gw.url(path), "-H", "Host: m.test")
            return s, hd.get("x-served-by", "").split("@")[0]

        def a_failing_new_side_is_rolled_back():
            check("with `rollback`" not in gw.stderr(), f"the gateway no longer says rollback is not built: {gw.stderr()}")
            m = migration(gw, "extract api")
            expect_eq((m["mode"], m["share_basis_points"]), ("running", 10000), "before: everything moved")
            expect_eq((m["state"], m["step"], m["steps"]), ("done", 1, 1), "... at its one step, for good")
            for name, want in (("reports", ("waiting", 0, 2)), ("ongoing", ("shifting", 1, 2)), ("held", ("holding", 1, 1))):
                o = migration(gw, name)
                expect_eq((o["state"], o["step"], o["steps"]), want, f"{name}: its state and step")
            check("next_step" in migration(gw, "ongoing"), "a shifting migration says when its next step begins")
            sent = {"n": 0}

            def rolled_back():
                s, who = served(f"/api/item{sent['n']}")
                sent["n"] += 1
                check(sent["n"] < REQUEST_BOUND, f"still not rolled back after {sent['n']} requests")
                return s == 200 and who == "old"

            # 500s until the rule holds: at least its minimum sample (20), then one evaluation.
            started = time.monotonic()
            wait_until(rolled_back, "the failing new side to be rolled back", timeout=30, interval=0.01)
            took = time.monotonic() - started
            check(sent["n"] >= 20, f"no decision below the minimum sample: rolled back after {sent['n']} requests")
            m = migration(gw, "extract api")
            expect_eq((m["mode"], m["state"], m["share_basis_points"]), ("rolled_back", "rolled_back", 0), "after")
            rule = m["rollback"]
            check(rule["value"] > 0.05 and rule["limit"] == 0.05, f"the values the rule compared: {rule}")
            check("error_rate" in m["reason"] and "> 5.00%" in m["reason"], f"the reason names the rule: {m['reason']}")
            check("rolled back" in gw.stderr(), "the rollback is logged")
            text = gw.metrics()
            for sample in ('banyan_migration_mode{migration="extract api",mode="rolled_back"} 1',
                           'banyan_migration_rollbacks_total{migration="extract api"} 1',
                           'banyan_migration_share_basis_points{migration="extract api"} 0'):
                check(sample in text, f"/metrics has {sample}")
            failed = [l for l in text.splitlines() if l.startswith('banyan_migration_errors_total{migration="extract api",side="new"}')]
            check(failed and int(failed[0].split()[-1]) >= 20, f"the new side's errors are counted: {failed}")
            requests = metric(text, 'banyan_migration_requests_total{migration="extract api",side="new"}')
            expect_eq(metric(text, 'banyan_migration_latency_seconds_count{migration="extract api",side="new"}'),
                      requests, "the new side's latency histogram counts each of its exchanges")
            expect_eq(metric(text, 'banyan_migration_latency_seconds_bucket{migration="extract api",side="new",le="+Inf"}'),
                      requests, "... its +Inf bucket too")
            check(metric(text, 'banyan_migration_latency_seconds_bucket{migration="extract api",side="new",le="0.0001"}')
                  <= requests, "... and its buckets are cumulative")
            line = gw.access_log(at_least=sent["n"], where=lambda l: l["path"].startswith("/api/"))[-1]
            expect_eq((line["side"], line["upstream"]), ("old", "old"), "the access log after the rollback")
            print(f"     rolled back after {sent['n']} requests, {took:.2f}s", flush=True)

        def a_restart_keeps_it_rolled_back():
            gw.signal(signal.SIGTERM)
            gw.wait_exit("SIGTERM")
            check(os.path.exists(os.path.join(state, "migrations.toml")), "the decision is in the state dir")
            g2 = h.gateway(routes(old.addrs[0], new_addr), extra=extra, name="restarted")
            m = migration(g2, "extract api")
            expect_eq(m["mode"], "rolled_back", "after a restart")
            for i in range(5):
                s, hd, _ = get(g2.url(f"/api/after{i}"), "-H", "Host: m.test")
                expect_eq((s, hd.get("x-served-by", "").split("@")[0]), (200, "old"), "served by the old side")
            return g2

        g2 = None

        def an_operator_steers_a_migration():
            nonlocal g2
            g2 = g2 or a_restart_keeps_it_rolled_back()

            def cli(*args):
                r = subprocess.run([h.banyan_bin, "migrations", "--admin", f"127.0.0.1:{g2.admin_port}", *args],
                                   capture_output=True, text=True, timeout=20)
                return r.returncode, r.stdout + r.stderr

            expect_eq(migration(g2, "reports")["share_basis_points"], 0, "reports: not begun yet")
            rc, out = cli("promote", "reports")
            expect_eq(rc, 0, f"promote: {out}")
            expect_eq(migration(g2, "reports")["share_basis_points"], 10000, "promoted: everything moved")
            s, _, _ = get(g2.url("/reports/x"), "-H", "Host: m.test")
            expect_eq(s, 500, "the (failing) new side answers after a promote")
            rc, out = cli("pause", "reports")
            expect_eq((rc, migration(g2, "reports")["mode"]), (0, "paused"), f"pause: {out}")
            expect_eq(migration(g2, "reports")["share_basis_points"], 10000, "paused where it was")
            rc, out = cli("resume", "reports")
            expect_eq((rc, migration(g2, "reports")["share_basis_points"]), (0, 0), f"resumed on its schedule: {out}")
            rc, out = cli("rollback", "reports")
            expect_eq((rc, migration(g2, "reports")["mode"]), (0, "rolled_back"), f"rollback: {out}")
            rc, out = cli("promote", "nope")
            check(rc == 1 and "no migration named" in out, f"an unknown migration: {rc} {out}")
            rc, out = cli("list")
            check(rc == 0 and '"reports"' in out, f"list: {out}")
            rc, out = subprocess.run([h.banyan_bin, "migrations", "--admin", "127.0.0.1:1", "list"],
                                     capture_output=True, text=True, timeout=20).returncode, ""
            expect_eq(rc, 2, "no gateway at the address")
            s, plan = g2.admin("/plan")
            check('"migrations":[' in plan and '"reports"' in plan, f"/plan lists the migrations: {plan[-300:]}")

        def a_stale_answer_counts_against_the_new_side():
            # The route caches with `stale http_5xx`: once the migration moves the path, the
            # new side's 500 is answered with the old side's stored page (STALE, a 200 to
            # the client), and still counts as the new side's error for the rollback rule.
            cached = f"""listen http :80
upstream old {{
  server "{old.addrs[0]}"
}}
upstream new {{
  server "{new_addr}"
}}
cache pages {{
  memory 1MiB
}}
site "m.test" {{
  route / {{
    to old
    cache pages {{
      valid 200 1s
      stale http_5xx
    }}
    response_header X-Cache $upstream_cache_status
  }}
}}
migration "cached api" {{
  move /api/** from old to new
  shift 100%
  start "2099-01-01T00:00:00Z"
}}
"""
            g = h.gateway(cached, name="cached")
            page = "/api/page"
            s, hd, _ = get(g.url(page), "-H", "Host: m.test")
            expect_eq((s, hd.get("x-cache")), (200, "MISS"), "stored from the old side (the migration has not begun)")
            s, body = g.admin("/migrations/cached%20api/promote", "POST")
            expect_eq(s, 200, f"promote: {body}")
            time.sleep(1.3)  # the page's `valid 200 1s` passes
            s, hd, _ = get(g.url(page), "-H", "Host: m.test")
            expect_eq((s, hd.get("x-cache")), (200, "STALE"), "the new side's 500, answered stale")
            text = g.metrics()
            errors = [l for l in text.splitlines()
                      if l.startswith('banyan_migration_errors_total{migration="cached api",side="new"}')]
            check(errors and int(errors[0].split()[-1]) == 1, f"the stale answer is the new side's error: {errors}")

        def testers_reach_the_new_side_at_zero_percent():
            expect_eq(migration(gw, "preview")["share_basis_points"], 0, "the migration has not begun")
            for i in range(3):
                s, _, body = get(gw.url(f"/preview/t{i}"), "-H", "Host: m.test", "-H", "X-Tester: qa-7")
                expect_eq(s, 500, f"a tester reaches the (broken) new side: {body!r}")
            for header in ([], ["-H", "X-Tester: qa-8"], ["-H", "X-Tester-Other: qa-7"]):
                s, hd, _ = get(gw.url("/preview/u"), "-H", "Host: m.test", *header)
                expect_eq((s, hd.get("x-served-by", "").split("@")[0]), (200, "old"), f"not a tester: {header}")
            lines = gw.access_log(at_least=6, where=lambda l: l["path"].startswith("/preview/"))
            sides = sorted((l["side"], l["upstream"]) for l in lines)
            expect_eq(sides, [("old", "old")] * 3 + [("tester", "new")] * 3, "the access log's sides")
            # Testers are not users: the rollback rule's windows do not see them.
            text = gw.metrics()
            new_side = [l for l in text.splitlines()
                        if l.startswith('banyan_migration_requests_total{migration="preview",side="new"}')]
            check(new_side and int(new_side[0].split()[-1]) == 0, f"no tester counted for the new side: {new_side}")

        h.case("a tester's header reaches the new side at 0%, uncounted; others stay", testers_reach_the_new_side_at_zero_percent)
        h.case("a new side that fails is rolled back by its rule", a_failing_new_side_is_rolled_back)
        h.case("a stale answer from the cache still counts as the new side's error", a_stale_answer_counts_against_the_new_side)
        h.case("an operator pauses, resumes, promotes and rolls back; a restart keeps decisions",
               an_operator_steers_a_migration)
        bad.shutdown()


if __name__ == "__main__":
    main()
