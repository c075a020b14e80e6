#!/usr/bin/env bash
# Runs every check CI holds a submission to — Biome, tsc, then all vitest projects — and keeps going after a
# failure so one run shows every problem. Prints one closing line "tests: N passed, N failed" and exits
# non-zero when any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tmp
failed=()
echo "==> biome"; npx biome check . || failed+=(biome)
echo "==> tsc --noEmit"; npx tsc --noEmit -p tsconfig.json || failed+=(tsc)
echo "==> vitest"
rm -f .tmp/vitest.json
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json "$@" || failed+=(vitest)
if [ -f .tmp/vitest.json ]; then node hack/test-summary.ts .tmp/vitest.json; fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
