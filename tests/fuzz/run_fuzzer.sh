#!/usr/bin/env bash
# Runs a libFuzzer binary on a fresh copy of the seed corpus (every routes file in
# the tree plus tests/fuzz/corpus, which keeps past findings), with the keyword
# dictionary. Extra arguments go to libFuzzer: the ctest run passes a fixed seed
# and run count so CI is reproducible; scripts/fuzz.sh passes a time for a longer,
# randomly seeded search. Any crash, timeout, leak or sanitizer report fails; the
# reproducer is kept in the work dir.
set -euo pipefail
#
# usage: run_fuzzer.sh FUZZER ROOT routes|config|http|plan=BANYANC [libFuzzer args...]
# `config` seeds with tests/fuzz/config-corpus (gateway TOML files and past findings),
# `http` with tests/fuzz/http-corpus (raw requests, responses, chunked bodies).
# `plan=BANYANC` seeds with the examples compiled to plans by that banyanc (and
# tests/fuzz/plan-corpus, seeds for the path and template parsers it also runs, and
# its past findings).
fuzzer=$1 root=$2 kind=$3
shift 3
work=$(mktemp -d "${TMPDIR:-/tmp}/banyan-fuzz.XXXXXX")
mkdir -p "$work/corpus"
extra=()
if [[ $kind == routes ]]; then
  find "$root/examples" "$root/tests" -name '*.routes' -exec cp -t "$work/corpus" {} + 2>/dev/null || true
  cp "$root"/tests/fuzz/corpus/* "$work/corpus/" 2>/dev/null || true
  extra=(-dict="$root/tests/fuzz/routes.dict")
elif [[ $kind == config ]]; then
  cp "$root"/tests/fuzz/config-corpus/* "$work/corpus/"
elif [[ $kind == http ]]; then
  cp "$root"/tests/fuzz/http-corpus/* "$work/corpus/"
else
  banyanc=${kind#plan=}
  for f in "$root"/examples/*/*.routes; do
    "$banyanc" compile "$f" -o "$work/corpus/$(basename "$f" .routes).plan" 2>/dev/null
  done
  cp "$root"/tests/fuzz/plan-corpus/* "$work/corpus/" 2>/dev/null || true
fi
cd "$work"
# -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a memory blow-up.
if "$fuzzer" -timeout=10 -rss_limit_mb=2048 -max_len=16384 "${extra[@]}" \
     -print_final_stats=1 "$@" corpus >fuzz.log 2>&1; then
  tail -n 12 fuzz.log
  rm -rf "$work"
  exit 0
fi
echo "fuzzer found a problem; reproducer and log kept in $work" >&2
echo "add the crash-* file to tests/fuzz/corpus/ once fixed, so CI replays it" >&2
tail -n 60 fuzz.log >&2
exit 1
