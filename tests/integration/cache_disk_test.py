#!/usr/bin/env python3
"""The cache's disk tier through the real gateway: a zone's `disk "DIRECTORY" SIZE`
keeps its responses across a stop and a start, a damaged file is never served, and the
directory stays within SIZE. One origin, banyan-origin's counted /c/ resource (its body
"cached thing #N" and X-Count: N count the /c answers it made, so an answer stored
before the restart is told from a new one by its old N) and /bytes/N for sized bodies.

usage: cache_disk_test.py BANYAN BANYAN_ORIGIN
"""
import os
import signal
import struct
import sys
import urllib.parse

from harness import Harness, TestFailure, check, curl, expect_eq, metric, parse_response, wait_until
from cache_test import Answer  # the conformance suite's answer, X-Cache and X-Count read

HOST = "disk.test"
BOUND = 64 * 1024  # the `bounded` zone's disk SIZE

ROUTES = r"""
listen http :80

upstream app {
  server "127.0.0.1:1"
}
cache kept {
  memory 8MiB
  disk "@KEPT@" 4MiB
}
cache bounded {
  memory 8MiB
  disk "@BOUNDED@" 64KiB
}

site default {
  route /c {
    to app
    cache kept {
      valid 200 10m
    }
    response_header X-Cache $upstream_cache_status
  }
  route /b {
    to app
    rewrite /bytes/**
    cache bounded {
      valid 200 10m
    }
    response_header X-Cache $upstream_cache_status
  }
}
"""




def files(directory):
    """{path: size} of the tier's files (two-hex-digit folders; temporary files left out)."""
    out = {}
    for sub in os.listdir(directory):
        d = os.path.join(directory, sub)
        if len(sub) != 2 or not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            if not name.startswith("."):
                out[os.path.join(d, name)] = os.path.getsize(os.path.join(d, name))
    return out


def key_of_file(path):
    """The cache key a file holds (runtime/cache/disk_tier.h: the meta begins at byte 32
    with the key, a u32 length then its bytes)."""
    with open(path, "rb") as f:
        data = f.read(32 + 4 + 4096)
    (n,) = struct.unpack_from("<I", data, 32)
    return data[36:36 + n].decode()


