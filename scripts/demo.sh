#!/usr/bin/env bash
# The README's first command: the main job. Until the runtime lands (issue 5) this
# builds banyanc and runs it on the bundled example the way a team's CI would:
# check every routes file, prove they are formatted, compile the plan, show its decision
# tree and why a request goes where it goes, and show what a mistake looks like.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"${JOBS:-2}" --target banyanc
banyanc=build/release/compiler/banyanc
example=examples/image-gallery

echo "== banyanc check $example/*.routes"
"$banyanc" check "$example"/*.routes && echo "clean: every route file checks"
echo
echo "== banyanc fmt --check $example/*.routes"
"$banyanc" fmt --check "$example"/*.routes && echo "formatted: fmt would change nothing"
echo
plans=$(mktemp -d)
trap 'rm -rf "$plans"' EXIT
echo "== banyanc compile $example/migration.routes -o migration.plan"
"$banyanc" compile "$example/migration.routes" -o "$plans/migration.plan"
echo "wrote $(wc -c <"$plans/migration.plan") bytes"
echo
echo "== banyanc explain migration.plan (the decision tree and every setting the runtime will load)"
"$banyanc" explain "$plans/migration.plan"
echo
echo "== banyanc route migration.plan GET https://image-gallery.local/api/image"
"$banyanc" route "$plans/migration.plan" GET https://image-gallery.local/api/image
echo
echo "== banyanc route migration.plan GET https://image-gallery.local/api/images/7 -H 'Cookie: session=abc'"
"$banyanc" route "$plans/migration.plan" GET https://image-gallery.local/api/images/7 -H 'Cookie: session=abc'
echo
echo "== and a file with five mistakes (banyanc check, exit status 1 expected)"
"$banyanc" check tests/golden/diagnostics/five_mistakes.routes || echo "(exit status $?)"
