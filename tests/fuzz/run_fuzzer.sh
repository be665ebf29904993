#!/usr/bin/env bash
# Runs a libFuzzer binary on a fresh copy of the seed corpus (every routes file in
# the tree plus tests/fuzz/corpus, which keeps past findings), with the keyword
# dictionary. Extra arguments go to libFuzzer: the ctest run passes a fixed seed
# and run count so CI is reproducible; scripts/fuzz.sh passes a time for a longer,
# randomly seeded search. Any crash, timeout, leak or sanitizer report fails; the
# reproducer is kept in the work dir.
set -euo pipefail
#
# usage: run_fuzzer.sh FUZZER ROOT routes|config|http|json|plan=BANYANC [libFuzzer args...]
# `config` seeds with tests/fuzz/config-corpus (gateway TOML files and past findings),
# `http` with tests/fuzz/http-corpus (raw requests, responses, chunked bodies), `json`
# with tests/fuzz/json-corpus (shadow comparison bodies).
# `plan=BANYANC` seeds with the examples compiled to plans by that banyanc (and
# tests/fuzz/plan-corpus, seeds for the path and template parsers it also runs, and
# its past findings).
fuzzer=$1 root=$2 kind=$3
shift 3
work=$(mktemp -d "${TMPDIR:-/tmp}/banyan-fuzz.XXXXXX")
mkdir -p "$work/corpus"
# seed FILE...: copies the seeds; a source that gives none fails the run, so a moved
# folder or a failed compile cannot leave the fuzzer starting from nothing unnoticed.
seed() {
  if [[ $# -eq 0 || ! -e $1 ]]; then
    echo "run_fuzzer.sh: no seeds for $kind (${1:-nothing matched})" >&2
    exit 1
  fi
  local f
  for f in "$@"; do  # numbered: seeds from different folders may share a name
    cp "$f" "$work/corpus/$((++seeds))-$(basename "$f")"
  done
}
seeds=0
extra=()
shopt -s nullglob
if [[ $kind == routes ]]; then
  mapfile -t routes < <(find "$root/examples" "$root/tests" -name '*.routes')
  seed "${routes[@]}"
  seed "$root"/tests/fuzz/corpus/*
  extra=(-dict="$root/tests/fuzz/routes.dict")
elif [[ $kind == config ]]; then
  seed "$root"/tests/fuzz/config-corpus/*
elif [[ $kind == http ]]; then
  seed "$root"/tests/fuzz/http-corpus/*
elif [[ $kind == json ]]; then
  seed "$root"/tests/fuzz/json-corpus/*
else
  banyanc=${kind#plan=}
  examples=("$root"/examples/*/*.routes)
  [[ ${#examples[@]} -gt 0 ]] || seed
  for f in "${examples[@]}"; do
    "$banyanc" compile "$f" -o "$work/corpus/$(basename "$f" .routes).plan"
  done
  seed "$root"/tests/fuzz/plan-corpus/*
fi
echo "seeds: $(find "$work/corpus" -type f | wc -l) files"
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
