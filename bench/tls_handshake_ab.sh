#!/usr/bin/env bash
# tls_handshake_ab.sh - a TLS handshake per request, Banyan against nginx, and optionally against
# another Banyan build (an A/B of a TLS change), as the shared harness's "TLS 1.3, new connection"
# row runs it: nginx with its TLS settings (no session cache, no tickets), Banyan through
# bench/ours_peers.sh in its tls mode, both one worker on SUT_CPU, proxying to one nginx origin;
# `wrk -t1 -c50 -H 'Connection: close'` over https on GEN_CPU. The proxies alternate within each
# repetition; each line is one measurement: requests and the proxy's user+system CPU per request.
#   bash bench/tls_handshake_ab.sh
#   BASELINE_BIN=/tmp/base/build/runtime/banyan REPS=4 bash bench/tls_handshake_ab.sh
# Env: REPS (3), DUR (8s), SUT_CPU/GEN_CPU (0/1), BANYAN_BIN, BASELINE_BIN, KEEP (1: keep the temp
# dir). PERF=1 also records each proxy with `perf record -g` for 6 s (perf.NAME.REP.data in the dir).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPS=${REPS:-3}; DUR=${DUR:-8s}; SUT_CPU=${SUT_CPU:-0}; GEN_CPU=${GEN_CPU:-1}; KEEP=${KEEP:-0}; PERF=${PERF:-0}
BANYAN_BIN=${BANYAN_BIN:-$here/../build/release/runtime/banyan}
BASELINE_BIN=${BASELINE_BIN:-}
ORIGIN_PORT=18170; NGINX_PORT=18171
declare -A PORT=([nginx]=$NGINX_PORT [banyan]=18172 [base]=18173)
PROXIES=(nginx banyan); [ -n "$BASELINE_BIN" ] && PROXIES=(nginx banyan base)
source "$here/lib.sh"
need tls_handshake_ab "nginx wrk taskset setsid curl openssl" "$ORIGIN_PORT ${PORT[*]}"

RUN=$(mktemp -d -t tls-ab.XXXXXX)
mkdir -p "$RUN"/{logs,tmp,tls}

# The harness's certificate: a P-256 key, self-signed for 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$RUN/tls/key.pem" -out "$RUN/tls/cert.pem" 2>"$RUN/logs/openssl.log" ||
  { cat "$RUN/logs/openssl.log" >&2; exit 3; }
{ nginx_main origin; echo "http {"; nginx_http origin; cat <<EOT
    access_log off;
    server { listen 127.0.0.1:$ORIGIN_PORT reuseport backlog=4096; location / { return 200 "$SMALL\n"; } }
}
EOT
} > "$RUN/origin.conf"
{ nginx_main nginx; echo "http {"; nginx_http nginx; cat <<EOT
    access_log off;
    upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; }
    server {
        listen 127.0.0.1:$NGINX_PORT ssl reuseport backlog=4096;
        ssl_certificate $RUN/tls/cert.pem;
        ssl_certificate_key $RUN/tls/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache off;
        ssl_session_tickets off;
        ssl_conf_command NumTickets 0;
        location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
EOT
} > "$RUN/nginx.conf"

start_bg origin "$GEN_CPU" nginx -c "$RUN/origin.conf" -e "$RUN/logs/origin.stderr.log"
start_bg nginx "$SUT_CPU" nginx -c "$RUN/nginx.conf" -e "$RUN/logs/nginx.stderr.log"
for p in banyan base; do
  [[ " ${PROXIES[*]} " == *" $p "* ]] || continue
  bin=$BANYAN_BIN; [ "$p" = base ] && bin=$BASELINE_BIN
  start_bg "$p" "$SUT_CPU" env BENCH_SCENARIO=tls BENCH_RUN="$RUN/$p" OURS_PORT="${PORT[$p]}" \
    ORIGIN_ADDR="127.0.0.1:$ORIGIN_PORT" OURS_ACCESS_LOG=off OURS_THREADS=1 BENCH_TLS_CERT="$RUN/tls/cert.pem" \
    BENCH_TLS_KEY="$RUN/tls/key.pem" BANYAN_BIN="$bin" bash "$here/ours_peers.sh"
done
for p in "${PROXIES[@]}"; do
  wait_port "${PORT[$p]}" "${PGID[$p]}" || { log "$p did not start"; cat "$RUN/logs/$p"* >&2; exit 3; }
  got=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:${PORT[$p]}/small")
  [ "$got" = 200 ] || { log "$p answered '$got', want 200"; exit 3; }
done

log "run dir $RUN; ${PROXIES[*]}, $REPS repetitions of $DUR"
for rep in $(seq "$REPS"); do
  for p in "${PROXIES[@]}"; do
    url="https://127.0.0.1:${PORT[$p]}/small"
    taskset -c "$GEN_CPU" wrk -t1 -c50 -d1s -H 'Connection: close' "$url" >/dev/null 2>&1
    perf_pid=
    if [ "$PERF" = 1 ]; then
      perf record -g -o "$RUN/perf.$p.$rep.data" -p "$(pgrep -g "${PGID[$p]}" | paste -sd,)" -- sleep 6 \
        >/dev/null 2>&1 & perf_pid=$!
    fi
    c0=$(cpu_ticks "${PGID[$p]}")
    out=$(taskset -c "$GEN_CPU" wrk -t1 -c50 -d"$DUR" -H 'Connection: close' "$url")
    c1=$(cpu_ticks "${PGID[$p]}")
    [ -n "$perf_pid" ] && wait "$perf_pid"
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    awk -v r="$rep" -v p="$p" -v n="$reqs" -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" \
      'BEGIN { printf "r%s %-7s %7d requests  cpu %7.1f us/req\n", r, p, n, t * 1e6 / hz / n }'
  done
done
