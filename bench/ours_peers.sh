#!/usr/bin/env bash
# ours_peers.sh - the OURS_CMD adapter that runs Banyan in the shared peer benchmark:
#   OURS_CMD="exec $PWD/bench/ours_peers.sh" bash ../shared/bench/peers.sh
# It follows the contract in ../shared/bench/README.md: from BENCH_SCENARIO, OURS_PORT, ORIGIN_ADDR,
# BENCH_TLS_CERT/KEY, BENCH_ROUTES_TSV/ACTION and OURS_THREADS it writes a routes file and a
# gateway.toml under $BENCH_RUN/ours/, checks the routes with banyanc, and execs the release banyan
# in the foreground. Exit 1 (peers.sh then reports the family as skipped) for what Banyan cannot
# serve: a route table banyanc refuses.
# Binaries: BANYAN_BIN / BANYANC_BIN, default the release tree next to this script
# (cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release). The access log goes to
# $BENCH_RUN/ours/access-SCENARIO.log (JSON); OURS_ACCESS_LOG overrides it: `off` for no access
# log at all, as the harness's nginx peers run (access_log off).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BANYAN_BIN=${BANYAN_BIN:-$here/../build/release/runtime/banyan}
BANYANC_BIN=${BANYANC_BIN:-$here/../build/release/compiler/banyanc}
: "${BENCH_SCENARIO:?}" "${BENCH_RUN:?}" "${OURS_PORT:?}" "${ORIGIN_ADDR:?}"
for b in "$BANYAN_BIN" "$BANYANC_BIN"; do
  [ -x "$b" ] || { echo "ours_peers: $b not built (cmake --build build/release --target banyan banyanc)" >&2; exit 1; }
done

dir=$BENCH_RUN/ours
mkdir -p "$dir"
routes=$dir/$BENCH_SCENARIO.routes
access_log=${OURS_ACCESS_LOG:-$dir/access-$BENCH_SCENARIO.log}

upstream_block() {
  cat <<EOT
upstream origin {
  server "$ORIGIN_ADDR"
  keepalive 64
}
EOT
}

# The route table of the `routes` family. The TSV has nginx's semantics (exact wins, else the
# longest prefix, then regexes in file order override it, else the default); Banyan ranks routes by
# literal prefix and kind and refuses ambiguous or shadowed ones, so a table that only makes sense
# with nginx's order is refused by banyanc below, and reported.
routes_from_tsv() {  # tsv action
  awk -F'\t' -v action="$2" '
    function quote(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
    function body(id) { return action == "proxy" ? "to origin" : "respond 200 " quote("route " id "\\n") }
    $1 == "exact"   { print "  route = " $2 " { " body($3) " }"; next }
    $1 == "prefix"  { print "  route " $2 " { " body($3) " }"; next }
    $1 == "regex"   { print "  route ~ " quote($2) " { " body($3) " }"; next }
    $1 == "default" { print "  route / { respond " ($3 ~ /^[0-9][0-9][0-9]$/ ? $3 : 404) " }"; next }
    { printf "ours_peers: %s:%d: unknown route kind %s\n", FILENAME, NR, $1 > "/dev/stderr"; exit 3 }' "$1"
}

case "$BENCH_SCENARIO" in
  proxy)
    { echo "listen http :80"; upstream_block; echo 'site default {'; echo '  route / { to origin }'; echo '}'; } > "$routes"
    plan_listener=":80" ;;
  tls)
    : "${BENCH_TLS_CERT:?}" "${BENCH_TLS_KEY:?}"
    { echo "listen https :443"
      printf 'tls bench {\n  certificate "%s"\n  key "%s"\n}\n' "$BENCH_TLS_CERT" "$BENCH_TLS_KEY"
      upstream_block
      echo 'site default {'; echo '  tls bench'; echo '  route / { to origin }'; echo '}'; } > "$routes"
    plan_listener=":443" ;;
  routes)
    : "${BENCH_ROUTES_TSV:?}"
    { echo "listen http :80"; upstream_block; echo 'site default {'
      routes_from_tsv "$BENCH_ROUTES_TSV" "${BENCH_ROUTES_ACTION:-return}"; echo '}'; } > "$routes"
    plan_listener=":80" ;;
  cache)
    # As the harness's nginx-cache peer: 200s kept 1h, the key the path alone, misses
    # collapsed; X-Cache-Status from $upstream_cache_status. A memory zone (nginx's is on
    # disk, mostly in the page cache; Banyan's disk tier is not built).
    { echo "listen http :80"; upstream_block
      printf 'cache c1 {\n  memory 256MiB\n  inactive 1h\n}\n'
      echo 'site default {'
      printf '  route / {\n    to origin\n    cache c1 {\n      valid 200 1h\n      key $path\n    }\n'
      printf '    response_header X-Cache-Status $upstream_cache_status\n  }\n}\n'; } > "$routes"
    plan_listener=":80" ;;
  *)
    echo "ours_peers: unknown BENCH_SCENARIO '$BENCH_SCENARIO'" >&2; exit 1 ;;
esac

# Check first so a refusal says why (banyan would refuse the same file with less context).
if ! "$BANYANC_BIN" check "$routes" > "$dir/check-$BENCH_SCENARIO.txt" 2>&1; then
  echo "ours_peers: banyanc refuses the generated $routes - family '$BENCH_SCENARIO' skipped:" >&2
  grep -E '(error|warning)\[' "$dir/check-$BENCH_SCENARIO.txt" | head -20 >&2
  tail -1 "$dir/check-$BENCH_SCENARIO.txt" >&2
  exit 1
fi

cat > "$dir/gateway-$BENCH_SCENARIO.toml" <<EOT
plan = "$routes"
workers = ${OURS_THREADS:-1}
[listen]
"$plan_listener" = "127.0.0.1:$OURS_PORT"
[log]
format = "json"
destination = "$access_log"
# As the harness's nginx-tls peer: no session tickets (ssl_session_tickets off, NumTickets 0).
[tls]
session_tickets = false
EOT
exec "$BANYAN_BIN" run --config "$dir/gateway-$BENCH_SCENARIO.toml"
