#!/usr/bin/env python3
"""Shadow traffic: a copy of each eligible request goes to the migration's new upstream,
the client is always answered by the old side and never waits for the copy, the two
answers are compared (a differing body keeps a sample at GET /migrations/NAME/diffs),
and the budgets hold: a body over the copy budget is not copied, copies over the
in-flight cap are dropped; both are counted. JSON bodies compare by structure with
`json`, and `noise` leaves out what two answers of the old side disagree on (the JSON
origins are small Python servers of this file: each side spells its JSON its own way).

usage: shadow_test.py BANYAN BANYAN_ORIGIN
"""
import http.server
import json
import os
import socket
import sys
import threading
import time

from harness import Harness, check, expect_eq, get, metric, raw, statuses, wait_until

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


class JsonOrigin(http.server.ThreadingHTTPServer):
    """A JSON API, spelled its own way: `pretty` reverses the key order and indents.
    /j/ and /b/ answer {"id": PATH, "v": 1}; /n/ adds "at", a fresh nanosecond clock
    reading (noise: it differs between any two answers), and on the new side /n/diff
    answers v = 2. Counts the requests it gets, by path."""

    daemon_threads = True

    def __init__(self, pretty, changed):
        self.pretty, self.changed, self.seen, self.lock = pretty, changed, {}, threading.Lock()
        super().__init__(("127.0.0.1", 0), JsonHandler)

    def addr(self):
        return f"127.0.0.1:{self.server_address[1]}"


class JsonHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.seen[self.path] = srv.seen.get(self.path, 0) + 1
        doc = {"id": self.path, "v": 2 if srv.changed and self.path.startswith("/n/diff") else 1}
        if self.path.startswith("/n/"):
            doc["at"] = time.monotonic_ns()
        if srv.pretty:
            body = json.dumps(dict(reversed(list(doc.items()))), indent=2)
        else:
            body = json.dumps(doc, separators=(",", ":"))
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def json_origins():
    servers = (JsonOrigin(False, False), JsonOrigin(True, True))
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    return servers


def routes(old, new, hang, jold, jnew):
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
upstream jold {{
  server "{jold}"
}}
upstream jnew {{
  server "{jnew}"
}}
site "s.test" {{
  route / {{ to old }}
  route /j/** {{ to jold }}
  route /b/** {{ to jold }}
  route /n/** {{ to jold }}
}}
migration "as json" {{
  move /j/** from jold to jnew
  shadow 100% compare status, json
}}
migration "as bytes" {{
  move /b/** from jold to jnew
  shadow 100% compare status, body
}}
migration "noisy" {{
  move /n/** from jold to jnew
  shadow 100% compare status, json, noise
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
        jold, jnew = json_origins()
        gw = h.gateway(routes(old.addrs[0], new.addrs[0], f"127.0.0.1:{listener.getsockname()[1]}", jold.addr(),
                              jnew.addr()), log_extra='shadow_diffs = "diffs.jsonl"')

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

        def json_bodies_compare_by_structure():
            for i in range(5):
                for prefix in ("/j/", "/b/"):
                    s, _, body = get(gw.url(f"{prefix}{i}"), "-H", "Host: s.test")
                    expect_eq((s, json.loads(body)), (200, {"id": f"{prefix}{i}", "v": 1}), "the old side's answer")
            wait_until(lambda: shadow_of(gw, "as json")["compared"] == 5 and shadow_of(gw, "as bytes")["compared"] == 5,
                       lambda: f"5 comparisons each: {shadow_of(gw, 'as json')} {shadow_of(gw, 'as bytes')}")
            sj, sb = shadow_of(gw, "as json"), shadow_of(gw, "as bytes")
            expect_eq((sj["matched"], sj["body_mismatches"], sj["not_json"]), (5, 0, 0),
                      "the same JSON in another key order and layout matches with `json`")
            expect_eq((sb["matched"], sb["body_mismatches"]), (0, 5), "... and not byte for byte")
            check("not_json" not in sb, f"not_json is reported only with `json`: {sb}")

        def noise_of_the_old_side_is_left_out():
            for i in range(4):
                expect_eq(get(gw.url(f"/n/same{i}"), "-H", "Host: s.test")[0], 200, "the old side's answer")
            expect_eq(get(gw.url("/n/diff"), "-H", "Host: s.test")[0], 200, "the old side's answer")
            wait_until(lambda: shadow_of(gw, "noisy")["compared"] == 5, lambda: f"5 comparisons: {shadow_of(gw, 'noisy')}")
            sh = shadow_of(gw, "noisy")
            # Every pair differs in "at"; the old side's two answers do too, so it is noise.
            expect_eq((sh["matched"], sh["body_mismatches"], sh["noise"], sh["noise_failed"]), (4, 1, 5, 0),
                      f"only the real change is a mismatch: {sh}")
            expect_eq(sh["noise_fields"], {"$.at": 5}, "the field learned as noise")
            with jold.lock:
                expect_eq((jold.seen.get("/n/same0"), jold.seen.get("/n/diff")), (2, 2),
                          "the old side answers each noisy request twice (the client's, and the second opinion)")
            d = json.loads(gw.admin("/migrations/noisy/diffs")[1])["diffs"][-1]
            expect_eq(d.get("json"), [{"path": "$.v", "old": "1", "new": "2"}], f"the differing field: {d}")
            expect_eq(d.get("noise"), ["$.at"], f"and what was left out: {d}")
            with open(os.path.join(h.dir, "diffs.jsonl")) as f:
                lines = [json.loads(l) for l in f]
            noisy = [l for l in lines if l["migration"] == "noisy"]
            expect_eq(len(noisy), 1, f"[log] shadow_diffs has the mismatch as a JSON line: {lines[-3:]}")
            expect_eq((noisy[0]["request"], noisy[0]["json"]), ("GET s.test/n/diff", d["json"]),
                      "the same sample as /migrations/NAME/diffs")
            expect_eq(len([l for l in lines if l["migration"] == "mirror"]), 10, "... and every other mismatch")
            text = gw.metrics()
            for result, want in (("sent", 5), ("matched", 4), ("body_mismatch", 1), ("noise", 5), ("not_json", 0)):
                expect_eq(metric(text, f'banyan_migration_shadow_total{{migration="noisy",result="{result}"}}'),
                          want, f"/metrics: the shadow's {result}")

        h.case("copies are compared; the client is answered by the old side", copies_are_compared_and_the_client_sees_the_old_side)
        h.case("JSON bodies compare by structure with `json`", json_bodies_compare_by_structure)
        h.case("`noise`: what two answers of the old side disagree on is left out", noise_of_the_old_side_is_left_out)
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

        def a_diffs_file_that_cannot_be_opened_stops_the_start():
            g = h.gateway("listen http :80\nupstream a {\n  server \"127.0.0.1:9\"\n}\nsite \"x\" {\n  route / { to a }\n}\n",
                          name="gw-bad", expect_start=False, log_extra='shadow_diffs = "no-such-dir/diffs.jsonl"')
            expect_eq(g.wait_exit("an unwritable shadow_diffs"), 2, "exit status")
            check("cannot open the shadow diffs file" in g.stderr() and "No such file or directory" in g.stderr(),
                  f"the message: {g.stderr()[-600:]}")

        h.case("a shadow diffs file that cannot be opened stops the start", a_diffs_file_that_cannot_be_opened_stops_the_start)
        listener.close()
        for srv in (jold, jnew):
            srv.shutdown()
        for c in held:
            c.close()


if __name__ == "__main__":
    main()
