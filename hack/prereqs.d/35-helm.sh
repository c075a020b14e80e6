#!/usr/bin/env bash
# helm, for the chart's tests (charts/greeter-operator): the user's own when it is on PATH, otherwise built
# once from the Go module proxy at the version pinned in hack/helm/go.mod (hack/helm.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "35-helm: $(bash hack/helm.sh)"
