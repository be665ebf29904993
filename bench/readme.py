"""What the bench scripts share: the machine's description, and writing a table
into README.md between its `<!-- bench:NAME -->` markers."""
import os, subprocess, sys


def machine():
    """'2 cores (AMD EPYC)': the cores and CPU model the numbers were measured on."""
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True,
                         text=True).stdout.strip()
    return f"{os.cpu_count()} cores ({cpu})"


def write_section(root, name, text):
    """Replaces what README.md holds between the bench:NAME markers with `text`."""
    p = f"{root}/README.md"
    s = open(p).read()
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    if begin not in s:
        sys.exit(f"README.md has no bench:{name} markers")
    a = s.index(begin) + len(begin)
    b = s.index(end)
    open(p, "w").write(s[:a] + "\n" + text + "\n" + s[b:])
