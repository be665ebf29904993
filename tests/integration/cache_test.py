#!/usr/bin/env python3
"""The response cache (RFC 9111) through the real gateway: each case's name starts with
the section of RFC 9111 it checks ("ops" for the gateway's own surface: zones, purge,
metrics, the access log). One origin, banyan-origin's counted /c/ resource: its body is
"TEXT #N" and it says X-Count: N, N counting the /c answers the origin made, so an
answer from the cache (an old N) is told from a fresh one; its query sets the status
and the response fields (h=Name:Value), so every case uses its own path and never sees
another case's entries. /c-fail?n=K makes the next K /c answers 503s.

The contract beyond the RFC (the X-Cache values are nginx's $upstream_cache_status):
MISS, HIT, EXPIRED, STALE, UPDATING, REVALIDATED, BYPASS; freshness from s-maxage >
max-age > Expires > the route's `valid`; no heuristic freshness; Set-Cookie, private,
no-store and Vary: * are never stored. Cases that test what the RFC allows but the
contract leaves open say "(optional)" in their name.

The cases that need an entry to go stale are staged: each stores its entry first, then
one pause (EXPIRY) lets every max-age=1 entry go stale at once, then each checks.

usage: cache_test.py BANYAN BANYAN_ORIGIN
"""
import email.utils
import json
import signal
import socket
import sys
import threading
import time
import urllib.parse

from harness import Harness, TestFailure, check, curl, expect_eq, metric, origin_bytes, parse_response, wait_until

HOST = "cache.test"
# Long enough for a max-age=1 entry to be stale whatever the rounding of Age and Date
# (whole seconds): the current age is then at least 2.
EXPIRY = 2.2

ROUTES = r"""
listen http :80

upstream app {
  server "127.0.0.1:1"
}
# A second origin process, stopped part way: the upstream is down.
upstream second {
  server "127.0.0.1:1"
}
cache pages {
  memory 64MiB
}
cache small {
  memory 1MiB
}
cache capped {
  memory 8MiB
  max_entry 16KiB
}
cache spare {
  memory 8MiB
}

site default {
  route = /c-fail {
    to app
  }
  # The main policy: 200 and 404 kept 10 s without explicit freshness, stale served on
  # every failure.
  route /c {
    to app
    cache pages {
      valid 200 404 10s
      stale error timeout updating http_5xx
    }
    response_header X-Cache $upstream_cache_status
  }
  # No `valid`, no `stale`: only explicit freshness is stored, failures are passed on.
  route /nv {
    to app
    rewrite /c/**
    cache pages
    response_header X-Cache $upstream_cache_status
  }
  route /auth {
    to app
    rewrite /c/**
    cache pages {
      allow authorized
    }
    response_header X-Cache $upstream_cache_status
  }
  route /lang {
    to app
    rewrite /c/**
    cache pages {
      valid 200 10s
      key $host $path $cookie_lang
    }
    response_header X-Cache $upstream_cache_status
  }
  route /small {
    to app
    rewrite /bytes/**
    cache small
    response_header X-Cache $upstream_cache_status
  }
  route /capped {
    to app
    rewrite /bytes/**
    cache capped
    response_header X-Cache $upstream_cache_status
  }
  # Stored and compressed: a client that takes gzip gets the whole, encoded, for a Range.
  route /zc {
    to app
    rewrite /bytes/**
    cache pages {
      valid 200 10s
    }
    compress gzip
    response_header X-Cache $upstream_cache_status
  }
  route /spare {
    to app
    rewrite /c/**
    cache spare {
      valid 200 10s
    }
    response_header X-Cache $upstream_cache_status
  }
  route /se {
    to second
    rewrite /c/**
    cache pages {
      stale error timeout
    }
    response_header X-Cache $upstream_cache_status
  }
  route /nse {
    to second
    rewrite /c/**
    cache pages
    response_header X-Cache $upstream_cache_status
  }
}
"""


def u(path, *fields, **params):
    """path with the query the origin reads: each field "Name: Value" an h=, then the params."""
    parts = [f"h={urllib.parse.quote(f, safe='')}" for f in fields]
    for k, v in params.items():
        for one in v if isinstance(v, (list, tuple)) else [v]:
            parts.append(f"{k}={urllib.parse.quote(str(one), safe='')}")
    return path + ("?" + "&".join(parts) if parts else "")


def http_date(t):
    return email.utils.formatdate(t, usegmt=True)


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body
        self.cache = headers.get("x-cache", "")
        xc = headers.get("x-count")
        self.count = int(xc) if isinstance(xc, str) and xc.isdigit() else None
        # The N of the body "TEXT #N" (None for other bodies).
        tail = body.rsplit("#", 1)[-1].strip() if "#" in body else ""
        self.body_count = int(tail) if tail.isdigit() else None

    def __repr__(self):
        return f"<{self.status} X-Cache={self.cache!r} X-Count={self.count} body={self.body[:60]!r}>"


