#!/usr/bin/env bash
# Finds (or builds) the local control plane's binaries: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok, at the versions pinned by the go.mod files beside this script.
#
# Lookup for each binary, first hit wins:
#   1. TEST_ASSET_<NAME>            (e.g. TEST_ASSET_KUBE_APISERVER, TEST_ASSET_ETCD; envtest's convention)
#   2. $KUBEBUILDER_ASSETS/<name>   (so a setup-envtest directory is reused)
#   3. the cache, keyed by version: ${GREETER_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/greeter-operator}/<component>/<version>/bin
#   4. otherwise build it from the Go module proxy into that cache (the first build takes many minutes).
#
# Usage: build.sh            ensure every binary exists; progress on stderr; prints NAME=/path lines on stdout
#        build.sh --check    exit 1 (building nothing) when a binary is missing
#        build.sh --rebuild  build into the cache even when a binary is already there
#        build.sh --versions print the pinned versions (k8s=, etcd=, kwok=)
#        build.sh --node     also the node's kubeadm, kubelet, kubectl and kube-proxy, from the same module
#                            (hack/node-image/build.sh: the kind node image, when none can be pulled)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode="${1:-ensure}"
case "$mode" in ensure | --check | --rebuild | --versions | --node) ;; *) echo "usage: $0 [--check|--rebuild|--versions|--node]" >&2; exit 2 ;; esac

log() { printf '[control-plane] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The version each binary is built at comes from the go.mod that builds it, so there is one place to bump.
mod_version() { awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$here/$1/go.mod"; }
k8s_version="$(mod_version k8s k8s.io/kubernetes)"
etcd_version="$(mod_version etcd go.etcd.io/etcd/server/v3)"
kwok_version="$(mod_version kwok sigs.k8s.io/kwok)"
[ -n "$k8s_version" ] && [ -n "$etcd_version" ] && [ -n "$kwok_version" ] || die "cannot read pinned versions from $here/*/go.mod"

if [ "$mode" = --versions ]; then
  printf 'k8s=%s\netcd=%s\nkwok=%s\n' "$k8s_version" "$etcd_version" "$kwok_version"
  exit 0
fi

cache_root="${GREETER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/greeter-operator}"

# name | env suffix | component dir (go.mod) | version | package
components=(
  "etcd|ETCD|etcd|$etcd_version|go.etcd.io/etcd/server/v3"
  "kube-apiserver|KUBE_APISERVER|k8s|$k8s_version|k8s.io/kubernetes/cmd/kube-apiserver"
  "kube-controller-manager|KUBE_CONTROLLER_MANAGER|k8s|$k8s_version|k8s.io/kubernetes/cmd/kube-controller-manager"
  "kube-scheduler|KUBE_SCHEDULER|k8s|$k8s_version|k8s.io/kubernetes/cmd/kube-scheduler"
  "kwok|KWOK|kwok|$kwok_version|sigs.k8s.io/kwok/cmd/kwok"
)
if [ "$mode" = --node ]; then
  components+=(
    "kubeadm|KUBEADM|k8s|$k8s_version|k8s.io/kubernetes/cmd/kubeadm"
    "kubelet|KUBELET|k8s|$k8s_version|k8s.io/kubernetes/cmd/kubelet"
    "kubectl|KUBECTL|k8s|$k8s_version|k8s.io/kubernetes/cmd/kubectl"
    "kube-proxy|KUBE_PROXY|k8s|$k8s_version|k8s.io/kubernetes/cmd/kube-proxy"
  )
fi

# shellcheck source=hack/lib/go-env.sh
source "$here/../lib/go-env.sh"

cache_bin() { printf '%s/%s/%s/bin/%s' "$cache_root" "$2" "$3" "$1"; } # name dir version

resolve() { # name envsuffix dir version -> path or empty
  local var="TEST_ASSET_$2" candidate
  if [ -n "${!var:-}" ]; then
    [ -x "${!var}" ] || die "$var=${!var} is not an executable file"
    printf '%s' "${!var}"
    return
  fi
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/$1" ]; then
    printf '%s' "$KUBEBUILDER_ASSETS/$1"
    return
  fi
  candidate="$(cache_bin "$1" "$3" "$4")"
  if [ -x "$candidate" ]; then printf '%s' "$candidate"; fi
}

declare -A found=()
declare -A todo=() # component dir -> space-separated names
for c in "${components[@]}"; do
  IFS='|' read -r name suffix dir version pkg <<<"$c"
  path=""
  if [ "$mode" != --rebuild ]; then path="$(resolve "$name" "$suffix" "$dir" "$version")"; fi
  if [ -n "$path" ]; then
    found[$name]="$path"
  else
    todo[$dir]="${todo[$dir]:-} $name"
  fi
done

if [ "${#todo[@]}" -gt 0 ] && [ "$mode" = --check ]; then
  log "missing:${todo[*]} (run hack/control-plane/build.sh to build them)"
  exit 1
fi


build_dir() { # dir version names...
  local dir="$1" version="$2"
  shift 2
  local out="$cache_root/$dir/$version/bin"
  local tmp="$out.tmp.$$"
  local ldflags="-s -w" tags="" pkgs=() n
  mkdir -p "$tmp"
  case "$dir" in
    k8s)
      # Without these the binaries report v0.0.0-master and version-checking clients refuse them.
      local minor="${version#v1.}"
      minor="${minor%%.*}"
      local p
      for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
        ldflags+=" -X $p.buildDate=1970-01-01T00:00:00Z"
      done
      tags="selinux,notest,grpcnotrace" # as upstream release builds
      for n in "$@"; do pkgs+=("k8s.io/kubernetes/cmd/$n"); done
      ;;
    etcd) pkgs=(go.etcd.io/etcd/server/v3) ;;
    kwok) pkgs=(sigs.k8s.io/kwok/cmd/kwok) ;;
  esac
  log "building $* $version (go $(go env GOVERSION | sed 's/^go//'), nice'd; the first build takes many minutes)..."
  local start=$SECONDS
  # Progress: `go build -v` names each package as it compiles it (none when the build cache has it).
  local total buildlog="$tmp.log"
  total="$(cd "$here/$dir" && go list ${tags:+-tags "$tags"} -deps "${pkgs[@]}" 2>/dev/null | wc -l)" || total="?"
  if ! (cd "$here/$dir" && nice -n 10 go build -v -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}") 2>&1 |
    tee "$buildlog" | awk -v total="$total" -v what="$*" -v t0="$(date +%s)" '
      { n++ }
      n % 100 == 0 { printf "[control-plane] %s: %d/%s packages compiled (%ds)\n", what, n, total, systime() - t0 > "/dev/stderr" }'; then
    log "go build failed; its last lines:"
    tail -n 30 "$buildlog" >&2
    rm -rf "$tmp" "$buildlog"
    die "go build failed for $*"
  fi
  rm -f "$buildlog"
  # etcd's main package is named after its module directory.
  if [ "$dir" = etcd ] && [ -x "$tmp/v3" ]; then mv "$tmp/v3" "$tmp/etcd"; fi
  if [ "$dir" = etcd ] && [ -x "$tmp/server" ]; then mv "$tmp/server" "$tmp/etcd"; fi
  mkdir -p "$out"
  for n in "$@"; do
    [ -x "$tmp/$n" ] || { rm -rf "$tmp"; die "go build produced no $n in $tmp"; }
    mv -f "$tmp/$n" "$out/$n"
  done
  rm -rf "$tmp"
  log "built $* in $((SECONDS - start))s -> $out"
}

