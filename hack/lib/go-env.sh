# shellcheck shell=bash
# Sourced by the scripts that build pinned Go modules (hack/control-plane/build.sh, hack/node-image/build.sh).
# `prepare_go` checks the Go toolchain and sets the environment every such build uses: the local toolchain
# only, static binaries unless the caller sets CGO_ENABLED=1 afterwards, go.sum as the authority, and the
# user's GOFLAGS ignored. It calls `die` (the caller's) on a problem.
prepare_go() {
  command -v go >/dev/null || die "Go >= 1.26 is needed to build the pinned components (apt-get install golang-go is too old on most distros: use the official toolchain)"
  local gov
  gov="$(go env GOVERSION)"
  case "$gov" in go1.2[6-9]* | go1.[3-9][0-9]*) ;; *) die "Go >= 1.26 is needed, found $gov" ;; esac
  # A `go`/`toolchain` line newer than the local Go must fail here, not download another toolchain.
  export GOTOOLCHAIN=local CGO_ENABLED=0
  # go.sum is committed, so hashes are checked without the checksum database; it is only consulted for
  # modules missing from go.sum. Where it is unreachable (sandboxes, some corporate networks), say so and
  # rely on go.sum instead of failing half way through a download.
  local sumdb
  sumdb="$(go env GOSUMDB)"
  if [ "$sumdb" != off ] && command -v curl >/dev/null; then
    # GOSUMDB is "name[+key] [url]"; the URL defaults to https://<name>.
    local url="${sumdb#* }"
    [ "$url" != "$sumdb" ] || url="https://${sumdb%%+*}"
    if ! curl -fsS -m 5 -o /dev/null "$url/latest" 2>/dev/null; then
      log "checksum database $url unreachable: GOSUMDB=off (hashes are still verified against the committed go.sum files)"
      export GOSUMDB=off
    fi
  fi
  local proxy
  proxy="$(go env GOPROXY)"
  [ "$proxy" != off ] || log "GOPROXY=off: building only from the local module cache"
  # The user's GOFLAGS (e.g. -mod=vendor) must not change what is built.
  export GOFLAGS="-mod=readonly -buildvcs=false"
}
