#!/usr/bin/env bash
# banyanc diff as CI runs it: golden transcripts of tests/golden/diff/NAME.before.routes
# against NAME.after.routes (text for every pair; json and markdown for one), the exit
# codes and --fail-on, REV:PATH read from git, compiled plans on either side, and the
# refusals (an altered plan, a file with errors, a bad --at). UPDATE_GOLDEN=1 rewrites the transcripts; review their diff.
# Also `route --batch` and `--at` offsets, which share the time parsing.
set -uo pipefail
banyanc=$(realpath "$1") root=$(realpath "$2")
golden="$root/tests/golden/diff"
work=$(mktemp -d "${TMPDIR:-/tmp}/banyanc-diff.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_status() {  # expect_status WANT DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "$what: exit $got, want $want"; sed 's/^/  | /' "$work/out" "$work/err" | head -40
  else
    echo "ok: $what"
  fi
}

# Transcripts: run from the golden directory so the file names print short.
transcript() {  # transcript NAME FORMAT
  local name=$1 format=$2 args=()
  [ -f "$golden/$name.args" ] && read -r -a args <"$golden/$name.args"
  (cd "$golden" && echo "\$ banyanc diff --format $format ${args[*]:+${args[*]} }$name.before.routes $name.after.routes" &&
     "$banyanc" diff --format "$format" "${args[@]}" "$name.before.routes" "$name.after.routes"; echo "(exit $?)")
}
for before in "$golden"/*.before.routes; do
  name=$(basename "$before" .before.routes)
  formats=(text)
  [ "$name" = shadow_end_deleted ] && formats=(text json markdown)
  for format in "${formats[@]}"; do
    ext=$format; [ "$format" = markdown ] && ext=md; [ "$format" = text ] && ext=txt
    want="$golden/$name.$ext"
    transcript "$name" "$format" >"$work/got" 2>&1
    if [ "${UPDATE_GOLDEN:-}" = 1 ]; then cp "$work/got" "$want"; echo "updated: $want"; continue; fi
    if cmp -s "$work/got" "$want"; then echo "ok: diff $name ($format) matches its transcript"
    else fail "diff $name ($format) differs from $want:"; diff "$want" "$work/got" | head -30; fi
  done
done

# Facts written here by hand, not taken from the transcripts.
g="$golden"
expect_status 0 "a file laid out again has no change: exit 0" -- "$banyanc" diff "$g/reformatted.before.routes" "$g/reformatted.after.routes"
grep -q '^no change; ' "$work/out" || fail "no 'no change' line"
expect_status 1 "a new route: exit 1" -- "$banyanc" diff "$g/new_route.before.routes" "$g/new_route.after.routes"
grep -q '^  GET /api/users/:id (was /api)  \[destination, policy, route\]' "$work/out" || fail "the new route's group is not shown"
grep -q '^    e.g. GET shop.example.com/api/users/' "$work/out" || fail "no example request"
grep -q '^on shop.example.com, \*.shop.example.com$' "$work/out" || fail "hosts of the site not grouped"
expect_status 0 "--fail-on split ignores a destination change" -- "$banyanc" diff --fail-on split "$g/new_route.before.routes" "$g/new_route.after.routes"
expect_status 1 "--fail-on destination,split counts it" -- "$banyanc" diff --fail-on destination,split "$g/new_route.before.routes" "$g/new_route.after.routes"
expect_status 0 "--fail-on none never fails" -- "$banyanc" diff --fail-on none "$g/policy.before.routes" "$g/policy.after.routes"
expect_status 2 "--fail-on with an unknown kind is a usage error" -- "$banyanc" diff --fail-on routes "$g/policy.before.routes" "$g/policy.after.routes"
grep -q "not 'routes'" "$work/err" || fail "the unknown kind is not named"
expect_status 1 "a changed regex exits 1 as uncertain" -- "$banyanc" diff --fail-on uncertain "$g/regex.before.routes" "$g/regex.after.routes"
grep -q '^uncertain on a.example: regexes (~ "^/items/\[0-9\]+\$", ~ "^/items/\[0-9\]{1,4}\$")' "$work/out" || fail "no uncertainty note naming both regexes"
expect_status 0 "... and 0 when neither uncertainty nor what changed is asked to fail" -- "$banyanc" diff --fail-on tls,upstream "$g/regex.before.routes" "$g/regex.after.routes"
# [0-9]+ became [0-9]{1,4}: a five-digit item went to archive and now falls to `/`.
grep -q '^    e.g. GET a.example/items/[0-9]\{5\}$' "$work/out" || fail "the regex's edge (a five-digit item) was not tried"
expect_status 1 "the shadow story: the moved requests go from 0% to 100% now" -- "$banyanc" diff --at 2026-03-01T12:00:00Z "$g/shadow_end_deleted.before.routes" "$g/shadow_end_deleted.after.routes"
grep -q -- '^    -> users -> at 100% (finished' "$work/out" || fail "the moved requests do not go to users now"
grep -q '\[destination, split\]' "$work/out" || fail "going from 0% to 100% now is not a change of destination"
grep -q '^    monolith -> users: 0% now, 100% from 2026-03-02T00:00:00Z; shadow 50% until 2026-03-02T00:00:00Z' "$work/out" || fail "the old share is not 0% until the second day"
# Long after the second day both schedules are at 100%: the deleted `for 1d` is history.
expect_status 0 "--at takes an offset (an hour from now, both at 100%: no change)" -- "$banyanc" diff --at +1h "$g/shadow_end_deleted.before.routes" "$g/shadow_end_deleted.after.routes"
grep -q '^no change; ' "$work/out" || fail "no 'no change' an hour from now"
python3 - "$root" "$banyanc" <<'PY' || fail "json output is not what the text says"
import json, subprocess, sys
root, banyanc = sys.argv[1], sys.argv[2]
g = root + "/tests/golden/diff/"
p = subprocess.run([banyanc, "diff", "--format", "json", g + "new_route.before.routes", g + "new_route.after.routes"], capture_output=True, text=True)
d = json.loads(p.stdout)
assert p.returncode == 1 and d["changed"] and d["certain"], p
kinds = sorted(c["kind"] for c in d["changes"])
assert kinds == ["destination"], kinds
c = d["changes"][0]
assert c["before"] == "monolith" and c["after"] == "users", c
assert c["example"]["method"] == "GET" and c["example"]["path"].startswith("/api/users/"), c
assert "+ rewrite \"/users/:id\"" in c["details"] and "- compress gzip" in c["details"], c["details"]
print("ok: json names the change, its sides, its details and an example")
PY

# migrate finish: a migration at 100% (its start long past) becomes a plain route,
# proven by the diff; the file is in fmt's layout and checks clean.
cp "$g/shadow_end_deleted.before.routes" "$work/fin.routes"
expect_status 0 "migrate finish rewrites a finished migration" -- "$banyanc" migrate finish users "$work/fin.routes"
grep -q 'proven by the diff: 1 change (1 split)' "$work/err" || fail "migrate finish does not show its proof"
python3 - "$work/fin.routes" <<'PY' || fail "the rewritten file is not the route the migration stood for"
import sys
t = open(sys.argv[1]).read()
assert "migration" not in t.replace("# ", ""), t
assert 'route /api/users/** {\n    to users\n  }\n  route /api {\n    to monolith\n  }' in t, t
assert t.startswith("# The issue's story"), "the comments went"
PY
expect_status 0 "... it checks clean" -- "$banyanc" check "$work/fin.routes"
expect_status 0 "... it is formatted" -- "$banyanc" fmt --check "$work/fin.routes"
expect_status 0 "... and diff shows no change in where requests go" -- "$banyanc" diff --fail-on destination "$g/shadow_end_deleted.before.routes" "$work/fin.routes"
sed 's/start "2026-03-01T00:00:00Z"/start "2099-03-01T00:00:00Z"/' "$g/shadow_end_deleted.before.routes" >"$work/early.routes"
cp "$work/early.routes" "$work/early.orig"
expect_status 1 "migrate finish refuses a migration not at 100% now" -- "$banyanc" migrate finish users "$work/early.routes"
grep -q 'is not at 100% now' "$work/err" || fail "no reason for the refusal"
cmp -s "$work/early.routes" "$work/early.orig" || fail "a refused finish changed the file"
expect_status 1 "migrate finish names a migration that is not there" -- "$banyanc" migrate finish nope "$work/early.routes"
# ... in included files: the gallery's migration, started long ago, declared in an
# included file (migration.routes) whose own include holds the route it moves in part
# (gallery.routes' `route /`). Each file is rewritten where it declares what changes;
# the root is left as it is.
mkdir -p "$work/gallery" && cp -r "$root/examples/image-gallery/." "$work/gallery/"
sed -i 's/^  move \/api\/images\/\*\* from monolith to iotd$/&\n  start "2026-01-01T00:00:00Z"/' "$work/gallery/migration.routes"
grep -q '^  start "2026-01-01' "$work/gallery/migration.routes" || fail "the test could not give the gallery's migration a start"
printf '# The root: only includes.\ninclude "migration.routes"\n' >"$work/gallery/root.routes"
cp -r "$work/gallery" "$work/gallery.orig"
expect_status 0 "migrate finish rewrites the included files that declare the migration and the route" -- \
  "$banyanc" migrate finish "extract image api" "$work/gallery/root.routes"
grep -q "rewrote $work/gallery/migration.routes" "$work/err" || fail "migration.routes was not rewritten"
grep -q "rewrote $work/gallery/gallery.routes" "$work/err" || fail "gallery.routes was not rewritten"
cmp -s "$work/gallery/root.routes" "$work/gallery.orig/root.routes" || fail "the root, which declares neither, changed"
python3 - "$work/gallery" <<'PY' || fail "the included files are not the routes the migration stood for"
import sys
d = sys.argv[1]
m = open(d + "/migration.routes").read()
g = open(d + "/gallery.routes").read()
assert 'migration "' not in m, m
assert 'banyan:allow B0707' not in m, "the migration's annotation was left behind"
assert m.startswith("# Extracting the image API"), "migration.routes lost its comments"
assert g.startswith("# The image gallery from the nginx"), "gallery.routes lost its comments"
assert "  # location / { proxy_pass http://image-gallery;" in g, "gallery.routes lost a route's comment"
assert "  route /api/images/** {\n    to iotd\n    request_header Host $host\n" in g, g
assert "  route / {\n    to monolith\n" in g, g
PY
for f in root migration gallery; do
  expect_status 0 "... $f.routes is formatted" -- "$banyanc" fmt --check "$work/gallery/$f.routes"
done
expect_status 0 "... the result checks clean" -- "$banyanc" check "$work/gallery/root.routes"
expect_status 0 "... and diff shows no change in where requests go" -- \
  "$banyanc" diff --fail-on destination "$work/gallery.orig/root.routes" "$work/gallery/root.routes"
grep -q '^1 change (1 split)' "$work/out" || fail "the diff of the finished gallery is not one split"
expect_status 2 "migrate without finish is a usage error" -- "$banyanc" migrate users "$work/fin.routes"

# Compiled plans carry their routes: a plan on either side gives the routes files' diff.
for side in before after; do "$banyanc" compile "$g/policy.$side.routes" -o "$work/policy.$side.plan" 2>/dev/null; done
expect_status 1 "routes files: the policy change" -- "$banyanc" diff "$g/policy.before.routes" "$g/policy.after.routes"
sed '$d' "$work/out" >"$work/routes-diff"
for pair in "policy.before.plan policy.after.plan" "policy.before.plan AFTER" "BEFORE policy.after.plan"; do
  set -- $pair
  a=$work/$1; b=$work/$2
  [ "$1" = BEFORE ] && a=$g/policy.before.routes
  [ "$2" = AFTER ] && b=$g/policy.after.routes
  expect_status 1 "diff $1 $2: a plan reads as its routes" -- "$banyanc" diff "$a" "$b"
  sed '$d' "$work/out" | cmp -s - "$work/routes-diff" || { fail "diff $1 $2 differs from the routes files' diff"; diff "$work/routes-diff" "$work/out"; }
done
expect_status 0 "a plan against the routes file it was compiled from: no change" -- "$banyanc" diff "$work/policy.after.plan" "$g/policy.after.routes"
# A plan whose routes sources were altered, its checksum fixed up so the loader takes
# it (XXH3 through libxxhash, which banyan links), is refused, not diffed as routes it
# was not compiled from; without the fix-up, the loader's reason.
python3 - "$work/policy.after.plan" "$work/altered.plan" "$work/damaged.plan" <<'PY' || fail "could not alter the plan"
import ctypes, ctypes.util, struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.find(b"route /")
assert i > 0
b[i + 6] = ord("x")  # `route /` becomes `route x` inside the stored source text
open(sys.argv[3], "wb").write(b)
xxh = ctypes.CDLL(ctypes.util.find_library("xxhash") or "libxxhash.so.0")
xxh.XXH3_64bits.restype = ctypes.c_uint64
xxh.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
struct.pack_into("<Q", b, 16, xxh.XXH3_64bits(bytes(b[24:]), len(b) - 24))
open(sys.argv[2], "wb").write(b)
PY
expect_status 2 "a plan whose sources do not hash to its header is refused" -- "$banyanc" diff "$work/altered.plan" "$g/policy.after.routes"
grep -q "is a plan whose routes sources do not match the source sha256" "$work/err" || fail "no reason for the altered sources"
expect_status 2 "a damaged plan is refused with the loader's reason" -- "$banyanc" diff "$g/policy.after.routes" "$work/damaged.plan"
grep -q "damaged.plan': invalid plan: checksum mismatch" "$work/err" || fail "no reason for the damaged plan"

# Refusals.
printf 'site "a" {\n  route / {\n    to nowhere\n  }\n}\n' >"$work/broken.routes"
expect_status 2 "a file with errors is refused with its diagnostics" -- "$banyanc" diff "$g/policy.before.routes" "$work/broken.routes"
grep -q "error\[B0301\]" "$work/err" || fail "the error is not shown"
expect_status 2 "a missing file is exit 2" -- "$banyanc" diff "$work/none.routes" "$g/policy.after.routes"
expect_status 2 "a bad --at is exit 2" -- "$banyanc" diff --at tomorrow "$g/policy.before.routes" "$g/policy.after.routes"
grep -q "'tomorrow' is not a time" "$work/err" || fail "the bad time is not named"
expect_status 2 "one file is a usage error" -- "$banyanc" diff "$g/policy.before.routes"

# REV:PATH: the committed file against the working copy, includes read from the revision.
if command -v git >/dev/null; then
  repo="$work/repo"; mkdir -p "$repo/routes"
  cp "$g/new_route.before.routes" "$repo/routes/app.routes"
  printf 'include "app.routes"\n' >"$repo/routes/main.routes"
  (cd "$repo" && git init -q && git -c user.name=t -c user.email=t@t add -A && git -c user.name=t -c user.email=t@t commit -qm one)
  cp "$g/new_route.after.routes" "$repo/routes/app.routes"
  (cd "$repo" && expect_status 1 "HEAD:routes/main.routes against the working copy (an include changed)" -- "$banyanc" diff HEAD:routes/main.routes routes/main.routes)
  grep -q 'GET /api/users/:id (was /api)' "$work/out" || fail "the git side was not the committed file"
  (cd "$repo" && expect_status 0 "HEAD against itself has no change" -- "$banyanc" diff HEAD:routes/main.routes HEAD:routes/main.routes)
  (cd "$repo" && expect_status 2 "an unknown revision is exit 2" -- "$banyanc" diff nosuchrev:routes/main.routes routes/main.routes)
  grep -q "git has no 'nosuchrev:routes/main.routes'" "$work/err" || fail "the missing object is not named"
fi

# route --batch: many requests in one process; request lines and access-log lines.
ex="$root/examples/image-gallery"
cat >"$work/batch.txt" <<'B'
# a comment, then requests
GET https://image-gallery.local/api/image
GET https://image-gallery.local/api/images/7 -H 'Cookie: session=abc' --at 2026-03-01T09:00:00Z
{"time":"2026-03-01T09:00:00.000Z","request_id":"x","client":"127.0.0.1:5000","method":"GET","host":"image-gallery.local","path":"/api/image","status":200}
GET
{"method":"GET"}
B
python3 -c 'print("GET https://image-gallery.local/" + "a" * 70000)' >>"$work/batch.txt"
expect_status 2 "route --batch answers every line and exits 2 for the malformed ones" -- "$banyanc" route "$ex/migration.routes" --batch "$work/batch.txt"
[ "$(grep -c '^route     = /api/image' "$work/out")" -eq 2 ] || fail "batch: the two /api/image requests were not both routed"
grep -q '^line 5: error: a line is METHOD URL' "$work/out" || fail "batch: line 5 not refused"
grep -q '^line 6: error: a JSON line needs' "$work/out" || fail "batch: line 6 not refused"
grep -q '^line 7: error: longer than 64 KiB$' "$work/out" || fail "batch: a 70 KB line not refused"
grep -q '^3 request(s) answered, 0 without a route, 3 malformed line(s)$' "$work/out" || fail "batch: wrong tally"
for i in $(seq 1 2000); do echo "GET https://image-gallery.local/api/images/$i"; done >"$work/many.txt"
expect_status 0 "route --batch answers 2,000 requests in one process" -- "$banyanc" route "$ex/gallery.routes" --batch "$work/many.txt"
grep -q '^2000 request(s) answered' "$work/out" || fail "batch: not 2000 answered"
expect_status 0 "route --at takes now" -- "$banyanc" route "$ex/migration.routes" GET https://image-gallery.local/api/images/7 --at now
day1=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M)
expect_status 0 "route --at takes an offset" -- "$banyanc" route "$ex/migration.routes" GET https://image-gallery.local/api/images/7 --at +2d
day2=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M)
grep -q "^  now       \($day1\|$day2\)" "$work/out" || fail "--at +2d is not two days from now"
expect_status 2 "route --at refuses a unit it does not know" -- "$banyanc" route "$ex/migration.routes" GET https://image-gallery.local/ --at +1hr
grep -q "unknown duration unit" "$work/err" || fail "--at +1hr: no unit message"

expect_status 0 "banyanc --version" -- "$banyanc" --version
grep -Eq '^banyanc [0-9]+\.[0-9]+\.[0-9]+ \(writes plan format [0-9]+\)$' "$work/out" || fail "--version line"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all diff CLI checks passed"
