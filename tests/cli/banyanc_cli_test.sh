#!/usr/bin/env bash
# banyanc as users and CI run it: exit codes, the three output formats, and fmt.
set -uo pipefail
banyanc=$1 root=$2
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
expect_status 1 "fmt refuses a file with syntax errors" -- "$banyanc" fmt "$work/bad.routes"

echo "$failures failed"
[ "$failures" -eq 0 ]
