#!/usr/bin/env bash
# Builds LOCAL STAND-INS for the images of the monitoring stack kube-prometheus-stack installs, for machines
# where Docker cannot pull them (no registry). Each is one static binary (CGO_ENABLED=0) built from the Go
# module proxy at the version pinned by the go.mod beside this script, `docker import`ed from a small tar
# (no FROM line, so no registry) under the upstream name and ENTRYPOINT, running as uid/gid 65534:
#   quay.io/prometheus-operator/prometheus-operator       /bin/operator                   (prometheus-operator/)
#   quay.io/prometheus-operator/prometheus-config-reloader /bin/prometheus-config-reloader (prometheus-operator/)
#   quay.io/prometheus/prometheus                         /bin/prometheus, no web UI      (prometheus/)
#   registry.k8s.io/kube-state-metrics/kube-state-metrics /kube-state-metrics             (kube-state-metrics/)
#   registry.k8s.io/metrics-server/metrics-server         /metrics-server                 (metrics-server/)
# Not upstream's images: no busybox, no promtool, no /etc/passwd (numeric user only), no web UI assets.
# Binaries are cached in ${GREETER_CACHE_DIR:-~/.cache/greeter-operator}/monitoring/<component>/<version>/bin;
# an image carries a key (hash of this script and its go.sum) so a warm run builds nothing and a changed
# recipe rebuilds. An image of that name that is not a stand-in (a real pull) is left alone, and before a
# stand-in is built the real image is pulled when a registry answers (MONITORING_PULL=0 skips the attempt).
#
# Usage: build-images.sh           build what is missing; prints the image refs on stdout, one a line
#        build-images.sh --list    print the refs, build nothing
#        build-images.sh --versions  print name=version lines (prometheus=v3.5.0, ...)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mode="${1:-build}"
case "$mode" in build | --list | --versions) ;; *) echo "usage: $0 [--list|--versions]" >&2; exit 2 ;; esac

log() { printf '[monitoring-images] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=hack/lib/go-env.sh
source "$root/hack/lib/go-env.sh"

mod_version() { awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$here/$1/go.mod"; }
operator_version="$(mod_version prometheus-operator github.com/prometheus-operator/prometheus-operator)"
# The Go module v0.3XX.Y is Prometheus v3.XX.Y (the project tags both).
prometheus_module="$(mod_version prometheus github.com/prometheus/prometheus)"
prometheus_version="$(awk -v v="$prometheus_module" 'BEGIN { split(substr(v, 4), p, "."); printf "v3.%d.%d", p[1] - 300, p[2] }')"
ksm_version="$(mod_version kube-state-metrics k8s.io/kube-state-metrics/v2)"
metrics_server_version="$(mod_version metrics-server sigs.k8s.io/metrics-server)"
[ -n "$operator_version" ] && [ -n "$prometheus_module" ] && [ -n "$ksm_version" ] && [ -n "$metrics_server_version" ] ||
  die "cannot read pinned versions from $here/*/go.mod"

# name | component dir | version | package | path in the image | image ref
images=(
  "prometheus-operator|prometheus-operator|$operator_version|github.com/prometheus-operator/prometheus-operator/cmd/operator|/bin/operator|quay.io/prometheus-operator/prometheus-operator:$operator_version"
  "prometheus-config-reloader|prometheus-operator|$operator_version|github.com/prometheus-operator/prometheus-operator/cmd/prometheus-config-reloader|/bin/prometheus-config-reloader|quay.io/prometheus-operator/prometheus-config-reloader:$operator_version"
  "prometheus|prometheus|$prometheus_version|github.com/prometheus/prometheus/cmd/prometheus|/bin/prometheus|quay.io/prometheus/prometheus:$prometheus_version"
  "kube-state-metrics|kube-state-metrics|$ksm_version|k8s.io/kube-state-metrics/v2|/kube-state-metrics|registry.k8s.io/kube-state-metrics/kube-state-metrics:$ksm_version"
  "metrics-server|metrics-server|$metrics_server_version|sigs.k8s.io/metrics-server/cmd/metrics-server|/metrics-server|registry.k8s.io/metrics-server/metrics-server:$metrics_server_version"
)

if [ "$mode" = --versions ]; then
  printf 'prometheus-operator=%s\nprometheus=%s\nkube-state-metrics=%s\nmetrics-server=%s\n' \
    "$operator_version" "$prometheus_version" "$ksm_version" "$metrics_server_version"
  exit 0
fi
if [ "$mode" = --list ]; then
  for i in "${images[@]}"; do echo "${i##*|}"; done
  exit 0
fi

command -v docker >/dev/null && docker info >/dev/null 2>&1 || die "Docker does not answer (bash hack/prereqs.d/40-docker.sh starts it)"
cache="${GREETER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/greeter-operator}/monitoring"
mkdir -p "$cache"
exec 9>"$cache/.build.lock"
flock 9

# Upstream's version ldflags, so `--version`, /api/v1/status/buildinfo and the operator's default
# config-reloader image (quay.io/prometheus-operator/prometheus-config-reloader:v<version>) are right.
ldflags_for() { # name version
  local common=github.com/prometheus/common/version v="${2#v}"
  case "$1" in
    prometheus-operator | prometheus-config-reloader | prometheus)
      printf -- '-X %s.Version=%s -X %s.Branch=HEAD -X %s.BuildUser=greeter-operator-stand-in -X %s.BuildDate=19700101-00:00:00' "$common" "$v" "$common" "$common" "$common" ;;
    kube-state-metrics)
      printf -- '-X %s.Version=v%s -X %s.Branch=HEAD -X %s.BuildUser=greeter-operator-stand-in -X %s.BuildDate=19700101-00:00:00' "$common" "$v" "$common" "$common" "$common" ;;
    metrics-server)
      printf -- '-X k8s.io/client-go/pkg/version.gitVersion=v%s -X k8s.io/client-go/pkg/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.buildDate=1970-01-01T00:00:00Z' "$v" ;;
  esac
}

