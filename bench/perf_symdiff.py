#!/usr/bin/env python3
"""Per-symbol CPU per request of two proxies from `perf record`, and where they differ.

usage: perf_symdiff.py A.data A_REQUESTS B.data B_REQUESTS [HZ] [ROWS]

Each .data is `perf record -e cpu-clock -F HZ -p PID -o X.data -- sleep S` of one proxy
while a load generator sent it A_REQUESTS (or B_REQUESTS) requests (wrk's "requests in"
count). A sample stands for 1/HZ s of CPU (HZ defaults to 10000), so a symbol's share of
the samples times the samples' total, over the requests, is its µs of CPU per request.
Prints each run's µs per request, then the ROWS (default 25) symbols where B costs most
over A and the ROWS where it costs least: what a CPU-per-request A/B too noisy to resolve
a 1% change still shows by symbol (how e87e8cc's gain was seen). Sampling adds its own
overhead to both sides: compare symbols, not the totals with another method's.
"""
import re
import subprocess
import sys


def per_request(data, requests, hz):
    out = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "sym", "-g", "none"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"# Samples: (\d+)([KM]?)", out)
    if not m:
        sys.exit(f"{data}: no sample count in perf report's output")
    samples = float(m.group(1)) * {"": 1, "K": 1e3, "M": 1e6}[m.group(2)]
    us_per_sample = 1e6 / hz
    costs = {}
    for line in out.splitlines():
        mm = re.match(r"\s+([\d.]+)%\s+(.*)", line)
        if mm:
            costs[mm.group(2).strip()] = float(mm.group(1)) / 100 * samples * us_per_sample / requests
    return samples * us_per_sample / requests, costs


def main(argv):
    if len(argv) not in (4, 5, 6):
        sys.exit(__doc__)
    hz = float(argv[4]) if len(argv) > 4 else 10000
    rows = int(argv[5]) if len(argv) > 5 else 25
    total_a, a = per_request(argv[0], int(argv[1]), hz)
    total_b, b = per_request(argv[2], int(argv[3]), hz)
    print(f"A {argv[0]}: {total_a:.3f} µs/request\nB {argv[2]}: {total_b:.3f} µs/request")
    ranked = sorted(set(a) | set(b), key=lambda k: b.get(k, 0) - a.get(k, 0), reverse=True)
    for title, part in (("B above A", ranked[:rows]), ("B below A", ranked[-rows:])):
        print(f"\n{title} (µs/request: B - A, B, A, symbol)")
        for k in part:
            print(f"{b.get(k, 0) - a.get(k, 0):+.3f}  {b.get(k, 0):.3f}  {a.get(k, 0):.3f}  {k[:110]}")


if __name__ == "__main__":
    main(sys.argv[1:])
