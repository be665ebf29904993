#!/usr/bin/env bash
# The README's first command: the main job. Builds banyan, banyanc and the demo
# services; checks and compiles the image-gallery routes the way a team's CI would;
# then starts the demo services (three "monolith" replicas and "iotd", from
# demo/origin.cpp, and a gRPC service, demo/greeter.py) and the gateway on examples/image-gallery/gallery.routes with
# examples/image-gallery/demo.toml, prints the curl lines to try, and serves until
# Ctrl-C, which stops everything it started.
#   DEMO_SECONDS=N  serve for N seconds instead of until Ctrl-C (for scripted checks)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"${JOBS:-2}" --target banyanc banyan banyan-origin
bin=build/release
example=examples/image-gallery

# The site's certificate, from a CA of this checkout's own (made once, then kept):
# nothing private is shipped in git. curl trusts it with --cacert below.
echo "== banyan certs $example/gallery.routes"
"$bin/runtime/banyan" certs --ca-dir "$example/certs/ca" "$example/gallery.routes" | grep -v '^$'
echo

echo "== banyanc check $example/*.routes"
"$bin/compiler/banyanc" check "$example"/*.routes && echo "clean: every route file checks"
echo "== banyanc fmt --check $example/*.routes"
"$bin/compiler/banyanc" fmt --check "$example"/*.routes && echo "formatted: fmt would change nothing"
echo

pids=()
stop() {
  trap - INT TERM EXIT
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  echo "demo stopped"
}
trap stop INT TERM EXIT

"$bin/demo/banyan-origin" --name monolith --listen 127.0.0.1:9001 --listen 127.0.0.1:9002 --listen 127.0.0.1:9003 &
pids+=($!)
"$bin/demo/banyan-origin" --name iotd --listen 127.0.0.1:9011 &
pids+=($!)
python3 demo/greeter.py serve 127.0.0.1:9021 &
pids+=($!)
rm -rf build/demo-state && mkdir -p build/demo-state  # the migration begins afresh
"$bin/runtime/banyan" run --config "$example/demo.toml" &
gateway=$!
pids+=($gateway)

for _ in $(seq 100); do
  curl -s -o /dev/null --max-time 1 http://127.0.0.1:9901/healthz && break
  kill -0 "$gateway" 2>/dev/null || { echo "the gateway did not start" >&2; exit 1; }
  sleep 0.1
done

cat <<'TRY'

The gateway serves the image-gallery tutorial on this machine. Try:

  CA=examples/image-gallery/certs/ca/ca-cert.pem   # the demo's CA, made by `banyan certs` above

  curl -iL --cacert $CA --resolve image-gallery.local:8080:127.0.0.1 --resolve image-gallery.local:8443:127.0.0.1 \
       http://image-gallery.local:8080/      # 301 to HTTPS, as in the tutorial, then the page; run it
                                             # twice: X-Cache: MISS, then HIT (the cache, below)
  curl -i http://localhost:8080/             # the redirect alone
  curl -i --cacert $CA --resolve image-gallery.local:8443:127.0.0.1 https://image-gallery.local:8443/api/image
                                             # reaches iotd, the path rewritten to /image
  curl -s --cacert $CA --compressed -D - -o /dev/null --resolve image-gallery.local:8443:127.0.0.1 \
       "https://image-gallery.local:8443/bytes/20000?type=text/html"
                                             # Content-Encoding: gzip, the route's `compress gzip`
  curl -s --http2 --cacert $CA -o /dev/null -w '%{http_version}\n' --resolve image-gallery.local:8443:127.0.0.1 \
       https://image-gallery.local:8443/   # 2: HTTP/2 by ALPN (any https client that offers h2)
  python3 demo/greeter.py call image-gallery.local:8443 you --ca $CA --connect 127.0.0.1:8443
                                             # a gRPC client through the gateway: TLS and HTTP/2 to
                                             # it, h2c to demo/greeter.py (`protocol h2c`)
  curl -s http://127.0.0.1:9901/metrics      # Prometheus metrics;  /plan  the loaded plan;  /healthz

The migration (demo-migration.routes): /api/images/** moves from the monolith to iotd,
shadowed for a minute (copies compared), then 10%, 50% and 100% a minute apart:
  for i in $(seq 100); do curl -s --cacert $CA -o /dev/null --resolve image-gallery.local:8443:127.0.0.1 \
       https://image-gallery.local:8443/api/images/$i; done      # traffic for it
  curl -s http://127.0.0.1:9901/migrations                 # mode, share, next step, both sides' counts
  curl -s "http://127.0.0.1:9901/migrations/extract%20image%20api/diffs"   # what the shadow found
  curl -s http://127.0.0.1:9011/die     # break iotd; once it has some of the traffic, the loop
                                        # above makes the rule roll the migration back
  build/release/runtime/banyan migrations pause "extract image api"   # or resume, promote, rollback

The cache: gallery.routes caches as the tutorial's nginx did. A page's first request says
X-Cache: MISS and names the replica in X-Upstream; the next ones say HIT, without
X-Upstream (no upstream was asked). Ask for /?n=1, /?n=2, ... to see the replicas take
turns. The `long` zone keeps its pages on disk too (examples/image-gallery/cache/long).
  kill -HUP <gateway pid>  or  curl -X POST http://127.0.0.1:9901/reload    # reload without dropping a request

Access log lines appear below. Ctrl-C stops the gateway and the demo services.
TRY
echo "(gateway pid $gateway)"

if [[ -n ${DEMO_SECONDS:-} ]]; then
  sleep "$DEMO_SECONDS" &  # waited on, so that a signal stops the demo at once
  wait $!
else
  wait "$gateway"
fi
