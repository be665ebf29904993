#!/usr/bin/env python3
"""What a compiled plan costs as route files grow: compile time, plan size, load time,
the memory the loaded plan adds, and lookup time.

Usage: bench/plan_scale.py [--readme] [SIZES...]     (default sizes 100 1000 10000 100000)
       JOBS=N picks the build's parallelism (default 2); REPS=N the runs of
       plan_bench per size (default 3).

Builds banyanc and plan_bench in Release (build/release), writes API-shaped route
files and 20,000 requests that hit them with bench/gen_routes.py, runs `banyanc
compile` on each three times (best wall time, peak resident memory), then
bench/plan_bench.cpp on the plan REPS times. The table shows the median run and, for
lookups, the range over the runs; the targets (issue 4) are checked on every run,
not asserted: the line under the table says in how many runs each was met, so one
lucky run is not reported as a target met. With --readme, rewrites the text between
the bench:plan markers in README.md.
"""
import os, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from readme import machine, write_section as readme_section  # noqa: E402

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
sizes = [int(a) for a in args] or [100, 1000, 10000, 100000]
readme = "--readme" in sys.argv
jobs = os.environ.get("JOBS", "2")
requests = 20000
reps = int(os.environ.get("REPS", "3"))

build = f"{root}/build/release"
subprocess.run(["cmake", "-S", root, "-B", build, "-DCMAKE_BUILD_TYPE=Release"], check=True, stdout=subprocess.DEVNULL)
subprocess.run(["cmake", "--build", build, f"-j{jobs}", "--target", "banyanc", "plan_bench"], check=True,
               stdout=subprocess.DEVNULL)
banyanc = f"{build}/compiler/banyanc"
plan_bench = f"{build}/bench/plan_bench"

