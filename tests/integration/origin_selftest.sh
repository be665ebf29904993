#!/usr/bin/env bash
# Checks banyan-origin itself, so the integration tests that use it as their upstream
# can trust it: two replicas on port 0 (ports read from --port-file), then a handful
# of endpoints with curl. Every network call is bounded; the trap stops the server.
# usage: origin_selftest.sh path/to/banyan-origin
set -euo pipefail
origin=$1
dir=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [[ "$1" == "$2" ]] || fail "$3: expected '$2', got '$1'"; }
c() { curl -s --max-time 5 "$@"; }

"$origin" --listen 127.0.0.1:0 --listen 127.0.0.1:0 --name selftest \
  --port-file "$dir/ports" --log "$dir/log" >"$dir/stdout" 2>"$dir/stderr" &
pid=$!
# The port file appears atomically once both listeners are bound (at most 5 s).
for _ in $(seq 100); do [[ -s $dir/ports ]] && break; sleep 0.05; done
[[ -s $dir/ports ]] || fail "no port file; stderr: $(cat "$dir/stderr")"
a=$(sed -n 1p "$dir/ports")
b=$(sed -n 2p "$dir/ports")
A=http://127.0.0.1:$a
B=http://127.0.0.1:$b

# Argument errors exit 2.
set +e; "$origin" --name x >/dev/null 2>&1; rc=$?; set -e
expect_eq "$rc" 2 "missing --listen"

expect_eq "$(c $A/healthz)" "ok" "/healthz"
expect_eq "$(c $A/some/path?q=1)" "selftest (selftest@127.0.0.1:$a) answered GET /some/path?q=1" "default answer"
expect_eq "$(c -D - -o /dev/null $B/ | tr -d '\r' | grep -i '^x-served-by:')" "X-Served-By: selftest@127.0.0.1:$b" \
  "X-Served-By"

# /echo shows the head as received and the body's size and digest.
head -c 100000 /dev/urandom >"$dir/body"
want_sha=$(sha256sum "$dir/body" | cut -d' ' -f1)
echo_out=$(c $A/echo/x -H 'X-Probe: 42' --data-binary @"$dir/body")
grep -qx 'POST /echo/x HTTP/1.1' <<<"$echo_out" || fail "/echo request line: $echo_out"
grep -qx 'X-Probe: 42' <<<"$echo_out" || fail "/echo header: $echo_out"
grep -qx 'body-bytes: 100000' <<<"$echo_out" || fail "/echo body-bytes: $echo_out"
grep -qx "body-sha256: $want_sha" <<<"$echo_out" || fail "/echo digest: $echo_out"

# /upload, chunked and with Expect: 100-continue.
up=$(c $A/upload -H 'Transfer-Encoding: chunked' -H 'Expect: 100-continue' --data-binary @"$dir/body")
expect_eq "$up" "body-bytes: 100000"$'\n'"body-sha256: $want_sha" "/upload"

expect_eq "$(c -o /dev/null -w '%{http_code}' $A/status/503)" 503 "/status/503"
expect_eq "$(c $A/bytes/200000 | wc -c)" 200000 "/bytes"
expect_eq "$(c "$A/bytes/200000?chunked=1" | wc -c)" 200000 "/bytes chunked"
expect_eq "$(c -D - -o /dev/null "$A/bytes/10?chunked=1" | tr -d '\r' | grep -ci '^transfer-encoding: chunked')" 1 \
  "/bytes chunked framing"
expect_eq "$(c $A/delay/50)" "selftest (selftest@127.0.0.1:$a) answered GET /delay/50" "/delay"

# /c/...: a counted answer with the fields asked for; conditionals get 304; /c-fail.
hdr() { tr -d '\r' | grep -i "^$1:" | cut -d' ' -f2-; }
expect_eq "$(c "$A/c/one?body=hi")" "hi #1" "/c body and count"
expect_eq "$(c -D - -o /dev/null "$A/c/two?h=Cache-Control:max-age%3D5" | hdr cache-control)" "max-age=5" "/c h="
expect_eq "$(c -D - -o /dev/null "$A/c/two" | hdr x-count)" 3 "/c X-Count"
etag='h=ETag:%22v1%22'
expect_eq "$(c -o /dev/null -w '%{http_code}' -H 'If-None-Match: "x", W/"v1"' "$A/c/three?$etag")" 304 \
  "/c If-None-Match listing the ETag"
expect_eq "$(c -D - -o /dev/null -H 'If-None-Match: "v1"' "$A/c/three?$etag&h=A:1&h304=A:2" | hdr a)" 2 \
  "/c h304= replaces a field on a 304"
expect_eq "$(c -o /dev/null -w '%{http_code}' -H 'If-None-Match: "x"' "$A/c/three?$etag")" 200 \
  "/c If-None-Match not listing it"
expect_eq "$(c -o /dev/null -w '%{http_code}' -H 'If-Modified-Since: Tue' "$A/c/four?h=Last-Modified:Tue")" 304 \
  "/c If-Modified-Since equal to Last-Modified"
expect_eq "$(c -o /dev/null -w '%{http_code}' "$A/c/five?status=404")" 404 "/c status="
expect_eq "$(c -I "$A/c/six?body=abc" | hdr content-length)" 7 "/c HEAD: the length of 'abc #9'"
expect_eq "$(c "$A/c-fail?n=1" >/dev/null; c -o /dev/null -w '%{http_code}' "$A/c/seven")" 503 "/c-fail"
expect_eq "$(c "$A/c/seven")" "cached thing #11" "/c after the failure"
expect_eq "$(c -o /dev/null -w '%{http_code}' "$A/c/eight?delay=50")" 200 "/c delay="

# Broken connections: curl reports an empty reply (52) and a partial body (18).
set +e
c $A/close >/dev/null; expect_eq $? 52 "/close"
c $A/half >/dev/null; expect_eq $? 18 "/half"
set -e

# /bad/* writes raw bytes; read them with bash's /dev/tcp.
exec 3<>/dev/tcp/127.0.0.1/$a
printf 'GET /bad/dup-length HTTP/1.1\r\nHost: x\r\n\r\n' >&3
raw=$(timeout 5 cat <&3 | tr -d '\r')
exec 3<&-
grep -qx 'Content-Length: 5' <<<"$raw" && grep -qx 'Content-Length: 6' <<<"$raw" || fail "/bad/dup-length: $raw"

# --log holds each request head as received.
grep -q $'^GET /delay/50 HTTP/1.1\r$' "$dir/log" || fail "--log lacks /delay/50"
grep -qx -- '---' "$dir/log" || fail "--log lacks separators"

# /die stops replica B; replica A keeps answering.
expect_eq "$(c $B/die)" "bye" "/die"
set +e; c $B/ >/dev/null; rc=$?; set -e
expect_eq "$rc" 7 "a dead replica refuses connections"
expect_eq "$(c $A/healthz)" "ok" "the other replica after /die"

kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
pid=
expect_eq "$rc" 0 "exit status after SIGTERM"
echo "origin selftest passed"