def main():
    with Harness(sys.argv) as h:
        origin = h.origin("app")
        kept_dir = os.path.join(h.dir, "cache", "kept")
        bounded_dir = os.path.join(h.dir, "cache", "bounded")
        routes = ROUTES.replace("@KEPT@", kept_dir).replace("@BOUNDED@", bounded_dir)
        gws = [h.gateway(routes, upstreams={"app": origin.addrs}, name="gw1")]

        def gw():
            return gws[-1]

        def fetch(path, *fields):
            args = ["-i", "-H", f"Host: {HOST}"]
            for f in fields:
                args += ["-H", f]
            out, rc = curl(*args, gw().url(path))
            check(rc == 0, f"curl {path} exited {rc}")
            return Answer(*parse_response(out))

        def heads(path):
            return origin.heads(f"GET {path} HTTP/1.1".encode())

        def m(name, zone):
            return metric(gw().metrics(), f'{name}{{zone="{zone}"}}') or 0

        def wait_written(zone, n):
            wait_until(lambda: m("banyan_cache_disk_writes_total", zone) + m("banyan_cache_disk_write_drops_total", zone) >= n,
                       lambda: f"{n} writes to the {zone} zone's disk (written {m('banyan_cache_disk_writes_total', zone)}, "
                               f"dropped {m('banyan_cache_disk_write_drops_total', zone)})")
            expect_eq(m("banyan_cache_disk_write_drops_total", zone), 0, f"writes dropped in {zone}")

        def restart():
            h.stop(gw().proc, signal.SIGTERM)
            expect_eq(gw().proc.returncode, 0, "the gateway's exit status after SIGTERM")
            gws.append(h.gateway(routes, upstreams={"app": origin.addrs}, name=f"gw{len(gws) + 1}"))

        stored = {}

        def store_then_restart():
            # Stored before the restart: a plain entry, two Vary variants, and two that the
            # next case damages while the gateway is stopped.
            for p in ("/c/keep", "/c/flip", "/c/trunc"):
                a = fetch(p)
                expect_eq((a.status, a.cache), (200, "MISS"), f"the first GET {p}")
                stored[p] = a
            vary = "/c/vary?h=" + urllib.parse.quote("Vary: Accept-Language", safe="")
            for lang in ("en", "fr"):
                a = fetch(vary, f"Accept-Language: {lang}")
                expect_eq(a.cache, "MISS", f"the first GET {vary} ({lang})")
                stored[lang] = a
            expect_eq(fetch("/c/keep").cache, "HIT", "the second GET /c/keep, before the restart")
            wait_written("kept", 5)
            expect_eq(m("banyan_cache_disk_entries", "kept"), 5, "files in the kept zone")
            restart()
            check(m("banyan_cache_disk_entries", "kept") >= 5, "the restarted gateway's index of the directory")
            a = fetch("/c/keep")
            expect_eq((a.status, a.cache), (200, "HIT"), f"the first GET after the restart ({a!r})")
            expect_eq(a.count, stored["/c/keep"].count, "X-Count: the answer stored before the restart")
            expect_eq(a.body, stored["/c/keep"].body, "the body stored before the restart")
            expect_eq(heads("/c/keep"), 1, "requests for /c/keep the origin received")
            check(a.headers.get("age", "").isdigit(), f"Age on a disk hit: {a.headers.get('age')!r}")
            for lang in ("fr", "en"):
                b = fetch(vary, f"Accept-Language: {lang}")
                expect_eq((b.cache, b.count), ("HIT", stored[lang].count), f"the {lang} variant after the restart")
            de = fetch(vary, "Accept-Language: de")
            expect_eq(de.cache, "MISS", "a variant never stored")
            check(m("banyan_cache_disk_hits_total", "kept") >= 3, "banyan_cache_disk_hits_total counts the disk hits")
            again = fetch("/c/keep")
            expect_eq((again.cache, again.count), ("HIT", a.count), "the promoted entry, from memory")

        def damaged_files_are_misses():
            check(stored, "needs the entries of the previous case")
            h.stop(gw().proc, signal.SIGTERM)
            by_key = {key_of_file(p): p for p in files(kept_dir)}
            flip = by_key.get(f"http://{HOST}/c/flip")
            trunc = by_key.get(f"http://{HOST}/c/trunc")
            check(flip and trunc, f"the files of /c/flip and /c/trunc among {sorted(by_key)}")
            with open(flip, "r+b") as f:  # one byte of the body (its last bytes: "#N\n")
                f.seek(-3, os.SEEK_END)
                b = f.read(1)
                f.seek(-3, os.SEEK_END)
                f.write(bytes([b[0] ^ 0x01]))
            with open(trunc, "r+b") as f:
                f.truncate(os.path.getsize(trunc) - 5)
            restart()
            for p in ("/c/flip", "/c/trunc"):
                a = fetch(p)
                expect_eq((a.status, a.cache), (200, "MISS"), f"GET {p} after its file was damaged ({a!r})")
                check(a.count is not None and a.count > stored[p].count and a.body == f"cached thing #{a.count}\n",
                      f"GET {p}: a new, whole answer from the origin, not the damaged one: {a!r}")
                expect_eq(heads(p), 2, f"requests for {p} the origin received")
            expect_eq(m("banyan_cache_disk_corrupt_total", "kept"), 2, "banyan_cache_disk_corrupt_total")
            check(not os.path.exists(flip) or key_of_file(flip) == f"http://{HOST}/c/flip", "the damaged file")
            wait_written("kept", 2)
            a = fetch("/c/keep")
            expect_eq((a.cache, a.count), ("HIT", stored["/c/keep"].count), "an undamaged file, after the restart")

        def bound_holds():
            n = 60
            for i in range(n):
                a = fetch(f"/b/3000?n={i}")
                expect_eq((a.status, len(a.body), a.cache), (200, 3000, "MISS"), f"GET /b/3000?n={i}")
            wait_written("bounded", n)
            sizes = files(bounded_dir)
            total = sum(sizes.values())
            check(0 < total <= BOUND, f"the directory holds {total} bytes in {len(sizes)} files; the bound is {BOUND}")
            check(len(sizes) < n, f"nothing was evicted: {len(sizes)} files")
            expect_eq(m("banyan_cache_disk_bytes", "bounded"), total, "banyan_cache_disk_bytes")
            expect_eq(m("banyan_cache_disk_entries", "bounded"), len(sizes), "banyan_cache_disk_entries")
            check(m("banyan_cache_disk_evictions_total", "bounded") >= n - len(sizes), "evictions counted")
            restart()  # the newest survive, and the bound still holds
            newest = fetch(f"/b/3000?n={n - 1}")
            expect_eq(newest.cache, "HIT", "the newest entry after a restart")
            oldest = fetch("/b/3000?n=0")
            expect_eq(oldest.cache, "MISS", "the oldest entry after a restart (evicted)")
            wait_written("bounded", 1)
            check(sum(files(bounded_dir).values()) <= BOUND, "the bound after the restart")

        def unusable_directory():
            blocker = os.path.join(h.dir, "not-a-directory")
            with open(blocker, "w") as f:
                f.write("x")
            bad = routes.replace(bounded_dir, os.path.join(blocker, "sub"))
            # At start: the gateway refuses the plan and says which zone, which directory, why.
            g = h.gateway(bad, upstreams={"app": origin.addrs}, name="gw-bad", expect_start=False)
            status = g.wait_exit("a cache directory that cannot be created")
            check(status != 0, f"exit status {status}")
            err = g.stderr()
            check(f"cache zone 'bounded': disk \"{blocker}/sub\": cannot create the directory" in err,
                  f"the message: {err[-1500:]}")
            # At reload: refused, and the old plan keeps serving from its disk.
            with open(gw().routes_path, "w") as f:
                f.write(bad)
            s, body = gw().admin("/reload", "POST")
            check(s == 422 and "cannot create the directory" in body, f"POST /reload: {s} {body}")
            a = fetch("/c/keep")
            expect_eq((a.cache, a.count), ("HIT", stored["/c/keep"].count), "the old plan still serves its entries")
            with open(gw().routes_path, "w") as f:
                f.write(routes)

        def relative_directory():
            # As certificates: a relative directory is resolved from the routes file's
            # directory (the harness's), not from the gateway's working directory.
            rel = routes.replace(f'"{kept_dir}"', '"rel-cache/kept"').replace(f'"{bounded_dir}"', '"rel-cache/b"')
            cwd = os.getcwd()
            g = h.gateway(rel, upstreams={"app": origin.addrs}, name="gw-rel")
            try:
                check(os.path.isdir(os.path.join(h.dir, "rel-cache", "kept")),
                      f"rel-cache/kept next to the routes file ({h.dir}): {os.listdir(h.dir)}")
                check(not os.path.exists(os.path.join(cwd, "rel-cache")), f"rel-cache created in the working directory {cwd}")
            finally:
                h.stop(g.proc)

        h.case("a stored response survives SIGTERM and a start on the same directory: the first GET is a HIT, "
               "origin not asked", store_then_restart)
        h.case("a file damaged while the gateway is stopped (a flipped body byte, a truncation) is a MISS, "
               "counted, never served", damaged_files_are_misses)
        h.case("the directory stays within `disk SIZE` under a stream of distinct keys, across a restart", bound_holds)
        h.case("a disk directory that cannot be created fails the start and a reload with the zone, the path and why",
               unusable_directory)
        h.case("a relative disk directory is resolved from the routes file's directory", relative_directory)


if __name__ == "__main__":
    main()
