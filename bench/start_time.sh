#!/usr/bin/env bash
# start_time.sh - how long the gateway takes from `banyan run` to answering its first
# request, and to finishing a SIGHUP reload of the same routes, on a generated table:
#   bash bench/start_time.sh [ROUTES]     # default 100000
# The routes come from bench/gen_routes.py (its `resources` shape) with a `listen http :80`
# line; the gateway compiles them itself, so the compile is part of both times. Env:
# BANYAN_BIN (default: the release tree). One worker, on a port the script picks.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BANYAN_BIN=${BANYAN_BIN:-$here/../build/release/runtime/banyan}
n=${1:-100000}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
{ echo 'listen http :80'; python3 "$here/gen_routes.py" "$n"; } > "$dir/r.routes"
printf 'plan = "%s"\nworkers = 1\n[listen]\n":80" = "127.0.0.1:%s"\n[log]\ndestination = "off"\n' \
  "$dir/r.routes" "$port" > "$dir/g.toml"

t0=$(date +%s.%N)
"$BANYAN_BIN" run --config "$dir/g.toml" > "$dir/out" 2>&1 & pid=$!
until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
  kill -0 "$pid" 2>/dev/null || { cat "$dir/out" >&2; exit 1; }
  sleep 0.02
done
t1=$(date +%s.%N)
kill -HUP "$pid"
until grep -q 'reloaded' "$dir/out"; do sleep 0.02; done
t2=$(date +%s.%N)
python3 -c "import sys; a, b, c = map(float, sys.argv[1:]); print(f'routes={$n} start_s={b - a:.2f} reload_s={c - b:.2f}')" \
  "$t0" "$t1" "$t2"
