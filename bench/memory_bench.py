#!/usr/bin/env python3
"""memory_bench.py - what Banyan's memory costs per idle client connection, and whether streaming
a large body through it stays flat.

  python3 bench/memory_bench.py            # prints the measurements and a markdown table
  python3 bench/memory_bench.py --readme   # also writes the table into README.md (memory-bench markers)

(a) Idle keep-alive connections: banyan (one worker) in front of banyan-origin; N (default 2000)
    client connections each make one request and then stay open, idle. The resident set (VmRSS) of
    banyan before and after, divided by N, is the user-space memory an idle connection holds
    (kernel socket buffers are not in VmRSS).
(b) Streaming: 1 GiB downloaded from the origin's /bytes/N through banyan with curl into /dev/null
    (Content-Length, then chunked), and 1 GiB uploaded to /upload (with Content-Length from a sparse
    file, then chunked from a pipe: curl sends `Transfer-Encoding: chunked` for `-T -`), while VmRSS is sampled every
    100 ms; the peak growth over the RSS before the transfer is reported (VmHWM as a cross-check).
(c) Idle TLS keep-alive connections: the same as (a) over TLS 1.3 (the test certificate), N_TLS
    (default 1000) connections each fetching one 10 KiB response, for banyan and for nginx (one
    worker, `ssl_protocols TLSv1.2 TLSv1.3`, proxying to the same origin), fresh processes each.
(d) Idle HTTP/2 connections over TLS: the same as (c) with ALPN h2 (nginx: `listen ... ssl http2`),
    each connection one stream of a 10 KiB response, sent as raw frames (preface, SETTINGS, one
    HEADERS), then idle.
Targets (issue 5): under 10 KiB per idle connection; under 16 MiB growth while streaming 1 GiB;
(issue 17) an idle TLS connection at most what nginx's costs.
Env: N (2000), N_TLS (1000), STREAM_BYTES (1073741824), BANYAN_BIN, ORIGIN_BIN. Loopback only; a temp dir; every
process it starts is stopped at exit.
"""
import os, shutil, signal, socket, ssl, subprocess, sys, tempfile, threading, time, resource

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from readme import machine  # noqa: E402

N = int(os.environ.get("N", "2000"))
N_TLS = int(os.environ.get("N_TLS", "1000"))
CERTS = f"{ROOT}/tests/fixtures/certs"
STREAM = int(os.environ.get("STREAM_BYTES", str(1 << 30)))
BANYAN = os.environ.get("BANYAN_BIN", f"{ROOT}/build/release/runtime/banyan")
ORIGIN = os.environ.get("ORIGIN_BIN", f"{ROOT}/build/release/demo/banyan-origin")
ORIGIN_PORT, GATEWAY_PORT = 18190, 18191
IDLE_TARGET, STREAM_TARGET = 10 * 1024, 16 << 20

procs = []


def start(cmd, log):
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    procs.remove(p)


