"""The image-gallery example (examples/image-gallery/gallery.routes, unchanged) caches
as the tutorial's nginx did: the page is stored on its first request (X-Cache: MISS)
and answered from the cache after (HIT, no X-Upstream: no upstream was asked); when
the monolith stops, an expired page is still served (STALE), as `stale error timeout
updating http_5xx` says. The monolith is banyan-origin; the page it serves here says
max-age=1 (its freshness wins over the route's `valid 200 6h`), so it expires within
the test. Beside the tutorial, the example routes a gRPC service (demo/greeter.py, behind
`protocol h2c`): a gRPC client reaches it over the https listener (TLS, ALPN h2), the
example's CA trusted."""

import os
import shutil
import sys
import time

from harness import Harness, check, curl, expect_eq, free_port, parse_response

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROUTES = os.path.join(ROOT, "examples", "image-gallery", "gallery.routes")
CA = os.path.join(ROOT, "examples", "image-gallery", "certs", "ca", "ca-cert.pem")
sys.path.insert(0, os.path.join(ROOT, "demo"))
import greeter  # noqa: E402  (demo/greeter.py: the demo's gRPC service and client)
HOST = "image-gallery.local"


def main():
    with Harness(sys.argv) as h:
        # The example's folder, copied: its `long` zone's disk directory is relative to
        # the routes file, and each run starts with an empty one.
        example = os.path.join(h.dir, "image-gallery")
        shutil.copytree(os.path.dirname(ROUTES), example, ignore=shutil.ignore_patterns("cache"))
        monolith = h.origin("monolith", replicas=3)
        iotd = h.origin("iotd")
        grpc_server, grpc_port = greeter.server("127.0.0.1:0")
        gw = h.gateway("", plan=os.path.join(example, "gallery.routes"), listen={":443": free_port(), ":80": free_port()},
                       upstreams={"monolith": monolith.addrs, "iotd": iotd.addrs,
                                  "greeter": [f"127.0.0.1:{grpc_port}"]})
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

        def grpc_over_https():
            with greeter.channel(f"{HOST}:{https}", CA, f"127.0.0.1:{https}") as ch:
                hello = ch.unary_unary("/demo.Greeter/SayHello")(b"test", timeout=10)
                expect_eq(hello, b"hello, test, from greeter (via: 2 banyan)", "a unary call through the gateway")
                count = [m for m in ch.unary_stream("/demo.Greeter/Count")(b"3", timeout=10)]
                expect_eq(count, [b"1", b"2", b"3"], "a server-streaming call")

        h.case("a gRPC client over https (ALPN h2) to the h2c greeter", grpc_over_https)
        h.case("the gallery's / is stored, then answered from the cache", root_miss_then_hit)
        h.case("a page that says max-age=1 is stored, then answered from the cache", miss_then_hit)
        h.case("with the monolith stopped, the expired page is served stale", stale_when_the_monolith_stops)
        grpc_server.stop(0)


if __name__ == "__main__":
    main()
