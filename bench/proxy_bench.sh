#!/usr/bin/env bash
# proxy_bench.sh - Banyan and nginx side by side as reverse proxies, on loopback:
#   bash bench/proxy_bench.sh            # prints per-run lines, then a markdown table
#   bash bench/proxy_bench.sh --readme   # also writes the table into README.md (proxy-bench markers)
# A fifth scenario, /gz/10k with Accept-Encoding: gzip, has both proxies compress the 10 KiB text at
# gzip level 4 (nginx: gzip on, gzip_comp_level 4; Banyan: compress gzip).
# Both proxies run one worker on CPU 0 (taskset) in front of the same origin (nginx, one worker:
# `return 200` with a 100-byte body at /small, a static 10 KiB file at /10k), which shares CPU 1 with
# the load generator (wrk -t1). Both keep 64 idle upstream connections and write a JSON access log
# to a file. Each scenario (small and 10k, keep-alive and a new connection per request) is measured
# REPS times, alternating Banyan and nginx; the table gives medians over the repetitions and the
# median of same-repetition ratios banyan/nginx. Server CPU per request is the proxy's own
# utime+stime (/proc/PID/stat, all its processes) over the run, divided by the requests served.
# Env: REPS (3), DUR (8s), CONNS (50), WARM (1s), SUT_CPU/GEN_CPU (0/1), BANYAN_BIN, KEEP (0: keep
# the temp dir), NGINX_DEFERRED (set: nginx listens with `deferred`, the TCP_DEFER_ACCEPT Banyan
# always sets; by default nginx runs as the shared harness's does, without it). Needs nginx, wrk,
# taskset, setsid, curl, python3 (bench/setup.sh installs them).
# BASELINE_BIN=path/to/another/banyan adds it as a third proxy, "base", alternating with the other
# two in the same run, and a second table compares banyan with it (an A/B of two builds:
#   git worktree add /tmp/base HEAD~1 && cmake -S /tmp/base -B /tmp/base/build -DCMAKE_BUILD_TYPE=Release &&
#   cmake --build /tmp/base/build --target banyan && BASELINE_BIN=/tmp/base/build/runtime/banyan bash bench/proxy_bench.sh).
# SHADOW=1 makes "base" the same banyan with every route under a migration that shadows 100% of
# requests to a second origin port (compare status, headers, body), and the second table what the
# copies cost: shadow / none. The origin then serves twice the requests on the load generator's
# core. With --readme, SHADOW=1 writes only that table, between the shadow-bench markers.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
REPS=${REPS:-3}; DUR=${DUR:-8s}; CONNS=${CONNS:-50}; WARM=${WARM:-1s}
SUT_CPU=${SUT_CPU:-0}; GEN_CPU=${GEN_CPU:-1}; KEEP=${KEEP:-0}
BANYAN_BIN=${BANYAN_BIN:-$root/build/release/runtime/banyan}
README_MODE=0; [ "${1:-}" = --readme ] && README_MODE=1
ORIGIN_PORT=18180; NGINX_PORT=18181; BANYAN_PORT=18182; BASE_PORT=18183; COPY_PORT=18184
BASELINE_BIN=${BASELINE_BIN:-}
SHADOW=${SHADOW:-0}
[ "$SHADOW" = 1 ] && BASELINE_BIN=$BANYAN_BIN
PROXIES=(banyan nginx); [ -n "$BASELINE_BIN" ] && PROXIES=(banyan base nginx)

# ---- processes, checks (bench/lib.sh)
source "$here/lib.sh"
need proxy_bench "nginx wrk taskset setsid curl python3 awk" "$ORIGIN_PORT $NGINX_PORT $BANYAN_PORT $BASE_PORT $COPY_PORT"
[ -x "$BANYAN_BIN" ] || { echo "proxy_bench: no $BANYAN_BIN (cmake --build build/release --target banyan)" >&2; exit 2; }
[ -z "$BASELINE_BIN" ] || [ -x "$BASELINE_BIN" ] || { echo "proxy_bench: no $BASELINE_BIN" >&2; exit 2; }

RUN=$(mktemp -d -t proxy-bench.XXXXXX)
mkdir -p "$RUN"/{www,logs,raw,tmp}

