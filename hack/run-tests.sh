#!/usr/bin/env bash
# Runs every check CI holds a submission to, then prints one closing line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tmp
echo "==> biome"; npx biome check .
echo "==> tsc --noEmit"; npx tsc --noEmit -p tsconfig.json
echo "==> vitest"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json "$@" || status=$?
node hack/test-summary.ts .tmp/vitest.json || true
exit "$status"
