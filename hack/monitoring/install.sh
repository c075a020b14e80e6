#!/usr/bin/env bash
# Installs the monitoring stack kube-prometheus-stack would (prometheus-operator, a Prometheus `k8s`,
# kube-state-metrics, metrics-server) into a kind cluster that cannot pull images: the LOCAL STAND-IN
# images from hack/monitoring/build-images.sh are built when missing and `kind load`ed, so no registry is
# contacted. Upstream YAML (every prometheus-operator CRD, the ClusterRoles, metrics-server's RBAC and
# APIService) is read from the pinned Go modules at run time; hack/monitoring/manifests/ holds the rest.
# Waits until each Deployment is rolled out, the metrics API is served and `prometheus-operated` is ready.
#
# Usage: KUBECONFIG=... [KIND_CLUSTER_NAME=greeter-e2e] [KIND=kind] [MONITORING_TIMEOUT=300s] hack/monitoring/install.sh
#        KUBECONFIG=... hack/monitoring/install.sh --uninstall   remove it all again, except the ServiceMonitor
#                                                                and PrometheusRule CRDs hack/e2e-kind.sh installs
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cluster="${KIND_CLUSTER_NAME:-greeter-e2e}"
kind="${KIND:-kind}"
timeout="${MONITORING_TIMEOUT:-300s}"
manager=greeter-monitoring

log() { printf '[monitoring-install] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
mode="${1:-install}"
case "$mode" in install | --uninstall) ;; *) echo "usage: $0 [--uninstall]" >&2; exit 2 ;; esac
[ -n "${KUBECONFIG:-}" ] || die "set KUBECONFIG to the kind cluster's kubeconfig"
command -v kubectl >/dev/null || die "kubectl is needed"

# The directory of a pinned module, downloaded from the Go module proxy into the module cache if needed
# and verified against the committed go.sum (no checksum database needed).
module_dir() { # wrapper-dir module
  local json dir
  json="$(cd "$1" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go mod download -json "$2")" ||
    die "go mod download $2 (in $1) failed"
  dir="$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [ -d "$dir" ] || die "go mod download $2 gave no directory: $json"
  printf '%s' "$dir"
}
apply() { kubectl apply --server-side --field-manager="$manager" "$@" >&2; }
# On a failed wait, show what is wrong before giving up.
diagnose() {
  log "the monitoring stack is not ready; its state:"
  kubectl get pods,deployments,statefulsets,services -n monitoring -o wide >&2 || true
  kubectl get pods -n kube-system -l k8s-app=metrics-server -o wide >&2 || true
  kubectl get prometheus -n monitoring -o yaml 2>/dev/null | sed -n '/^  status:/,$p' >&2 || true
  kubectl get events -n monitoring --sort-by=.lastTimestamp 2>/dev/null | tail -n 30 >&2 || true
  kubectl logs -n monitoring deploy/prometheus-operator --tail=30 >&2 2>/dev/null || true
}

if [ "$mode" = --uninstall ]; then
  po="$(module_dir "$root/hack/control-plane/crds" github.com/prometheus-operator/prometheus-operator)"
  ksm="$(module_dir "$here/kube-state-metrics" k8s.io/kube-state-metrics/v2)"
  ms="$(module_dir "$here/metrics-server" sigs.k8s.io/metrics-server)"
  # The APIService first: one whose Service is gone breaks API discovery, and with it namespace deletion.
  kubectl delete --ignore-not-found -f "$ms/manifests/base/apiservice.yaml" >&2
  kubectl delete --ignore-not-found -f "$here/manifests/" >&2
  kubectl delete --ignore-not-found -f "$ms/manifests/base/rbac.yaml" \
    -f "$po/example/rbac/prometheus-operator/prometheus-operator-cluster-role.yaml" \
    -f "$po/example/rbac/prometheus/prometheus-cluster-role.yaml" -f "$ksm/examples/standard/cluster-role.yaml" >&2
  for f in "$po"/example/prometheus-operator-crd/monitoring.coreos.com_*.yaml; do
    case "$f" in *_servicemonitors.yaml | *_prometheusrules.yaml) continue ;; esac
    kubectl delete --ignore-not-found -f "$f" >&2
  done
  log "monitoring stack removed"
  exit 0
