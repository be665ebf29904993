#!/usr/bin/env python3
"""Operating the gateway: reloads under load drop nothing (SIGHUP, POST /reload, and a
change of the plan file), a bad plan at reload leaves the old one serving and says
why, a plan file deleted under the gateway leaves the loaded plan serving until it
comes back, SIGTERM drains requests in flight (up to the drain deadline; a second
signal stops at once), DNS names are re-resolved (through the configuration's hosts
file, which the test controls) so new replicas get traffic without a reload, and the
development form `banyan run FILE.routes --listen ... --upstream ...` serves; a second
gateway on a port the first listens on refuses to start, and the admin API takes
changes only from the peers `[admin] write_from` names.

usage: operations_test.py BANYAN BANYAN_ORIGIN
"""
import glob
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

from harness import (WAIT, Harness, check, connectable, expect_eq, find_banyanc, free_port, get, metric, read_one_response,
                     read_until_close, statuses, wait_until)

LOAD_CONNECTIONS = 50
LOAD_MAX_REQUESTS = 200_000  # a bound, whatever the machine's speed


def version_routes(version, app_addr):
    return f"""listen http :80
upstream app {{
  server "{app_addr}"
}}
site "o.test" {{
  route / {{
    to app
    response_header X-Version "{version}"
  }}
}}
"""


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)  # what editors and `banyanc compile` do


class Load:
    """LOAD_CONNECTIONS keep-alive clients, each sending requests back to back."""

    def __init__(self, port):
        self.port = port
        self.stop = threading.Event()
        self.ok = 0
        self.failures = []
        self.versions = set()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.client) for _ in range(LOAD_CONNECTIONS)]

    def client(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self.stop.is_set():
            with self.lock:
                if self.ok + len(self.failures) >= LOAD_MAX_REQUESTS:
                    return
            try:
                conn.request("GET", "/", headers={"Host": "o.test"})
                r = conn.getresponse()
                r.read()
                with self.lock:
                    if r.status == 200:
                        self.ok += 1
                        self.versions.add(r.getheader("X-Version"))
                    else:
                        self.failures.append(f"status {r.status}")
            except Exception as e:  # noqa: BLE001 - every failure counts
                with self.lock:
                    self.failures.append(repr(e))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30)


