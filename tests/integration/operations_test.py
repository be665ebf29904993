#!/usr/bin/env python3
"""Operating the gateway: reloads under load drop nothing (SIGHUP, POST /reload, and a
change of the plan file), a bad plan at reload leaves the old one serving and says
why, SIGTERM drains requests in flight, and DNS names are re-resolved (through the
configuration's hosts file, which the test controls) so new replicas get traffic
without a reload.

usage: operations_test.py BANYAN BANYAN_ORIGIN
"""
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from harness import Harness, check, expect_eq, free_port, get

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
            with Load(gw.port) as load:
                time.sleep(0.5)
                for i in range(10):
                    version = f"v{i + 2}"
                    write(gw.routes_path, version_routes(version, app.addrs[0]))
                    if i % 2 == 0:
                        gw.signal(signal.SIGHUP)
                    else:
                        expect_eq(gw.admin("/reload", "POST")[0], 200, "POST /reload")
                    time.sleep(0.3)
                time.sleep(0.5)
            check(load.ok > 1000, f"the load ran ({load.ok} requests)")
            expect_eq(load.failures[:5], [], f"failed requests during 10 reloads ({load.ok} ok)")
            check({"v1", "v11"} <= load.versions, f"old and new plans served: {sorted(load.versions)}")
            s, text = gw.admin("/metrics")
            check('banyan_reloads_total{outcome="failed"} 0' in text, "no reload failed")
            print(f"     {load.ok} requests over 50 connections, 10 reloads, 0 failed", flush=True)

        def bad_plan_keeps_the_old_one():
            s, _, _ = get(gw.url("/"), "-H", "Host: o.test")
            expect_eq(s, 200, "serving before")
            serving = get(gw.url("/"), "-H", "Host: o.test")[1]["x-version"]
            write(gw.routes_path, "listen http :80\nupstream app {\n  server \"nope\n}\n")
            s, body = gw.admin("/reload", "POST")
            expect_eq(s, 422, "POST /reload of a broken file")
            check("the routes file has errors" in body and "previous plan keeps serving" in body, f"why: {body}")
            gw.signal(signal.SIGHUP)
            time.sleep(2.5)  # and the watch sees the file change too
            s, hd, _ = get(gw.url("/"), "-H", "Host: o.test")
            expect_eq((s, hd["x-version"]), (200, serving), "the old plan still serves")
            check("reload (SIGHUP) refused" in gw.stderr(), "the refusal is logged")
            # A plan that compiles but does not fit the configuration is refused too.
            write(gw.routes_path, version_routes("v99", app.addrs[0]).replace("listen http :80", "listen http :81"))
            s, body = gw.admin("/reload", "POST")
            check(s == 422 and ":81" in body, f"a listener the configuration does not bind: {s} {body}")
            write(gw.routes_path, version_routes("v12", app.addrs[0]))
            expect_eq(gw.admin("/reload", "POST")[0], 200, "a good plan reloads again")
            expect_eq(get(gw.url("/"), "-H", "Host: o.test")[1]["x-version"], "v12", "the new plan serves")

        def watch_reloads_on_change():
            write(gw.routes_path, version_routes("watched", app.addrs[0]))
            for _ in range(60):
                if get(gw.url("/"), "-H", "Host: o.test")[1]["x-version"] == "watched":
                    return
                time.sleep(0.1)
            raise AssertionError("the plan file's change was not picked up within 6 s")

        def shutdown_drains():
            g2 = h.gateway(version_routes("d", app.addrs[0]), name="drain", extra='[limits]\ndrain_timeout = "5s"\n')
            result = {}

            def slow():
                result["answer"] = get(g2.url("/delay/1500"), "-H", "Host: o.test")

            t = threading.Thread(target=slow)
            t.start()
            idle = socket.create_connection(("127.0.0.1", g2.port), timeout=5)  # an idle keep-alive client
            time.sleep(0.4)
            started = time.time()
            g2.signal(signal.SIGTERM)
            time.sleep(0.2)
            try:
                socket.create_connection(("127.0.0.1", g2.port), timeout=1).close()
                refused = False
            except OSError:
                refused = True
            check(refused, "no new connections while draining")
            idle.settimeout(3)
            check(idle.recv(10) == b"", "an idle connection is closed at once")
            t.join(10)
            expect_eq(result["answer"][0], 200, "the request in flight finished")
            g2.proc.wait(10)
            took = time.time() - started
            expect_eq(g2.proc.returncode, 0, "exit status after draining")
            check(took < 4, f"drained in {took:.1f}s")

        def dns_re_resolution():
            port = free_port()
            hosts = os.path.join(h.dir, "hosts")
            write(hosts, "127.0.0.2 app.test\n")
            r2 = h.spawn([h.origin_bin, "--name", "r2", "--listen", f"127.0.0.2:{port}"], "r2.out")
            r3 = h.spawn([h.origin_bin, "--name", "r3", "--listen", f"127.0.0.3:{port}"], "r3.out")
            time.sleep(0.3)
            check(r2.poll() is None and r3.poll() is None, "two replicas on 127.0.0.2 and .3")
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
                return get(g3.url("/"), "-H", "Host: o.test")[1]["x-served-by"].split("@")[0]

            expect_eq({who() for _ in range(4)}, {"r2"}, "one replica resolved")
            write(hosts, "127.0.0.2 app.test\n127.0.0.3 app.test\n")  # docker-compose --scale app=2
            deadline = time.time() + 6
            seen = set()
            while time.time() < deadline and seen != {"r2", "r3"}:
                seen |= {who() for _ in range(4)}
                time.sleep(0.2)
            expect_eq(seen, {"r2", "r3"}, "the new replica gets traffic without a reload")
            write(hosts, "# app.test is gone\n")
            time.sleep(2.5)
            expect_eq(len({who() for _ in range(4)}) > 0, True, "still served from the last good addresses")
            s, plan = g3.admin("/plan")
            check("does not resolve" in plan or "resolves to no address" in plan, f"/plan says why: {plan}")
            check("keeping its last 2 address(es)" in g3.stderr() or "keeping its last 2" in plan,
                  f"the failure keeps the last good set and says so: {plan}")

        def bad_configuration_exits_2():
            bad = os.path.join(h.dir, "bad.toml")
            write(bad, f'plan = "{gw.routes_path}"\nworker = 2\n[limits]\nheader_timeout = 10\n')
            r = subprocess.run([h.banyan_bin, "run", "--config", bad], capture_output=True, text=True, timeout=20)
            expect_eq(r.returncode, 2, "exit status for a bad configuration")
            check(f"{bad}:2:1: worker: unknown key 'worker'; did you mean 'workers'?" in r.stderr, r.stderr)
            check(f"{bad}:4:18: limits.header_timeout: must be a string" in r.stderr, r.stderr)

        h.case("a bad configuration: file, line, key; exit 2", bad_configuration_exits_2)
        h.case("reload under load drops nothing", reload_under_load)
        h.case("a bad plan at reload keeps the old one", bad_plan_keeps_the_old_one)
        h.case("the plan file is watched", watch_reloads_on_change)
        h.case("SIGTERM drains", shutdown_drains)
        h.case("DNS names are re-resolved", dns_re_resolution)


if __name__ == "__main__":
    main()
