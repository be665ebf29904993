#!/usr/bin/env bash
# h2_bench.sh - Banyan and nginx side by side as HTTP/2 reverse proxies, on loopback:
#   bash bench/h2_bench.sh            # per-run lines, then a markdown table
#   bash bench/h2_bench.sh --readme   # also writes the table into README.md (bench:h2 markers)
# h2load (Debian's nghttp2-client) sends 100-byte GETs over 10 connections x 10 concurrent streams,
# over TLS (ALPN h2, the same test certificate for both) and in clear text with prior knowledge
# (h2c). Both proxies run one worker on CPU 0 (taskset), no access log, 64 idle upstream
# connections (HTTP/1.1) to the same nginx origin (`return 200`, 100 bytes), which shares CPU 1 with
# h2load. Each scenario is measured REPS times, alternating the proxies; the table gives medians and
# the median of same-repetition ratios banyan/nginx. CPU per request is the proxy's own
# utime+stime over the run (/proc/PID/stat); p99 comes from h2load's --log-file (every request's
# latency) of a run after a 1 s warm-up run.
# Env: REPS (3), DUR (8s), CLIENTS (10), STREAMS (10), SUT_CPU/GEN_CPU (0/1), BANYAN_BIN, KEEP.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
REPS=${REPS:-3}; DUR=${DUR:-8s}; CLIENTS=${CLIENTS:-10}; STREAMS=${STREAMS:-10}
SUT_CPU=${SUT_CPU:-0}; GEN_CPU=${GEN_CPU:-1}; KEEP=${KEEP:-0}
BANYAN_BIN=${BANYAN_BIN:-$root/build/release/runtime/banyan}
README_MODE=0; [ "${1:-}" = --readme ] && README_MODE=1
ORIGIN_PORT=18280; NGINX_TLS=18281; NGINX_H2C=18282; BANYAN_TLS=18283; BANYAN_H2C=18284
CERTS=$root/tests/fixtures/certs

source "$here/lib.sh"
need h2_bench "nginx h2load taskset setsid curl python3 awk" "$ORIGIN_PORT $NGINX_TLS $NGINX_H2C $BANYAN_TLS $BANYAN_H2C"
[ -x "$BANYAN_BIN" ] || { echo "h2_bench: no $BANYAN_BIN (cmake --build build/release --target banyan)" >&2; exit 2; }

RUN=$(mktemp -d -t h2-bench.XXXXXX)
mkdir -p "$RUN"/{logs,raw,tmp}

common() {  # name: nginx_main, then the http block's common part and HTTP/2's request cap
  nginx_main "$1"; echo "http {"; nginx_http "$1"
  echo "    access_log off;"
  echo "    http2_max_requests 1000000;"
}
{ common origin; cat <<EOT
    server {
        listen 127.0.0.1:$ORIGIN_PORT reuseport backlog=4096;
        location / { return 200 "$SMALL\n"; }
    }
}
EOT
} > "$RUN/origin.conf"
{ common nginx; cat <<EOT
    upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$NGINX_TLS ssl http2 reuseport backlog=4096;
        listen 127.0.0.1:$NGINX_H2C http2 reuseport backlog=4096;
        ssl_certificate $CERTS/example.pem;
        ssl_certificate_key $CERTS/example.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
        }
    }
}
EOT
} > "$RUN/nginx.conf"
cat > "$RUN/bench.routes" <<EOT
listen https :443
listen http :80
upstream origin {
  server "127.0.0.1:$ORIGIN_PORT"
  keepalive 64
}
tls bench {
  certificate "$CERTS/example.pem"
  key "$CERTS/example.key"
}
site "example.com" {
  tls bench
  route / { to origin }
}
EOT
cat > "$RUN/gateway.toml" <<EOT
plan = "bench.routes"
workers = 1
[listen]
":443" = "127.0.0.1:$BANYAN_TLS"
":80" = "127.0.0.1:$BANYAN_H2C"
[log]
destination = "off"
[http2]
prior_knowledge = [":80"]
EOT

