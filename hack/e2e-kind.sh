#!/usr/bin/env bash
# End-to-end run on a kind cluster: the real images on a real node (kubelet, container runtime, kube-proxy),
# which the local control plane (kwok nodes, no containers) cannot give. See docs/e2e-kind.md.
#
# Usage: hack/e2e-kind.sh [run|up|test|down]     (npm run test:e2e:kind = run; make test runs it too)
#   run   up, test, then down (unless KEEP_CLUSTER=1)
#   up    check the prerequisites, create (or reuse) the cluster, build and load both images, install the
#         monitoring stack (hack/monitoring/install.sh), `kubectl apply -k config/overlays/kube-prometheus-stack`
#         (config/default plus the release label), wait for the operator rollout
#   test  against the cluster `up` made: the e2e project (the deployed operator and greeters, through
#         Services), then the integration suite with USE_EXISTING_CLUSTER=true
#   down  delete the cluster and its Docker network, and put back the host sysctls kubelet changed
# The node image: KIND_NODE_IMAGE when set; else the pinned kindest/node when Docker has it or can pull it;
# else a LOCAL STAND-IN built from pinned sources by hack/node-image/build.sh (cached, built once), with
# hack/node-image/cluster.yaml. kind itself: the one on PATH when it is the pinned version, else built from
# the Go module proxy (hack/node-image/kind).
# Env:   KIND_CLUSTER_NAME (default greeter-e2e), KEEP_CLUSTER=1 keeps the cluster after `run`,
#        STAND_INS (passed to hack/images.sh; default never with the pulled node image, empty with the
#        stand-in), KIND_NODE_IMAGE, KIND_CONFIG (a kind cluster config for KIND_NODE_IMAGE),
#        E2E_KIND_WORKDIR (kubeconfig, logs; default .tmp/e2e-kind),
#        E2E_REPORT_DIR (vitest JSON reports, default $E2E_KIND_WORKDIR/reports),
#        E2E_ARTIFACTS_DIR (what the tests record: dashboard query counts, previews; default $E2E_KIND_WORKDIR/artifacts).
set -euo pipefail
cd "$(dirname "$0")/.."

# kind and its node image are pinned together: kind supports a node image only when it was built for that
# kind release, and the digest (from the kind v0.33.0 release notes) is what guarantees it.
KIND_VERSION=v0.33.0
DEFAULT_NODE_IMAGE=kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5
node_image="${KIND_NODE_IMAGE:-$DEFAULT_NODE_IMAGE}"
cluster="${KIND_CLUSTER_NAME:-greeter-e2e}"
workdir="${E2E_KIND_WORKDIR:-$PWD/.tmp/e2e-kind}"
kubeconfig="$workdir/kubeconfig"
report_dir="${E2E_REPORT_DIR:-$workdir/reports}"
export E2E_ARTIFACTS_DIR="${E2E_ARTIFACTS_DIR:-$workdir/artifacts}"
# The Docker network the node joins: the run's own, with a pinned range, removed by `down`.
export KIND_EXPERIMENTAL_DOCKER_NETWORK="${KIND_EXPERIMENTAL_DOCKER_NETWORK:-$cluster}"
network_subnet="${KIND_NETWORK_SUBNET:-172.29.0.0/24}"
# Host-wide sysctls kubelet sets at start (pkg/kubelet/cm/container_manager_linux.go); a privileged node
# shares them with the host. Recorded before the cluster is created, restored after it is deleted.
host_sysctls=(vm.overcommit_memory kernel.panic kernel.panic_on_oops)
# Kept outside the checkout, so a fresh clone still finds what an earlier run's cluster changed.
sysctl_record="${GREETER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/greeter-operator}/kind/host-sysctls.$cluster"
kind_config="${KIND_CONFIG:-}"
operator_ns=greeter-operator-system
operator_deploy=deployment/greeter-operator
crashing_image=greeter-crashing:e2e # test/e2e/real-node.test.ts
deploy_config=config/overlays/kube-prometheus-stack

say() { printf '==> e2e-kind: %s\n' "$*" >&2; }
die() {
  printf '\ne2e-kind: %s\n\n' "$*" >&2
  exit 1
}