go_build() { # name dir version package -> path of the cached binary (built once)
  local name=$1 dir=$2 version=$3 pkg=$4
  local out="$cache/$dir/$version/bin/$name"
  if [ ! -x "$out" ]; then
    # netgo as upstream's Prometheus build; without builtinassets the web UI is read from ./web/ui/static,
    # absent here, so the UI pages fail while the HTTP API (all the tests use) works.
    local tags=""
    [ "$name" != prometheus ] || tags=netgo
    log "building $name $version from the Go module proxy (go $(go env GOVERSION | sed 's/^go//'), nice'd)..."
    local start=$SECONDS
    mkdir -p "$(dirname "$out")"
    (cd "$here/$dir" && nice -n 10 go build -trimpath ${tags:+-tags "$tags"} -ldflags "-s -w $(ldflags_for "$name" "$version")" -o "$out.tmp" "$pkg") >&2 ||
      die "go build of $pkg failed"
    mv -f "$out.tmp" "$out"
    log "built $name in $((SECONDS - start))s"
  fi
  printf '%s' "$out"
}

work="$(mktemp -d "$cache/image.XXXXXX")"
trap 'rm -rf "$work"' EXIT
total_start=$SECONDS
for i in "${images[@]}"; do
  IFS='|' read -r name dir version pkg path ref <<<"$i"
  key="$(cat "$here/build-images.sh" "$here/$dir/go.sum" | sha256sum | cut -c1-12)"
  labels="$(docker image inspect --format '{{index .Config.Labels "org.greeter-operator.stand-in"}} {{index .Config.Labels "org.greeter-operator.stand-in.key"}}' "$ref" 2>/dev/null || true)"
  old_id="$(docker image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)"
  if [ "$labels" = "true $key" ]; then
    log "$ref is built (a LOCAL STAND-IN)"
    echo "$ref"
    continue
  fi
  if [ -n "$labels" ] && [ "${labels%% *}" != true ]; then
    log "$ref is present and not a stand-in: using it as it is"
    echo "$ref"
    continue
  fi
  # The real image first, where a registry answers (here `docker pull` fails at once: no DNS).
  if [ "${MONITORING_PULL:-1}" != 0 ] && timeout 120 docker pull --quiet "$ref" >/dev/null 2>&1; then
    log "$ref pulled from its registry: using it, no stand-in"
    echo "$ref"
    continue
  fi
  log "=================================================================================================="
  log "no registry image: building a LOCAL STAND-IN $ref ($pkg $version)"
  log "=================================================================================================="
  start=$SECONDS
  # prepare_go once per run (it probes the checksum database), in this shell: go_build runs in a subshell.
  if [ ! -x "$cache/$dir/$version/bin/$name" ] && [ -z "${go_ready:-}" ]; then prepare_go; go_ready=1; fi
  bin="$(go_build "$name" "$dir" "$version" "$pkg")"
  tree="$work/$name"
  mkdir -p "$tree$(dirname "$path")" "$tree/tmp" "$tree/etc"
  chmod 1777 "$tree/tmp"
  install -m 0755 "$bin" "$tree$path"
  changes=(--change "ENTRYPOINT [\"$path\"]")
  case "$name" in
    prometheus)
      # Upstream's layout: the example config for a bare `docker run`, and a data dir the user can write
      # (in a pod prometheus-operator mounts an emptyDir there).
      src="$(cd "$here/$dir" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' github.com/prometheus/prometheus)"
      mkdir -p "$tree/etc/prometheus" "$tree/prometheus"
      install -m 0644 "$src/documentation/examples/prometheus.yml" "$tree/etc/prometheus/prometheus.yml"
      chmod 0775 "$tree/prometheus"
      changes+=(--change 'WORKDIR /prometheus' --change 'EXPOSE 9090' --change 'VOLUME ["/prometheus"]'
        --change 'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]')
      ;;
    kube-state-metrics)
      changes=(--change "ENTRYPOINT [\"$path\", \"--port=8080\", \"--telemetry-port=8081\"]" --change 'EXPOSE 8080 8081') ;;
  esac
  # Owned by the image's user (the data dir must be writable by it); everything else by root.
  tar -C "$tree" --numeric-owner --owner=0 --group=0 -cf "$work/$name.tar" --anchored --exclude=./prometheus .
  [ "$name" != prometheus ] || tar -C "$tree" --numeric-owner --owner=65534 --group=65534 -rf "$work/$name.tar" ./prometheus
  docker import "${changes[@]}" --change 'USER 65534:65534' \
    --change 'LABEL org.greeter-operator.stand-in=true' --change "LABEL org.greeter-operator.stand-in.key=$key" \
    --change "LABEL org.greeter-operator.stand-in.for=$ref" "$work/$name.tar" "$ref" >/dev/null
  rm -rf "$tree" "$work/$name.tar"
  # The stand-in this one replaces (an older recipe) would stay behind untagged.
  if [ -n "$labels" ]; then docker rmi "$old_id" >/dev/null 2>&1 || true; fi
  log "built LOCAL STAND-IN $ref in $((SECONDS - start))s ($(docker image inspect --format '{{.Size}}' "$ref" | awk '{printf "%.0f MiB", $1 / 1048576}'))"
  echo "$ref"
done
log "monitoring images ready in $((SECONDS - total_start))s"
