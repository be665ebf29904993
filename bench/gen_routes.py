#!/usr/bin/env python3
"""Writes a realistic, API-shaped routes file with N routes that checks clean, or
requests that hit it.

Usage: gen_routes.py [--shape resources|api] N [ROUTES_PER_SITE] > file.routes
       gen_routes.py [--shape resources|api] --requests K N [ROUTES_PER_SITE] > file.requests

Shape `resources` (the default): routes are spread over sites of 500 routes each
(hosts api-0.example.com, ...). Each site has REST resources: a collection prefix, an
exact search endpoint, a member glob with :id (GET, and PUT/DELETE with an X-Admin
header), a sub-collection glob, plus a few anchored regexes for static assets and a
fallback `/`. Every resource has its own literal prefix (/api/v1/res42/...).

Shape `api`: a public REST API's route table, laid out as GitHub's is, 200 routes
per site: about 90 routes under one literal prefix followed by parameters
(/repos/:owner/:repo/issues/:number/comments), resources nested two or three
parameters deep, literal segments after parameters, several methods per path (one
route per method), exact endpoints, and a fallback that answers 404.

Deterministic: the same arguments give the same bytes.

With --requests, writes K requests for those routes instead, one `HOST METHOD PATH
[NAME:VALUE]...` a line: collection, search, member and nested-item requests with
random ids, admin writes with and without the header, static assets (most matching a
regex, some not), paths only the fallback takes, and about 3% unknown hosts that no
site answers. The mix and the path lengths are the same at every N, so lookups at
different sizes compare fairly.
"""
import random
import sys


def build(n, per_site):
    """The routes file, and per site the routes each resource got: [{res: {kind}}]."""
    out = []
    sites = []
    out.append('upstream app {\n  server "10.0.0.1:8080"\n}\n')
    out.append('upstream api {\n  server "10.0.0.2:8080"\n  server "10.0.0.3:8080"\n}\n')
    out.append('upstream assets {\n  server "10.0.0.4:8080"\n}\n')
    made = 0
    site = 0
    while made < n:
        out.append(f'site "api-{site}.example.com" {{\n')
        resources = {}
        sites.append(resources)
        in_site = 0
        out.append('  route / {\n    to app\n  }\n')
        made += 1
        in_site += 1
        r = 0
        while made < n and in_site < per_site:
            res = f"res{r}"
            block = [
                ("collection", f'  route /api/v1/{res} {{\n    to api\n  }}\n'),
                ("search", f'  route = /api/v1/{res}/search {{\n    method GET\n    to api\n  }}\n'),
                ("member", f'  route /api/v1/{res}/:id {{\n    method GET HEAD\n    to api\n  }}\n'),
                ("admin", f'  route /api/v1/{res}/:id {{\n    method PUT DELETE\n    header "X-Admin" = "1"\n    to api\n  }}\n'),
                ("items", f'  route /api/v1/{res}/:id/items/:item {{\n    to api\n  }}\n'),
            ]
            if r % 25 == 0:
                block.append(("static", f'  route ~ "^/static/{res}/[a-z0-9_-]+\\\\.(png|jpg|webp)$" {{\n    to assets\n  }}\n'))
            kinds = resources.setdefault(res, set())
            for kind, b in block:
                if made >= n or in_site >= per_site:
                    break
                out.append(b)
                kinds.add(kind)
                made += 1
                in_site += 1
            r += 1
        out.append('}\n')
        site += 1
    return "".join(out), sites


def slug(rng):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_-") for _ in range(rng.randint(4, 12)))