rows = []
with tempfile.TemporaryDirectory() as tmp:
    for n in sizes:
        routes, reqs, plan = f"{tmp}/routes-{n}.routes", f"{tmp}/routes-{n}.requests", f"{tmp}/routes-{n}.plan"
        with open(routes, "w") as f:
            subprocess.run([sys.executable, f"{root}/bench/gen_routes.py", str(n)], stdout=f, check=True)
        with open(reqs, "w") as f:
            subprocess.run([sys.executable, f"{root}/bench/gen_routes.py", "--requests", str(requests), str(n)],
                           stdout=f, check=True)
        best, rss = None, 0
        for _ in range(3):
            with open(f"{tmp}/stderr", "w") as err:
                t = time.perf_counter()
                proc = subprocess.Popen([banyanc, "compile", routes, "-o", plan], stdout=subprocess.DEVNULL, stderr=err)
                _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory
                dt = time.perf_counter() - t
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit(f"banyanc compile failed on {n} routes:\n{open(f'{tmp}/stderr').read()[:2000]}")
            best = dt if best is None else min(best, dt)
            rss = max(rss, usage.ru_maxrss / 1024)  # KiB -> MiB
        runs = []
        for _ in range(reps):
            out = subprocess.run([plan_bench, plan, reqs], capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"plan_bench failed on {n} routes:\n{out.stdout}{out.stderr[:2000]}")
            m = dict(kv.split("=", 1) for kv in out.stdout.split())
            matched, total = (int(x) for x in m["matched"].split("/"))
            runs.append(dict(load_ms=float(m["load_ms"]), first_ms=float(m["first_load_ms"]),
                             added_mib=int(m["rss_added_kib"]) / 1024, median=float(m["median_ns"]),
                             p99=float(m["p99_ns"]), matched=matched / total, plan_kib=int(m["plan_bytes"]) / 1024))
        mid = sorted(runs, key=lambda r: r["median"])[len(runs) // 2]  # the run with the median lookup
        rows.append(dict(n=n, compile_s=best, compile_mib=rss, runs=runs, **mid))

base = rows[0]


def span(values, fmt):
    lo, hi = min(values), max(values)
    return fmt.format(lo) if fmt.format(lo) == fmt.format(hi) else f"{fmt.format(lo)}–{fmt.format(hi)}"


def ratios(r):
    """Per run: its lookup median over the smallest size's in the same run."""
    return [x["median"] / b["median"] for x, b in zip(r["runs"], base["runs"])]


table = ["| routes | plan size | compile (best of 3) | compile peak memory | load: median of 5 (first, cold) | memory added by the "
         f"loaded plan | lookup median (range over {reps} runs) | lookup p99 | lookup vs {base['n']:,} routes (range) |",
         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    table.append(f"| {r['n']:,} | {r['plan_kib']:,.0f} KiB | {r['compile_s']:.3f} s | {r['compile_mib']:.0f} MiB | "
                 f"{r['load_ms']:.2f} ms ({r['first_ms']:.2f} ms) | {r['added_mib']:.1f} MiB | "
                 f"{r['median']:.0f} ns ({span([x['median'] for x in r['runs']], '{:.0f}')} ns) | {r['p99']:.0f} ns | "
                 f"{sorted(ratios(r))[len(r['runs']) // 2]:.2f}x ({span(ratios(r), '{:.2f}')}x) |")

by_n = {r["n"]: r for r in rows}


def target(what, sizes_needed, ok, measured):
    """`ok(i)` and `measured(i)` judge run i; the verdict counts the runs that met it."""
    if not all(s in by_n for s in sizes_needed):
        return f"{what}: not measured"
    met = sum(1 for i in range(reps) if ok(i))
    verdict = "met" if met == reps else "**missed**" if met == 0 else f"met in {met} of {reps} runs"
    return f"{what}: {verdict} ({'; '.join(measured(i) for i in range(reps))})"


def run(n, i):
    return by_n[n]["runs"][i]


targets = [
    target("lookup median at 10k routes within 2x of 100 routes and under 250 ns", [100, 10000],
           lambda i: run(10000, i)["median"] <= 2 * run(100, i)["median"] and run(10000, i)["median"] < 250,
           lambda i: f"{run(10000, i)['median']:.0f} ns, {run(10000, i)['median'] / run(100, i)['median']:.2f}x"),
    target("a 10k-route plan adds at most 15 MiB", [10000], lambda i: run(10000, i)["added_mib"] <= 15,
           lambda i: f"{run(10000, i)['added_mib']:.1f} MiB"),
    ("100k routes compile in under 5 s: " + ("not measured" if 100000 not in by_n else
     f"{'met' if by_n[100000]['compile_s'] < 5 else '**missed**'} (best of 3: {by_n[100000]['compile_s']:.2f} s)")),
    target("a 100k-route plan loads in under 100 ms, cold and warm", [100000],
           lambda i: max(run(100000, i)["load_ms"], run(100000, i)["first_ms"]) < 100,
           lambda i: f"{run(100000, i)['load_ms']:.1f} ms, first {run(100000, i)['first_ms']:.1f} ms"),
]

command = " ".join(["bench/plan_scale.py"] + sys.argv[1:])
lowest = min(x["matched"] for r in rows for x in r["runs"])
table.append("")
table.append(f"Measured by `{command}` on {machine()}. Load is one sized read of the file, "
             f"verifying it and compiling its regexes (`load_plan_file`); the first is the process's first load, the "
             f"median is of five more; memory is the resident set the kept plan adds. Lookups are "
             f"`plan::match()` over {requests:,} pre-built requests ({lowest:.0%} or more matched a route), "
             f"timed in batches of 1,000: the median and p99 are of those batches' per-lookup means. Each size's "
             f"plan is measured by {reps} runs of `plan_bench`; a row shows the run with the median lookup, and "
             f"the range over the runs. Targets are judged on each run.")
table.append("")
table.append("Targets: " + "; ".join(targets) + ".")
text = "\n".join(table)
print(text)

if readme:
    readme_section(root, "plan", text)
