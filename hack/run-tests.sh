#!/usr/bin/env bash
# Runs every check CI holds a submission to — Biome, tsc, all vitest projects, then the kind suite
# (hack/e2e-kind.sh: a real node, the deployed operator, the e2e project and the integration suite on it) —
# and keeps going after a failure so one run shows every problem. Prints one closing line
# "tests: N passed, N failed" over all of them and exits non-zero when any step failed.
# KIND=0 leaves the kind suite out (a quicker local run; CI always runs it).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tmp
failed=()
echo "==> biome"; npx biome check . || failed+=(biome)
echo "==> tsc --noEmit"; npx tsc --noEmit -p tsconfig.json || failed+=(tsc)
echo "==> vitest"
rm -f .tmp/vitest.json
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json "$@" || failed+=(vitest)
reports=()
[ ! -f .tmp/vitest.json ] || reports+=(.tmp/vitest.json)
if [ "${KIND:-1}" != 0 ] && [ "$#" -eq 0 ]; then
  echo "==> kind suite (hack/e2e-kind.sh)"
  rm -rf .tmp/e2e-kind/reports
  start=$SECONDS
  E2E_REPORT_DIR="$PWD/.tmp/e2e-kind/reports" bash hack/e2e-kind.sh run || failed+=(e2e-kind)
  echo "==> kind suite took $((SECONDS - start))s"
  for f in .tmp/e2e-kind/reports/*.json; do [ ! -f "$f" ] || reports+=("$f"); done
fi
[ "${#reports[@]}" -eq 0 ] || node hack/test-summary.ts "${reports[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
