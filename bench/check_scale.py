#!/usr/bin/env python3
"""How long `banyanc check` takes, and how much memory, as route files grow.

Usage: bench/check_scale.py [--readme] [SIZES...]     (default sizes 1000 10000 100000)

Builds banyanc in Release (build/release), writes API-shaped route files with
bench/gen_routes.py, runs `banyanc check` on each three times and reports the best
wall time and the peak resident memory. The target (issue 3): 10,000 routes in under
2 seconds. With --readme, rewrites the table between the bench:check markers in
README.md. There is no nginx column: nginx has no conflict analysis to compare with.
"""
import os, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from readme import machine, write_section as readme_section  # noqa: E402

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
sizes = [int(a) for a in args] or [1000, 10000, 100000]
readme = "--readme" in sys.argv

subprocess.run(["cmake", "-S", root, "-B", f"{root}/build/release", "-DCMAKE_BUILD_TYPE=Release"],
               check=True, stdout=subprocess.DEVNULL)
subprocess.run(["cmake", "--build", f"{root}/build/release", "-j2", "--target", "banyanc"],
               check=True, stdout=subprocess.DEVNULL)
banyanc = f"{root}/build/release/compiler/banyanc"

rows = []
with tempfile.TemporaryDirectory() as tmp:
    for n in sizes:
        path = f"{tmp}/routes-{n}.routes"
        with open(path, "w") as f:
            subprocess.run([sys.executable, f"{root}/bench/gen_routes.py", str(n)], stdout=f, check=True)
        best, rss = None, 0
        for _ in range(3):
            with open(f"{tmp}/stderr", "w") as err:
                t = time.perf_counter()
                proc = subprocess.Popen([banyanc, "check", path], stdout=subprocess.DEVNULL, stderr=err)
                _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory
                dt = time.perf_counter() - t
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit(f"banyanc check failed on {n} routes:\n{open(f'{tmp}/stderr').read()[:2000]}")
            best = dt if best is None else min(best, dt)
            rss = max(rss, usage.ru_maxrss / 1024)  # KiB -> MiB
        size = os.path.getsize(path) / 1024
        rows.append((n, size, best, rss))

table = ["| routes | file | `banyanc check` (best of 3) | peak memory |", "|---:|---:|---:|---:|"]
for n, size, best, rss in rows:
    table.append(f"| {n:,} | {size:,.0f} KiB | {best:.3f} s | {rss:.0f} MiB |")
table.append("")
table.append(f"Measured by `bench/check_scale.py --readme` on {machine()}.")
text = "\n".join(table)
print(text)

if readme:
    readme_section(root, "check", text)