kind=kind
# The pinned kind: the one on PATH when it is that version, otherwise built once from the Go module proxy.
pinned_kind_on_path() { command -v kind >/dev/null 2>&1 && [ "$(kind version 2>/dev/null | awk '{print $2}')" = "$KIND_VERSION" ]; }
find_kind() {
  if pinned_kind_on_path; then
    kind="$(command -v kind)"
    return
  fi
  command -v go >/dev/null 2>&1 || die "kind $KIND_VERSION is not on PATH, and there is no Go to build it:
      go install sigs.k8s.io/kind@$KIND_VERSION, or a release binary: https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
  say "kind $KIND_VERSION is not on PATH: building it from the Go module proxy (hack/node-image/build.sh --kind)"
  kind="$(bash hack/node-image/build.sh --kind)"
}

# Pulled when it can be, built locally when it cannot: see the header.
choose_node_image() {
  if [ -n "${KIND_NODE_IMAGE:-}" ]; then
    docker image inspect "$node_image" >/dev/null 2>&1 || docker pull "$node_image" >&2 ||
      die "Docker cannot pull KIND_NODE_IMAGE=$node_image"
    return
  fi
  if docker image inspect "$node_image" >/dev/null 2>&1; then return; fi
  say "pulling $node_image"
  if timeout 120 docker pull "$node_image" >&2; then return; fi
  say "Docker cannot pull $node_image: using a LOCAL STAND-IN node image built from pinned sources"
  node_image="$(bash hack/node-image/build.sh)"
  kind_config="$PWD/hack/node-image/cluster.yaml"
  stand_in_node=1
}
stand_in_node=0

