#!/usr/bin/env bash
# The whole test suite, as the README's second command and CI run it:
#   1. install what is missing (scripts/setup.sh, quiet when all is there);
#   2. build the libFuzzer targets with clang (build/fuzz);
#   3. build everything with g++ -Wall -Wextra -Werror under ASan + UBSan (build/asan);
#   4. build what the README's first command and the benchmarks run, as they build it
#      (build/release, -O3 -Werror: the optimiser's warnings differ from a debug build's,
#      so a change that breaks only this build fails here, not in the demo);
#   5. run every test through ctest: unit, data-driven, CLI, and the fuzzer for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

jobs=${JOBS:-2}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

cmake -S . -B build/fuzz -DBANYAN_FUZZ=ON -DBANYAN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build/fuzz -j"$jobs"

cmake -S . -B build/asan -DBANYAN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=g++ \
      -DBANYAN_FUZZ_BUILD_DIR="$PWD/build/fuzz" >/dev/null
cmake --build build/asan -j"$jobs"

cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$jobs" --target banyanc banyan banyan-origin plan_bench zone_bench

cd build/asan
ctest --output-on-failure -j"$jobs"