for n in origin nginx; do
  nginx -t -q -c "$RUN/$n.conf" -e "$RUN/logs/$n.stderr.log" || { log "nginx config $n is invalid"; exit 3; }
done
start_bg origin "$GEN_CPU" nginx -c "$RUN/origin.conf" -e "$RUN/logs/origin.stderr.log"
wait_port $ORIGIN_PORT "${PGID[origin]}" || { log "origin did not start"; exit 3; }
start_bg nginx "$SUT_CPU" nginx -c "$RUN/nginx.conf" -e "$RUN/logs/nginx.stderr.log"
start_bg banyan "$SUT_CPU" "$BANYAN_BIN" run --config "$RUN/gateway.toml"
wait_port $NGINX_TLS "${PGID[nginx]}" || { log "nginx did not start"; cat "$RUN/logs/nginx"* >&2; exit 3; }
wait_port $BANYAN_TLS "${PGID[banyan]}" || { log "banyan did not start"; cat "$RUN/logs/banyan.out" >&2; exit 3; }
declare -A TLS=([banyan]=$BANYAN_TLS [nginx]=$NGINX_TLS) H2C=([banyan]=$BANYAN_H2C [nginx]=$NGINX_H2C)
for p in banyan nginx; do  # both answer the same 100 bytes over HTTP/2, both ways
  got=$(curl -s --http2 --resolve "example.com:${TLS[$p]}:127.0.0.1" --cacert "$CERTS/example.pem" \
        -o /dev/null -w '%{http_version} %{http_code} %{size_download}' "https://example.com:${TLS[$p]}/small")
  [ "$got" = "2 200 100" ] || { log "$p over TLS answered '$got', want '2 200 100'"; exit 3; }
  got=$(curl -s --http2-prior-knowledge -H 'Host: example.com' -o /dev/null \
        -w '%{http_version} %{http_code} %{size_download}' "http://127.0.0.1:${H2C[$p]}/small")
  [ "$got" = "2 200 100" ] || { log "$p h2c answered '$got', want '2 200 100'"; exit 3; }
done
log "run dir $RUN; nginx $(nginx -v 2>&1 | sed 's#.*/##'); h2load $(h2load --version | awk '{print $2}'); proxies on cpu$SUT_CPU, h2load + origin on cpu$GEN_CPU; $REPS reps x $DUR, $CLIENTS connections x $STREAMS streams"

RESULTS=$RUN/results.tsv
printf 'rep\tscenario\tproxy\trps\tp50_ms\tp99_ms\tcpu_us\trequests\tfailed\n' > "$RESULTS"
measure() {  # rep scenario proxy url
  local rep=$1 scen=$2 proxy=$3 url=$4 g=${PGID[$3]} out="$RUN/raw/$2.$3.r$1"
  kill -0 "$g" 2>/dev/null || { log "$proxy is no longer running (see $RUN/logs/$proxy.out)"; KEEP=1; exit 4; }
  taskset -c "$GEN_CPU" h2load -c"$CLIENTS" -m"$STREAMS" -D 1s -H ':authority: example.com' "$url" >/dev/null 2>&1
  local t0 t1
  t0=$(cpu_ticks "$g")
  taskset -c "$GEN_CPU" h2load -c"$CLIENTS" -m"$STREAMS" -D "$DUR" -H ':authority: example.com' \
    --log-file="$out.log" "$url" >"$out.txt" 2>&1
  t1=$(cpu_ticks "$g")
  python3 - "$out.log" "$out.txt" "$rep" "$scen" "$proxy" $((t1 - t0)) <<'PY' | tee -a "$RESULTS" |
import re, sys
log, txt, rep, scen, proxy, ticks = sys.argv[1:7]
lat = sorted(int(l.split()[2]) for l in open(log) if len(l.split()) >= 3)
t = open(txt).read()
m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed", t)
rps = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", t).group(1))
done, failed = int(m.group(3)), int(m.group(5))
cpu_us = int(ticks) * 10000 / done if done else 0
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000 if lat else 0
print(f"{rep}\t{scen}\t{proxy}\t{rps:.0f}\t{p(0.5):.3f}\t{p(0.99):.3f}\t{cpu_us:.2f}\t{done}\t{failed}")
PY
    awk -F'\t' '{ printf "  r%s %-8s %-6s %7s rps  p50 %7.3f ms  p99 %7.3f ms  cpu %6.2f us/req%s\n",
                  $1, $2, $3, $4, $5, $6, $7, ($9 > 0 ? "  failed=" $9 : "") }' >&2
}
for rep in $(seq 1 "$REPS"); do
  log "repetition $rep/$REPS"
  for p in banyan nginx; do measure "$rep" h2-tls "$p" "https://127.0.0.1:${TLS[$p]}/small"; done
  for p in banyan nginx; do measure "$rep" h2c "$p" "http://127.0.0.1:${H2C[$p]}/small"; done