def main():
    with Harness(sys.argv) as h:
        origin = h.origin("app")
        second = h.origin("second")
        gw = h.gateway(ROUTES, upstreams={"app": origin.addrs, "second": second.addrs})

        def fetch(path, *fields, method="GET", host=HOST):
            """One request through the gateway, Host: cache.test, with the given header lines."""
            args = ["-i", "-H", f"Host: {host}"]
            for f in fields:
                args += ["-H", f]
            if method == "HEAD":
                args.append("-I")
            elif method != "GET":
                args += ["-X", method, "--data-binary", ""]
            out, rc = curl(*args, gw.url(path))
            check(rc == 0, f"curl {method} {path} exited {rc}")
            return Answer(*parse_response(out))

        def upstream_target(path):
            """The target the origin sees for a gateway path (the routes' rewrites)."""
            first, _, rest = path[1:].partition("/")
            base = {"small": "/bytes", "capped": "/bytes", "zc": "/bytes"}.get(first, "/c")
            return base + "/" + rest if first not in ("c",) else path

        def upstream_heads(path, method="GET", origin_=None):
            """How many requests for this exact gateway path the origin received."""
            return (origin_ or origin).heads(f"{method} {upstream_target(path)} HTTP/1.1".encode())

        def upstream_head_texts(path, method="GET"):
            want = f"{method} {upstream_target(path)} HTTP/1.1".encode()
            return [hd.decode(errors="replace") for hd in origin.logged().split(b"\n---\n") if hd.startswith(want)]

        def expect_cache(a, want, what):
            wants = want if isinstance(want, tuple) else (want,)
            check(a.cache in wants, f"{what}: expected X-Cache {' or '.join(wants)}, got {a.cache!r} ({a!r})")

        def expect_fresh_from_origin(a, before, what):
            """a is a full answer from the origin made after the answer `before`."""
            expect_eq(a.status, 200, f"{what}: status")
            check(a.count is not None and before.count is not None and a.count > before.count,
                  f"{what}: expected a new answer from the origin (X-Count > {before.count}), got {a!r}")

        def expect_same(a, before, what, cache="HIT"):
            """a is the stored answer `before`, served by the cache."""
            expect_eq(a.status, before.status, f"{what}: status")
            check(a.body_count == before.body_count and a.body_count is not None,
                  f"{what}: expected the stored body #{before.body_count}, got {a!r}")
            if cache:
                expect_cache(a, cache, what)

        def stored_then_hit(path, *fields, what="the second GET"):
            first = fetch(path, *fields)
            expect_cache(first, "MISS", "the first GET")
            again = fetch(path, *fields)
            expect_same(again, first, what)
            return first, again

        def not_stored(path, *fields, first_cache=("MISS",), again_cache=("MISS",)):
            first = fetch(path, *fields)
            check(first.status < 500, f"the first GET: {first!r}")
            expect_cache(first, first_cache, "the first GET")
            again = fetch(path, *fields)
            check(again.count is not None and again.count != first.count,
                  f"the second GET went to the origin again: expected a new X-Count, got {again!r} after {first!r}")
            expect_cache(again, again_cache, "the second GET")
            expect_eq(upstream_heads(path), 2, "requests the origin received")

        def fail_next(n=1):
            s, _ = fetch_origin(f"/c-fail?n={n}")
            expect_eq(s, 200, "/c-fail")

        def fetch_origin(path):
            a = fetch(path)
            return a.status, a

        # ---- RFC 9110 section 14: a Range answered from a stored response ----

        def ranges_of_a_hit():
            path = u("/c/range-1", "Cache-Control: max-age=60")
            first = fetch(path)
            expect_cache(first, "MISS", "the first GET")
            whole, n = first.body, len(first.body)  # ASCII: characters are bytes
            for spec, lo, hi in [("bytes=0-3", 0, 3), ("bytes=2-", 2, n - 1), ("bytes=-3", n - 3, n - 1),
                                 (f"bytes=1-{n + 100}", 1, n - 1), (f"bytes={n - 1}-{n - 1}", n - 1, n - 1)]:
                a = fetch(path, f"Range: {spec}")
                expect_eq(a.status, 206, f"{spec}: status")
                expect_cache(a, "HIT", spec)
                expect_eq(a.headers.get("content-range"), f"bytes {lo}-{hi}/{n}", f"{spec}: Content-Range")
                expect_eq(a.headers.get("content-length"), str(hi - lo + 1), f"{spec}: Content-Length")
                expect_eq(a.body, whole[lo:hi + 1], f"{spec}: the bytes")
            again = fetch(path)
            expect_eq((again.status, again.headers.get("accept-ranges")), (200, "bytes"),
                      "a whole stored answer says ranges of it are answered")
            expect_eq(upstream_heads(path), 1, "requests the origin received")

        def ranges_of_a_larger_body():
            want = origin_bytes(100_000).decode()  # the pattern is ASCII
            path = "/zc/100000?type=application/octet-stream"
            expect_eq(fetch(path).status, 200, "the first GET")
            for lo, hi in [(0, 0), (65_530, 65_540), (99_000, 99_999)]:
                a = fetch(path, f"Range: bytes={lo}-{hi}")
                expect_eq((a.status, a.headers.get("content-range")), (206, f"bytes {lo}-{hi}/100000"), f"bytes={lo}-{hi}")
                check(a.body == want[lo:hi + 1], f"bytes={lo}-{hi}: {len(a.body)} bytes, not the origin's")
            expect_eq(upstream_heads(path), 1, "requests the origin received")

        def range_not_satisfiable():
            path = u("/c/range-2", "Cache-Control: max-age=60")
            n = len(fetch(path).body)
            a = fetch(path, f"Range: bytes={n}-")
            expect_eq(a.status, 416, "status")
            expect_cache(a, "HIT", "a 416 from the stored response")
            expect_eq(a.headers.get("content-range"), f"bytes */{n}", "Content-Range")
            expect_eq((a.headers.get("content-length"), a.body), ("0", ""), "no body")
            expect_eq(upstream_heads(path), 1, "requests the origin received")

        def ranges_answered_whole():
            path = u("/c/range-3", "Cache-Control: max-age=60")
            first = fetch(path)
            for spec in ["bytes=0-1,3-4", "bytes=3-1", "items=0-1", "bytes=x-", "bytes=1"]:
                a = fetch(path, f"Range: {spec}")
                expect_same(a, first, spec)
                check("content-range" not in a.headers, f"{spec}: no Content-Range: {a.headers}")
            head = fetch(path, "Range: bytes=0-1", method="HEAD")
            expect_eq(head.status, 200, "a HEAD with Range (14.2: GET only)")

        def if_range():
            modified = http_date(1_700_000_000)
            path = u("/c/range-4", "Cache-Control: max-age=60", 'ETag: "r4"', f"Last-Modified: {modified}")
            first = fetch(path)
            for cond, status in [('"r4"', 206), ('"other"', 200), ('W/"r4"', 200), (modified, 206),
                                 (http_date(1_700_000_001), 200), ("nonsense", 200)]:
                a = fetch(path, "Range: bytes=0-1", f"If-Range: {cond}")
                expect_eq(a.status, status, f"If-Range: {cond}")
                expect_eq(a.body, first.body[:2] if status == 206 else first.body, f"If-Range: {cond}: body")

        def range_from_the_start_fills():
            path = u("/c/range-5", "Cache-Control: max-age=60")
            first = fetch(path, "Range: bytes=0-")
            expect_eq(first.status, 200, "a miss asking for every byte: the whole response")
            expect_cache(first, "MISS", "the first GET")
            sent = upstream_head_texts(path)
            expect_eq(len(sent), 1, "requests the origin received")
            check("range:" not in sent[0].lower(), f"the fill asked for the whole: {sent[0]!r}")
            again = fetch(path, "Range: bytes=0-3")
            expect_eq((again.status, again.body), (206, first.body[:4]), "the next range, from the stored response")
            expect_cache(again, "HIT", "the next range")

        def other_range_on_a_miss():
            path = u("/c/range-6", "Cache-Control: max-age=60")
            fetch(path, "Range: bytes=2-3")
            sent = upstream_head_texts(path)
            expect_eq(len(sent), 1, "requests the origin received")
            check("range: bytes=2-3" in sent[0].lower(), f"the range went upstream as it was: {sent[0]!r}")

        def range_of_an_encoded_response():
            path = "/zc/4096?type=text/plain"
            expect_eq(fetch(path).status, 200, "the first GET")
            gz = fetch(path, "Range: bytes=0-9", "Accept-Encoding: gzip")
            expect_eq((gz.status, gz.headers.get("content-encoding")), (200, "gzip"), "a client that takes gzip")
            check("accept-ranges" not in gz.headers, f"no ranges offered of the encoded bytes: {gz.headers}")
            plain = fetch(path, "Range: bytes=0-9")
            expect_eq((plain.status, plain.body), (206, origin_bytes(10).decode()), "a client that takes none")
            expect_cache(plain, "HIT", "the range")
            # A HEAD says what the GET would: ranges offered to the client that would get
            # the bytes as stored, not to one that would get gzip.
            head_gz = fetch(path, "Accept-Encoding: gzip", method="HEAD")
            expect_eq(head_gz.status, 200, "HEAD from a gzip client")
            check("accept-ranges" not in head_gz.headers, f"a gzip client's HEAD offers no ranges: {head_gz.headers}")
            head_plain = fetch(path, method="HEAD")
            expect_eq((head_plain.status, head_plain.headers.get("accept-ranges")), (200, "bytes"),
                      "the HEAD of a client that takes no coding offers ranges")

        # ---- section 3: what is stored ----

        def valid_stores_without_explicit_freshness():
            stored_then_hit("/c/valid-200")

        def valid_stores_a_404():
            first, again = stored_then_hit(u("/c/valid-404", status=404))
            expect_eq(again.status, 404, "status")

        def no_valid_line_for_the_status():
            not_stored(u("/c/valid-403", status=403))

        def no_valid_no_explicit_freshness():
            not_stored("/nv/plain")

        def no_heuristic_freshness():
            # RFC 9111 4.2.2 allows a heuristic from Last-Modified; the contract stores
            # nothing without explicit freshness or a `valid` line.
            not_stored(u("/nv/heuristic", f"Last-Modified: {http_date(time.time() - 86400 * 30)}"))

        def explicit_max_age_without_valid():
            stored_then_hit(u("/nv/max-age", "Cache-Control: max-age=60"))

        def explicit_freshness_any_status():
            for status in (410, 299, 501):
                first, again = stored_then_hit(u(f"/nv/status-{status}", "Cache-Control: max-age=60", status=status),
                                               what=f"the second GET of a {status}")
                expect_eq(again.status, status, "status")

        def no_206():
            not_stored(u("/c/partial", "Cache-Control: max-age=60", "Content-Range: bytes 0-3/100", status=206))

        def response_no_store():
            not_stored(u("/c/no-store", "Cache-Control: no-store, max-age=60"))

        def response_private():
            not_stored(u("/c/private", "Cache-Control: private, max-age=60"))

        def set_cookie():
            # RFC 9111 allows storing it (7.3 warns); the contract never stores it.
            not_stored(u("/c/set-cookie", "Cache-Control: max-age=60", "Set-Cookie: session=abc"))

        def vary_star():
            not_stored(u("/c/vary-star", "Cache-Control: max-age=60", "Vary: *"))

        def request_no_store():
            path = u("/c/request-no-store", "Cache-Control: max-age=60")
            first = fetch(path, "Cache-Control: no-store")
            expect_eq(first.status, 200, "status")
            again = fetch(path)
            check(again.count != first.count, f"the no-store request's answer was stored: {again!r} after {first!r}")
            expect_cache(again, "MISS", "the next GET")

        def max_entry():
            big = u("/capped/20000", "Cache-Control: max-age=60")
            fetch(big)
            again = fetch(big)
            expect_cache(again, "MISS", "a 20000-byte body in a zone with max_entry 16KiB")
            expect_eq(upstream_heads(big), 2, "requests the origin received for the large body")
            small = u("/capped/1000", "Cache-Control: max-age=60")
            fetch(small)
            expect_cache(fetch(small), "HIT", "a 1000-byte body in the same zone")
            expect_eq(upstream_heads(small), 1, "requests the origin received for the small body")

        def other_methods_not_stored():
            path = u("/c/options", "Cache-Control: max-age=60")
            a = fetch(path, method="OPTIONS")
            b = fetch(path, method="OPTIONS")
            check(b.count != a.count, f"an OPTIONS answer was served again: {b!r} after {a!r}")
            expect_eq(upstream_heads(path, "OPTIONS"), 2, "OPTIONS requests the origin received")
            expect_cache(fetch(path), "MISS", "a GET after two OPTIONS")

        def query_is_part_of_the_key():
            a, _ = stored_then_hit("/c/query?v=1")
            b = fetch("/c/query?v=2")
            expect_cache(b, "MISS", "another query")
            check(b.count != a.count, f"another query got the first one's entry: {b!r}")

        def head_from_a_get_entry():
            path = u("/c/head-1", "Cache-Control: max-age=60")
            first = fetch(path)
            head = fetch(path, method="HEAD")
            expect_eq(head.status, 200, "HEAD status")
            expect_cache(head, "HIT", "HEAD after a stored GET")
            expect_eq(head.count, first.count, "the stored X-Count")
            expect_eq(head.headers.get("content-length"), str(len(first.body.encode())), "HEAD Content-Length")
            expect_eq(head.body, "", "HEAD body")
            expect_eq(upstream_heads(path, "HEAD") + upstream_heads(path), 1, "requests the origin received")

        def head_entry_never_answers_a_get():
            path = u("/c/head-2", "Cache-Control: max-age=60")
            expect_cache(fetch(path, method="HEAD"), "MISS", "the first HEAD")
            a = fetch(path)
            expect_eq(a.status, 200, "status")
            check(a.body.startswith("cached thing #"), f"a GET after a HEAD got a body-less answer: {a!r}")

        def authorization_bypass():
            path = u("/c/auth-bypass", "Cache-Control: public, max-age=60")
            a = fetch(path, "Authorization: Bearer x")
            expect_cache(a, "BYPASS", "GET with Authorization")
            b = fetch(path, "Authorization: Bearer x")
            expect_cache(b, "BYPASS", "the second GET with Authorization")
            check(b.count != a.count, f"an authorized answer was stored: {b!r} after {a!r}")
            c = fetch(path)
            expect_cache(c, "MISS", "a GET without Authorization after two with it")

        def authorization_not_served_a_stored_entry():
            # The contract: a request with Authorization is not eligible (BYPASS), so the
            # cache neither stores nor serves it (RFC 9111 3.5 restricts only storing).
            path = "/c/auth-served"
            first, _ = stored_then_hit(path)
            a = fetch(path, "Authorization: Bearer x")
            expect_cache(a, "BYPASS", "GET with Authorization on a stored entry")
            expect_fresh_from_origin(a, first, "GET with Authorization")

        def allow_authorized():
            auth = "Authorization: Basic dXNlcjpwYXNz"
            plain = u("/auth/plain", "Cache-Control: max-age=60")
            a = fetch(plain, auth)
            b = fetch(plain, auth)
            check(b.count != a.count, f"max-age alone stored an authorized answer: {b!r} after {a!r}")
            for name, cc in (("public", "public, max-age=60"), ("s-maxage", "s-maxage=60"),
                             ("must-revalidate", "must-revalidate, max-age=60")):
                path = u(f"/auth/{name}", f"Cache-Control: {cc}")
                a = fetch(path, auth)
                b = fetch(path, auth)
                expect_same(b, a, f"an authorized answer with {cc}")

        def custom_key():
            # key $host $path $cookie_lang: the cookie separates entries, the query does not.
            en = fetch("/lang/page?body=one", "Cookie: lang=en")
            fr = fetch("/lang/page?body=one", "Cookie: lang=fr")
            check(fr.count != en.count, f"lang=fr got lang=en's entry: {fr!r}")
            expect_same(fetch("/lang/page?body=one", "Cookie: lang=en"), en, "lang=en again")
            expect_same(fetch("/lang/page?body=two", "Cookie: lang=fr"), fr, "lang=fr, another query")

        # ---- section 4: using stored responses ----

        def vary_variants():
            path = u("/c/vary", "Cache-Control: max-age=60", "Vary: Accept-Language")
            en = fetch(path, "Accept-Language: en")
            fr = fetch(path, "Accept-Language: fr")
            check(fr.count != en.count, f"fr got en's variant: {fr!r}")
            expect_same(fetch(path, "Accept-Language: en"), en, "en again")
            expect_same(fetch(path, "Accept-Language: fr"), fr, "fr again")
            expect_eq(upstream_heads(path), 2, "requests the origin received")

        def vary_absent_header():
            path = u("/c/vary-absent", "Cache-Control: max-age=60", "Vary: Accept-Language")
            none = fetch(path)
            expect_same(fetch(path), none, "no Accept-Language again")
            de = fetch(path, "Accept-Language: de")
            check(de.count != none.count, f"a request with Accept-Language got the variant without it: {de!r}")

        def age_from_origin():
            path = u("/c/age-origin", "Cache-Control: max-age=1000", "Age: 100")
            fetch(path)
            a = fetch(path)
            expect_cache(a, "HIT", "second GET")
            age = a.headers.get("age", "")
            check(age.isdigit() and 100 <= int(age) < 1000, f"Age on the hit: expected 100..999, got {age!r}")

        def age_beyond_max_age():
            path = u("/c/age-stale", "Cache-Control: max-age=50", "Age: 100")
            first = fetch(path)
            a = fetch(path)
            # Stored stale, or not stored at all: either way it goes upstream.
            expect_cache(a, ("EXPIRED", "MISS"), "the second GET")
            expect_fresh_from_origin(a, first, "the second GET")

        def date_kept():
            date = http_date(time.time() - 3)
            path = u("/c/date", "Cache-Control: max-age=60", f"Date: {date}")
            fetch(path)
            a = fetch(path)
            expect_cache(a, "HIT", "second GET")
            expect_eq(a.headers.get("date"), date, "Date on the hit")

        def inm_fresh_entry():
            path = u("/c/inm", "Cache-Control: max-age=60", 'ETag: "v7"')
            first = fetch(path)
            a = fetch(path, 'If-None-Match: "v1", "v7"')
            expect_eq(a.status, 304, "If-None-Match naming the stored ETag")
            expect_eq(a.body, "", "a 304 has no body")
            expect_eq(a.headers.get("etag"), '"v7"', "ETag on the 304")
            expect_eq(upstream_heads(path), 1, "requests the origin received")
            b = fetch(path, 'If-None-Match: "other"')
            expect_same(b, first, "If-None-Match naming another tag")

        def ims_fresh_entry():
            lm = http_date(time.time() - 3600)
            path = u("/c/ims", "Cache-Control: max-age=60", f"Last-Modified: {lm}")
            fetch(path)
            a = fetch(path, f"If-Modified-Since: {lm}")
            expect_eq(a.status, 304, "If-Modified-Since equal to the stored Last-Modified")
            expect_eq(upstream_heads(path), 1, "requests the origin received")

        def response_no_cache():
            path = u("/c/no-cache", "Cache-Control: no-cache, max-age=60", 'ETag: "nc"')
            first = fetch(path)
            a = fetch(path)
            expect_cache(a, "REVALIDATED", "the second GET of a no-cache entry")
            expect_same(a, first, "the second GET", cache=None)
            heads = upstream_head_texts(path)
            expect_eq(len(heads), 2, "requests the origin received")
            check('if-none-match: "nc"' in heads[1].lower(), f"the revalidation carries If-None-Match: {heads[1]}")

        def max_age_zero_revalidates():
            # RFC 9111 allows storing a response that is stale at once (it has a validator,
            # so every use revalidates it); nginx does not store it. Optional.
            path = u("/nv/max-age-0", "Cache-Control: max-age=0", 'ETag: "z"')
            first = fetch(path)
            a = fetch(path)
            expect_cache(a, "REVALIDATED", "the second GET of a max-age=0 entry with an ETag")
            expect_same(a, first, "the second GET", cache=None)

        def request_no_cache():
            path = u("/c/rq-no-cache", "Cache-Control: max-age=60", 'ETag: "q"')
            first = fetch(path)
            a = fetch(path, "Cache-Control: no-cache")
            heads = upstream_head_texts(path)
            expect_eq(len(heads), 2, "requests the origin received (no-cache goes upstream)")
            check('if-none-match: "q"' in heads[1].lower(), f"the request is a revalidation: {heads[1]}")
            expect_cache(a, "REVALIDATED", "GET with Cache-Control: no-cache")
            expect_same(a, first, "GET with Cache-Control: no-cache", cache=None)

        def request_max_age_zero():
            path = u("/c/rq-max-age-0", "Cache-Control: max-age=60")
            first = fetch(path)
            a = fetch(path, "Cache-Control: max-age=0")
            expect_fresh_from_origin(a, first, "GET with Cache-Control: max-age=0")
            expect_cache(a, "EXPIRED", "GET with Cache-Control: max-age=0 (no validator)")
            expect_eq(upstream_heads(path), 2, "requests the origin received")

        def request_min_fresh():
            path = u("/c/rq-min-fresh", "Cache-Control: max-age=60")
            first = fetch(path)
            expect_same(fetch(path, "Cache-Control: min-fresh=10"), first, "min-fresh=10 on 60 s of freshness")
            a = fetch(path, "Cache-Control: min-fresh=120")
            expect_fresh_from_origin(a, first, "min-fresh=120 on 60 s of freshness")

        def only_if_cached():
            path = u("/c/only-if-cached", "Cache-Control: max-age=60")
            a = fetch(path, "Cache-Control: only-if-cached")
            expect_eq(a.status, 504, "only-if-cached with nothing stored")
            expect_eq(upstream_heads(path), 0, "requests the origin received")
            first = fetch(path)
            b = fetch(path, "Cache-Control: only-if-cached")
            expect_same(b, first, "only-if-cached with an entry stored")

        def pragma_no_cache():
            path = u("/c/pragma", "Cache-Control: max-age=60")
            first = fetch(path)
            a = fetch(path, "Pragma: no-cache")
            expect_fresh_from_origin(a, first, "Pragma: no-cache without Cache-Control")
            b = fetch(path, "Pragma: no-cache", "Cache-Control: max-age=600")
            expect_same(b, a, "Pragma: no-cache with a Cache-Control (Pragma ignored)")

        def collapsing():
            path = u("/c/collapse", "Cache-Control: max-age=60", delay=500)
            got = [None] * 5

            def one(i):
                try:
                    got[i] = fetch(path)
                except Exception as e:  # noqa: BLE001 - reported below
                    got[i] = e

            threads = [threading.Thread(target=one, args=(i,)) for i in range(5)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(15)
            for a in got:
                check(isinstance(a, Answer) and a.status == 200, f"every client gets 200: {got}")
            expect_eq(upstream_heads(path), 1, "requests the origin received for 5 concurrent GETs")
            expect_eq(len({a.count for a in got}), 1, "every client gets the same answer")

        def collapsing_streams():
            # The first request's response is held by the origin halfway through its body
            # (hold=1, until /c-release). A second request for the key, made meanwhile, gets
            # its head and the first half from the cache while the origin still holds the
            # rest: it is answered as the fill arrives, not once it is whole.
            path = u("/c/collapse-stream", "Cache-Control: max-age=60", hold=1, body="x" * 4000)
            first = {}

            def holder():
                try:
                    first["a"] = fetch(path)
                except Exception as e:  # noqa: BLE001 - reported below
                    first["a"] = e

            t = threading.Thread(target=holder)
            t.start()
            try:
                wait_until(lambda: upstream_heads(path) == 1, "the origin to receive the first request")
                s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
                got = b""
                while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < 2000:
                    more = s.recv(65536)
                    check(more, f"the second request's answer ended early: {got!r}")
                    got += more
                head, _, part = got.partition(b"\r\n\r\n")
                check(b"x-cache: hit" in head.lower(), f"the second request is answered from the fill: {head!r}")
                expect_eq(upstream_heads(path), 1, "requests the origin received")
            finally:
                released, _ = curl("-X", "POST", f"http://{origin.addrs[0]}/c-release")
                t.join(15)
            expect_eq(released.strip(), "released 1", "the origin still held the first answer's second half then")
            while True:
                more = s.recv(65536)
                if not more:
                    break
                part += more
            s.close()
            a = first["a"]
            check(isinstance(a, Answer) and a.status == 200, f"the first request: {a!r}")
            expect_eq(part.decode(), a.body, "the second answer's body is the first one's")

        # ---- 4.4: invalidation ----

        def invalidated_by(method):
            path = u(f"/c/inv-{method.lower()}", "Cache-Control: max-age=60")
            first, _ = stored_then_hit(path)
            r = fetch(path, method=method)
            expect_eq(r.status, 200, f"{method} status")
            a = fetch(path)
            expect_cache(a, ("MISS", "EXPIRED"), f"GET after a {method}")
            expect_fresh_from_origin(a, first, f"GET after a {method}")

        def invalidation_of_every_variant():
            path = u("/c/inv-vary", "Cache-Control: max-age=60", "Vary: Accept-Language")
            firsts = {lang: fetch(path, f"Accept-Language: {lang}") for lang in ("en", "fr")}
            for lang, first in firsts.items():
                expect_same(fetch(path, f"Accept-Language: {lang}"), first, f"{lang} again")
            expect_eq(fetch(path, method="DELETE").status, 200, "DELETE status")
            for lang, first in firsts.items():
                expect_fresh_from_origin(fetch(path, f"Accept-Language: {lang}"), first, f"{lang} after the DELETE")

        def invalidation_by_post():
            invalidated_by("POST")

        def invalidation_by_put_delete():
            invalidated_by("PUT")
            invalidated_by("DELETE")

        def no_invalidation_on_error():
            path = u("/c/inv-error", "Cache-Control: max-age=60")
            first, _ = stored_then_hit(path)
            try:
                fail_next()
                r = fetch(path, method="POST")
                expect_eq(r.status, 503, "the POST's status (/c-fail)")
            finally:
                fail_next(0)
            expect_same(fetch(path), first, "GET after a POST answered 503")

        def invalidation_by_location():
            # RFC 9111 4.4 says MAY; the contract does it for a Location on the same host.
            target = "/c/inv-loc-target"
            kept = "/c/inv-loc-kept"
            firsts = {p: stored_then_hit(p)[0] for p in (target, kept)}
            r = fetch(u("/c/inv-loc-src", f"Location: http://{HOST}{target}"), method="POST")
            expect_eq(r.status, 200, "POST status")
            r = fetch(u("/c/inv-loc-src2", f"Location: http://other.test{kept}"), method="POST")
            expect_eq(r.status, 200, "the second POST's status")
            a = fetch(target)
            expect_fresh_from_origin(a, firsts[target], f"GET {target} after a POST whose Location named it")
            expect_same(fetch(kept), firsts[kept], "GET of an entry a Location on another host named")

        def invalidation_by_content_location():
            # RFC 9111 4.4 MAY; the contract names only Location.
            target = "/c/inv-cloc-target"
            first, _ = stored_then_hit(target)
            r = fetch(u("/c/inv-cloc-src", f"Content-Location: http://{HOST}{target}"), method="PUT")
            expect_eq(r.status, 200, "PUT status")
            a = fetch(target)
            expect_fresh_from_origin(a, first, f"GET {target} after a PUT whose Content-Location named it")

        # ---- staged cases: an entry, the pause, then the check ----

        staged = []

        def stage(name, prepare, verify):
            state = {}
            try:
                prepare(state)
                err = None
            except Exception as e:  # noqa: BLE001 - reported when the case runs
                err = e
            staged.append((name, verify, state, err))

        def prep(path, *fields):
            def p(st):
                st["path"] = path
                st["first"] = fetch(path, *fields)
                check(st["first"].status < 500, f"the first GET: {st['first']!r}")
            return p

        def v_expired_full(st):
            a = fetch(st["path"])
            expect_fresh_from_origin(a, st["first"], "GET of a stale entry without validators")
            expect_cache(a, "EXPIRED", "GET of a stale entry without validators")

        def v_fresh(st):
            expect_same(fetch(st["path"]), st["first"], "GET after the pause")

        def v_revalidated(header):
            def v(st):
                a = fetch(st["path"])
                expect_cache(a, "REVALIDATED", "GET of a stale entry with a validator")
                expect_same(a, st["first"], "the revalidated answer", cache=None)
                heads = upstream_head_texts(st["path"])
                expect_eq(len(heads), 2, "requests the origin received")
                check(header.lower() in heads[1].lower(), f"the revalidation carries {header}: {heads[1]}")
                # 4.3.4: the 304 (which has no Date of its own) made the entry fresh again.
                b = fetch(st["path"])
                expect_cache(b, "HIT", "GET right after the revalidation")
            return v

        def v_refreshed_headers(st):
            a = fetch(st["path"])
            expect_cache(a, "REVALIDATED", "GET of a stale entry with an ETag")
            expect_same(a, st["first"], "the revalidated answer (the old body)", cache=None)
            check(a.count is not None and a.count > st["first"].count,
                  f"the 304's X-Count replaces the stored one: {a!r} after {st['first']!r}")
            expect_eq(a.headers.get("cache-control"), "max-age=60", "the 304's Cache-Control replaces the stored one")
            b = fetch(st["path"])
            expect_cache(b, "HIT", "GET after the revalidation")
            expect_eq((b.count, b.body_count), (a.count, a.body_count), "the refreshed entry")
            expect_eq(b.headers.get("cache-control"), "max-age=60", "the stored Cache-Control")

        def v_age(st):
            a = fetch(st["path"])
            expect_cache(a, "HIT", "GET after the pause")
            age = a.headers.get("age", "")
            check(age.isdigit() and int(age) >= 2, f"Age on a hit {EXPIRY} s after storing: expected >= 2, got {age!r}")

        def v_stale_on_5xx(st):
            try:
                fail_next()
                a = fetch(st["path"])
            finally:
                fail_next(0)
            expect_cache(a, "STALE", "GET of a stale entry, the origin answering 503")
            expect_same(a, st["first"], "GET of a stale entry, the origin answering 503", cache=None)

        def v_5xx_passed_on(st):
            try:
                fail_next()
                a = fetch(st["path"])
            finally:
                fail_next(0)
            expect_eq(a.status, 503, f"GET of a stale entry without stale, the origin answering 503 ({a!r})")
            check(a.body_count != st["first"].body_count, f"the stale body was served: {a!r}")
            # An entry was there and the answer came from upstream: EXPIRED; the 503 itself
            # is not stored, which the contract also calls MISS.
            expect_cache(a, ("EXPIRED", "MISS"), "the 503 passed on")

        def v_must_revalidate_5xx(st):
            try:
                fail_next()
                a = fetch(st["path"])
            finally:
                fail_next(0)
            check(a.status in (503, 504), f"must-revalidate, the origin answering 503: expected 503/504, got {a!r}")
            check(a.body_count != st["first"].body_count, f"the stale entry was served: {a!r}")
            expect_cache(a, ("EXPIRED", "MISS"), "the 503 passed on")

        def v_stale_on_down(st):
            a = fetch(st["path"])
            expect_cache(a, "STALE", "GET of a stale entry, the upstream down")
            expect_same(a, st["first"], "GET of a stale entry, the upstream down", cache=None)

        def v_error_on_down(st):
            a = fetch(st["path"])
            check(a.status in (502, 504), f"expected 502/504, got {a!r}")
            check(a.body_count != st["first"].body_count, f"the stale body was served: {a!r}")

        def v_updating(st):
            results = {}

            def refresher():
                results["a"] = fetch(st["path"])

            t = threading.Thread(target=refresher)
            t.start()
            time.sleep(0.25)  # the origin answers the refresh after 800 ms
            b = fetch(st["path"])
            t.join(15)
            expect_cache(b, "UPDATING", "GET while another request refreshes the entry")
            expect_same(b, st["first"], "GET while another request refreshes the entry", cache=None)
            a = results.get("a")
            check(a is not None, "the refreshing request got no answer")
            expect_fresh_from_origin(a, st["first"], "the refreshing request")

        def v_max_stale_must_revalidate(st):
            a = fetch(st["path"], "Cache-Control: max-stale=60")
            expect_fresh_from_origin(a, st["first"], "GET with max-stale=60 of a stale must-revalidate entry")

        def v_only_if_cached_stale(st):
            a = fetch(st["path"], "Cache-Control: only-if-cached")
            expect_eq(a.status, 504, f"only-if-cached with only a stale entry ({a!r})")
            expect_eq(upstream_heads(st["path"]), 1, "requests the origin received")

        def v_max_stale(st):
            a = fetch(st["path"], "Cache-Control: max-stale=60")
            expect_same(a, st["first"], "GET with max-stale=60 of an entry stale by ~1 s", cache=("STALE", "HIT"))
            expect_eq(upstream_heads(st["path"]), 1, "requests the origin received")

        now = time.time()
        lm = http_date(now - 3600)
        stage("4.3.3 a stale entry without validators: the full response replaces it (EXPIRED)",
              prep(u("/c/expired", "Cache-Control: max-age=1")), v_expired_full)
        stage("4.2.1 s-maxage overrides a longer max-age",
              prep(u("/c/s-maxage-short", "Cache-Control: max-age=60, s-maxage=1")), v_expired_full)
        stage("4.2.1 s-maxage overrides a shorter max-age",
              prep(u("/c/s-maxage-long", "Cache-Control: max-age=1, s-maxage=60")), v_fresh)
        stage("4.2.1 max-age overrides Expires",
              prep(u("/c/max-age-over-expires", "Cache-Control: max-age=1", f"Date: {http_date(now)}",
                     f"Expires: {http_date(now + 60)}")), v_expired_full)
        stage("4.2.1 Expires (minus Date) overrides the route's valid",
              prep(u("/c/expires", f"Date: {http_date(now)}", f"Expires: {http_date(now + 1)}")), v_expired_full)
        stage("4.2.1 the route's valid keeps an entry without explicit freshness",
              prep("/c/valid-keeps"), v_fresh)
        stage("4.2.3 Age on a hit counts the time stored",
              prep(u("/c/age-resident", "Cache-Control: max-age=60")), v_age)
        stage("4.3.1 a stale entry with an ETag is revalidated with If-None-Match (REVALIDATED, old body)",
              prep(u("/nv/reval-etag", "Cache-Control: max-age=2", 'ETag: "e1"')), v_revalidated('If-None-Match: "e1"'))
        stage("4.3.1 a stale entry with Last-Modified is revalidated with If-Modified-Since",
              prep(u("/nv/reval-lm", "Cache-Control: max-age=2", f"Last-Modified: {lm}")),
              v_revalidated(f"If-Modified-Since: {lm}"))
        stage("4.3.4 a 304 updates the stored header fields (X-Count, Cache-Control), the body stays",
              prep(u("/c/reval-fields", "Cache-Control: max-age=1", 'ETag: "f1"', h304="Cache-Control: max-age=60")),
              v_refreshed_headers)
        stage("4.2.4 stale http_5xx: a 503 from the upstream serves the stale entry (STALE)",
              prep(u("/c/stale-5xx", "Cache-Control: max-age=1")), v_stale_on_5xx)
        stage("4.2.4 without stale on the route, a 503 from the upstream is passed on",
              prep(u("/nv/no-stale-5xx", "Cache-Control: max-age=1")), v_5xx_passed_on)
        stage("5.2.2.2 must-revalidate forbids serving a stale entry on a 503, even with stale http_5xx",
              prep(u("/c/must-revalidate-5xx", "Cache-Control: max-age=1, must-revalidate")), v_must_revalidate_5xx)
        stage("4.2.4 (RFC 5861) stale-if-error serves a stale entry on a 503 without the route's stale",
              prep(u("/nv/stale-if-error", "Cache-Control: max-age=1, stale-if-error=60")), v_stale_on_5xx)
        stage("4.2.4 stale updating: while one request refreshes, another gets the stale entry (UPDATING)",
              prep(u("/c/updating", "Cache-Control: max-age=1", delay=800)), v_updating)
        stage("5.2.1.2 (optional) request max-stale serves a stale entry without going upstream",
              prep(u("/nv/max-stale", "Cache-Control: max-age=1")), v_max_stale)
        stage("4.2.4 (RFC 5861) stale-while-revalidate: while one request refreshes, another gets the stale entry "
              "(UPDATING), without the route's stale updating",
              prep(u("/nv/swr", "Cache-Control: max-age=1, stale-while-revalidate=60", delay=800)), v_updating)
        stage("5.2.2.2 must-revalidate: a request's max-stale does not make a stale entry usable",
              prep(u("/nv/max-stale-must-revalidate", "Cache-Control: max-age=1, must-revalidate")),
              v_max_stale_must_revalidate)
        stage("5.2.1.7 only-if-cached with only a stale entry: 504",
              prep(u("/nv/only-if-cached-stale", "Cache-Control: max-age=1")), v_only_if_cached_stale)
        # The second origin is stopped after these are stored: the upstream is down.
        stage("4.2.4 stale error: the upstream down, the stale entry is served (STALE)",
              prep(u("/se/down", "Cache-Control: max-age=1")), v_stale_on_down)
        stage("4.2.4 without stale on the route, the upstream down gives 502/504 despite a stale entry",
              prep(u("/nse/down", "Cache-Control: max-age=1")), v_error_on_down)
        stage("5.2.2.2 must-revalidate with the upstream down gives 502/504, even with stale error",
              prep(u("/se/down-must-revalidate", "Cache-Control: max-age=1, must-revalidate")), v_error_on_down)
        h.stop(second.proc)
        time.sleep(EXPIRY)
        for name, verify, state, err in staged:
            def run(verify=verify, state=state, err=err):
                if err is not None:
                    raise err
                verify(state)
            h.case(name, run)

        # ---- ops: the zone, purge, metrics, the access log ----

        def memory_bound():
            paths = [u("/small/65536", "Cache-Control: max-age=60", n=i) for i in range(60)]
            for p in paths:
                a = fetch(p)
                expect_eq((a.status, len(a.body)), (200, 65536), f"GET {p}")
            text = gw.metrics()
            used = metric(text, 'banyan_cache_bytes{zone="small"}')
            check(used is not None and 0 < used <= 1048576, f'banyan_cache_bytes{{zone="small"}}: {used}')
            evictions = metric(text, 'banyan_cache_evictions_total{zone="small"}')
            check(evictions is not None and evictions > 0, f'banyan_cache_evictions_total{{zone="small"}}: {evictions}')
            expect_cache(fetch(paths[-1]), "HIT", "the last body fetched")
            expect_cache(fetch(paths[0]), "MISS", "the first body fetched (evicted)")
            expect_eq(upstream_heads(paths[0]), 2, "requests the origin received for the first body")

        def purge(query):
            s, body = gw.admin(f"/cache/purge?{query}", "POST")
            expect_eq(s, 200, f"POST /cache/purge?{query}: {body}")
            try:
                return json.loads(body)["purged"]
            except (ValueError, KeyError) as e:
                raise TestFailure(f"POST /cache/purge?{query}: not {{\"purged\": N}}: {body!r}") from e

        def key_of(path):
            # The default key: scheme://host, then the request target (Host: cache.test, no port).
            return urllib.parse.quote(f"http://{HOST}{path}", safe="")

        def purge_key():
            first, _ = stored_then_hit("/c/purge-1")
            kept, _ = stored_then_hit("/c/purge-10")
            expect_eq(purge(f"zone=pages&key={key_of('/c/purge-1')}"), 1, "purged")
            a = fetch("/c/purge-1")
            expect_cache(a, "MISS", "GET after the purge")
            expect_fresh_from_origin(a, first, "GET after the purge")
            expect_same(fetch("/c/purge-10"), kept, "an entry whose key the purged one is a prefix of")

        def purge_prefix():
            firsts = {p: stored_then_hit(p)[0] for p in ("/c/purge-p/a", "/c/purge-p/b", "/c/purge-q")}
            expect_eq(purge(f"zone=pages&prefix={key_of('/c/purge-p/')}"), 2, "purged")
            for p in ("/c/purge-p/a", "/c/purge-p/b"):
                expect_cache(fetch(p), "MISS", f"GET {p} after the purge")
            expect_same(fetch("/c/purge-q"), firsts["/c/purge-q"], "an entry outside the prefix")

        def purge_zone():
            for p in ("/spare/z1", "/spare/z2"):
                stored_then_hit(p)
            expect_eq(purge("zone=spare"), 2, "purged")
            for p in ("/spare/z1", "/spare/z2"):
                expect_cache(fetch(p), "MISS", f"GET {p} after the zone's purge")

        def metrics():
            def counts():
                text = gw.metrics()
                return {s: metric(text, f'banyan_cache_requests_total{{zone="pages",status="{s}"}}') or 0
                        for s in ("hit", "miss")}, text

            before, _ = counts()
            stored_then_hit("/c/metrics-1")
            after, text = counts()
            expect_eq(after["miss"] - before["miss"], 1, "misses counted")
            expect_eq(after["hit"] - before["hit"], 1, "hits counted")
            entries = metric(text, 'banyan_cache_entries{zone="pages"}')
            check(entries is not None and entries >= 1, f'banyan_cache_entries{{zone="pages"}}: {entries}')
            used = metric(text, 'banyan_cache_bytes{zone="pages"}')
            check(used is not None and used > 0, f'banyan_cache_bytes{{zone="pages"}}: {used}')
            ev = metric(text, 'banyan_cache_evictions_total{zone="pages"}')
            check(ev is not None, 'banyan_cache_evictions_total{zone="pages"} is missing')

        def access_log():
            stored_then_hit("/c/log-1")
            lines = gw.access_log(at_least=2, where=lambda l: l.get("path") == "/c/log-1")
            expect_eq([l.get("cache") for l in lines], ["MISS", "HIT"], "the lines' cache field")

        h.case("3 a 200 without explicit freshness is stored under the route's valid", valid_stores_without_explicit_freshness)
        h.case("3 a 404 is stored under `valid 200 404`", valid_stores_a_404)
        h.case("3 a status no valid line names, without explicit freshness, is not stored", no_valid_line_for_the_status)
        h.case("3 a route without valid stores nothing without explicit freshness", no_valid_no_explicit_freshness)
        h.case("4.2.2 no heuristic freshness: Last-Modified alone is not stored", no_heuristic_freshness)
        h.case("4.2.1 explicit max-age is stored on a route without valid", explicit_max_age_without_valid)
        h.case("3 explicit freshness makes any final status storable (410, 299, 501)", explicit_freshness_any_status)
        h.case("3 a 206 is not stored", no_206)
        h.case("5.2.2.5 a response with no-store is not stored", response_no_store)
        h.case("5.2.2.7 a response with private is not stored (shared cache)", response_private)
        h.case("3 a response with Set-Cookie is not stored (contract; 7.3)", set_cookie)
        h.case("4.1 a response with Vary: * is not stored", vary_star)
        h.case("5.2.1.5 a request with no-store: its response is not stored", request_no_store)
        h.case("3 a body larger than the zone's max_entry is not stored", max_entry)
        h.case("3 a response to OPTIONS is not stored (only GET and HEAD)", other_methods_not_stored)
        h.case("4 the query is part of the default key", query_is_part_of_the_key)
        h.case("4 HEAD is answered from a GET entry (HIT, no body, the entity's Content-Length)", head_from_a_get_entry)
        h.case("4 a stored HEAD answer never answers a GET without its body", head_entry_never_answers_a_get)
        h.case("3.5 Authorization on a route without allow authorized: BYPASS, not stored", authorization_bypass)
        h.case("3.5 Authorization on a route without allow authorized: a stored entry is not served (BYPASS)",
               authorization_not_served_a_stored_entry)
        h.case("3.5 allow authorized stores only with public, s-maxage or must-revalidate", allow_authorized)
        h.case("4 key $host $path $cookie_lang: the cookie separates entries, the query does not", custom_key)
        h.case("4.1 Vary: each variant is its own entry and hits separately", vary_variants)
        h.case("4.1 Vary: a request without the header matches only the variant without it", vary_absent_header)
        h.case("4.2.3 Age on a hit counts the stored response's own Age", age_from_origin)
        h.case("4.2.3 an Age beyond max-age is stale at once", age_beyond_max_age)
        h.case("5.6.7 (9110) Date is kept from the stored response", date_kept)
        h.case("4.3.2 If-None-Match naming a fresh entry's ETag: 304 from the cache", inm_fresh_entry)
        h.case("4.3.2 If-Modified-Since equal to a fresh entry's Last-Modified: 304 from the cache", ims_fresh_entry)
        h.case("5.2.2.4 a response with no-cache is stored but revalidated on every use", response_no_cache)
        h.case("4.2.1 (optional) max-age=0 with an ETag: stored, every use is revalidated", max_age_zero_revalidates)
        h.case("5.2.1.4 request no-cache on a fresh entry goes upstream, as a revalidation", request_no_cache)
        h.case("5.2.1.1 request max-age=0 on a fresh entry goes upstream", request_max_age_zero)
        h.case("5.2.1.3 request min-fresh beyond the remaining freshness goes upstream", request_min_fresh)
        h.case("5.2.1.7 only-if-cached: 504 when nothing is stored, the entry when one is", only_if_cached)
        h.case("5.4 Pragma: no-cache counts only without Cache-Control", pragma_no_cache)
        h.case("4 collapsing: 5 concurrent GETs of one uncached key, one upstream request", collapsing)
        h.case("4 collapsing: a waiting request is answered as the first one's body arrives", collapsing_streams)
        h.case("4.4 a POST answered 2xx invalidates the entry", invalidation_by_post)
        h.case("4.4 an unsafe request invalidates every Vary variant of the URI", invalidation_of_every_variant)
        h.case("4.4 PUT and DELETE answered 2xx invalidate the entry", invalidation_by_put_delete)
        h.case("4.4 a POST answered 503 does not invalidate", no_invalidation_on_error)
        h.case("4.4 a Location on the same host invalidates that URI; one on another host does not",
               invalidation_by_location)
        h.case("4.4 (optional) a Content-Location on the same host invalidates that URI",
               invalidation_by_content_location)
        h.case("14.2 (9110) one range of a stored response: 206 with its bytes", ranges_of_a_hit)
        h.case("14.2 (9110) ranges of a 100 KB stored body", ranges_of_a_larger_body)
        h.case("15.5.17 (9110) a range past the end: 416, bytes */length", range_not_satisfiable)
        h.case("14.2 (9110) several ranges, an invalid one, another unit, a HEAD: the whole response",
               ranges_answered_whole)
        h.case("13.1.5 (9110) If-Range: the stored ETag (strong) or Last-Modified, else the whole", if_range)
        h.case("14.2 (9110) bytes=0- on a miss: the upstream is asked for the whole, which is stored",
               range_from_the_start_fills)
        h.case("14.2 (9110) another range on a miss goes upstream as it is", other_range_on_a_miss)
        h.case("14.2 (9110) a response the route encodes for this client: the whole, encoded",
               range_of_an_encoded_response)
        h.case("ops a 1MiB zone holds at most 1MiB and evicts the oldest", memory_bound)
        h.case("ops purge by exact key", purge_key)
        h.case("ops purge by prefix", purge_prefix)
        h.case("ops purge a whole zone", purge_zone)
        h.case("ops /metrics counts hits and misses, entries, bytes, evictions", metrics)
        h.case("ops the access log says cache MISS, then HIT", access_log)

        def clean_exit():
            # Under ASan a leak (a stored entry kept alive by a cycle, say) shows only
            # here: LeakSanitizer's report at exit makes the status 1.
            h.stop(gw.proc, signal.SIGTERM)
            expect_eq(gw.proc.returncode, 0, f"the gateway's exit status after SIGTERM: {gw.stderr()[-1500:]}")

        h.case("ops the gateway exits cleanly after all of the above (no leak)", clean_exit)



if __name__ == "__main__":
    main()