def request(rng, sites):
    """One request line; the kinds are tried in a fixed mix, falling back to the
    collection when a resource lacks the chosen kind (a block cut at a site's end)."""
    roll = rng.random()
    if roll < 0.03:
        return f"www.unknown-{rng.randint(0, 999)}.example.org GET /api/v1/res{rng.randint(0, 99)}/{rng.randint(1, 999999)}"
    s = rng.randrange(len(sites))
    host = f"api-{s}.example.com" + (":443" if rng.random() < 0.1 else "")
    res = rng.choice(sorted(sites[s]))
    kinds = sites[s][res]
    ident = rng.randint(1, 999999) if rng.random() < 0.8 else slug(rng)
    if roll < 0.08:  # only the fallback `/` takes these
        path = rng.choice(["/health", "/favicon.ico", f"/api/v2/{res}/{ident}", f"/docs/{res}/{slug(rng)}",
                           f"/static/{res}/{slug(rng)}.gif"])
        return f"{host} GET {path}"
    statics = [r for r, k in sites[s].items() if "static" in k]
    if roll < 0.15 and statics:
        return f"{host} GET /static/{rng.choice(statics)}/{slug(rng)}.{rng.choice(['png', 'jpg', 'webp'])}"
    mix = [(0.15, "collection"), (0.10, "search"), (0.35, "member"), (0.10, "admin"), (0.30, "items")]
    x = rng.random()
    for weight, kind in mix:
        if x < weight:
            break
        x -= weight
    if kind not in kinds:
        kind = "collection"
    if kind == "collection":
        return f"{host} {rng.choice(['GET', 'GET', 'POST'])} /api/v1/{res}"
    if kind == "search":
        return f"{host} GET /api/v1/{res}/search"
    if kind == "member":
        return f"{host} {rng.choice(['GET', 'GET', 'GET', 'HEAD'])} /api/v1/{res}/{ident}"
    if kind == "admin":  # one in four lacks the header and falls to the collection prefix
        header = " X-Admin:1" if rng.random() < 0.75 else ""
        return f"{host} {rng.choice(['PUT', 'DELETE'])} /api/v1/{res}/{ident}{header}"
    return f"{host} GET /api/v1/{res}/{ident}/items/{rng.randint(1, 99999)}"


# The `api` shape: (pattern, [one route per method]) pairs, in order; a site takes
# the first 200. Parameters are `:name`; `**` only last.
REPO_RESOURCES = [("issues", "comments"), ("pulls", "reviews"), ("commits", "statuses"), ("branches", "protection"),
                  ("hooks", "deliveries"), ("labels", None), ("releases", "assets"), ("keys", None), ("milestones", None),
                  ("deployments", "statuses"), ("collaborators", "permission"), ("environments", "secrets")]


def api_paths():
    out = [("/repos/:owner/:repo", ["GET", "PATCH", "DELETE"])]
    for res, sub in REPO_RESOURCES:
        base = f"/repos/:owner/:repo/{res}"
        out.append((base, ["GET", "POST"]))
        out.append((base + "/:id", ["GET", "PATCH", "DELETE"]))
        if sub:
            out.append((base + f"/:id/{sub}", ["GET", "POST"]))
    out += [("/repos/:owner/:repo/pulls/:id/merge", ["GET", "PUT"]), ("/repos/:owner/:repo/issues/:id/lock", ["PUT", "DELETE"]),
            ("/repos/:owner/:repo/contents/**", ["GET", "PUT", "DELETE"]), ("/repos/:owner/:repo/actions/runs/:run/jobs", ["GET"])]
    out.append(("/orgs/:org", ["GET", "PATCH"]))
    for res in ["members", "teams", "hooks", "repos", "projects", "invitations"]:
        out.append((f"/orgs/:org/{res}", ["GET", "POST"]))
        out.append((f"/orgs/:org/{res}/:id", ["GET", "DELETE"]))
    out.append(("/orgs/:org/teams/:team/members/:user", ["GET", "PUT", "DELETE"]))
    out.append(("/users/:user", ["GET"]))
    for res in ["repos", "followers", "following", "gists", "keys", "events", "orgs", "starred"]:
        out.append((f"/users/:user/{res}", ["GET"]))
    out += [("= /user", ["GET", "PATCH"]), ("= /user/repos", ["GET", "POST"]), ("/gists/:id", ["GET", "PATCH", "DELETE"]),
            ("/gists/:id/comments", ["GET", "POST"]), ("/gists/:id/comments/:comment", ["GET", "PATCH", "DELETE"])]
    for res in ["repositories", "code", "issues", "users", "commits", "topics"]:
        out.append((f"= /search/{res}", ["GET"]))
    for res in ["rate_limit", "meta", "emojis", "octocat", "zen", "feeds", "events", "licenses"]:
        out.append((f"= /{res}", ["GET"]))
    out += [("/notifications", ["GET", "PUT"]), ("/notifications/threads/:id", ["GET", "PATCH"]),
            ("/teams/:team/discussions/:number", ["GET", "PATCH", "DELETE"]),
            ("/teams/:team/discussions/:number/comments/:comment", ["GET", "PATCH", "DELETE"]),
            ("/projects/columns/:column/cards", ["GET", "POST"]), ("/projects/columns/cards/:card/moves", ["POST"]),
            ("/markdown", ["POST"]), ("/applications/:client/token", ["POST", "PATCH", "DELETE"])]
    for res in ["installations", "hooks", "permissions"]:
        out.append((f"/apps/:app/{res}", ["GET", "POST"]))
        out.append((f"/apps/:app/{res}/:id", ["GET", "PATCH", "DELETE"]))
    for res in ["runners", "runner-groups", "secrets", "variables"]:
        out.append((f"/enterprises/:enterprise/actions/{res}", ["GET", "POST"]))
        out.append((f"/enterprises/:enterprise/actions/{res}/:id", ["GET", "DELETE"]))
    return out


