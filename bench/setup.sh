#!/usr/bin/env bash
# setup.sh - installs what the benchmarks need and the tests do not (Debian 12):
#   nginx-light, wrk, haproxy, varnish (the peers and the origin), util-linux (taskset, setsid), curl, openssl,
#   nghttp2-client (h2load, for h2_bench.sh).
# Idempotent and quiet when everything is present. Debian's packages start their services on
# install; a policy-rc.d that denies every start is put in place for the install (and removed
# afterwards if this script created it), so nothing is started, now or later.
set -euo pipefail

PACKAGES=(nginx-light wrk haproxy varnish util-linux curl openssl nghttp2-client)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

[ "$(id -u)" = 0 ] || { echo "setup.sh: must run as root to install: ${missing[*]}" >&2; exit 1; }

POLICY=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -x "$POLICY" ] || ! grep -q 'exit 101' "$POLICY"; then
  [ -e "$POLICY" ] && { echo "setup.sh: $POLICY exists but does not deny service starts; not touching it" >&2; exit 1; }
  printf '#!/bin/sh\n# written by banyan bench/setup.sh: deny every service start during the install\nexit 101\n' > "$POLICY"
  chmod 755 "$POLICY"
  created_policy=1
fi
cleanup() { [ "$created_policy" = 1 ] && rm -f "$POLICY"; return 0; }
trap cleanup EXIT

echo "setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# A package whose start was denied can still have left a process behind on some systems: report, never kill.
if pgrep -x nginx >/dev/null || pgrep -x haproxy >/dev/null; then
  echo "setup.sh: note: an nginx or haproxy process is running (not started by this script?)" >&2
fi