if [ "${#todo[@]}" -gt 0 ]; then
  prepare_go
  mkdir -p "$cache_root"
  # Several callers (make prereqs, npm run dev, a test run) may race to build: build once.
  exec 9>"$cache_root/.build.lock"
  if ! flock -n 9; then
    log "another build is running (lock $cache_root/.build.lock); waiting for it..."
    flock 9
  fi
  total_start=$SECONDS
  for dir in "${!todo[@]}"; do
    names=(${todo[$dir]})
    version=""
    for c in "${components[@]}"; do
      IFS='|' read -r name _ d v _ <<<"$c"
      [ "$d" = "$dir" ] && version="$v"
    done
    # Another process may have finished the build while this one waited for the lock.
    missing=()
    for n in "${names[@]}"; do
      if [ "$mode" = --rebuild ] || [ ! -x "$(cache_bin "$n" "$dir" "$version")" ]; then missing+=("$n"); fi
    done
    [ "${#missing[@]}" -eq 0 ] || build_dir "$dir" "$version" "${missing[@]}"
    for n in "${names[@]}"; do found[$n]="$(cache_bin "$n" "$dir" "$version")"; done
  done
  log "control plane binaries ready in $((SECONDS - total_start))s"
fi

for c in "${components[@]}"; do
  IFS='|' read -r name _ _ _ _ <<<"$c"
  printf '%s=%s\n' "$name" "${found[$name]}"
done
