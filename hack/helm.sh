#!/usr/bin/env bash
# Prints the path of a helm binary, building it first when needed.
#
# Lookup, first hit wins:
#   1. $HELM                  (an explicit choice)
#   2. helm on PATH           (a user who has helm uses theirs)
#   3. the cache: ${GREETER_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/greeter-operator}/helm/<version>/bin/helm
#   4. otherwise built from the Go module proxy into that cache, at the version pinned by hack/helm/go.mod
#      (a few minutes the first time).
#
# Usage: hack/helm.sh             the path on stdout, progress on stderr
#        hack/helm.sh --pinned    ignore $HELM and PATH: the pinned build (tests that need a known helm)
#        hack/helm.sh --version   the pinned version
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode="${1:-find}"
case "$mode" in find | --pinned | --version) ;; *) echo "usage: $0 [--pinned|--version]" >&2; exit 2 ;; esac

log() { printf '[helm] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

version="$(awk '$1 == "helm.sh/helm/v4" && $2 ~ /^v/ { print $2; exit }' "$here/helm/go.mod")"
[ -n "$version" ] || die "cannot read the pinned helm version from $here/helm/go.mod"
if [ "$mode" = --version ]; then
  echo "$version"
  exit 0
fi

if [ "$mode" = find ]; then
  if [ -n "${HELM:-}" ]; then
    [ -x "$HELM" ] || die "HELM=$HELM is not an executable file"
    echo "$HELM"
    exit 0
  fi
  if command -v helm >/dev/null; then
    command -v helm
    exit 0
  fi
fi

cache_root="${GREETER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/greeter-operator}"
out="$cache_root/helm/$version/bin/helm"
if [ ! -x "$out" ]; then
  # shellcheck source=hack/lib/go-env.sh
  source "$here/lib/go-env.sh"
  prepare_go
  mkdir -p "$(dirname "$out")"
  # Several test processes may ask at once: build once.
  exec 9>"$cache_root/.helm-build.lock"
  flock 9
  if [ ! -x "$out" ]; then
    log "building helm $version (go $(go env GOVERSION | sed 's/^go//'), nice'd; a few minutes the first time)..."
    start=$SECONDS
    # The version flags are those of helm's own Makefile for a tagged release.
    ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$version -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
    (cd "$here/helm" && nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$out.tmp.$$" helm.sh/helm/v4/cmd/helm) >&2 ||
      { rm -f "$out.tmp.$$"; die "go build of helm $version failed"; }
    mv -f "$out.tmp.$$" "$out"
    log "built helm $version in $((SECONDS - start))s -> $out"
  fi
fi
echo "$out"