done

TABLE=$RUN/table.md
python3 - "$RESULTS" "$here" "$REPS" "$DUR" "$CLIENTS" "$STREAMS" > "$TABLE" <<'PY'
import csv, statistics, sys
sys.path.insert(0, sys.argv[2])
from readme import machine
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
names = {"h2-tls": "HTTP/2 over TLS (ALPN h2), 100 B", "h2c": "HTTP/2 clear text (prior knowledge), 100 B"}
by = {}
for r in rows:
    by.setdefault((r["scenario"], r["proxy"]), {})[r["rep"]] = r
med = statistics.median
def m(s, p, k): return med(float(r[k]) for r in by[(s, p)].values())
def ratios(s, k):
    b, n = by[(s, "banyan")], by[(s, "nginx")]
    return sorted(float(b[i][k]) / float(n[i][k]) for i in b if i in n and float(n[i][k]) > 0)
print("| scenario | req/s banyan | req/s nginx | req/s ratio | p99 banyan | p99 nginx | p99 ratio "
      "| CPU µs/req banyan | CPU µs/req nginx | CPU ratio (range) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for s in names:
    if (s, "banyan") not in by or (s, "nginx") not in by:
        continue
    c = ratios(s, "cpu_us")
    print(f"| {names[s]} | {m(s, 'banyan', 'rps'):,.0f} | {m(s, 'nginx', 'rps'):,.0f} | {med(ratios(s, 'rps')):.2f} "
          f"| {m(s, 'banyan', 'p99_ms'):.2f} ms | {m(s, 'nginx', 'p99_ms'):.2f} ms | {med(ratios(s, 'p99_ms')):.2f} "
          f"| {m(s, 'banyan', 'cpu_us'):.1f} | {m(s, 'nginx', 'cpu_us'):.1f} | {med(c):.2f} ({c[0]:.2f} to {c[-1]:.2f}) |")
failed = sum(int(r["failed"]) for r in rows)
print()
print(f"Measured by `bash bench/h2_bench.sh --readme` on {machine()}: {sys.argv[3]} alternating repetitions of "
      f"{sys.argv[4]} per proxy and scenario, `h2load -c{sys.argv[5]} -m{sys.argv[6]}` after a 1 s warm-up run; the "
      f"proxies (one worker each, no access log, HTTP/1.1 to the origin with 64 idle connections) on one core, "
      f"h2load and the nginx origin on the other. Medians over the repetitions; ratios are banyan/nginx, the median "
      f"of same-repetition ratios (req/s above 1, p99 or CPU below 1 favour Banyan). p99 from every request's "
      f"latency in h2load's log." + (f" Warning: {failed} requests failed." if failed else ""))
PY
echo >&2; cat "$TABLE"
if [ "$README_MODE" = 1 ]; then
  python3 -c "import sys; sys.path.insert(0, '$here'); from readme import write_section; write_section('$root', 'h2', open('$TABLE').read().strip())"
  log "README.md: bench:h2 section rewritten"
fi
