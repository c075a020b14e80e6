#!/usr/bin/env bash
# End-to-end run on a kind cluster: the real images on a real node (kubelet, container runtime, kube-proxy),
# which the local control plane (kwok nodes, no containers) cannot give. See docs/e2e-kind.md.
#
# Usage: hack/e2e-kind.sh [run|up|test|down]     (npm run test:e2e:kind = run)
#   run   up, test, then down (unless KEEP_CLUSTER=1)
#   up    check the prerequisites, create (or reuse) the cluster, build and load both images, install the
#         prometheus-operator CRDs, `kubectl apply -k config/default`, wait for the operator rollout
#   test  against the cluster `up` made: the e2e project (the deployed operator and greeters, through
#         Services), then the integration suite with USE_EXISTING_CLUSTER=true
#   down  delete the cluster
# Env:   KIND_CLUSTER_NAME (default greeter-e2e), KEEP_CLUSTER=1 keeps the cluster after `run`,
#        STAND_INS (default never; passed to hack/images.sh), KIND_NODE_IMAGE (default: the pinned one below).
set -euo pipefail
cd "$(dirname "$0")/.."

# kind and its node image are pinned together: kind supports a node image only when it was built for that
# kind release, and the digest (from the kind v0.33.0 release notes) is what guarantees it.
KIND_VERSION=v0.33.0
DEFAULT_NODE_IMAGE=kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5
node_image="${KIND_NODE_IMAGE:-$DEFAULT_NODE_IMAGE}"
cluster="${KIND_CLUSTER_NAME:-greeter-e2e}"
workdir=.tmp/e2e-kind
kubeconfig="$PWD/$workdir/kubeconfig"
operator_ns=greeter-operator-system
operator_deploy=deployment/greeter-operator

say() { printf '==> e2e-kind: %s\n' "$*" >&2; }
die() {
  printf '\ne2e-kind: %s\n\n' "$*" >&2
  exit 1
}

