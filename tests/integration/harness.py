"""The integration tests' harness: real processes on 127.0.0.1.

A test starts banyan-origin replicas (ports from their --port-file), writes a routes
file and a gateway.toml into a temporary directory, starts the real `banyan` binary,
and talks to it with curl or raw sockets. Everything is bounded: every network call
has a timeout, every process is stopped when the test ends (even when it fails).

usage in a test:  with Harness(sys.argv) as h: ...
argv: BANYAN BANYAN_ORIGIN
"""

import http.client
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
# How long a test waits for something it expects to happen (a log line, a port, a
# process's exit). Generous: the binaries run under AddressSanitizer on a shared
# machine. Reaching it is a failure; nothing waits for it when all goes well.
WAIT = 15.0


class TestFailure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def expect_eq(got, want, what):
    if got != want:
        raise TestFailure(f"{what}: expected {want!r}, got {got!r}")


def wait_until(cond, what, timeout=WAIT, interval=0.02):
    """Polls cond() until it returns something true, and returns that. After `timeout`
    seconds it fails, saying what it waited for: `what` is a string, or a function
    that describes the state it last saw."""
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise TestFailure(f"waited {timeout:.0f}s for {what() if callable(what) else what}")
        time.sleep(interval)


_handed_out = set()


def find_banyanc(banyan_bin):
    """banyanc beside banyan in the build tree, or $BANYANC: for the compiled-plan cases."""
    path = os.environ.get("BANYANC") or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(banyan_bin))),
                                                     "compiler", "banyanc")
    check(os.access(path, os.X_OK), f"banyanc not found at {path} (set $BANYANC): the compiled-plan case cannot run")
    return path


def free_port(host="127.0.0.1"):
    """A port nothing listens on now, and one this process has not handed out before (the
    kernel may offer a just-released port again: a gateway's admin port and its listener
    once got the same one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(100):
        with socket.socket(family) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no fresh port in 100 tries")


def connectable(host, port):
    """True when something accepts connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def metric(text, name):
    """The value of the sample `name` (with its labels, as written) in a /metrics text, or None."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line[len(name) + 1:])
    return None


class Origin:
    """banyan-origin with `replicas` listeners on `host` (port 0: any free port), or on
    the given `ports`; its --log holds every request head it received."""

    def __init__(self, h, name, replicas=1, host="127.0.0.1", ports=None):
        self.h = h
        self.name = name
        d = h.dir
        self.port_file = os.path.join(d, f"{name}.ports")
        self.log = os.path.join(d, f"{name}.log")
        args = [h.origin_bin, "--name", name, "--port-file", self.port_file, "--log", self.log]
        ports = ports or [0] * replicas
        bracketed = f"[{host}]" if ":" in host else host
        for p in ports:
            args += ["--listen", f"{bracketed}:{p}"]
        self.proc = h.spawn(args, f"{name}.out")

        def bound():
            if self.proc.poll() is not None:
                raise TestFailure(f"origin {name} exited with {self.proc.returncode}")
            return os.path.exists(self.port_file) and os.path.getsize(self.port_file) > 0

        wait_until(bound, f"origin {name} to write its port file")
        with open(self.port_file) as f:
            self.ports = [int(p) for p in f.read().split()]
        check(len(self.ports) == len(ports), f"origin {name} did not bind {len(ports)} ports")
        self.addrs = [f"{bracketed}:{p}" for p in self.ports]

    def logged(self):
        try:
            with open(self.log, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def heads(self, request_line_start):
        """How many request heads in the log start with `request_line_start` (bytes)."""
        return sum(1 for head in self.logged().split(b"\n---\n") if head.startswith(request_line_start))

    def wait_heads(self, request_line_start, n):
        """Waits until the origin has received n request heads starting with `request_line_start`."""
        wait_until(lambda: self.heads(request_line_start) >= n,
                   lambda: f"origin {self.name} to receive {n} x {request_line_start!r} "
                           f"(has {self.heads(request_line_start)})")


class Gateway:
    """`banyan run --config` on a routes file (or, with `plan`, on another plan file such
    as a compiled one). `listen` maps the plan's listeners to ports on `host`."""

    def __init__(self, h, routes, listen=None, upstreams=None, extra="", workers=1, name="gw", expect_start=True,
                 host="127.0.0.1", plan=None, log_extra="", admin_extra=""):
        self.h = h
        self.name = name
        self.dir = h.dir
        self.host = host
        self.routes_path = os.path.join(h.dir, f"{name}.routes")
        with open(self.routes_path, "w") as f:
            f.write(routes)
        self.plan_path = plan or self.routes_path
        self.port = free_port(host)
        self.admin_port = free_port()
        self.log_path = os.path.join(h.dir, f"{name}.access.log")
        listen = listen or {":80": self.port}
        self.ports = dict(listen)
        self.port = next(iter(listen.values()))  # the one url() and readiness use
        bracketed = f"[{host}]" if ":" in host else host
        self.netloc = f"{bracketed}:{self.port}"
        toml = [f'plan = "{self.plan_path}"', f"workers = {workers}", "[listen]"]
        toml += [f'"{k}" = "{bracketed}:{v}"' for k, v in listen.items()]
        toml += ["[admin]", f'address = "127.0.0.1:{self.admin_port}"'] + ([admin_extra] if admin_extra else [])
        toml += ["[log]", f'destination = "{self.log_path}"'] + ([log_extra] if log_extra else [])
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
        def up():
            if self.proc.poll() is not None:
                raise TestFailure(f"banyan exited with {self.proc.returncode}: {self.stderr()}")
            return connectable("127.0.0.1", self.admin_port) and connectable(self.host, self.port)

        wait_until(up, lambda: "banyan to accept connections: " + self.stderr())

    def wait_exit(self, what, timeout=WAIT):
        """Waits for the process to exit; returns its status."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"banyan did not exit within {timeout:.0f}s ({what}): {self.stderr()[-2000:]}") from None

    def wait_stderr(self, text):
        """Waits until the gateway's own log (stderr) says `text`."""
        wait_until(lambda: text in self.stderr(), lambda: f"the gateway to log {text!r}; it logged:\n{self.stderr()}")

    def metrics(self):
        s, text = self.admin("/metrics")
        expect_eq(s, 200, "GET /metrics")
        return text

    def wait_metric(self, name, want):
        """Waits until /metrics shows the sample `name` (labels included) with the value `want`."""
        last = [None]

        def at():
            last[0] = metric(self.metrics(), name)
            return last[0] == want

        wait_until(at, lambda: f"{name} to be {want} in /metrics (it is {last[0]})")

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def url(self, path="/"):
        return f"http://{self.netloc}{path}"

    def admin(self, path, method="GET", source=None):
        """(status, body) of one admin request; `source` binds the client's end to that
        address (any of 127.0.0.0/8 is this machine's)."""
        if source:
            conn = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=10, source_address=(source, 0))
            try:
                conn.request(method, path)
                r = conn.getresponse()
                return r.status, r.read().decode()
            finally:
                conn.close()
        req = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}{path}", method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def access_log(self, at_least=1, where=None):
        """The access log's lines (those `where` accepts, if given), parsed, once there are
        at least `at_least` of them: the workers write the log every 200 ms, so a request
        just answered may not be in it yet. Fails if they do not arrive."""
        def lines():
            try:
                with open(self.log_path) as f:
                    text = f.read()
            except FileNotFoundError:
                return []
            whole = text[: text.rfind("\n") + 1]  # a line still being written is not read
            return [json.loads(line) for line in whole.splitlines()]  # every line one JSON object, nothing else

        def enough():
            got = [l for l in lines() if where is None or where(l)]
            return got if len(got) >= at_least else None

        return wait_until(enough, lambda: f"{at_least} matching line(s) in the access log; it has:\n"
                                          + "\n".join(json.dumps(l) for l in lines()[-10:]))

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

    def origin(self, name, replicas=1, **kw):
        return Origin(self, name, replicas, **kw)

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