fi
command -v "$kind" >/dev/null || die "no kind CLI at '$kind' (set KIND, e.g. KIND=\$(bash hack/node-image/build.sh --kind))"
trap 'status=$?; [ "$status" -eq 0 ] || diagnose' EXIT

start=$SECONDS
mapfile -t refs < <(bash "$here/build-images.sh")
[ "${#refs[@]}" -gt 0 ] || die "build-images.sh gave no images"
log "kind load docker-image --name $cluster: ${refs[*]} (LOCAL STAND-INS unless pulled)"
"$kind" load docker-image --name "$cluster" "${refs[@]}" >&2

# Every prometheus-operator CRD, from the module the local control plane pins (hack/control-plane/crds),
# as hack/e2e-kind.sh installs two of them: re-applying those two changes nothing. Server-side, because
# the Prometheus CRD is too big for client-side apply's annotation.
po="$(module_dir "$root/hack/control-plane/crds" github.com/prometheus-operator/prometheus-operator)"
crds=("$po"/example/prometheus-operator-crd/monitoring.coreos.com_*.yaml)
log "applying ${#crds[@]} prometheus-operator CRDs from $po"
crd_args=() crd_names=()
for f in "${crds[@]}"; do
  crd_args+=(-f "$f")
  n="${f##*_}"
  crd_names+=("crd/${n%.yaml}.monitoring.coreos.com")
done
apply "${crd_args[@]}"
kubectl wait --for=condition=Established --timeout=60s "${crd_names[@]}" >&2

# Upstream's cluster-scoped RBAC and metrics-server's objects that name kube-system, unchanged.
ksm="$(module_dir "$here/kube-state-metrics" k8s.io/kube-state-metrics/v2)"
ms="$(module_dir "$here/metrics-server" sigs.k8s.io/metrics-server)"
log "applying upstream ClusterRoles (prometheus-operator, prometheus, kube-state-metrics) and metrics-server's RBAC and APIService"
apply -f "$po/example/rbac/prometheus-operator/prometheus-operator-cluster-role.yaml" \
  -f "$po/example/rbac/prometheus/prometheus-cluster-role.yaml" \
  -f "$ksm/examples/standard/cluster-role.yaml" \
  -f "$ms/manifests/base/rbac.yaml" -f "$ms/manifests/base/apiservice.yaml"

log "applying hack/monitoring/manifests"
apply -f "$here/manifests/namespace.yaml"
apply -f "$here/manifests/"

for d in monitoring/prometheus-operator monitoring/kube-state-metrics kube-system/metrics-server; do
  log "waiting for deployment $d"
  kubectl rollout status -n "${d%%/*}" "deployment/${d#*/}" --timeout="$timeout" >&2
done
log "waiting for the metrics API (APIService v1beta1.metrics.k8s.io)"
kubectl wait --for=condition=Available --timeout="$timeout" apiservice/v1beta1.metrics.k8s.io >&2
# prometheus-operator makes the StatefulSet prometheus-k8s and the Service prometheus-operated; `kubectl
# wait` on an object that does not exist yet fails at once, so wait for the StatefulSet to appear first.
log "waiting for Prometheus k8s (statefulset prometheus-k8s, service prometheus-operated)"
deadline=$((SECONDS + ${timeout%s}))
until kubectl get -n monitoring statefulset/prometheus-k8s service/prometheus-operated >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$deadline" ] || die "prometheus-operator made no statefulset/prometheus-k8s within $timeout"
  sleep 2
done
kubectl rollout status -n monitoring statefulset/prometheus-k8s --timeout="$timeout" >&2
kubectl wait -n monitoring --for=condition=Available --timeout="$timeout" prometheus/k8s >&2
log "monitoring stack ready in $((SECONDS - start))s: Prometheus at service monitoring/prometheus-operated port web (9090)"