preflight_done=0
preflight() {
  [ "$preflight_done" = 0 ] || return 0
  local missing=()
  if ! command -v kind >/dev/null 2>&1; then
    missing+=("kind is not on PATH. Install the pinned release with Go (>= 1.17):
      go install sigs.k8s.io/kind@$KIND_VERSION    # puts it in \$(go env GOPATH)/bin; add that to PATH
    or a release binary: https://kind.sigs.k8s.io/docs/user/quick-start/#installation")
  fi
  if ! command -v docker >/dev/null 2>&1; then
    missing+=("docker is not on PATH. kind runs its node as a Docker container: install Docker
      (https://docs.docker.com/engine/install/, or Debian's docker.io) and start it.")
  elif ! docker_err="$(docker version --format '{{.Server.Version}}' 2>&1 >/dev/null)"; then
    missing+=("Docker does not answer: ${docker_err:-docker version failed}
      Start the daemon (systemctl start docker, Docker Desktop, or: bash hack/prereqs.d/40-docker.sh),
      and make sure this user may use it.")
  fi
  command -v kubectl >/dev/null 2>&1 || missing+=("kubectl is not on PATH (https://kubernetes.io/docs/tasks/tools/).")
  # The prometheus-operator CRDs come from the module pinned in hack/control-plane/crds, via the Go module proxy.
  command -v go >/dev/null 2>&1 || missing+=("go is not on PATH: the pinned prometheus-operator CRDs are fetched with 'go mod download'.")
  # The integration suite's live dashboard test starts a Prometheus of its own on loopback.
  command -v prometheus >/dev/null 2>&1 || missing+=("prometheus is not on PATH (the integration suite starts one): bash hack/prereqs.d/10-apt.sh on Debian/Ubuntu, or a release from https://prometheus.io/download/")
  if [ "${#missing[@]}" -gt 0 ]; then
    printf '\ne2e-kind: cannot run, %d prerequisite(s) missing:\n' "${#missing[@]}" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    printf '\nThe rest of the tests need none of this: make test (a local control plane, no images to pull).\n\n' >&2
    exit 1
  fi
  local have
  have="$(kind version 2>/dev/null | awk '{print $2}')"
  if [ "$have" != "$KIND_VERSION" ] && [ -z "${KIND_NODE_IMAGE:-}" ]; then
    say "WARNING: kind is $have, the node image is pinned for $KIND_VERSION (go install sigs.k8s.io/kind@$KIND_VERSION, or set KIND_NODE_IMAGE to an image built for $have)"
  fi
  # The node image is the first thing kind needs, and the proof that Docker can pull at all.
  if ! docker image inspect "$node_image" >/dev/null 2>&1; then
    say "pulling $node_image"
    if ! docker pull "$node_image" >&2; then
      die "Docker cannot pull the kind node image $node_image.
kind needs it (from Docker Hub), and the image build needs node:24-bookworm-slim and
gcr.io/distroless/nodejs24-debian12. Run this where Docker can pull images (check proxy and registry
access with: docker pull $node_image).
The rest of the tests need no registry: make test (a local control plane)."
    fi
  fi
  preflight_done=1
  say "kind $have, Docker $(docker version --format '{{.Server.Version}}'), node image $node_image"
}

# The pinned Node and the npm packages, as `make deps` does (a fresh clone has no node_modules).
node_deps() {
  eval "$(hack/ensure-node.sh --export)"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
}

cluster_exists() { kind get clusters 2>/dev/null | grep -qx "$cluster"; }

up() {
  preflight
  mkdir -p "$workdir"
  local reused=0
  if cluster_exists; then
    say "reusing kind cluster $cluster"
    kind get kubeconfig --name "$cluster" >"$kubeconfig"
    reused=1
  else
    say "creating kind cluster $cluster"
    kind create cluster --name "$cluster" --image "$node_image" --kubeconfig "$kubeconfig" --wait 180s
  fi
  chmod 600 "$kubeconfig"
  export KUBECONFIG="$kubeconfig"

  # The tags config/manager deploys are package.json's version with no prefix.
  say "building the images (hack/images.sh, STAND_INS=${STAND_INS-never})"
  env -u VERSION -u IMAGE_PREFIX STAND_INS="${STAND_INS-never}" hack/images.sh
  local tags
  mapfile -t tags < <(env -u VERSION -u IMAGE_PREFIX hack/images.sh --tags)
  say "loading ${tags[*]} into the node"
  kind load docker-image --name "$cluster" "${tags[@]}"

  say "installing the prometheus-operator ServiceMonitor and PrometheusRule CRDs (pinned in hack/control-plane/crds)"
  node_deps
  local crd_args=()
  while read -r f; do crd_args+=(-f "$f"); done < <(node test/e2e/upstream-crds.ts)
  kubectl apply --server-side --field-manager=e2e-kind "${crd_args[@]}"
  kubectl wait --for=condition=Established --timeout=60s \
    crd/servicemonitors.monitoring.coreos.com crd/prometheusrules.monitoring.coreos.com

  say "kubectl apply -k config/default"
  kubectl apply --server-side --field-manager=e2e-kind -k config/default
  kubectl wait --for=condition=Established --timeout=60s crd/greeters.greeter.operator.dev
  # The tag stays 0.1.0 while the image under it changes: running pods keep the old one unless replaced.
  [ "$reused" = 0 ] || kubectl -n "$operator_ns" rollout restart "$operator_deploy"
  say "waiting for the operator rollout"
  if ! kubectl -n "$operator_ns" rollout status "$operator_deploy" --timeout=180s; then
    kubectl -n "$operator_ns" get pods -o wide >&2 || true
    kubectl -n "$operator_ns" describe pods >&2 || true
    kubectl -n "$operator_ns" logs "$operator_deploy" --all-containers --tail=50 >&2 || true
    die "the operator did not roll out (pods, events and logs above)"
  fi
}

run_tests() {
  cluster_exists || die "no kind cluster $cluster: hack/e2e-kind.sh up"
  mkdir -p "$workdir"
  kind get kubeconfig --name "$cluster" >"$kubeconfig"
  chmod 600 "$kubeconfig"
  export KUBECONFIG="$kubeconfig" USE_EXISTING_CLUSTER=true
  node_deps
  local status=0

  # The deployed operator must be running for these: they go through its Greeters' Services.
  say "e2e tests (test/e2e) against the deployed operator"
  kubectl -n "$operator_ns" scale "$operator_deploy" --replicas=2
  kubectl -n "$operator_ns" rollout status "$operator_deploy" --timeout=180s
  E2E=1 npx vitest run --project e2e || status=1

  # The integration suite runs operators of its own as processes and counts their writes; a deployed one
  # reconciling the same Greeters would make that meaningless, so it is scaled away for the suite.
  say "integration suite (USE_EXISTING_CLUSTER=true), with the deployed operator scaled to 0"
  kubectl -n "$operator_ns" scale "$operator_deploy" --replicas=0
  local pods
  pods="$(kubectl -n "$operator_ns" get pods -l app.kubernetes.io/name=greeter-operator -o name)"
  # shellcheck disable=SC2086 # one pod name a word
  [ -z "$pods" ] || kubectl -n "$operator_ns" wait --for=delete --timeout=90s $pods
  npx vitest run --project integration || status=1
  return "$status"
}

down() {
  if cluster_exists; then
    say "deleting kind cluster $cluster"
    kind delete cluster --name "$cluster"
  fi
  rm -f "$kubeconfig"
}

keep() { [ "${KEEP_CLUSTER:-}" = 1 ] || [ "${KEEP_CLUSTER:-}" = true ]; }

run() {
  preflight
  # From here on the cluster is ours to remove, whatever fails.
  trap 'finish $?' EXIT
  up
  run_tests
}

finish() {
  local code="$1"
  trap - EXIT
  if [ "$code" -ne 0 ] && cluster_exists; then
    say "failed (exit $code): node and pod logs in $workdir/logs"
    kind export logs "$workdir/logs" --name "$cluster" >/dev/null 2>&1 || true
  fi
  if keep; then
    say "KEEP_CLUSTER: left kind cluster $cluster running. export KUBECONFIG=$kubeconfig; hack/e2e-kind.sh test; hack/e2e-kind.sh down"
  else
    down
  fi
  say "$([ "$code" -eq 0 ] && echo passed || echo "FAILED (exit $code)")"
  exit "$code"
}

case "${1:-run}" in
run) run ;;
up) up ;;
test) run_tests ;;
down) down ;;
*)
  echo "usage: hack/e2e-kind.sh [run|up|test|down]" >&2
  exit 2
  ;;
esac
