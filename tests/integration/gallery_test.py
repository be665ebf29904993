"""The image-gallery example (examples/image-gallery/gallery.routes, unchanged) caches
as the tutorial's nginx did: the page is stored on its first request (X-Cache: MISS)
and answered from the cache after (HIT, no X-Upstream: no upstream was asked); when
the monolith stops, an expired page is still served (STALE), as `stale error timeout
updating http_5xx` says. The monolith is banyan-origin; the page it serves here says
max-age=1 (its freshness wins over the route's `valid 200 6h`), so it expires within
the test."""

import os
import shutil
import sys
import time

from harness import Harness, check, curl, expect_eq, free_port, parse_response

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROUTES = os.path.join(ROOT, "examples", "image-gallery", "gallery.routes")
HOST = "image-gallery.local"


def main():
    with Harness(sys.argv) as h:
        # The example's folder, copied: its `long` zone's disk directory is relative to
        # the routes file, and each run starts with an empty one.
        example = os.path.join(h.dir, "image-gallery")
        shutil.copytree(os.path.dirname(ROUTES), example, ignore=shutil.ignore_patterns("cache"))
        monolith = h.origin("monolith", replicas=3)
        iotd = h.origin("iotd")
        gw = h.gateway("", plan=os.path.join(example, "gallery.routes"), listen={":443": free_port(), ":80": free_port()},
                       upstreams={"monolith": monolith.addrs, "iotd": iotd.addrs})
        https = gw.ports[":443"]

        def get(path):
            out, rc = curl("-ik", "--resolve", f"{HOST}:{https}:127.0.0.1", f"https://{HOST}:{https}{path}")
            check(rc == 0, f"curl {path} exited {rc}")
            return parse_response(out)

        page = "/bytes/64?h=Cache-Control:max-age%3D1"

        def root_miss_then_hit():
            s, hd, body = get("/")
            expect_eq((s, hd.get("x-cache")), (200, "MISS"), "the first GET /")
            s2, hd2, body2 = get("/")
            expect_eq((s2, hd2.get("x-cache"), body2), (200, "HIT", body), "the second GET / (`valid 200 6h`)")

        def miss_then_hit():
            s, hd, body = get(page)
            expect_eq((s, hd.get("x-cache")), (200, "MISS"), "the first request")
            check(hd.get("x-upstream") in monolith.addrs, f"X-Upstream names a monolith replica: {hd}")
            s2, hd2, body2 = get(page)
            expect_eq((s2, hd2.get("x-cache"), body2), (200, "HIT", body), "the second request")
            check("x-upstream" not in hd2, f"a HIT asked no upstream, so X-Upstream is left out: {hd2}")
            check("age" in hd2 and "strict-transport-security" in hd2, f"Age and HSTS on the HIT: {hd2}")
            expect_eq(monolith.heads(b"GET /bytes/64"), 1, "requests the monolith received for the page")

        def stale_when_the_monolith_stops():
            h.stop(monolith.proc)
            time.sleep(1.3)  # the page's max-age=1 passes
            s, hd, body = get(page)
            expect_eq((s, hd.get("x-cache")), (200, "STALE"), "the page with the monolith stopped")
            expect_eq(len(body), 64, "the stored body")
            s, hd, _ = get("/bytes/65")  # never stored: nothing stands in for the monolith
            check(s in (502, 503, 504), f"an unstored page: {s} {hd}")

        h.case("the gallery's / is stored, then answered from the cache", root_miss_then_hit)
        h.case("a page that says max-age=1 is stored, then answered from the cache", miss_then_hit)
        h.case("with the monolith stopped, the expired page is served stale", stale_when_the_monolith_stops)


if __name__ == "__main__":
    main()
