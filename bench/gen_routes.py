#!/usr/bin/env python3
"""Writes a realistic, API-shaped routes file with N routes that checks clean.

Usage: gen_routes.py N [ROUTES_PER_SITE] > file.routes

Routes are spread over sites of 500 routes each (hosts api-0.example.com, ...). Each
site has REST resources: a collection prefix, an exact search endpoint, a member glob
with :id (GET, and PUT/DELETE with an X-Admin header), a sub-collection glob, plus a
few anchored regexes for static assets and a fallback `/`. Deterministic: the same N
gives the same bytes.
"""
import sys

n = int(sys.argv[1])
per_site = int(sys.argv[2]) if len(sys.argv) > 2 else 500
out = []
out.append('upstream app {\n  server "10.0.0.1:8080"\n}\n')
out.append('upstream api {\n  server "10.0.0.2:8080"\n  server "10.0.0.3:8080"\n}\n')
out.append('upstream assets {\n  server "10.0.0.4:8080"\n}\n')
made = 0
site = 0
while made < n:
    out.append(f'site "api-{site}.example.com" {{\n')
    in_site = 0
    out.append('  route / {\n    to app\n  }\n')
    made += 1
    in_site += 1
    r = 0
    while made < n and in_site < per_site:
        res = f"res{r}"
        block = [
            f'  route /api/v1/{res} {{\n    to api\n  }}\n',
            f'  route = /api/v1/{res}/search {{\n    method GET\n    to api\n  }}\n',
            f'  route /api/v1/{res}/:id {{\n    method GET HEAD\n    to api\n  }}\n',
            f'  route /api/v1/{res}/:id {{\n    method PUT DELETE\n    header "X-Admin" = "1"\n    to api\n  }}\n',
            f'  route /api/v1/{res}/:id/items/:item {{\n    to api\n  }}\n',
        ]
        if r % 25 == 0:
            block.append(f'  route ~ "^/static/{res}/[a-z0-9_-]+\\\\.(png|jpg|webp)$" {{\n    to assets\n  }}\n')
        for b in block:
            if made >= n or in_site >= per_site:
                break
            out.append(b)
            made += 1
            in_site += 1
        r += 1
    out.append('}\n')
    site += 1
sys.stdout.write("".join(out))