def wait_port(port, p, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if p.poll() is not None:
            sys.exit(f"memory_bench: process {p.args[0]} exited with {p.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"memory_bench: nothing listens on {port}")


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def rss(pid):
    return status_kib(pid, "VmRSS") * 1024


def start_gateway(tmp, tag):
    with open(f"{tmp}/bench.routes", "w") as f:
        f.write(f'listen http :80\nupstream origin {{\n  server "127.0.0.1:{ORIGIN_PORT}"\n  keepalive 64\n}}\n'
                f'site default {{\n  route / {{ to origin }}\n}}\n')
    with open(f"{tmp}/gateway.toml", "w") as f:
        f.write(f'plan = "bench.routes"\nworkers = 1\n[listen]\n":80" = "127.0.0.1:{GATEWAY_PORT}"\n'
                f'[log]\nformat = "json"\ndestination = "{tmp}/access-{tag}.log"\n'
                f'[limits]\nbody = "2GiB"\nidle_timeout = "300s"\n')
    p = start([BANYAN, "run", "--config", f"{tmp}/gateway.toml"], open(f"{tmp}/banyan-{tag}.out", "w"))
    wait_port(GATEWAY_PORT, p)
    return p


H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def h2_frame(kind, flags, stream, payload):
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def h2_get(sock, path, authority):
    """The preface, SETTINGS, its ACK in advance, one GET on stream 1 (HPACK: static indices and
    literals without indexing); reads frames until stream 1 ends. Returns the status (200 or 0)."""
    block = b"\x82\x87" + b"\x04" + bytes([len(path)]) + path.encode() + b"\x01" + bytes([len(authority)]) + authority.encode()
    sock.sendall(H2_PREFACE + h2_frame(4, 0, 0, b"") + h2_frame(4, 1, 0, b"") + h2_frame(1, 0x5, 1, block))
    buf, status = b"", 0
    while True:
        while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
            n = int.from_bytes(buf[:3], "big")
            kind, flags, sid = buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            payload, buf = buf[9:9 + n], buf[9 + n:]
            if kind == 1 and sid == 1:
                while payload and payload[0] & 0xE0 == 0x20:  # a dynamic table size update (one byte here)
                    payload = payload[1:]
                status = 200 if payload[:1] == b"\x88" else status  # :status 200, static index 8
            if sid == 1 and kind in (0, 1) and flags & 1:
                return status
            if kind in (3, 7):
                return 0
        d = sock.recv(65536)
        if not d:
            return 0
        buf += d


def start_tls_gateway(tmp):
    with open(f"{tmp}/tls.routes", "w") as f:
        f.write(f'listen https :443\ntls main {{\n  certificate "{CERTS}/example.pem"\n  key "{CERTS}/example.key"\n}}\n'
                f'upstream origin {{\n  server "127.0.0.1:{ORIGIN_PORT}"\n  keepalive 64\n}}\n'
                f'site "example.com" {{\n  tls main\n  route / {{ to origin }}\n}}\n')
    with open(f"{tmp}/tls.toml", "w") as f:
        f.write(f'plan = "tls.routes"\nworkers = 1\n[listen]\n":443" = "127.0.0.1:{GATEWAY_PORT}"\n'
                f'[log]\nformat = "json"\ndestination = "{tmp}/access-tls.log"\n[limits]\nidle_timeout = "300s"\n')
    p = start([BANYAN, "run", "--config", f"{tmp}/tls.toml"], open(f"{tmp}/banyan-tls.out", "w"))
    wait_port(GATEWAY_PORT, p)
    return p


def start_tls_nginx(tmp, http2=False):
    os.makedirs(f"{tmp}/nginx", exist_ok=True)
    with open(f"{tmp}/nginx/nginx.conf", "w") as f:
        f.write(f"""daemon off; master_process off; worker_processes 1; pid {tmp}/nginx/nginx.pid;
error_log {tmp}/nginx/error.log;
events {{ worker_connections {N_TLS + 200}; }}
http {{
  access_log {tmp}/nginx/access.log;
  client_body_temp_path {tmp}/nginx; proxy_temp_path {tmp}/nginx; fastcgi_temp_path {tmp}/nginx;
  uwsgi_temp_path {tmp}/nginx; scgi_temp_path {tmp}/nginx;
  keepalive_timeout 300s; keepalive_requests 100000;
  upstream origin {{ server 127.0.0.1:{ORIGIN_PORT}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{GATEWAY_PORT} ssl{" http2" if http2 else ""};
    server_name example.com;
    ssl_certificate {CERTS}/example.pem; ssl_certificate_key {CERTS}/example.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {{ proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
}}
""")
    p = start(["nginx", "-c", f"{tmp}/nginx/nginx.conf", "-e", f"{tmp}/nginx/error.log"], open(f"{tmp}/nginx.out", "w"))
    wait_port(GATEWAY_PORT, p)
    return p


def idle_tls(tmp, starter, http2=False):
    """N_TLS TLS 1.3 keep-alive connections, one 10 KiB response each (HTTP/1.1, or one HTTP/2
    stream), then idle: RSS per connection."""
    ctx = ssl.create_default_context(cafile=f"{CERTS}/example.pem")
    if http2:
        ctx.set_alpn_protocols(["h2"])
    g = starter(tmp)

    def connect():
        raw = socket.create_connection(("127.0.0.1", GATEWAY_PORT))
        return ctx.wrap_socket(raw, server_hostname="example.com")

    def fetch(s):
        return h2_get(s, "/bytes/10240", "example.com") if http2 else get(s, "/bytes/10240", host="example.com")

    for _ in range(50 if http2 else 1):
        warm = connect()
        for _ in range(1 if http2 else 200):
            fetch(warm)
        warm.close()
    time.sleep(1.0)
    before = rss(g.pid)
    socks, bad = [], 0
    for _ in range(N_TLS):
        s = connect()
        if fetch(s) != 200:
            bad += 1
        socks.append(s)
    time.sleep(1.0)
    after = rss(g.pid)
    for s in socks:
        s.close()
    stop(g)
    return dict(before=before, after=after, per=(after - before) / N_TLS, bad=bad)


def get(sock, path, host="bench"):
    """One GET on an open keep-alive connection; returns the status. Reads exactly the response."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            raise ConnectionError("closed before the head")
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(l.split(":", 1)[1]) for l in lines[1:] if l.lower().startswith("content-length:"))
    while len(body) < length:
        d = sock.recv(65536)
        if not d:
            raise ConnectionError("closed in the body")
        body += d
    return int(lines[0].split()[1])


def idle_connections(tmp):
    g = start_gateway(tmp, "idle")
    warm = socket.create_connection(("127.0.0.1", GATEWAY_PORT))
    for _ in range(200):  # the upstream pool, the log, the allocator's first arenas
        get(warm, "/small")
    warm.close()
    time.sleep(1.0)
    before = rss(g.pid)
    socks, bad = [], 0
    for _ in range(N):
        s = socket.create_connection(("127.0.0.1", GATEWAY_PORT))
        if get(s, "/small") != 200:
            bad += 1
        socks.append(s)
    time.sleep(1.0)
    after = rss(g.pid)
    alive = 0
    for s in socks:  # are they all still open? (a closed one reads EOF at once)
        s.setblocking(False)
        try:
            alive += s.recv(1) != b""
        except BlockingIOError:
            alive += 1
    for s in socks:
        s.close()
    time.sleep(1.0)
    closed = rss(g.pid)
    stop(g)
    return dict(before=before, after=after, closed=closed, per=(after - before) / N, bad=bad, alive=alive)


def sample_peak(pid, stop_event, out):
    peak = 0
    while not stop_event.is_set():
        try:
            peak = max(peak, rss(pid))
        except (FileNotFoundError, ProcessLookupError):
            break
        stop_event.wait(0.1)
    out.append(peak)


def stream(tmp, name, shell):
    g = start_gateway(tmp, name)
    subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{GATEWAY_PORT}/small"], check=True)
    time.sleep(0.5)
    with open(f"/proc/{g.pid}/clear_refs", "w") as f:  # 5: reset VmHWM to the current RSS
        f.write("5")
    before = rss(g.pid)
    ev, out = threading.Event(), []
    t = threading.Thread(target=sample_peak, args=(g.pid, ev, out))
    t.start()
    t0 = time.time()
    r = subprocess.run(["bash", "-c", shell.format(url=f"http://127.0.0.1:{GATEWAY_PORT}", n=STREAM, sparse=f"{tmp}/zeros")],
                       capture_output=True, text=True)
    secs = time.time() - t0
    ev.set()
    t.join()
    hwm = status_kib(g.pid, "VmHWM") * 1024
    alive = g.poll() is None
    stop(g)
    return dict(before=before, peak=out[0], growth=out[0] - before, hwm_growth=hwm - before, secs=secs,
                result=r.stdout.strip() + (" " + r.stderr.strip() if r.stderr.strip() else ""), alive=alive)


def mib(b):
    return f"{b / 1048576:.1f} MiB"


def main():
    readme = "--readme" in sys.argv[1:]
    for b in (BANYAN, ORIGIN):
        if not os.access(b, os.X_OK):
            sys.exit(f"memory_bench: {b} not built (cmake --build build/release --target banyan banyan-origin)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < N + 1000:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, N + 1000) if hard != resource.RLIM_INFINITY else N + 1000,
                                                    hard))
    tmp = tempfile.mkdtemp(prefix="memory-bench.")
    try:
        origin = start([ORIGIN, "--listen", f"127.0.0.1:{ORIGIN_PORT}", "--name", "origin"],
                       open(f"{tmp}/origin.out", "w"))
        wait_port(ORIGIN_PORT, origin)
        with open(f"{tmp}/zeros", "wb") as f:  # sparse: reads as STREAM zero bytes, takes no disk
            f.truncate(STREAM)
        idle = idle_connections(tmp)
        print(f"idle: {N} keep-alive connections after one request each: RSS {mib(idle['before'])} -> "
              f"{mib(idle['after'])} = {idle['per']:.0f} B per connection ({idle['alive']} still open, "
              f"{idle['bad']} non-200); after closing them: {mib(idle['closed'])}", file=sys.stderr)
        # Each case prints what proves the transfer complete: "STATUS BYTES" for a download, and for
        # an upload the origin's count of the body it received ("body-bytes: N ...") then the status.
        up = "curl -sS -w '%{{http_code}}' -H 'Expect:' -T {src} {url}/upload | grep -v sha256 | tr '\\n' ' '"
        cases = [
            ("download, Content-Length", "curl -sS -o /dev/null -w '%{{http_code}} %{{size_download}}' {url}/bytes/{n}"),
            ("download, chunked", "curl -sS -o /dev/null -w '%{{http_code}} %{{size_download}}' '{url}/bytes/{n}?chunked=1'"),
            ("upload, Content-Length", up.replace("{src}", "{sparse}")),
            ("upload, chunked", "head -c {n} /dev/zero | " + up.replace("{src}", "-")),
        ]
        tls_rows = [("banyan", idle_tls(tmp, start_tls_gateway))]
        if shutil.which("nginx"):
            tls_rows.append(("nginx", idle_tls(tmp, start_tls_nginx)))
        h2_rows = [("banyan", idle_tls(tmp, start_tls_gateway, http2=True))]
        if shutil.which("nginx"):
            h2_rows.append(("nginx", idle_tls(tmp, lambda t: start_tls_nginx(t, http2=True), http2=True)))
        for who, t in h2_rows:
            print(f"idle HTTP/2 over TLS ({who}): {N_TLS} connections: RSS {mib(t['before'])} -> {mib(t['after'])} = "
                  f"{t['per'] / 1024:.1f} KiB per connection ({t['bad']} non-200)", file=sys.stderr)
        for who, t in tls_rows:
            print(f"idle TLS ({who}): {N_TLS} connections: RSS {mib(t['before'])} -> {mib(t['after'])} = "
                  f"{t['per'] / 1024:.1f} KiB per connection ({t['bad']} non-200)", file=sys.stderr)
        streams = []
        for name, shell in cases:
            s = stream(tmp, name.replace(", ", "-").replace(" ", "-").lower(), shell)
            streams.append((name, s))
            print(f"{name}: {STREAM} bytes in {s['secs']:.1f} s (curl: {s['result']}): RSS before {mib(s['before'])}, "
                  f"peak {mib(s['peak'])} (sampled every 100 ms), growth {mib(s['growth'])}, VmHWM growth "
                  f"{mib(s['hwm_growth'])}{'' if s['alive'] else ', BANYAN EXITED'}", file=sys.stderr)
        stop(origin)
    finally:
        for p in list(procs):
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)

    def verdict(v, target):
        return f"met" if v < target else "**not met**"
    lines = ["| measurement | result | target |", "|---|---:|---|"]
    lines.append(f"| idle keep-alive connection ({N} open, one request each) | {idle['per'] / 1024:.1f} KiB each "
                 f"({mib(idle['before'])} → {mib(idle['after'])}) | under 10 KiB: {verdict(idle['per'], IDLE_TARGET)} |")
    tls = dict(tls_rows)
    if "nginx" in tls:
        target = f"at most nginx's: {verdict(tls['banyan']['per'], tls['nginx']['per'] + 1)}"
    else:
        target = "at most nginx's: not measured (no nginx)"
    lines.append(f"| idle TLS 1.3 keep-alive connection ({N_TLS} open, one 10 KiB response each) | "
                 f"{tls['banyan']['per'] / 1024:.1f} KiB each"
                 + (f" (nginx: {tls['nginx']['per'] / 1024:.1f} KiB)" if "nginx" in tls else "") + f" | {target} |")
    h2 = dict(h2_rows)
    target = (f"at most nginx's: {verdict(h2['banyan']['per'], h2['nginx']['per'] + 1)}" if "nginx" in h2
              else "at most nginx's: not measured (no nginx)")
    lines.append(f"| idle HTTP/2 connection over TLS 1.3 ({N_TLS} open, one 10 KiB stream each) | "
                 f"{h2['banyan']['per'] / 1024:.1f} KiB each"
                 + (f" (nginx: {h2['nginx']['per'] / 1024:.1f} KiB)" if "nginx" in h2 else "") + f" | {target} |")
    for name, s in streams:
        ok = s["alive"] and s["result"] in (f"200 {STREAM}", f"body-bytes: {STREAM} 200")
        peak = max(s["growth"], s["hwm_growth"])
        lines.append(f"| {name}, {STREAM >> 20} MiB through the gateway | RSS +{peak / 1048576:.1f} MiB peak, "
                     f"{STREAM / s['secs'] / 1048576:.0f} MiB/s{'' if ok else ' (curl: ' + s['result'] + ')'} "
                     f"| under 16 MiB: {verdict(peak, STREAM_TARGET) if ok else '**transfer failed**'} |")
    lines.append("")
    lines.append(f"Measured by `bench/memory_bench.py --readme` on {machine()}: banyan with one worker in front of "
                 f"`banyan-origin`, resident set (VmRSS) from /proc; streaming growth is the larger of the 100 ms "
                 f"samples and VmHWM over the RSS just before the transfer. Kernel socket buffers are not counted.")
    table = "\n".join(lines)
    print()
    print(table)
    if readme:
        p = f"{ROOT}/README.md"
        s = open(p).read()
        begin, end = "<!-- memory-bench:begin -->", "<!-- memory-bench:end -->"
        if begin not in s or end not in s:
            sys.exit("README.md has no memory-bench markers")
        a, b = s.index(begin) + len(begin), s.index(end)
        open(p, "w").write(s[:a] + "\n" + table + "\n" + s[b:])
        print("README.md: memory-bench section rewritten", file=sys.stderr)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