def build_api(n, per_site):
    """The `api` shape: the routes file, and per site its (pattern, methods) list."""
    paths = api_paths()
    out = ['upstream api {\n  server "10.0.0.2:8080"\n  server "10.0.0.3:8080"\n}\n']
    sites, made = [], 0
    while made < n:
        out.append(f'site "api-{len(sites)}.example.com" {{\n  route / {{\n    respond 404 "no such endpoint"\n  }}\n')
        made += 1
        in_site, mine = 1, []
        for pattern, methods in paths:
            taken = []
            for m in methods:
                if made >= n or in_site >= per_site:
                    break
                out.append(f"  route {pattern} {{\n    method {m}\n    to api\n  }}\n")
                taken.append(m)
                made += 1
                in_site += 1
            if taken:
                mine.append((pattern.removeprefix("= "), taken))
        sites.append(mine)
        out.append("}\n")
    return "".join(out), sites


def api_request(rng, sites):
    """One request line: a route's path filled in with one of its methods; 5% a path one
    resource off (the fallback answers 404) and 3% an unknown host."""
    if rng.random() < 0.03:
        return f"www.unknown-{rng.randint(0, 999)}.example.org GET /repos/octo/hello/issues/{rng.randint(1, 9999)}"
    s = rng.randrange(len(sites))
    host = f"api-{s}.example.com" + (":443" if rng.random() < 0.1 else "")
    pattern, methods = rng.choice(sites[s])
    segs = []
    for seg in pattern.split("/")[1:]:
        if seg == "**":
            segs += [slug(rng) for _ in range(rng.randint(1, 3))]
        elif seg.startswith(":"):
            segs.append(str(rng.randint(1, 99999)) if rng.random() < 0.6 else slug(rng))
        else:
            segs.append(seg)
    if rng.random() < 0.05:
        segs.append(rng.choice(["unknown", "v2", "raw"]))
    return f"{host} {rng.choice(methods)} /{'/'.join(segs)}"


def main(argv):
    requests = None
    shape = "resources"
    if argv and argv[0] == "--shape":
        shape, argv = argv[1], argv[2:]
    if argv and argv[0] == "--requests":
        requests = int(argv[1])
        argv = argv[2:]
    n = int(argv[0])
    per_site = int(argv[1]) if len(argv) > 1 else (200 if shape == "api" else 500)
    text, sites = (build_api if shape == "api" else build)(n, per_site)
    if requests is None:
        sys.stdout.write(text)
        return
    rng = random.Random(4)
    one = api_request if shape == "api" else request
    sys.stdout.write("".join(one(rng, sites) + "\n" for _ in range(requests)))


if __name__ == "__main__":
    main(sys.argv[1:])