# ---- configuration
head -c 10240 < <(yes 'abcdefghijklmnopqrstuvwxyz0123456789' | tr -d '\n') > "$RUN/www/10k"
{ nginx_main origin; echo "http {"; nginx_http origin; cat <<EOT
    access_log off;
    server {
        listen 127.0.0.1:$ORIGIN_PORT reuseport backlog=4096;
        listen 127.0.0.1:$COPY_PORT reuseport backlog=4096;
        location = /small { return 200 "$SMALL\n"; }
        location = /10k { root $RUN/www; }
        location / { return 200 "$SMALL\n"; }
    }
}
EOT
} > "$RUN/origin.conf"
# The proxy logs what Banyan's JSON access log holds, to a file.
{ nginx_main nginx; echo "http {"; nginx_http nginx; cat <<EOT
    log_format bench escape=json '{"time":"\$time_iso8601","request_id":"\$request_id","client":"\$remote_addr",'
        '"method":"\$request_method","host":"\$host","path":"\$uri","status":\$status,"bytes_in":\$request_length,'
        '"bytes_out":\$bytes_sent,"duration":\$request_time,"upstream_addr":"\$upstream_addr"}';
    access_log $RUN/logs/nginx-access.log bench;
    upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$NGINX_PORT reuseport backlog=4096${NGINX_DEFERRED:+ deferred};
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
        }
        location /gz/ {
            proxy_pass http://origin/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            gzip on; gzip_types text/plain; gzip_comp_level 4; gzip_min_length 1024; gzip_vary on;
        }
    }
}
EOT
} > "$RUN/nginx.conf"
cat > "$RUN/bench.routes" <<EOT
listen http :80
upstream origin {
  server "127.0.0.1:$ORIGIN_PORT"
  keepalive 64
}
site default {
  route / { to origin }
  route /gz/** {
    to origin
    rewrite /**
    compress gzip
  }
}
EOT
cat > "$RUN/gateway.toml" <<EOT
plan = "bench.routes"
workers = 1
[listen]
":80" = "127.0.0.1:$BANYAN_PORT"
[log]
format = "json"
destination = "$RUN/logs/banyan-access.log"
EOT
sed -e "s/:$BANYAN_PORT/:$BASE_PORT/" -e "s/banyan-access/base-access/" "$RUN/gateway.toml" > "$RUN/gateway-base.toml"
if [ "$SHADOW" = 1 ]; then  # the same routes, every request also copied to the origin's second port
  { cat "$RUN/bench.routes"; cat <<EOT
upstream copy {
  server "127.0.0.1:$COPY_PORT"
  keepalive 64
}
migration "bench shadow" {
  move /** from origin to copy
  shadow 100% compare status, headers, body
}
EOT
  } > "$RUN/bench-shadow.routes"
  sed -i 's/^plan = "bench.routes"/plan = "bench-shadow.routes"/' "$RUN/gateway-base.toml"
fi

# ---- start
for n in origin nginx; do
  nginx -t -q -c "$RUN/$n.conf" -e "$RUN/logs/$n.stderr.log" || { log "nginx config $n is invalid"; exit 3; }
done
start_bg origin "$GEN_CPU" nginx -c "$RUN/origin.conf" -e "$RUN/logs/origin.stderr.log"
wait_port $ORIGIN_PORT "${PGID[origin]}" || { log "origin did not start"; cat "$RUN/logs/origin"* >&2; exit 3; }
start_bg nginx "$SUT_CPU" nginx -c "$RUN/nginx.conf" -e "$RUN/logs/nginx.stderr.log"
start_bg banyan "$SUT_CPU" "$BANYAN_BIN" run --config "$RUN/gateway.toml"
[ -n "$BASELINE_BIN" ] && start_bg base "$SUT_CPU" "$BASELINE_BIN" run --config "$RUN/gateway-base.toml"
wait_port $NGINX_PORT "${PGID[nginx]}" || { log "nginx did not start"; cat "$RUN/logs/nginx"* >&2; exit 3; }
wait_port $BANYAN_PORT "${PGID[banyan]}" || { log "banyan did not start"; cat "$RUN/logs/banyan.out" >&2; exit 3; }
if [ -n "$BASELINE_BIN" ]; then
  wait_port $BASE_PORT "${PGID[base]}" || { log "base did not start"; cat "$RUN/logs/base.out" >&2; exit 3; }
fi
declare -A PORT=([banyan]=$BANYAN_PORT [nginx]=$NGINX_PORT [base]=$BASE_PORT)
for p in "${PROXIES[@]}"; do
  for want in "small 100" "10k 10240"; do
    set -- $want
    got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:${PORT[$p]}/$1")
    [ "$got" = "200 $2" ] || { log "$p /$1 answered '$got', want '200 $2'"; exit 3; }
  done
  # The gzip scenario: both encode /gz/10k at level 4, and it decodes to the file.
  curl -s --compressed -H 'Accept-Encoding: gzip' -D "$RUN/gz-$p.head" -o "$RUN/gz-$p.body" "http://127.0.0.1:${PORT[$p]}/gz/10k"
  grep -qi '^content-encoding: gzip' "$RUN/gz-$p.head" && cmp -s "$RUN/gz-$p.body" "$RUN/www/10k" ||
    { log "$p /gz/10k is not the gzip-encoded file"; cat "$RUN/gz-$p.head" >&2; exit 3; }
done
log "run dir $RUN; nginx $(nginx -v 2>&1 | sed 's#.*/##'); $(nproc) cpus; proxies on cpu$SUT_CPU, wrk + origin on cpu$GEN_CPU; $REPS reps x $DUR, $CONNS connections"

# ---- measure
RESULTS=$RUN/results.tsv
printf 'rep\tscenario\tproxy\trps\tp50_ms\tp99_ms\tcpu_us\trequests\terrors\tnon2xx\tsut_pct\tother_pct\n' > "$RESULTS"
measure() {  # rep scenario proxy path [wrk args]
  local rep=$1 scen=$2 proxy=$3 path=$4; shift 4
  local url="http://127.0.0.1:${PORT[$proxy]}$path" g=${PGID[$proxy]} out="$RUN/raw/$scen.$proxy.r$rep.txt"
  if ! kill -0 "$g" 2>/dev/null; then
    log "$proxy is no longer running (see $RUN/logs/$proxy.out; kept)"
    grep -q 'SIGTERM' "$RUN/logs/$proxy.out" 2>/dev/null && log "it was sent a SIGTERM from outside this script (a pkill by name?)"
    KEEP=1; exit 4
  fi
  [ "$WARM" != 0 ] && taskset -c "$GEN_CPU" wrk -t1 -c"$CONNS" -d"$WARM" "$@" "$url" >/dev/null 2>&1
  local t0 t1 c0 c1
  c0=$(core_busy "$SUT_CPU"); t0=$(cpu_ticks "$g")
  taskset -c "$GEN_CPU" wrk -t1 -c"$CONNS" -d"$DUR" --timeout 5s --latency "$@" "$url" >"$out" 2>&1
  t1=$(cpu_ticks "$g"); c1=$(core_busy "$SUT_CPU")
  awk -v rep="$rep" -v scen="$scen" -v proxy="$proxy" -v dt=$((t1 - t0)) -v c0="$c0" -v c1="$c1" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    / requests in / { reqs = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /^ +50% / { p50 = ms($2) }
    /^ +99% / { p99 = ms($2) }
    /Socket errors:/ { gsub(/,/, ""); errs = $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    END { split(c0, a, " "); split(c1, b, " "); busy = b[1] - a[1]; total = b[2] - a[2]
          sut = total > 0 ? 100 * dt / total : 0; other = total > 0 ? 100 * (busy - dt) / total : 0; if (other < 0) other = 0
          printf "%s\t%s\t%s\t%.0f\t%.3f\t%.3f\t%.2f\t%d\t%d\t%d\t%.0f\t%.0f\n", rep, scen, proxy, rps, p50, p99,
                 (reqs > 0 ? dt * 10000 / reqs : 0), reqs, errs, non2xx, sut, other }' "$out" | tee -a "$RESULTS" |
    awk -F'\t' '{ printf "  r%s %-14s %-6s %7s rps  p50 %7.3f ms  p99 %7.3f ms  cpu %6.2f us/req  sut %3s%%  other %3s%%%s\n",
                  $1, $2, $3, $4, $5, $6, $7, $11, $12, ($9 + $10 > 0 ? "  socket_errors=" $9 " non2xx=" $10 : "") }' >&2
}
CLOSE=(-H "Connection: close")
for rep in $(seq 1 "$REPS"); do
  log "repetition $rep/$REPS"
  for proxy in "${PROXIES[@]}"; do measure "$rep" small-ka "$proxy" /small; done
  for proxy in "${PROXIES[@]}"; do measure "$rep" 10k-ka "$proxy" /10k; done
  for proxy in "${PROXIES[@]}"; do measure "$rep" 10k-gzip-ka "$proxy" /gz/10k -H "Accept-Encoding: gzip"; done
  for proxy in "${PROXIES[@]}"; do measure "$rep" small-newconn "$proxy" /small "${CLOSE[@]}"; done
  for proxy in "${PROXIES[@]}"; do measure "$rep" 10k-newconn "$proxy" /10k "${CLOSE[@]}"; done
done

# ---- summary: medians over reps, ratios = median of same-rep banyan/nginx ratios
TABLE=$RUN/table.md
python3 - "$RESULTS" "$here" "$REPS" "$DUR" "$CONNS" "$SHADOW" > "$TABLE" <<'PY'
import csv, statistics, sys
sys.path.insert(0, sys.argv[2])
from readme import machine
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
names = {"small-ka": "100 B, keep-alive", "10k-ka": "10 KiB, keep-alive", "10k-gzip-ka": "10 KiB gzip level 4, keep-alive",
         "small-newconn": "100 B, new connection", "10k-newconn": "10 KiB, new connection"}
by = {}
for r in rows:
    by.setdefault((r["scenario"], r["proxy"]), {})[r["rep"]] = r
med = statistics.median
def m(s, p, k): return med(float(r[k]) for r in by[(s, p)].values())
def ratio(s, k):
    b, n = by[(s, "banyan")], by[(s, "nginx")]
    v = [float(b[i][k]) / float(n[i][k]) for i in b if i in n and float(n[i][k]) > 0]
    return med(v) if v else float("nan")
print("| scenario | req/s banyan | req/s nginx | req/s ratio | p50 banyan | p50 nginx | p99 banyan | p99 nginx "
      "| p99 ratio | CPU µs/req banyan | CPU µs/req nginx | CPU ratio |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
bad = []
for s in names:
    if (s, "banyan") not in by or (s, "nginx") not in by:
        continue
    print(f"| {names[s]} | {m(s, 'banyan', 'rps'):,.0f} | {m(s, 'nginx', 'rps'):,.0f} | {ratio(s, 'rps'):.2f} "
          f"| {m(s, 'banyan', 'p50_ms'):.2f} ms | {m(s, 'nginx', 'p50_ms'):.2f} ms "
          f"| {m(s, 'banyan', 'p99_ms'):.2f} ms | {m(s, 'nginx', 'p99_ms'):.2f} ms | {ratio(s, 'p99_ms'):.2f} "
          f"| {m(s, 'banyan', 'cpu_us'):.1f} | {m(s, 'nginx', 'cpu_us'):.1f} | {ratio(s, 'cpu_us'):.2f} |")
    for p in ("banyan", "nginx"):
        e = sum(int(r["errors"]) + int(r["non2xx"]) for r in by[(s, p)].values())
        if e:
            bad.append(f"{p} {names[s]}: {e} socket errors or non-2xx responses")
other = med(float(r["other_pct"]) for r in rows)
print()
print(f"Measured by `bench/proxy_bench.sh --readme` on {machine()}: {sys.argv[3]} alternating repetitions of "
      f"{sys.argv[4]} per proxy and scenario, `wrk -t1 -c{sys.argv[5]}`; the proxies (one worker each, JSON access "
      f"log to a file, 64 idle upstream connections) on one core, wrk and the nginx origin on the other. Values are "
      f"medians over the repetitions; ratios are banyan/nginx, the median of same-repetition ratios (req/s above 1 "
      f"and p99 or CPU below 1 favour Banyan). CPU µs/req is the proxy's own user+system time per request. Other "
      f"tenants used a median {other:.0f}% of the proxies' core while this ran.")
# Issue 5's target, CPU per request at most nginx's, judged on every repetition.
verdicts = {"met": [], "not met": [], "mixed": []}
for sc in names:
    if (sc, "banyan") not in by or (sc, "nginx") not in by:
        continue
    b, n = by[(sc, "banyan")], by[(sc, "nginx")]
    r = sorted(float(b[i]["cpu_us"]) / float(n[i]["cpu_us"]) for i in b if i in n and float(n[i]["cpu_us"]) > 0)
    if not r:
        continue
    met = sum(1 for x in r if x <= 1)
    kind = "met" if met == len(r) else "not met" if met == 0 else "mixed"
    spread = f"{r[0]:.2f}x" if len(r) == 1 else f"{r[0]:.2f}x to {r[-1]:.2f}x"
    verdicts[kind].append(f"{names[sc]} ({spread}" + (f", {met} of {len(r)} repetitions" if kind == "mixed" else "") + ")")
print()
print("CPU per request at most nginx's, on every repetition: " +
      "; ".join(f"{k}: {', '.join(v)}" for k, v in verdicts.items() if v) + ".")
for b in bad:
    print(f"\nWarning: {b}.")
# With a baseline build: banyan against it, same-repetition ratios (the A/B of a change).
if any(p == "base" for _, p in by) and sys.argv[6] == "1":
    # SHADOW=1: "base" is banyan shadowing every request; the cost of the copies.
    def sv(s, k):
        a, b = by[(s, "base")], by[(s, "banyan")]
        return sorted(float(a[i][k]) / float(b[i][k]) for i in a if i in b and float(b[i][k]) > 0)
    print()
    print("<!-- shadow table -->")
    print("| scenario (shadow 100% / none) | req/s ratio | p99 none | p99 shadow | p99 ratio | CPU µs/req none "
          "| CPU µs/req shadow | CPU ratio (range) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for s in names:
        if (s, "base") not in by:
            continue
        c = sv(s, "cpu_us")
        print(f"| {names[s]} | {med(sv(s, 'rps')):.2f} | {m(s, 'banyan', 'p99_ms'):.2f} ms | {m(s, 'base', 'p99_ms'):.2f} ms "
              f"| {med(sv(s, 'p99_ms')):.2f} | {m(s, 'banyan', 'cpu_us'):.1f} | {m(s, 'base', 'cpu_us'):.1f} "
              f"| {med(c):.2f} ({c[0]:.2f} to {c[-1]:.2f}) |")
    print()
    print(f"Measured by `SHADOW=1 bench/proxy_bench.sh --readme` on {machine()}: the same banyan twice, one with "
          f"every request under a migration that shadows 100% of them to a second port of the same nginx origin "
          f"(`compare status, headers, body`), {sys.argv[3]} alternating repetitions of {sys.argv[4]}, "
          f"`wrk -t1 -c{sys.argv[5]}`, medians; ratios are the median of same-repetition ratios. The copies double the "
          f"origin's work on the load generator's core, so req/s and p99 include a busier origin; CPU µs/req is the "
          f"gateway's own.")
elif any(p == "base" for _, p in by):
    def ab(s, k):
        b, a = by[(s, "banyan")], by[(s, "base")]
        v = sorted(float(b[i][k]) / float(a[i][k]) for i in b if i in a and float(a[i][k]) > 0)
        return v
    print()
    print("| scenario (banyan / base) | req/s ratio | p99 ratio | CPU µs/req banyan | CPU µs/req base | CPU ratio (range) |")
    print("|---|---:|---:|---:|---:|---:|")
    for s in names:
        if (s, "base") not in by:
            continue
        c = ab(s, "cpu_us")
        print(f"| {names[s]} | {med(ab(s, 'rps')):.3f} | {med(ab(s, 'p99_ms')):.3f} | {m(s, 'banyan', 'cpu_us'):.1f} "
              f"| {m(s, 'base', 'cpu_us'):.1f} | {med(c):.3f} ({c[0]:.3f} to {c[-1]:.3f}) |")
PY
echo
echo "== proxy_bench: banyan vs nginx ($REPS reps x $DUR, wrk -t1 -c$CONNS); raw: $RESULTS =="
cat "$TABLE"

if [ "$README_MODE" = 1 ]; then
  python3 - "$root/README.md" "$TABLE" "$SHADOW" <<'PY'
import sys
path, table = sys.argv[1], open(sys.argv[2]).read().strip()
s = open(path).read()
begin, end = "<!-- proxy-bench:begin -->", "<!-- proxy-bench:end -->"
if sys.argv[3] == "1":  # only the shadow table, in its own section
    table = table[table.index("<!-- shadow table -->") + len("<!-- shadow table -->"):].strip()
    begin, end = "<!-- shadow-bench:begin -->", "<!-- shadow-bench:end -->"
if begin not in s or end not in s:
    sys.exit("README.md has no proxy-bench markers")
a, b = s.index(begin) + len(begin), s.index(end)
open(path, "w").write(s[:a] + "\n" + table + "\n" + s[b:])
PY
  log "README.md: $([ "$SHADOW" = 1 ] && echo shadow-bench || echo proxy-bench) section rewritten"
fi
