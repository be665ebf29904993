#!/usr/bin/env python3
"""What a compiled plan costs as route files grow: compile time, plan size, load time,
the memory the loaded plan adds, and lookup time.

Usage: bench/plan_scale.py [--readme] [SIZES...]     (default sizes 100 1000 10000 100000)
       JOBS=N picks the build's parallelism (default 2).

Builds banyanc and plan_bench in Release (build/release), writes API-shaped route
files and 20,000 requests that hit them with bench/gen_routes.py, runs `banyanc
compile` on each three times (best wall time, peak resident memory), then
bench/plan_bench.cpp on the plan. The targets (issue 4) are checked, not asserted:
the line under the table says which were met. With --readme, rewrites the text
between the bench:plan markers in README.md.
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
        out = subprocess.run([plan_bench, plan, reqs], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"plan_bench failed on {n} routes:\n{out.stdout}{out.stderr[:2000]}")
        m = dict(kv.split("=", 1) for kv in out.stdout.split())
        matched, total = (int(x) for x in m["matched"].split("/"))
        rows.append(dict(n=n, plan_kib=int(m["plan_bytes"]) / 1024, compile_s=best, compile_mib=rss,
                         load_ms=float(m["load_ms"]), first_ms=float(m["first_load_ms"]), added_mib=int(m["rss_added_kib"]) / 1024,
                         median=float(m["median_ns"]), p99=float(m["p99_ns"]), matched=matched / total))

base = rows[0]
table = ["| routes | plan size | compile (best of 3) | compile peak memory | load: median of 5 (first, cold) | memory added by the "
         f"loaded plan | lookup median | lookup p99 | lookup vs {base['n']:,} routes |",
         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    table.append(f"| {r['n']:,} | {r['plan_kib']:,.0f} KiB | {r['compile_s']:.3f} s | {r['compile_mib']:.0f} MiB | "
                 f"{r['load_ms']:.2f} ms ({r['first_ms']:.2f} ms) | {r['added_mib']:.1f} MiB | {r['median']:.0f} ns | {r['p99']:.0f} ns | "
                 f"{r['median'] / base['median']:.2f}x |")

by_n = {r["n"]: r for r in rows}


def target(what, sizes_needed, ok, measured):
    if not all(s in by_n for s in sizes_needed):
        return f"{what}: not measured"
    return f"{what}: {'met' if ok() else '**missed**'} ({measured()})"


targets = [
    target("lookup median at 10k routes within 2x of 100 routes and under 250 ns", [100, 10000],
           lambda: by_n[10000]["median"] <= 2 * by_n[100]["median"] and by_n[10000]["median"] < 250,
           lambda: f"{by_n[10000]['median']:.0f} ns, {by_n[10000]['median'] / by_n[100]['median']:.2f}x"),
    target("a 10k-route plan adds at most 15 MiB", [10000], lambda: by_n[10000]["added_mib"] <= 15,
           lambda: f"{by_n[10000]['added_mib']:.1f} MiB"),
    target("100k routes compile in under 5 s", [100000], lambda: by_n[100000]["compile_s"] < 5,
           lambda: f"{by_n[100000]['compile_s']:.2f} s"),
    target("a 100k-route plan loads in under 100 ms, cold and warm", [100000],
           lambda: max(by_n[100000]["load_ms"], by_n[100000]["first_ms"]) < 100,
           lambda: f"{by_n[100000]['load_ms']:.1f} ms, first {by_n[100000]['first_ms']:.1f} ms"),
]

command = " ".join(["bench/plan_scale.py"] + sys.argv[1:])
lowest = min(r["matched"] for r in rows)
table.append("")
table.append(f"Measured by `{command}` on {machine()}. Load is one sized read of the file, "
             f"verifying it and compiling its regexes (`load_plan_file`); the first is the process's first load, the "
             f"median is of five more; memory is the resident set the kept plan adds. Lookups are "
             f"`plan::match()` over {requests:,} pre-built requests ({lowest:.0%} or more matched a route), "
             f"timed in batches of 1,000: the median and p99 are of those batches' per-lookup means.")
table.append("")
table.append("Targets: " + "; ".join(targets) + ".")
text = "\n".join(table)
print(text)

if readme:
    readme_section(root, "plan", text)