def exchange(port, data, read_timeout=5.0, half_close=False):
    """Sends raw bytes; returns (everything the gateway answers, whether it closed the
    connection) once it closes or `read_timeout` seconds have passed."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        return read_until_close(s, read_timeout)


def read_until_close(s, timeout):
    """(everything read from socket s, whether the peer closed it) within `timeout` seconds."""
    chunks = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), False
        s.settimeout(left)
        try:
            b = s.recv(65536)
        except socket.timeout:
            return b"".join(chunks), False
        except ConnectionResetError:
            return b"".join(chunks), True
        if not b:
            return b"".join(chunks), True
        chunks.append(b)


def read_one_response(s, timeout=WAIT):
    """One response with a Content-Length from a keep-alive socket (plain or TLS): (status, body
    bytes); (0, what arrived) if the connection closed or the time ran out first."""
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            m = re.search(rb"\r\ncontent-length: *(\d+)", data[:end], re.I)
            check(m, f"a response without Content-Length: {data[:end]!r}")
            need = end + 4 + int(m.group(1))
            if len(data) >= need:
                check(len(data) == need, f"more than one response arrived: {data!r}")
                return int(data.split(b" ", 2)[1]), data[end + 4:]
        left = deadline - time.monotonic()
        if left <= 0:
            return 0, data
        s.settimeout(left)
        try:
            b = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            return 0, data
        if not b:
            return 0, data
        data += b


# demo/origin.cpp's /bytes/N: byte i is ORIGIN_PATTERN[i % 64].
ORIGIN_PATTERN = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def origin_bytes(n):
    return (ORIGIN_PATTERN * (n // len(ORIGIN_PATTERN) + 1))[:n]


def small_buffer_socket(port, rcvbuf=4096):
    """A connection to 127.0.0.1:port whose receive buffer is small (set before connecting, so
    the window is small from the start)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def slow_download(s, host, n, pause=0.5):
    """GET /bytes/n with Connection: close on socket s (plain or TLS, made by
    small_buffer_socket), reading nothing for `pause` seconds first: the gateway finds the
    client's socket full partway through the response, and finishes it as the client reads.
    Checks that the body is the origin's n bytes exactly."""
    s.sendall(f"GET /bytes/{n} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    time.sleep(pause)
    chunks = []
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        s.settimeout(deadline - time.monotonic())
        try:
            b = s.recv(65536)
        except (socket.timeout, ConnectionResetError, OSError):
            break
        if not b:
            break
        chunks.append(b)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 200"), f"slow download's head: {head[:200]!r}")
    want = origin_bytes(n)
    if body != want:
        at = next((i for i in range(min(len(body), n)) if body[i] != want[i]), min(len(body), n))
        check(False, f"slow download: {len(body)} body bytes of {n}, first difference at byte {at}")


def raw(port, data, read_timeout=5.0, half_close=False):
    """Sends raw bytes; returns everything the gateway answers until it closes (or the timeout)."""
    return exchange(port, data, read_timeout, half_close)[0]


def statuses(answer):
    """The status codes of every response in a raw answer (pipelined responses too)."""
    return [int(m) for m in re.findall(rb"(?:^|\n)HTTP/1\.1 (\d{3}) ", answer)]
