#!/usr/bin/env python3
"""cache_memory.py - does a cache zone hold at most its `memory`? A stream of distinct keys.

  python3 bench/cache_memory.py            # prints the measurements and a markdown table
  python3 bench/cache_memory.py --readme   # also writes the table into README.md (cache-memory markers)

banyan (release, one worker) with one zone of ZONE_MIB (default 64) MiB in front of banyan-origin;
KEYS (default 20000) distinct URLs, each a BODY (default 16384) byte response the route keeps for an
hour, fetched once over one keep-alive connection: ~5x the zone. Reported: what the zone counts
(banyan_cache_bytes, which includes each entry's metadata), its entries and evictions, and the
process's resident set growth (VmRSS after minus before the stream): the zone's bytes plus the
allocator's slack. Target (issue 15): the zone's count at most ZONE_MIB MiB.
Env: ZONE_MIB, KEYS, BODY, BANYAN_BIN, ORIGIN_BIN. Loopback only; a temp dir; processes stopped at exit.
"""
import http.client, os, re, signal, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from memory_bench import procs, rss, start, wait_port  # noqa: E402  (its process helpers)
from readme import machine, write_section  # noqa: E402

ZONE_MIB = int(os.environ.get("ZONE_MIB", "64"))
KEYS = int(os.environ.get("KEYS", "20000"))
BODY = int(os.environ.get("BODY", "16384"))
BANYAN = os.environ.get("BANYAN_BIN", f"{ROOT}/build/release/runtime/banyan")
ORIGIN = os.environ.get("ORIGIN_BIN", f"{ROOT}/build/release/demo/banyan-origin")
ORIGIN_PORT, GATEWAY_PORT, ADMIN_PORT = 18290, 18291, 18292
def metric(name):
    c = http.client.HTTPConnection("127.0.0.1", ADMIN_PORT, timeout=10)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    m = re.search(r"^" + re.escape(name) + r'\{zone="z"\} (\d+)$', text, re.M)
    return int(m.group(1)) if m else None


def main():
    for b in (BANYAN, ORIGIN):
        if not os.access(b, os.X_OK):
            sys.exit(f"cache_memory: {b} not built (cmake --build build/release --target banyan banyan-origin)")
    tmp = tempfile.mkdtemp(prefix="banyan-cache-memory-")
    try:
        origin = start([ORIGIN, "--listen", f"127.0.0.1:{ORIGIN_PORT}", "--name", "origin"], open(f"{tmp}/origin.out", "w"))
        wait_port(ORIGIN_PORT, origin)
        with open(f"{tmp}/bench.routes", "w") as f:
            f.write(f'listen http :80\nupstream origin {{\n  server "127.0.0.1:{ORIGIN_PORT}"\n  keepalive 64\n}}\n'
                    f'cache z {{\n  memory {ZONE_MIB}MiB\n  inactive 1h\n}}\n'
                    f'site default {{\n  route / {{\n    to origin\n    cache z {{\n      valid 200 1h\n    }}\n  }}\n}}\n')
        with open(f"{tmp}/gateway.toml", "w") as f:
            f.write(f'plan = "bench.routes"\nworkers = 1\n[listen]\n":80" = "127.0.0.1:{GATEWAY_PORT}"\n'
                    f'[admin]\naddress = "127.0.0.1:{ADMIN_PORT}"\n[log]\ndestination = "off"\n')
        gw = start([BANYAN, "run", "--config", f"{tmp}/gateway.toml"], open(f"{tmp}/banyan.out", "w"))
        wait_port(GATEWAY_PORT, gw)
        c = http.client.HTTPConnection("127.0.0.1", GATEWAY_PORT, timeout=10)
        c.request("GET", "/bytes/16?warm=1")
        c.getresponse().read()
        before = rss(gw.pid)
        peak = before
        t0 = time.time()
        for i in range(KEYS):
            c.request("GET", f"/bytes/{BODY}?k={i}")
            r = c.getresponse()
            body = r.read()
            if r.status != 200 or len(body) != BODY:
                sys.exit(f"cache_memory: key {i}: {r.status}, {len(body)} bytes")
            if i % 500 == 0:
                peak = max(peak, rss(gw.pid))
        took = time.time() - t0
        after = rss(gw.pid)
        peak = max(peak, after)
        zone = metric("banyan_cache_bytes")
        entries = metric("banyan_cache_entries")
        evictions = metric("banyan_cache_evictions_total")
        mib = lambda b: f"{b / (1 << 20):.1f} MiB"  # noqa: E731
        print(f"{KEYS} keys x {BODY} B through a {ZONE_MIB} MiB zone in {took:.1f} s: the zone counts {mib(zone)} "
              f"({entries} entries, {evictions} evictions); VmRSS grew {mib(after - before)} (peak {mib(peak - before)})")
        ok = zone is not None and zone <= ZONE_MIB << 20
        table = (f"Measured by `bench/cache_memory.py --readme` on {machine()}: {KEYS} distinct keys of {BODY} bytes "
                 f"({mib(KEYS * BODY)} offered) through a `memory {ZONE_MIB}MiB` zone, one worker.\n\n"
                 "| zone bound | the zone counts (entries and metadata) | entries | evictions | VmRSS growth (peak) |\n"
                 "|---|---|---|---|---|\n"
                 f"| {ZONE_MIB} MiB | {mib(zone)} | {entries} | {evictions} | {mib(after - before)} ({mib(peak - before)}) |")
        print(table)
        if "--readme" in sys.argv:
            write_section(ROOT, "cache-memory", table)
        if not ok:
            sys.exit("cache_memory: the zone holds more than its bound")
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
