#!/usr/bin/env python3
"""peers_table.py - the README's table of the shared peer benchmark's proxy families, from
the log of a run of ../shared/bench/peers.sh (its per-repetition lines):

  REPS=3 DUR=8s SKIP='cache|varnish' OURS_MODES="proxy tls routes" OURS_ACCESS_LOG=off \\
    OURS_CMD="exec $PWD/bench/ours_peers.sh" bash ../shared/bench/peers.sh > peers.log 2> peers.err
  python3 bench/peers_table.py peers.err

(the per-repetition lines are on the harness's stderr). With ROUTES_ACTION=proxy (every route
proxies to the origin), the routes rows measure issue 16's proxy-level check: the lines after the
table give each proxy's CPU per request at 1,000 and 10,000 routes against its own at one route.
Each cell is the median over the
repetitions of the same-repetition ratio Banyan/peer (req/s, CPU per request, p99); a CPU
ratio above 1 (Banyan spends more per request than nginx) is in bold. Beside it, the
range of the CPU ratios over the repetitions and in how many Banyan's was at most
nginx's: on a shared machine the spread says how far one median can be trusted. Prints a
markdown table and the repetitions it used.
"""
import re
import statistics
import sys

LINE = re.compile(r"^\s+r(\d+) (\S+)\s+(\d+) rps\s+p50\s+([\d.]+) ms\s+p99\s+([\d.]+) ms\s+cpu\s+([\d.]+) us/req")
ROWS = [("100 B, keep-alive", "small", "small"), ("10 KiB, keep-alive", "10k", "10k"),
        ("new connection per request", "newconn", "newconn"), ("paced latency (10 connections)", "lat-small", "lat-small"),
        ("TLS 1.3, 100 B", "tls-small", "tls-small"), ("TLS 1.3, 10 KiB", "tls-10k", "tls-10k"),
        ("TLS 1.3, new connection", "tls-newconn", "tls-newconn"), ("routes, 1", "routes-1", None),
        ("routes, 1,000", "routes-1000", None), ("routes, 10,000", "routes-10000", None)]


def name(peer, scenario):
    return f"lat-{peer}-small" if scenario == "lat-small" else f"{peer}-{scenario}"


def main():
    runs = {}  # (rep, name) -> (rps, p99, cpu)
    with open(sys.argv[1]) as f:
        for line in f:
            m = LINE.match(line)
            if m:
                runs[(int(m[1]), m[2])] = (float(m[3]), float(m[5]), float(m[6]))
    reps = sorted({r for r, _ in runs})
    print("| scenario | req/s vs nginx | CPU/req vs nginx | CPU/req range (at most nginx's) | p99 vs nginx | req/s vs HAProxy |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, scenario, haproxy in ROWS:
        ratios = {"rps": [], "cpu": [], "p99": [], "ha": []}
        for r in reps:
            ours, nginx = runs.get((r, name("ours", scenario))), runs.get((r, name("nginx", scenario)))
            if not ours or not nginx:
                continue
            ratios["rps"].append(ours[0] / nginx[0])
            ratios["p99"].append(ours[1] / nginx[1])
            ratios["cpu"].append(ours[2] / nginx[2])
            ha = runs.get((r, name("haproxy", haproxy))) if haproxy else None
            if ha:
                ratios["ha"].append(ours[0] / ha[0])
        if not ratios["rps"]:
            continue
        med = {k: statistics.median(v) if v else None for k, v in ratios.items()}
        cpu = f"{med['cpu']:.2f}"
        spread = (f"{min(ratios['cpu']):.2f}–{max(ratios['cpu']):.2f} "
                  f"({sum(c <= 1 for c in ratios['cpu'])} of {len(ratios['cpu'])})")
        print(f"| {label} | {med['rps']:.2f} | {'**' + cpu + '**' if med['cpu'] > 1 else cpu} | {spread} | {med['p99']:.2f} | "
              f"{'-' if med['ha'] is None else format(med['ha'], '.2f')} |")
    print(f"\n({len(reps)} repetition(s): {', '.join(f'r{r}' for r in reps)})")
    for peer in ("ours", "nginx"):
        for n in ("1000", "10000"):
            ratios = [runs[(r, f"{peer}-routes-{n}")][2] / runs[(r, f"{peer}-routes-1")][2] for r in reps
                      if (r, f"{peer}-routes-{n}") in runs and (r, f"{peer}-routes-1") in runs]
            if ratios:
                print(f"{'Banyan' if peer == 'ours' else 'nginx'}: CPU per request at {int(n):,} routes / at 1 route: "
                      f"median {statistics.median(ratios):.3f} (range {min(ratios):.3f}–{max(ratios):.3f}, "
                      f"{sum(x <= 1.03 for x in ratios)} of {len(ratios)} at most 1.03)")


if __name__ == "__main__":
    main()
