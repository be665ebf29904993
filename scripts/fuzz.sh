#!/usr/bin/env bash
# A longer, randomly seeded fuzzing session (CI replays a fixed seed and run count):
# each fuzzer for the given time, then the property tests (the routing analyses and
# the plan's matcher against the reference matcher) with a random seed and ten times
# the rounds. Usage: scripts/fuzz.sh [seconds]   (default 600, per fuzzer). Needs the
# build/fuzz and build/asan trees that scripts/test.sh makes. A fuzzer's finding is
# kept in the printed work dir; a property test's failure names its seed
# (BANYAN_PROPERTY_SEED=N reproduces it).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
cmake --build build/fuzz -j"${JOBS:-2}" >/dev/null
# The plan fuzzer's seeds compile the examples, whose certificate `banyan certs` makes.
cmake --build build/asan -j"${JOBS:-2}" --target banyan >/dev/null
build/asan/runtime/banyan certs --ca-dir examples/image-gallery/certs/ca examples/image-gallery/gallery.routes >/dev/null
for f in build/fuzz/tests/fuzz/*_fuzzer; do
  case $(basename "$f") in
    load_plan_fuzzer) kind="plan=$PWD/build/asan/compiler/banyanc" ;;  # seeds: the examples, compiled
    parse_config_fuzzer) kind=config ;;
    http_fuzzer) kind=http ;;
    json_leaves_fuzzer) kind=json ;;
    *) kind=routes ;;
  esac
  echo "== $(basename "$f") for ${seconds}s"
  bash tests/fuzz/run_fuzzer.sh "$PWD/$f" "$PWD" "$kind" -max_total_time="$seconds"
done
seed=$(( (RANDOM << 15 | RANDOM) ))
echo "== property tests, seed $seed, rounds x${PROPERTY_SCALE:-10}"
cmake --build build/asan -j"${JOBS:-2}" --target banyan_tests >/dev/null
BANYAN_PROPERTY_SEED=$seed BANYAN_PROPERTY_SCALE=${PROPERTY_SCALE:-10} \
  build/asan/tests/banyan_tests "on random*"