def main():
    with Harness(sys.argv) as h:
        app = h.origin("app")
        gw = h.gateway(version_routes("v1", app.addrs[0]), workers=2)

        def reload_under_load():
            def answered(n):  # waits until the load has had n more answers (so it runs across each reload)
                start = load.ok + len(load.failures)
                wait_until(lambda: load.ok + len(load.failures) >= start + n, f"{n} more answers under load")

            with Load(gw.port) as load:
                answered(100)
                for i in range(10):
                    version = f"v{i + 2}"
                    write(gw.routes_path, version_routes(version, app.addrs[0]))
                    if i % 2 == 0:
                        gw.signal(signal.SIGHUP)
                    else:
                        expect_eq(gw.admin("/reload", "POST")[0], 200, "POST /reload")
                    time.sleep(0.3)  # pacing only: the reloads spread over the load
                    answered(100)
                wait_until(lambda: "v11" in load.versions, lambda: f"the last plan to serve: {sorted(load.versions)}")
                answered(100)
            expect_eq(load.failures[:5], [], f"failed requests during 10 reloads ({load.ok} ok)")
            check({"v1", "v11"} <= load.versions, f"old and new plans served: {sorted(load.versions)}")
            wait_until(lambda: metric(gw.metrics(), 'banyan_reloads_total{outcome="ok"}') >= 10,
                       "10 reloads counted in /metrics")
            expect_eq(metric(gw.metrics(), 'banyan_reloads_total{outcome="failed"}'), 0, "failed reloads")
            print(f"     {load.ok} requests over 50 connections, 10 reloads, 0 failed", flush=True)

        def idle_workers_sleep():
            # A worker with no connection stops its housekeeping tick (worker.cpp, Worker::quiet):
            # it wakes for a connection, not every 20 ms. Counted by the kernel: each thread's
            # voluntary context switches, by thread name ("banyan" is the main thread).
            def wakes():
                out = {}
                for task in glob.glob(f"/proc/{gw.proc.pid}/task/*"):
                    with open(f"{task}/comm") as f, open(f"{task}/status") as st:
                        out[f.read().strip()] = int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", st.read()).group(1))
                return out

            def workers(counts):
                return {name: n for name, n in counts.items() if name.startswith("banyan-w")}

            # A file beside the plan file written all along (as an access log may be): the
            # plan file's watch is not woken by its writes (made before the quiet time: a
            # name that comes is looked at).
            sibling = os.path.join(os.path.dirname(gw.plan_path), "beside-the-plan.txt")
            with open(sibling, "w") as f:
                f.write("start\n")
            expect_eq(get(gw.url("/"), "-H", "Host: o.test")[0], 200, "a request first")
            time.sleep(1.5)  # its connection closes, the access log is flushed, two trims give the spares back
            before = wakes()
            expect_eq(sorted(workers(before)), ["banyan-w0", "banyan-w1"], "the worker threads, by name")
            for i in range(30):
                with open(sibling, "a") as f:
                    f.write(f"line {i}\n")
                time.sleep(0.1)
            after = wakes()
            woke = {name: after[name] - n for name, n in workers(before).items()}
            check(all(n <= 6 for n in woke.values()), f"idle workers woke {woke} times in 3 s (a 20 ms tick: 150)")
            # The main thread: no poller for DNS names, health checks or migrations this plan
            # does not have (measured before: 10 wakes in 2 s with the health poller ticking), and the
            # plan file watched by inotify, with a poll every 10 s behind it (a poll once a
            # second: 3 wakes; the neighbour's writes seen by the watch: 60, measured).
            main_woke = after["banyan"] - before["banyan"]
            check(main_woke <= 1, f"the idle main thread woke {main_woke} times in 3 s")
            # A connection wakes its worker's tick, which parks it when idle and enforces its
            # idle timeout: an idle keep-alive connection keeps the tick going.
            with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as idle:
                idle.sendall(b"GET / HTTP/1.1\r\nHost: o.test\r\n\r\n")
                expect_eq(read_one_response(idle)[0], 200, "a sleeping worker serves")
                before = workers(wakes())
                time.sleep(1)
                after = wakes()
            woke = sum(after[name] - n for name, n in before.items())
            check(woke >= 20, f"the workers woke {woke} times in 1 s with an idle connection open (want its ticks)")

        def reload_starts_health_checks():
            # A plan without `health` leaves the health poller asleep; a reload that adds a
            # check must wake it: the check finds the server down.
            dead = free_port()
            write(gw.routes_path, version_routes("v1", app.addrs[0]) +
                  f'upstream probed {{\n  server "127.0.0.1:{dead}"\n  health GET /healthz every 1s timeout 500ms fails 1\n}}\n'
                  'site "p.test" {\n  route / {\n    to probed\n  }\n}\n')
            expect_eq(gw.admin("/reload", "POST")[0], 200, "POST /reload with a health check")
            gw.wait_stderr(f"endpoint 127.0.0.1:{dead} is down")
            write(gw.routes_path, version_routes("v1", app.addrs[0]))  # as the next cases expect
            expect_eq(gw.admin("/reload", "POST")[0], 200, "POST /reload back")

        def bad_plan_keeps_the_old_one():
            s, _, _ = get(gw.url("/"), "-H", "Host: o.test")
            expect_eq(s, 200, "serving before")
            serving = get(gw.url("/"), "-H", "Host: o.test")[1]["x-version"]
            write(gw.routes_path, "listen http :80\nupstream app {\n  server \"nope\n}\n")
            s, body = gw.admin("/reload", "POST")
            expect_eq(s, 422, "POST /reload of a broken file")
            check("the routes file has errors" in body and "previous plan keeps serving" in body, f"why: {body}")
            gw.signal(signal.SIGHUP)
            gw.wait_stderr("reload (SIGHUP) refused")  # the refusal is logged
            gw.wait_stderr("reload (the plan file changed) refused")  # and the watch sees the file change too
            s, hd, _ = get(gw.url("/"), "-H", "Host: o.test")
            expect_eq((s, hd["x-version"]), (200, serving), "the old plan still serves")
            # A plan that compiles but does not fit the configuration is refused too.
            write(gw.routes_path, version_routes("v99", app.addrs[0]).replace("listen http :80", "listen http :81"))
            s, body = gw.admin("/reload", "POST")
            check(s == 422 and ":81" in body, f"a listener the configuration does not bind: {s} {body}")
            write(gw.routes_path, version_routes("v12", app.addrs[0]))
            expect_eq(gw.admin("/reload", "POST")[0], 200, "a good plan reloads again")
            expect_eq(get(gw.url("/"), "-H", "Host: o.test")[1]["x-version"], "v12", "the new plan serves")

        def reload_answers_with_the_diff():
            # The routes live in an included file, which the plan-file watch does not poll,
            # so only the admin's requests reload it here.
            body_path = os.path.join(h.dir, "diffbody.routes")
            write(body_path, version_routes("d1", app.addrs[0]))
            g = h.gateway('include "diffbody.routes"\n', name="diffgw")
            expect_eq(version(g), "d1", "serving d1")
            write(body_path, version_routes("d2", app.addrs[0]).replace(
                'site "o.test" {', 'site "o.test" {\n  route = /moved {\n    respond 204\n  }'))
            # By hand: = /moved now answers 204 itself (destination), and / sets another
            # X-Version (policy).
            summary = "changes: 2 changes (1 destination, 1 policy)"
            s, body = g.admin("/reload?dry_run=1", "POST")
            expect_eq(s, 200, f"a dry run of a good file ({body})")
            check(body.startswith("dry run: the plan would load; nothing was swapped") and summary in body,
                  f"the dry run's answer: {body}")
            check('+ response_header X-Version "d2"' in body and "e.g. GET o.test/moved" in body,
                  f"the dry run shows the diff: {body}")
            expect_eq(version(g), "d1", "a dry run swaps nothing")
            s, body = g.admin("/reload", "POST")
            expect_eq(s, 200, "POST /reload")
            check(body.startswith("reloaded: plan 2") and summary in body, f"the reload's answer: {body}")
            g.wait_stderr("reloaded (POST /reload): plan 2 from")
            check("; 2 changes (1 destination, 1 policy)" in g.stderr(), "the reload's log line says what changed")
            expect_eq(version(g), "d2", "the new plan serves")
            write(body_path, "upstream app {\n  server \"x:1\"\n}\nsite \"o.test\" {\n  route / { to nowhere }\n}\n")
            for path, lead in (("/reload?dry_run=1", "dry run: the plan would be refused"),
                               ("/reload", "reload refused; the previous plan keeps serving")):
                s, body = g.admin(path, "POST")
                expect_eq(s, 422, f"POST {path} of a broken file")
                check(body.startswith(lead) and "diffbody.routes:5:" in body and "error[B0301]" in body,
                      f"POST {path} answers with the diagnostics: {body}")
            expect_eq(version(g), "d2", "still serving after the refusals")
            h.stop(g.proc)

        def compiled_plan_reload_is_diffed():
            # A compiled plan carries its routes, so a reload of a plan file says what
            # changes as `banyanc diff` does, not only which route targets moved.
            d = os.path.join(h.dir, "compiled-diff")
            os.makedirs(d)
            routes, plan = os.path.join(d, "app.routes"), os.path.join(d, "app.plan")

            def compile_version(v):
                write(routes, version_routes(v, app.addrs[0]))
                r = subprocess.run([find_banyanc(h.banyan_bin), "compile", routes, "-o", plan + ".tmp"],
                                   capture_output=True, text=True, timeout=WAIT)
                check(r.returncode == 0, f"banyanc compile: {r.stdout} {r.stderr}")
                os.replace(plan + ".tmp", plan)

            compile_version("p1")
            g = h.gateway("", name="plangw", plan=plan)
            expect_eq(version(g), "p1", "serving the compiled p1")
            compile_version("p2")
            g.wait_stderr("reloaded (the plan file changed): plan 2 from")
            check("; 1 change (1 policy)" in g.stderr(), f"the plan file's reload names its change: {g.stderr()}")
            expect_eq(version(g), "p2", "serving the compiled p2")
            s, body = g.admin("/reload?dry_run=1", "POST")
            check(s == 200 and "changes: no change" in body, f"a dry run of the same plan: {s} {body}")
            h.stop(g.proc)

        def banyan_check():
            r = subprocess.run([h.banyan_bin, "check", "--config", gw.config_path], capture_output=True, text=True, timeout=WAIT)
            expect_eq(r.returncode, 0, f"banyan check of the running configuration ({r.stderr})")
            check("are consistent (1 listener(s), 1 upstream(s)" in r.stdout, f"banyan check says what it checked: {r.stdout}")
            bad = os.path.join(h.dir, "check-bad.toml")
            with open(gw.config_path) as f:
                text = f.read()
            write(bad, text.replace('[listen]', '[listen]\n":81" = "127.0.0.1:1"'))
            r = subprocess.run([h.banyan_bin, "check", "--config", bad], capture_output=True, text=True, timeout=WAIT)
            expect_eq(r.returncode, 1, f"a listener the plan lacks ({r.stderr})")
            check("check-bad.toml" in r.stderr and ":81" in r.stderr and "disagree" in r.stderr, f"why: {r.stderr}")
            broken = os.path.join(h.dir, "check-broken.routes")
            write(broken, "site {\n")
            r = subprocess.run([h.banyan_bin, "check", "--config", gw.config_path, broken], capture_output=True, text=True,
                               timeout=WAIT)
            expect_eq(r.returncode, 1, f"a plan given on the command line with errors ({r.stderr})")
            check("check-broken.routes:1:" in r.stderr, f"the routes file's diagnostics: {r.stderr}")
            r = subprocess.run([h.banyan_bin, "check", "--config", os.path.join(h.dir, "none.toml")], capture_output=True,
                               text=True, timeout=WAIT)
            expect_eq(r.returncode, 2, "a configuration that cannot be read")
            r = subprocess.run([h.banyan_bin, "--version"], capture_output=True, text=True, timeout=WAIT)
            check(r.returncode == 0 and re.match(r"^banyan \d+\.\d+\.\d+ \(reads plan format \d+\.\.\d+\)$", r.stdout.strip()),
                  f"banyan --version: {r.stdout!r}")

        def version(g):
            s, hd, _ = get(g.url("/"), "-H", "Host: o.test")
            expect_eq(s, 200, "status")
            return hd["x-version"]

        def watch_reloads_on_change():
            write(gw.routes_path, version_routes("watched", app.addrs[0]))
            wait_until(lambda: version(gw) == "watched", "the plan file's change to be picked up")

        def watched_through_symlinks():
            # A Kubernetes ConfigMap's volume: the file is a symlink through `..data`, a
            # symlink to the current version's directory, and an update swaps `..data` by a
            # rename (the old directory left in place here, so only the swap says anything).
            d = os.path.join(h.dir, "configmap")
            os.makedirs(os.path.join(d, "..v1"))
            with open(os.path.join(d, "..v1", "app.routes"), "w") as f:
                f.write(version_routes("cm1", app.addrs[0]))
            os.symlink("..v1", os.path.join(d, "..data"))
            os.symlink(os.path.join("..data", "app.routes"), os.path.join(d, "app.routes"))
            g = h.gateway("", name="configmap", plan=os.path.join(d, "app.routes"))
            expect_eq(version(g), "cm1", "serving the first version")
            os.makedirs(os.path.join(d, "..v2"))
            with open(os.path.join(d, "..v2", "app.routes"), "w") as f:
                f.write(version_routes("cm2", app.addrs[0]))
            os.symlink("..v2", os.path.join(d, "..data_tmp"))
            os.replace(os.path.join(d, "..data_tmp"), os.path.join(d, "..data"))
            wait_until(lambda: version(g) == "cm2", "the swapped ConfigMap version to be loaded")
            # A symlink to a file in another directory, written there in place (no rename):
            # the file's own watch sees it.
            elsewhere = os.path.join(h.dir, "elsewhere")
            os.makedirs(elsewhere)
            target = os.path.join(elsewhere, "real.routes")
            with open(target, "w") as f:
                f.write(version_routes("far1", app.addrs[0]))
            os.remove(os.path.join(d, "app.routes"))
            os.symlink(target, os.path.join(d, "app.routes"))
            wait_until(lambda: version(g) == "far1", "the relinked file to be loaded")
            with open(target, "r+") as f:  # in place: same inode, same directory entry
                f.write(version_routes("far2", app.addrs[0]))
            wait_until(lambda: version(g) == "far2", "the file written in place to be loaded")
            # Each was seen by inotify, not by the 10 s backstop's poll.
            reloads = re.findall(r"reloaded \(([^)]*)\)", g.stderr())
            expect_eq(reloads, ["the plan file changed"] * 3, "what each reload says it came from")
            h.stop(g.proc)

        def includes_are_watched():
            # A routes file served as it is: the files it includes are watched too, and one
            # it names before it is written is read when it comes.
            d = os.path.join(h.dir, "included")
            os.makedirs(os.path.join(d, "sites"))
            main_routes = os.path.join(d, "main.routes")
            head = version_routes("inc1", app.addrs[0]).split('site "o.test"')[0]
            write(os.path.join(d, "sites", "o.routes"), 'site "o.test"' + version_routes("inc1", app.addrs[0]).split('site "o.test"')[1])
            write(main_routes, head + 'include "sites/o.routes"\n')
            g = h.gateway("", name="includes", plan=main_routes)
            expect_eq(version(g), "inc1", "serving the included site")
            write(os.path.join(d, "sites", "o.routes"), 'site "o.test"' + version_routes("inc2", app.addrs[0]).split('site "o.test"')[1])
            wait_until(lambda: version(g) == "inc2", "the included file's change to be loaded")
            g.wait_stderr(f"reloaded (the included file {os.path.join(d, 'sites', 'o.routes')} changed)")
            # An include of a file not written yet is refused; writing it is the next event.
            write(main_routes, head + 'include "sites/o.routes"\ninclude "late.routes"\n')
            g.wait_stderr("reload (the plan file changed) refused")
            write(os.path.join(d, "late.routes"), 'site "late.test" {\n  route / {\n    respond 200 "late\\n"\n  }\n}\n')
            wait_until(lambda: get(g.url("/"), "-H", "Host: late.test")[0] == 200, "the late include to be read")
            reloads = re.findall(r"reloaded \(([^)]*)\)", g.stderr())
            check(all("periodic" not in r for r in reloads), f"each reload came from inotify: {reloads}")
            h.stop(g.proc)

        def deleted_plan_file():
            g = h.gateway(version_routes("kept", app.addrs[0]), name="deleted")
            os.remove(g.routes_path)
            g.wait_stderr(f"the plan file {g.routes_path} is gone; the loaded plan keeps serving")
            expect_eq(version(g), "kept", "the loaded plan serves without its file")
            g.signal(signal.SIGHUP)
            g.wait_stderr(f"reload (SIGHUP) refused; the previous plan keeps serving: cannot open '{g.routes_path}'")
            expect_eq(version(g), "kept", "after a refused SIGHUP")
            write(g.routes_path, version_routes("back", app.addrs[0]))
            wait_until(lambda: version(g) == "back", "the plan file that came back to be loaded")
            g.wait_stderr("reloaded (the plan file changed)")

        def slow_request(g, path):
            """A request in flight on g, answered slowly by the origin; its result (the
            answer and whether the gateway closed the connection) lands in the dict returned."""
            result = {}
            before = app.heads(f"GET {path} ".encode())

            def run():
                with socket.create_connection(("127.0.0.1", g.port), timeout=5) as c:
                    c.sendall(f"GET {path} HTTP/1.1\r\nHost: o.test\r\nConnection: close\r\n\r\n".encode())
                    result["answer"], result["closed"] = read_until_close(c, WAIT + 5)

            t = threading.Thread(target=run)
            t.start()
            app.wait_heads(f"GET {path} ".encode(), before + 1)  # it is in flight
            return t, result

        def shutdown_drains():
            # The drain deadline (60 s) is far beyond the request in flight (2.5 s): the
            # gateway must exit when that request is done, not at the deadline.
            g2 = h.gateway(version_routes("d", app.addrs[0]), name="drain", extra='[limits]\ndrain_timeout = "60s"\n')
            t, result = slow_request(g2, "/delay/2500")
            idle = socket.create_connection(("127.0.0.1", g2.port), timeout=5)  # an idle keep-alive client
            g2.wait_metric("banyan_connections_open", 2)
            g2.signal(signal.SIGTERM)
            wait_until(lambda: not connectable("127.0.0.1", g2.port), "the draining gateway to refuse new connections")
            got, closed = read_until_close(idle, WAIT)
            idle.close()
            check(closed and got == b"", f"an idle connection is closed without an answer: {got!r}")
            check(t.is_alive(), "the idle connection was closed only after the request in flight ended")
            t.join(WAIT + 10)
            expect_eq(statuses(result.get("answer", b"")), [200], "the request in flight finished")
            expect_eq(g2.wait_exit("draining, with nothing left in flight"), 0, "exit status after draining")
            check("drain deadline passed" not in g2.stderr(),
                  "it exited because the drain was done, not at the deadline")

        def drain_deadline_cuts_what_is_left():
            g = h.gateway(version_routes("d", app.addrs[0]), name="deadline", extra='[limits]\ndrain_timeout = "1s"\n')
            t, result = slow_request(g, "/delay/30000")
            g.signal(signal.SIGTERM)
            expect_eq(g.wait_exit("drain_timeout 1s, a request in flight for 30s"), 0, "exit status")
            check("drain deadline passed with 1 connection(s) open; closing them" in g.stderr(),
                  f"the gateway says why it stopped: {g.stderr()}")
            t.join(WAIT + 10)
            check(result.get("closed"), "the request still in flight was cut")
            expect_eq(result.get("answer"), b"", "the cut request got no answer")

        def second_signal_stops_at_once():
            g = h.gateway(version_routes("d", app.addrs[0]), name="twice", extra='[limits]\ndrain_timeout = "60s"\n')
            t, result = slow_request(g, "/delay/30000")
            g.signal(signal.SIGTERM)
            g.wait_stderr("shutting down (SIGTERM)")
            check(g.proc.poll() is None, "draining: the request in flight (30 s) holds the gateway (drain_timeout 60s)")
            g.signal(signal.SIGTERM)
            expect_eq(g.wait_exit("a second SIGTERM while draining"), 0, "exit status")
            check("stopping now (second signal)" in g.stderr(), f"the gateway says why it stopped: {g.stderr()}")
            t.join(WAIT + 10)
            check(result.get("closed"), "the request still in flight was cut")
            expect_eq(result.get("answer"), b"", "the cut request got no answer")

        def dns_re_resolution():
            port = free_port()
            hosts = os.path.join(h.dir, "hosts")
            write(hosts, "127.0.0.2 app.test\n")
            r2 = h.spawn([h.origin_bin, "--name", "r2", "--listen", f"127.0.0.2:{port}"], "r2.out")
            r3 = h.spawn([h.origin_bin, "--name", "r3", "--listen", f"127.0.0.3:{port}"], "r3.out")
            wait_until(lambda: connectable("127.0.0.2", port) and connectable("127.0.0.3", port),
                       lambda: f"two replicas on 127.0.0.2 and .3 (exit status {r2.poll()}, {r3.poll()})")
            routes = f"""listen http :80
upstream app {{
  server "app.test:{port}"
  resolve every 1s
}}
site "o.test" {{
  route / {{ to app }}
}}
"""
            g3 = h.gateway(routes, name="dns", extra=f'[resolver]\nhosts_file = "{hosts}"\n')

            def who():
                s, hd, body = get(g3.url("/"), "-H", "Host: o.test")
                expect_eq(s, 200, f"status ({body.strip()})")
                return hd["x-served-by"].split("@")[0]

            expect_eq({who() for _ in range(4)}, {"r2"}, "one replica resolved")
            write(hosts, "127.0.0.2 app.test\n127.0.0.3 app.test\n")  # docker-compose --scale app=2
            seen = set()

            def both():
                seen.update(who() for _ in range(4))
                return seen == {"r2", "r3"}

            wait_until(both, lambda: f"the new replica to get traffic without a reload (served by {sorted(seen)})")
            write(hosts, "# app.test is gone\n")

            def problem():
                upstreams = json.loads(g3.admin("/plan")[1])["upstreams"]
                return next(u.get("problem", "") for u in upstreams if u["name"] == "app")

            wait_until(lambda: problem(), "/plan to report the failed lookup")
            check(("does not resolve" in problem() or "resolves to no address" in problem())
                  and "keeping its last 2 address(es)" in problem(),
                  f"/plan says the lookup failed and the last good addresses are kept: {problem()!r}")
            # Round robin over the two kept addresses: every request answered, by both.
            expect_eq(sorted(who() for _ in range(4)), ["r2", "r2", "r3", "r3"], "served from the last good addresses")

        def bad_configuration_exits_2():
            bad = os.path.join(h.dir, "bad.toml")
            write(bad, f'plan = "{gw.routes_path}"\nworker = 2\n[limits]\nheader_timeout = 10\n')
            r = subprocess.run([h.banyan_bin, "run", "--config", bad], capture_output=True, text=True, timeout=20)
            expect_eq(r.returncode, 2, "exit status for a bad configuration")
            check(f"{bad}:2:1: worker: unknown key 'worker'; did you mean 'workers'?" in r.stderr, r.stderr)
            check(f"{bad}:4:18: limits.header_timeout: must be a string" in r.stderr, r.stderr)

        def a_taken_port_is_refused():
            # The workers' sockets use SO_REUSEPORT: unchecked, a second gateway on the same
            # port starts and takes a share of the first one's connections, silently.
            second = h.gateway(version_routes("second", app.addrs[0]), listen={":80": gw.port}, name="gw-second",
                               expect_start=False)
            expect_eq(second.wait_exit("a second gateway on the first one's port"), 1, "its exit status")
            check(f"cannot listen: 127.0.0.1:{gw.port} (:80): address already in use (another process listens there)"
                  in second.stderr(), second.stderr())
            check(not connectable("127.0.0.1", second.admin_port), "the second gateway's admin port stays closed")
            for _ in range(20):  # new connections, each one a fresh pick among the listening sockets
                s, hd, _ = get(gw.url("/"), "-H", "Host: o.test", "-H", "Connection: close")
                expect_eq((s, hd.get("x-version") == "second"), (200, False), "the first gateway answers")

        def admin_changes_only_from_write_from():
            # The default is this machine (every gateway of these tests reloads from
            # 127.0.0.1); here only 127.0.0.2 may change anything, and this machine still reads
            # (read_from's default).
            g = h.gateway(version_routes("w1", app.addrs[0]), name="gw-writers", admin_extra='write_from = ["127.0.0.2"]')
            check("(changes from 127.0.0.2/32; the plan and the migrations shown to 127.0.0.0/8, ::1/128)" in g.stderr(),
                  g.stderr())
            for method, path in (("POST", "/reload"), ("POST", "/cache/purge?zone=z"),
                                 ("POST", "/migrations/m/pause"), ("PUT", "/metrics")):
                s, body = g.admin(path, method)
                expect_eq(s, 403, f"{method} {path} from 127.0.0.1")
                check("127.0.0.1 is not one of them" in body, body)
            # Logged at the 1st, 2nd and 4th refusal (then the 8th, ...), counted at every one.
            g.wait_stderr("admin: refused POST /reload from 127.0.0.1 (not in [admin] write_from; 1 refused so far)")
            g.wait_stderr("admin: refused PUT /metrics from 127.0.0.1 (not in [admin] write_from; 4 refused so far)")
            check("3 refused so far" not in g.stderr(), g.stderr())
            expect_eq(metric(g.metrics(), 'banyan_admin_refused_total{reason="write_from"}'), 4, "refusals counted")
            expect_eq(g.admin("/metrics")[0], 200, "GET /metrics from 127.0.0.1")
            expect_eq(g.admin("/plan")[0], 200, "GET /plan from 127.0.0.1")
            write(g.routes_path, version_routes("w2", app.addrs[0]))
            s, body = g.admin("/reload", "POST", source="127.0.0.2")
            expect_eq(s, 200, f"POST /reload from 127.0.0.2: {body}")
            expect_eq(get(g.url("/"), "-H", "Host: o.test")[1]["x-version"], "w2", "the reload from 127.0.0.2 took")
            s, body = g.admin("/reload", "POST", source="127.0.0.3")
            expect_eq(s, 403, "POST /reload from 127.0.0.3")

        def admin_plan_and_migrations_only_to_read_from():
            # The plan (upstream addresses, every route) and the migrations (excerpts of
            # shadowed responses) are the operators'; /metrics and /healthz anyone's who
            # reaches the admin address, as for a Prometheus on another machine.
            g = h.gateway(version_routes("r1", app.addrs[0]), name="gw-readers", admin_extra='read_from = ["127.0.0.2"]')
            check("the plan and the migrations shown to 127.0.0.2/32)" in g.stderr(), g.stderr())
            for path in ("/plan", "/migrations", "/migrations/m", "/migrations/m/diffs"):
                for method in ("GET", "HEAD"):
                    s, body = g.admin(path, method)
                    expect_eq(s, 403, f"{method} {path} from 127.0.0.1")
                    if method == "GET":
                        check("to the addresses in [admin] read_from only, and 127.0.0.1 is not one of them" in body, body)
                        check(app.addrs[0] not in body and "127.0.0.2" not in body, f"the refusal shows nothing of the plan: {body}")
            expect_eq(metric(g.metrics(), 'banyan_admin_refused_total{reason="read_from"}'), 8, "refusals counted")
            g.wait_stderr("admin: refused GET /plan from 127.0.0.1 (not in [admin] read_from; 1 refused so far)")
            expect_eq(g.admin("/metrics")[0], 200, "GET /metrics from 127.0.0.1")
            expect_eq(g.admin("/healthz")[0], 200, "GET /healthz from 127.0.0.1")
            s, body = g.admin("/plan", source="127.0.0.2")
            expect_eq(s, 200, f"GET /plan from 127.0.0.2: {body}")
            check(app.addrs[0] in body, f"the plan shows the upstream to its readers: {body}")
            expect_eq(g.admin("/migrations", source="127.0.0.2")[0], 200, "GET /migrations from 127.0.0.2")
            # A change is write_from's to allow (loopback by default), not read_from's.
            expect_eq(g.admin("/reload", "POST")[0], 200, "POST /reload from 127.0.0.1")

        def admin_connections_are_capped():
            # kMaxAdminConnections (gateway.h) answered at once; one more is closed as it
            # comes, so a flood of idle admin connections cannot take the process's descriptors.
            cap = 16
            idle = [socket.create_connection(("127.0.0.1", gw.admin_port), timeout=10) for _ in range(cap)]
            try:
                def refused():
                    with socket.create_connection(("127.0.0.1", gw.admin_port), timeout=10) as extra:
                        try:
                            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
                            return extra.recv(100) == b""
                        except (ConnectionResetError, BrokenPipeError):
                            return True

                wait_until(refused, "a connection over the admin's cap to be closed unanswered")
            finally:
                for c in idle:
                    c.close()

            def answers():
                # The gateway learns of the closes asynchronously: until it has, a new
                # connection is still one over the cap and is closed (reset) as it comes.
                try:
                    return gw.admin("/healthz")[0] == 200
                except OSError:
                    return False

            wait_until(answers, "the admin to answer once the idle connections close")
            check(metric(gw.metrics(), 'banyan_admin_refused_total{reason="busy"}') >= 1, "the refusal counted")
            expect_eq(get(gw.url("/"), "-H", "Host: o.test")[0], 200, "the data plane served throughout")

        def development_flags():
            dev = h.origin("dev", replicas=2)
            path = os.path.join(h.dir, "dev.routes")
            write(path, 'listen http :80\nupstream app {\n  server "127.0.0.1:1"\n}\n'
                        'site "o.test" {\n  route / { to app }\n}\n')
            port, admin = free_port(), free_port()
            p = h.spawn([h.banyan_bin, "run", path, "--listen", f":80=127.0.0.1:{port}",
                         "--upstream", f"app={dev.addrs[0]},{dev.addrs[1]}", "--workers", "2",
                         "--admin", f"127.0.0.1:{admin}"], "dev.stderr")

            def stderr():
                with open(os.path.join(h.dir, "dev.stderr"), errors="replace") as f:
                    return f.read()

            def up():
                check(p.poll() is None, f"banyan run with flags exited with {p.poll()}: {stderr()}")
                return connectable("127.0.0.1", port) and connectable("127.0.0.1", admin)

            wait_until(up, lambda: f"banyan run with flags to listen on :{port} and :{admin}: {stderr()}")
            who = set()
            for _ in range(4):
                s, hd, _ = get(f"http://127.0.0.1:{port}/", "-H", "Host: o.test")
                expect_eq(s, 200, "a request through the flags' listener")
                who.add(hd["x-served-by"])
            expect_eq(who, {f"dev@{a}" for a in dev.addrs}, "both --upstream servers serve (round robin)")
            s, _, body = get(f"http://127.0.0.1:{admin}/healthz")
            expect_eq((s, body), (200, "ok\n"), "--admin serves /healthz")
            check("with 2 worker(s)" in stderr(), f"--workers 2: {stderr()}")
            h.stop(p)
            for flags, message in (
                (["--bogus"], "banyan: unknown option '--bogus'"),
                (["--listen"], "banyan: --listen needs a value"),
                (["--listen", ":81=127.0.0.1:1"], "banyan: --listen :81: the plan has no listener ':81'"),
                (["--upstream", "app"], "banyan: --upstream takes NAME=VALUE, not 'app'"),
                (["--upstream", "nope=127.0.0.1:1"], 'upstreams.nope: the plan has no upstream "nope"'),
                (["--workers", "two"], "banyan: --workers takes a number of worker threads, not 'two'"),
                (["--workers", "0"], "workers: must be an integer from 1 to 256, not 0"),
                (["--admin", "nohost"], "admin.address: 'nohost' has no port"),
            ):
                r = subprocess.run([h.banyan_bin, "run", path, *flags], capture_output=True, text=True, timeout=WAIT)
                expect_eq(r.returncode, 2, f"exit status of banyan run FILE {' '.join(flags)} ({r.stderr.strip()})")
                check(message in r.stderr, f"banyan run FILE {' '.join(flags)}: expected {message!r} in:\n{r.stderr}")
            # The flags become TOML: a plan path with a quote, a backslash and a newline
            # in it is written escaped, so the only complaint is the one about --workers.
            odd = os.path.join(h.dir, 'we"ird\\\ndir')
            os.makedirs(odd)
            shutil.copy(path, odd)
            r = subprocess.run([h.banyan_bin, "run", os.path.join(odd, "dev.routes"), "--workers", "0"],
                               capture_output=True, text=True, timeout=WAIT)
            expect_eq(r.returncode, 2, f"exit status with an odd plan path ({r.stderr.strip()})")
            check(r.stderr.strip().endswith("workers: must be an integer from 1 to 256, not 0"),
                  f"an odd plan path is read as the path it is:\n{r.stderr}")

        h.case("a bad configuration: file, line, key; exit 2", bad_configuration_exits_2)
        h.case("a port another process listens on is refused, by address", a_taken_port_is_refused)
        h.case("the admin API takes changes from [admin] write_from only", admin_changes_only_from_write_from)
        h.case("the admin API shows the plan and the migrations to [admin] read_from only", admin_plan_and_migrations_only_to_read_from)
        h.case("admin connections over the cap are closed as they come", admin_connections_are_capped)
        h.case("idle workers sleep until a connection comes", idle_workers_sleep)
        h.case("a reload that adds a health check starts it", reload_starts_health_checks)
        h.case("reload under load drops nothing", reload_under_load)
        h.case("a bad plan at reload keeps the old one", bad_plan_keeps_the_old_one)
        h.case("the plan file is watched", watch_reloads_on_change)
        h.case("POST /reload answers with the diff or the diagnostics; a dry run swaps nothing", reload_answers_with_the_diff)
        h.case("a compiled plan's reload is diffed as its routes", compiled_plan_reload_is_diffed)
        h.case("banyan check: the configuration, its plan and their agreement", banyan_check)
        h.case("the plan file is watched through symlinks (a ConfigMap's swap, a write in place elsewhere)",
               watched_through_symlinks)
        h.case("a routes file's includes are watched, and one written after it is named", includes_are_watched)
        h.case("a deleted plan file: the loaded plan serves until it comes back", deleted_plan_file)
        h.case("SIGTERM drains", shutdown_drains)
        h.case("the drain deadline cuts what is left", drain_deadline_cuts_what_is_left)
        h.case("a second SIGTERM stops at once", second_signal_stops_at_once)
        h.case("DNS names are re-resolved", dns_re_resolution)
        h.case("banyan run FILE with development flags", development_flags)


if __name__ == "__main__":
    main()
