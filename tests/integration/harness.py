"""The integration tests' harness: real processes on 127.0.0.1.

A test starts banyan-origin replicas (ports from their --port-file), writes a routes
file and a gateway.toml into a temporary directory, starts the real `banyan` binary,
and talks to it with curl or raw sockets. Everything is bounded: every network call
has a timeout, every process is stopped when the test ends (even when it fails).

usage in a test:  with Harness(sys.argv) as h: ...
argv: BANYAN BANYAN_ORIGIN
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

CURL_TIMEOUT = "10"


class TestFailure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def expect_eq(got, want, what):
    if got != want:
        raise TestFailure(f"{what}: expected {want!r}, got {got!r}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Origin:
    def __init__(self, h, name, replicas):
        self.h = h
        d = h.dir
        self.port_file = os.path.join(d, f"{name}.ports")
        self.log = os.path.join(d, f"{name}.log")
        args = [h.origin_bin, "--name", name, "--port-file", self.port_file, "--log", self.log]
        for _ in range(replicas):
            args += ["--listen", "127.0.0.1:0"]
        self.proc = h.spawn(args, f"{name}.out")
        for _ in range(200):
            if os.path.exists(self.port_file) and os.path.getsize(self.port_file) > 0:
                break
            time.sleep(0.025)
        with open(self.port_file) as f:
            self.ports = [int(p) for p in f.read().split()]
        check(len(self.ports) == replicas, f"origin {name} did not bind {replicas} ports")
        self.addrs = [f"127.0.0.1:{p}" for p in self.ports]

    def logged(self):
        try:
            with open(self.log, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""


class Gateway:
    def __init__(self, h, routes, listen=None, upstreams=None, extra="", workers=1, name="gw", expect_start=True):
        self.h = h
        self.name = name
        self.dir = h.dir
        self.routes_path = os.path.join(h.dir, f"{name}.routes")
        with open(self.routes_path, "w") as f:
            f.write(routes)
        self.port = free_port()
        self.admin_port = free_port()
        self.log_path = os.path.join(h.dir, f"{name}.access.log")
        listen = listen or {":80": self.port}
        self.ports = dict(listen)
        self.port = next(iter(listen.values()))  # the one url() and readiness use
        toml = [f'plan = "{self.routes_path}"', f"workers = {workers}", "[listen]"]
        toml += [f'"{k}" = "127.0.0.1:{v}"' for k, v in listen.items()]
        toml += ["[admin]", f'address = "127.0.0.1:{self.admin_port}"']
        toml += ["[log]", f'destination = "{self.log_path}"']
        for up, servers in (upstreams or {}).items():
            toml += [f"[upstreams.{up}]", "servers = [" + ", ".join(f'"{s}"' for s in servers) + "]"]
        self.config_path = os.path.join(h.dir, f"{name}.toml")
        with open(self.config_path, "w") as f:
            f.write("\n".join(toml) + "\n" + extra)
        self.stderr_path = os.path.join(h.dir, f"{name}.stderr")
        self.proc = h.spawn([h.banyan_bin, "run", "--config", self.config_path], f"{name}.stderr")
        if expect_start:
            self.wait_ready()

    def wait_ready(self):
        for _ in range(400):
            if self.proc.poll() is not None:
                raise TestFailure(f"banyan exited with {self.proc.returncode}: {self.stderr()}")
            try:
                with socket.create_connection(("127.0.0.1", self.admin_port), timeout=1):
                    pass
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.025)
        raise TestFailure("banyan did not come up: " + self.stderr())

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def admin(self, path, method="GET"):
        req = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}{path}", method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def access_log(self):
        time.sleep(0.3)  # the workers flush every 200 ms
        with open(self.log_path) as f:
            return [json.loads(line) for line in f]  # every line one JSON object, nothing else

    def signal(self, sig):
        self.proc.send_signal(sig)


class Harness:
    def __init__(self, argv):
        self.banyan_bin, self.origin_bin = argv[1], argv[2]
        self.procs = []
        self.failures = 0
        self.tmp = tempfile.TemporaryDirectory(prefix="banyan-it-")
        self.dir = self.tmp.name

    def spawn(self, args, out_name):
        out = open(os.path.join(self.dir, out_name), "wb")
        p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        return p

    def origin(self, name, replicas=1):
        return Origin(self, name, replicas)

    def gateway(self, routes, **kw):
        return Gateway(self, routes, **kw)

    def stop(self, p, sig=signal.SIGTERM, timeout=10):
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    def case(self, name, fn):
        """Runs one case; a failure is reported and counted, and the next case runs."""
        t = time.time()
        try:
            fn()
            print(f"ok   {name} ({time.time() - t:.2f}s)", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported by name
            self.failures += 1
            print(f"FAIL {name}: {e}", flush=True)
            if not isinstance(e, TestFailure):
                traceback.print_exc()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            self.stop(p)
        if self.failures or exc[0]:
            # Leave the evidence in the output: each process's log tail.
            for name in sorted(os.listdir(self.dir)):
                if name.endswith((".stderr", ".out")):
                    with open(os.path.join(self.dir, name), errors="replace") as f:
                        tail = f.read()[-3000:]
                    print(f"--- {name} ---\n{tail}")
        self.tmp.cleanup()
        if self.failures:
            print(f"{self.failures} case(s) failed")
            sys.exit(1)
        return False


def curl(*args, data=None):
    """curl's output (headers with -i) as text; never waits more than CURL_TIMEOUT."""
    r = subprocess.run(["curl", "-s", "--max-time", CURL_TIMEOUT, *args], capture_output=True, input=data)
    return r.stdout.decode(errors="replace"), r.returncode


def get(url, *args):
    """(status, headers dict lower-case, body) of one request with curl."""
    out, rc = curl("-i", *args, url)
    check(rc == 0, f"curl {url} exited {rc}")
    return parse_response(out)


def parse_response(text):
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    # Interim responses (100 Continue) come first: skip them.
    while head.startswith("HTTP/1.1 1"):
        head, _, body = body.partition("\n\n")
    lines = head.split("\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.setdefault(k.strip().lower(), []).append(v.strip())
    return status, {k: v[0] if len(v) == 1 else v for k, v in headers.items()}, body


def raw(port, data, read_timeout=5.0, half_close=False):
    """Sends raw bytes; returns everything the gateway answers until it closes (or the timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        s.settimeout(read_timeout)
        chunks = []
        deadline = time.time() + read_timeout
        while time.time() < deadline:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)


def statuses(answer):
    """The status codes of every response in a raw answer (pipelined responses too)."""
    return [int(m) for m in re.findall(rb"(?:^|\n)HTTP/1\.1 (\d{3}) ", answer)]