preflight_done=0
preflight() {
  [ "$preflight_done" = 0 ] || return 0
  local missing=()
  if ! pinned_kind_on_path && ! command -v go >/dev/null 2>&1; then
    missing+=("kind $KIND_VERSION is not on PATH (and there is no Go to build it). Install the pinned release:
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
    printf '\nThe other test projects need none of this: make test KIND=0 runs them without kind.\n\n' >&2
    exit 1
  fi
  find_kind
  choose_node_image
  preflight_done=1
  say "kind $($kind version | awk '{print $2}') ($kind), Docker $(docker version --format '{{.Server.Version}}'), node image $node_image${kind_config:+, config $kind_config}"
}

# The pinned Node and the npm packages, as `make deps` does (a fresh clone has no node_modules).
node_deps() {
  eval "$(hack/ensure-node.sh --export)"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
}

cluster_exists() { "$kind" get clusters 2>/dev/null | grep -qx "$cluster"; }
cluster_answers() {
  [ "$(docker inspect --format '{{.State.Running}}' "$cluster-control-plane" 2>/dev/null)" = true ] &&
    "$kind" get kubeconfig --name "$cluster" >"$kubeconfig.probe" 2>/dev/null &&
    KUBECONFIG="$kubeconfig.probe" kubectl get --raw /readyz --request-timeout=10s >/dev/null 2>&1
}

record_host_sysctls() {
  [ ! -s "$sysctl_record" ] || return 0 # the values from before the first cluster, not a cluster's
  local k
  mkdir -p "$(dirname "$sysctl_record")"
  for k in "${host_sysctls[@]}"; do printf '%s=%s\n' "$k" "$(sysctl -n "$k")"; done >"$sysctl_record.tmp"
  mv -f "$sysctl_record.tmp" "$sysctl_record"
}

restore_host_sysctls() {
  [ -s "$sysctl_record" ] || return 0
  local line now
  while IFS= read -r line; do
    now="$(sysctl -n "${line%%=*}" 2>/dev/null || true)"
    if [ "$now" != "${line#*=}" ]; then
      say "restoring host sysctl $line (kubelet had set ${now:-?})"
      sysctl -q -w "$line" >/dev/null 2>&1 || say "WARNING: cannot restore sysctl $line"
    fi
  done <"$sysctl_record"
  rm -f "$sysctl_record"
}

ensure_network() {
  docker network inspect "$KIND_EXPERIMENTAL_DOCKER_NETWORK" >/dev/null 2>&1 && return 0
  say "creating Docker network $KIND_EXPERIMENTAL_DOCKER_NETWORK ($network_subnet) for the node"
  # The options kind itself gives its network (pkg/cluster/internal/providers/docker/network.go), IPv4 only.
  docker network create -d bridge --subnet "$network_subnet" \
    -o com.docker.network.bridge.enable_ip_masquerade=true -o com.docker.network.driver.mtu=1500 \
    --label io.x-k8s.kind.network="$KIND_EXPERIMENTAL_DOCKER_NETWORK" "$KIND_EXPERIMENTAL_DOCKER_NETWORK" >/dev/null
}

# `kubectl wait --for=condition=Established` fails, instead of waiting, on a CRD that has no conditions yet.
wait_established() {
  local crd deadline=$((SECONDS + 60))
  for crd in "$@"; do
    until [ "$(kubectl get crd "$crd" -o jsonpath='{.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" = True ]; do
      [ "$SECONDS" -lt "$deadline" ] || die "CRD $crd is not Established after 60 s"
      sleep 0.5
    done
  done
}

up() {
  preflight
  mkdir -p "$workdir"
  local reused=0
  # A cluster left from before a Docker restart (or a reboot) has a stopped node: make a new one.
  if cluster_exists && ! cluster_answers; then
    say "kind cluster $cluster exists but does not answer (its node stopped?): deleting it to start afresh"
    down
  fi
  if cluster_exists; then
    say "reusing kind cluster $cluster"
    "$kind" get kubeconfig --name "$cluster" >"$kubeconfig"
    reused=1
  else
    record_host_sysctls
    ensure_network
    say "creating kind cluster $cluster"
    local start=$SECONDS
    "$kind" create cluster --name "$cluster" --image "$node_image" --kubeconfig "$kubeconfig" --wait 180s \
      ${kind_config:+--config "$kind_config"} --retain ||
      {
        "$kind" export logs "$workdir/logs" --name "$cluster" >/dev/null 2>&1 || true
        die "kind create cluster failed: node logs in $workdir/logs"
      }
    say "cluster created in $((SECONDS - start))s"
  fi
  chmod 600 "$kubeconfig"
  export KUBECONFIG="$kubeconfig"

  # The tags config/manager deploys are package.json's version with no prefix. With the stand-in node
  # image, the base images cannot be pulled either, so the image stand-ins are allowed too.
  local stand_ins="${STAND_INS-never}"
  [ "$stand_in_node" = 0 ] || stand_ins="${STAND_INS-}"
  say "building the images (hack/images.sh, STAND_INS=$stand_ins)"
  env -u VERSION -u IMAGE_PREFIX STAND_INS="$stand_ins" hack/images.sh
  local tags
  mapfile -t tags < <(env -u VERSION -u IMAGE_PREFIX hack/images.sh --tags)
  # For the e2e test of a Greeter whose image crashes: the greeter image, exiting 1 at start.
  local greeter_tag
  greeter_tag="$(printf '%s\n' "${tags[@]}" | grep -m1 '^greeter:')"
  printf 'FROM %s\nCMD ["-e", "console.error(\\"crashing on purpose (e2e)\\"); process.exit(1)"]\n' "$greeter_tag" |
    DOCKER_BUILDKIT=0 docker build -q -t "$crashing_image" - >/dev/null 2>"$workdir/crashing-image.log" ||
    { cat "$workdir/crashing-image.log" >&2; die "could not build $crashing_image"; }
  tags+=("$crashing_image")
  say "loading ${tags[*]} into the node"
  "$kind" load docker-image --name "$cluster" "${tags[@]}"

  say "installing the prometheus-operator ServiceMonitor and PrometheusRule CRDs (pinned in hack/control-plane/crds)"
  node_deps
  local crd_args=()
  while read -r f; do crd_args+=(-f "$f"); done < <(node test/e2e/upstream-crds.ts)
  kubectl apply --server-side --field-manager=e2e-kind "${crd_args[@]}"
  wait_established servicemonitors.monitoring.coreos.com prometheusrules.monitoring.coreos.com

  # The stack kube-prometheus-stack installs (prometheus-operator, Prometheus `k8s` selecting
  # release: kube-prometheus-stack, kube-state-metrics, metrics-server), from local stand-in images.
  say "installing the monitoring stack (hack/monitoring/install.sh)"
  KIND="$kind" KIND_CLUSTER_NAME="$cluster" KUBECONFIG="$kubeconfig" bash hack/monitoring/install.sh

  # config/default plus the release label on the operator's ServiceMonitor and PrometheusRule.
  say "kubectl apply -k $deploy_config"
  kubectl apply --server-side --field-manager=e2e-kind -k "$deploy_config"
  wait_established greeters.greeter.operator.dev
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
  "$kind" get kubeconfig --name "$cluster" >"$kubeconfig"
  chmod 600 "$kubeconfig"
  export KUBECONFIG="$kubeconfig" USE_EXISTING_CLUSTER=true
  node_deps
  # test/e2e/helm.test.ts installs the chart: the user's helm, or the pinned one (built once, then cached).
  HELM="$(bash hack/helm.sh)" || die "no helm (hack/helm.sh)"
  export HELM
  local status=0

  # The deployed operator must be running for these: they go through its Greeters' Services.
  say "e2e tests (test/e2e) against the deployed operator"
  kubectl -n "$operator_ns" scale "$operator_deploy" --replicas=2
  kubectl -n "$operator_ns" rollout status "$operator_deploy" --timeout=180s
  mkdir -p "$report_dir"
  rm -rf "$E2E_ARTIFACTS_DIR" && mkdir -p "$E2E_ARTIFACTS_DIR"
  E2E=1 npx vitest run --project e2e --reporter=default --reporter=json \
    --outputFile.json="$report_dir/e2e.json" || status=1

  # The integration suite runs operators of its own as processes and counts their writes; a deployed one
  # reconciling the same Greeters would make that meaningless, so it is scaled away for the suite.
  say "integration suite (USE_EXISTING_CLUSTER=true), with the deployed operator scaled to 0"
  kubectl -n "$operator_ns" scale "$operator_deploy" --replicas=0
  local pods
  pods="$(kubectl -n "$operator_ns" get pods -l app.kubernetes.io/name=greeter-operator -o name)"
  # shellcheck disable=SC2086 # one pod name a word
  [ -z "$pods" ] || kubectl -n "$operator_ns" wait --for=delete --timeout=90s $pods
  npx vitest run --project integration --reporter=default --reporter=json \
    --outputFile.json="$report_dir/integration-on-kind.json" || status=1
  return "$status"
}

down() {
  if cluster_exists; then
    say "deleting kind cluster $cluster"
    "$kind" delete cluster --name "$cluster"
  fi
  if docker network inspect "$KIND_EXPERIMENTAL_DOCKER_NETWORK" >/dev/null 2>&1 &&
    [ -n "$(docker network inspect --format '{{index .Labels "io.x-k8s.kind.network"}}' "$KIND_EXPERIMENTAL_DOCKER_NETWORK")" ] &&
    [ "$(docker network inspect --format '{{len .Containers}}' "$KIND_EXPERIMENTAL_DOCKER_NETWORK")" = 0 ]; then
    docker network rm "$KIND_EXPERIMENTAL_DOCKER_NETWORK" >/dev/null
  fi
  restore_host_sysctls
  rm -f "$kubeconfig" "$kubeconfig.probe"
}

keep() { [ "${KEEP_CLUSTER:-}" = 1 ] || [ "${KEEP_CLUSTER:-}" = true ]; }

run() {
  preflight
  # A run starts from a new cluster: one left by an earlier run may hold another build of everything.
  if cluster_exists; then
    say "deleting the kind cluster $cluster left from an earlier run"
    down
  fi
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
    "$kind" export logs "$workdir/logs" --name "$cluster" >/dev/null 2>&1 || true
  fi
  if keep; then
    say "KEEP_CLUSTER: left kind cluster $cluster running. export KUBECONFIG=$kubeconfig; hack/e2e-kind.sh test; hack/e2e-kind.sh down"
  else
    down
  fi
  say "$([ "$code" -eq 0 ] && echo passed || echo "FAILED (exit $code)")"
  exit "$code"
}

[ "${1:-run}" = up ] || [ "${1:-run}" = run ] || find_kind
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
