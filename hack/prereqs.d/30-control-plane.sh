#!/usr/bin/env bash
# The local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok) for the
# integration tests and `make dev`: found or built once from the Go module proxy (many minutes the first
# time, seconds after), plus the pinned upstream modules whose YAML the cluster installs.
set -euo pipefail
cd "$(dirname "$0")/../.."

# shellcheck source=hack/lib/apt-install.sh
source hack/lib/apt-install.sh

need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
# ca-certificates: curl reaches the Go module proxy and checksum database over HTTPS.
command -v curl >/dev/null || need_apt+=(curl ca-certificates)
if [ "${#need_apt[@]}" -gt 0 ]; then
  apt_install 30-control-plane "${need_apt[@]}"
fi
command -v kubectl >/dev/null || echo "30-control-plane: WARNING: kubectl is not on PATH; the integration tests drive the cluster with it" >&2

echo "30-control-plane: control-plane binaries (hack/control-plane/build.sh)"
bash hack/control-plane/build.sh
# Download (and verify against go.sum) the modules the cluster reads its CRDs and kwok stages from.
for m in crds:github.com/prometheus-operator/prometheus-operator kwok:sigs.k8s.io/kwok; do
  (cd "hack/control-plane/${m%%:*}" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go mod download "${m#*:}")
done
echo "30-control-plane: ready"
