#!/usr/bin/env bash
# banyanc as users and CI run it: exit codes, the three output formats, fmt, and the
# plan commands (compile, explain, route).
set -uo pipefail
banyanc=$(realpath "$1") root=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/banyanc-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
expect_status() {  # expect_status WANT DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"; sed 's/^/  | /' "$work/out" "$work/err" | head -40
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}

ex="$root/examples/image-gallery"
expect_status 0 "every example checks clean" -- "$banyanc" check "$ex"/*.routes
expect_status 0 "every example is formatted" -- "$banyanc" fmt --check "$ex"/*.routes

cat >"$work/bad.routes" <<'R'
upstream monolith {
  server "monolith:80"
}
upsteam iotd {
  server "iotd:80"
}
upstream monolith {
  server "monolith-2:80"
}
site "example.com" {
  route / {
    to monolth
    read_timeout 5x
  }
  route /api {
    to monolith
R
expect_status 1 "a file with errors exits 1" -- "$banyanc" check "$work/bad.routes"
grep -q "bad.routes:4:1: error\[B0103\]: unknown keyword 'upsteam'" "$work/err" || { echo "FAIL: text output lacks the B0103 line"; failures=$((failures + 1)); }

expect_status 1 "sarif output exits 1 too" -- "$banyanc" check --format sarif "$work/bad.routes"
python3 - "$work/out" <<'PY' || failures=$((failures + 1))
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["version"] == "2.1.0", doc["version"]
results = doc["runs"][0]["results"]
assert len(results) == 5, len(results)
rules = doc["runs"][0]["tool"]["driver"]["rules"]
for r in results:
    assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    assert r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
print("ok: sarif is valid JSON, version 2.1.0, one result per diagnostic")
PY

expect_status 1 "json output exits 1" -- "$banyanc" check --format json "$work/bad.routes"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["errors"]==5 and len(d["diagnostics"])==5; print("ok: json counts 5 errors")' "$work/out" \
  || failures=$((failures + 1))

# B0306 waits for a file without errors, each file on its own: another file's errors
# in the same run do not hide it.
printf 'upstream a {\n  server "a:1"\n}\nupstream spare {\n  server "b:1"\n}\nsite "h" {\n  route / {\n    to a\n  }\n}\n' >"$work/spare.routes"
expect_status 1 "two files, the first with errors" -- "$banyanc" check "$work/bad.routes" "$work/spare.routes"
grep -q "spare.routes:4:10: warning\[B0306\]: upstream 'spare'" "$work/err" && echo "ok: B0306 on the clean file" ||
  { echo "FAIL: no B0306 for spare.routes"; failures=$((failures + 1)); }
expect_status 0 "warnings alone exit 0" -- "$banyanc" check "$work/spare.routes"
# docs/diagnostics.md: the count line ends any report, warnings alone included.
[ "$(tail -n 1 "$work/err")" = "0 error(s), 1 warning(s)" ] && echo "ok: a passing run with a warning ends with the count line" ||
  { echo "FAIL: no count line after a warning"; failures=$((failures + 1)); }
expect_status 0 "a clean file prints nothing" -- "$banyanc" check "$ex/gallery.routes"
[ ! -s "$work/err" ] && echo "ok: nothing printed for a clean file" || { echo "FAIL: a clean check printed something"; failures=$((failures + 1)); }
expect_status 1 "--werror fails on B0306" -- "$banyanc" check --werror "$work/spare.routes"

expect_status 2 "a missing file is an I/O error" -- "$banyanc" check "$work/nope.routes"
expect_status 2 "an unknown option is a usage error" -- "$banyanc" check --frobnicate "$ex/gallery.routes"
expect_status 2 "an unknown format is a usage error" -- "$banyanc" check --format xml "$ex/gallery.routes"
expect_status 2 "no command is a usage error" -- "$banyanc"

printf 'upstream   u{server "u:80"}\n' >"$work/messy.routes"
expect_status 1 "fmt --check on an unformatted file exits 1 and shows a diff" -- "$banyanc" fmt --check "$work/messy.routes"
grep -q '^+  server "u:80"' "$work/out" || { echo "FAIL: no diff shown"; failures=$((failures + 1)); }
expect_status 0 "fmt rewrites the file" -- "$banyanc" fmt "$work/messy.routes"
cp "$work/messy.routes" "$work/once.routes"
expect_status 0 "formatting a formatted file changes nothing" -- "$banyanc" fmt "$work/messy.routes"
cmp -s "$work/messy.routes" "$work/once.routes" || { echo "FAIL: fmt is not idempotent"; failures=$((failures + 1)); }
expect_status 2 "fmt refuses a file with syntax errors (exit 2: an error, not 'unformatted')" -- "$banyanc" fmt "$work/bad.routes"
expect_status 2 "fmt --check on a file with syntax errors exits 2, not 1" -- "$banyanc" fmt --check "$work/bad.routes"

# The diff --check shows is the one GNU diff -u shows (past its two header lines):
# two hunks far apart, and a last line without its newline.
{ printf 'upstream a {\n   server "a:80"\n}\n'; for i in $(seq 1 12); do printf 'upstream u%s {\n  server "u:80"\n}\n' "$i"; done
  printf 'site "h" {\n  route / { to a }\n}'; } >"$work/two.routes"
expect_status 1 "fmt --check shows the unformatted places" -- "$banyanc" fmt --check "$work/two.routes"
mv "$work/out" "$work/ours.diff"
"$banyanc" fmt --stdout "$work/two.routes" >"$work/two.formatted"
diff -u "$work/two.routes" "$work/two.formatted" >"$work/gnu.diff"
if [ "$(grep -c '^@@' "$work/ours.diff")" -eq 2 ] && cmp -s <(tail -n +3 "$work/ours.diff") <(tail -n +3 "$work/gnu.diff"); then
  echo "ok: fmt --check's diff is GNU diff's"
else
  echo "FAIL: fmt --check's diff differs from diff -u:"; diff "$work/ours.diff" "$work/gnu.diff" | head -20
  failures=$((failures + 1))
fi

# The plan: compile every example twice (same bytes), explain it both ways, route a
# request through the plan file, and refuse a plan with one byte flipped.
for f in "$ex"/*.routes; do
  name=$(basename "$f" .routes)
  expect_status 0 "compile $name" -- "$banyanc" compile "$f" -o "$work/$name.plan"
  expect_status 0 "compile $name again" -- "$banyanc" compile "$f" -o "$work/$name.again.plan"
  cmp -s "$work/$name.plan" "$work/$name.again.plan" || { echo "FAIL: compiling $name twice gave different bytes"; failures=$((failures + 1)); }
  expect_status 0 "explain $name.plan" -- "$banyanc" explain "$work/$name.plan"
  grep -q 'decision tree' "$work/out" || { echo "FAIL: explain printed no decision tree"; failures=$((failures + 1)); }
  expect_status 0 "explain --format dot $name.plan" -- "$banyanc" explain --format dot "$work/$name.plan"
  grep -q '^digraph plan {' "$work/out" || { echo "FAIL: no digraph"; failures=$((failures + 1)); }
  expect_status 0 "route through $name.plan" -- "$banyanc" route "$work/$name.plan" GET https://image-gallery.local/api/image -H 'Cookie: a=b'
  grep -q '^route     = /api/image' "$work/out" || { echo "FAIL: route did not pick = /api/image"; failures=$((failures + 1)); }
done
expect_status 0 "explain reads a routes file too" -- "$banyanc" explain "$ex/gallery.routes"
# The README's `route` example is real output: run it as the README shows it.
(cd "$ex" && "$banyanc" compile gallery.routes -o "$work/readme-gallery.plan" &&
   "$banyanc" route "$work/readme-gallery.plan" GET https://image-gallery.local/api/image -H 'Cookie: a=b') >"$work/readme-route.out"
python3 - "$root/README.md" "$work/readme-route.out" <<'PY' || { echo "FAIL: the README's route example is not banyanc's output"; failures=$((failures + 1)); }
import sys
s = open(sys.argv[1]).read()
head = "$ banyanc route gallery.plan GET https://image-gallery.local/api/image -H 'Cookie: a=b'\n"
i = s.index(head) + len(head)
sys.exit(0 if s[i:s.index("```", i)] == open(sys.argv[2]).read() else 1)
PY
expect_status 1 "compile refuses a file with errors and writes nothing" -- "$banyanc" compile "$work/bad.routes" -o "$work/bad.plan"
[ ! -e "$work/bad.plan" ] || { echo "FAIL: a plan was written for a file with errors"; failures=$((failures + 1)); }
python3 - "$work/gallery.plan" "$work/flipped.plan" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x01
open(sys.argv[2], "wb").write(b)
PY
expect_status 1 "a plan with one flipped byte is refused" -- "$banyanc" explain "$work/flipped.plan"
grep -q 'invalid plan: checksum mismatch' "$work/err" || { echo "FAIL: the refusal does not name the checksum"; failures=$((failures + 1)); }
head -c 100 "$work/gallery.plan" >"$work/short.plan"
expect_status 1 "a truncated plan is refused" -- "$banyanc" route "$work/short.plan" GET http://x/
grep -q 'invalid plan: truncated' "$work/err" || { echo "FAIL: the refusal does not say truncated"; failures=$((failures + 1)); }
expect_status 1 "route exits 1 when no site answers" -- "$banyanc" route "$work/gallery.plan" GET http://elsewhere.org/
expect_status 1 "route refuses a path that escapes through an encoded slash" -- "$banyanc" route "$work/gallery.plan" GET 'http://image-gallery.local/api/..%2Fadmin'
expect_status 2 "route without a URL is a usage error" -- "$banyanc" route "$work/gallery.plan" GET
expect_status 2 "route with a relative URL is a usage error" -- "$banyanc" route "$work/gallery.plan" GET /api/image
expect_status 2 "compile without -o is a usage error" -- "$banyanc" compile "$ex/gallery.routes"
cp "$ex/gallery.routes" "$work/keep.routes"
expect_status 2 "compile refuses to write the plan over its own routes file" -- "$banyanc" compile "$work/keep.routes" -o "$work/keep.routes"
cmp -s "$ex/gallery.routes" "$work/keep.routes" || { echo "FAIL: the routes file was overwritten"; failures=$((failures + 1)); }
expect_status 2 "route refuses a URL with a user name" -- "$banyanc" route "$work/gallery.plan" GET 'http://u@image-gallery.local/'


echo "$failures failed"
[ "$failures" -eq 0 ]
