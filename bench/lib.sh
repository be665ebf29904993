# lib.sh - what the side-by-side benchmarks share (sourced by proxy_bench.sh, h2_bench.sh and
# tls_handshake_ab.sh):
# processes in their own sessions on a chosen CPU, stopped by process group at exit; ports;
# the CPU a process group used; the top of an nginx configuration (one worker, no daemon); log() and the
# checks before a run (need). The caller sets KEEP, and RUN (a temp dir) before it starts anything.

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
# Exits 2 naming what is missing before a run starts: a tool, or a port something listens on.
need() {  # script-name "tool..." "port..."
  local t p
  for t in $2; do command -v "$t" >/dev/null || { echo "$1: missing $t (run bench/setup.sh)" >&2; exit 2; }; done
  for p in $3; do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && { echo "$1: 127.0.0.1:$p is in use" >&2; exit 2; }
  done
}

declare -A PGID=()
start_bg() {  # name cpu cmd...
  local name=$1 cpu=$2; shift 2
  setsid taskset -c "$cpu" "$@" >"$RUN/logs/$name.out" 2>&1 </dev/null &
  PGID[$name]=$!
}
stop_bg() {
  local g=${PGID[$1]:-}; [ -z "$g" ] && return 0
  kill -TERM -- "-$g" 2>/dev/null
  for _ in $(seq 50); do kill -0 -- "-$g" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$g" 2>/dev/null; wait "$g" 2>/dev/null; unset "PGID[$1]"
}
cleanup() { local n; for n in "${!PGID[@]}"; do stop_bg "$n"; done; [ "$KEEP" = 1 ] || [ -z "${RUN:-}" ] || rm -rf "$RUN"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
wait_port() {  # port pgid
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1; sleep 0.1
  done; return 1
}
# user+system ticks of every process in a process group
cpu_ticks() { cat /proc/[0-9]*/stat 2>/dev/null | awk -v g="$1" '{ sub(/^.*\) /, ""); if ($3 == g) s += $12 + $13 } END { print s + 0 }'; }
core_busy() { awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }

# nginx.conf's main context for process NAME, and the common part of its http block.
nginx_main() {  # name
  cat <<EOT
worker_processes 1;
daemon off;
master_process on;
user root;
pid $RUN/$1.pid;
error_log $RUN/logs/$1.error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 8192; }
EOT
}
nginx_http() {  # name
  cat <<EOT
    default_type text/plain;
    sendfile on; tcp_nopush on; tcp_nodelay on;
    keepalive_timeout 65s; keepalive_requests 1000000;
    server_tokens off;
    client_body_temp_path $RUN/tmp/$1-body; proxy_temp_path $RUN/tmp/$1-proxy;
    fastcgi_temp_path $RUN/tmp/$1-fcgi; uwsgi_temp_path $RUN/tmp/$1-uwsgi; scgi_temp_path $RUN/tmp/$1-scgi;
EOT
}

# The origin's 100-byte body (with its newline).
SMALL="origin-small-response-0123456789abcdefghijklmnopqrstuvwxyz-0123456789abcdefghijklmnopqrstuvwxyz-ok!"
