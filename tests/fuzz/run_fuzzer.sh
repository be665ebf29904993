#!/usr/bin/env bash
# Runs a libFuzzer binary for a bounded time on a fresh copy of the seed corpus
# (every routes file in the tree), with the keyword dictionary. Any crash, timeout,
# leak or sanitizer report fails the test; the reproducer is kept in the work dir.
set -euo pipefail
fuzzer=$1 root=$2 seconds=${3:-60}
work=$(mktemp -d "${TMPDIR:-/tmp}/banyan-fuzz.XXXXXX")
mkdir -p "$work/corpus"
find "$root/examples" "$root/tests" -name '*.routes' -exec cp -t "$work/corpus" {} + 2>/dev/null || true
cp "$root"/tests/fuzz/corpus/* "$work/corpus/" 2>/dev/null || true
cd "$work"
# -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a memory blow-up.
if "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
     -dict="$root/tests/fuzz/routes.dict" -print_final_stats=1 corpus >fuzz.log 2>&1; then
  tail -n 12 fuzz.log
  rm -rf "$work"
  exit 0
fi
echo "fuzzer found a problem; reproducer and log kept in $work" >&2
tail -n 60 fuzz.log >&2
exit 1
