#!/usr/bin/env bash
# Makes sure a Docker daemon answers, for the image tests and hack/images.sh: installs Debian's docker.io
# (and debootstrap, which hack/images.sh needs for its stand-in base images) when missing, and starts dockerd
# in the background when nothing answers on the socket. Fast when the daemon is already up.
# On a host whose capability bounding set lacks a capability Docker grants to `--privileged` containers
# (CAP_SYS_RESOURCE on some sandboxed VMs), no privileged container starts, and kind's nodes are privileged:
# there it installs hack/docker/runc-bounded and makes it dockerd's default runtime (docs/e2e-kind.md).
# The daemon's log goes to $DOCKERD_LOG (default /var/log/greeter-dockerd.log).
set -euo pipefail
# shellcheck source=hack/lib/apt-install.sh
source "$(dirname "$0")/../lib/apt-install.sh"
log="${DOCKERD_LOG:-/var/log/greeter-dockerd.log}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
# A docker CLI may already be on PATH without a daemon; docker.io brings both.
command -v docker >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
# jq: the runtime wrapper edits OCI specs with it.
command -v jq >/dev/null 2>&1 || need+=(jq)
if [ "${#need[@]}" -gt 0 ]; then
  apt_install 40-docker "${need[@]}" ca-certificates iptables
fi

# Docker asks runc for capabilities 0..40 on --privileged; any of them absent from the bounding set fails it.
bounding_set_short() {
  local bnd
  bnd=$((16#$(awk '/^CapBnd:/ {print $2}' /proc/self/status)))
  (((bnd & ((1 << 41) - 1)) != (1 << 41) - 1))
}
daemon_json=/etc/docker/daemon.json
wrapper=/usr/local/libexec/greeter-operator/runc-bounded
config_changed=0
if bounding_set_short; then
  real_runc="$(command -v runc || true)"
  [ -n "$real_runc" ] || { echo "40-docker: runc not found (Debian's docker.io depends on it)" >&2; exit 1; }
  $sudo mkdir -p "$(dirname "$wrapper")"
  sed "s|@REAL_RUNC@|$real_runc|" "$(dirname "$0")/../docker/runc-bounded" | $sudo tee "$wrapper.tmp" >/dev/null
  $sudo chmod 755 "$wrapper.tmp"
  $sudo mv -f "$wrapper.tmp" "$wrapper"
  current='{}'
  [ ! -s "$daemon_json" ] || current="$($sudo cat "$daemon_json")"
  wanted="$(jq --arg path "$wrapper" '.runtimes["runc-bounded"] = {path: $path} | .["default-runtime"] = "runc-bounded"' <<<"$current")"
  if [ "$(jq -S . <<<"$current")" != "$(jq -S . <<<"$wanted")" ]; then
    echo "40-docker: the capability bounding set lacks capabilities --privileged asks for: default runtime runc-bounded ($wrapper) in $daemon_json"
    $sudo mkdir -p "$(dirname "$daemon_json")"
    printf '%s\n' "$wanted" | $sudo tee "$daemon_json" >/dev/null
    config_changed=1
  fi
fi

if $sudo docker info >/dev/null 2>&1; then
  if [ "$config_changed" = 1 ]; then
    # runtimes and default-runtime are reloaded on SIGHUP; running containers keep theirs.
    $sudo pkill -HUP -x dockerd
    sleep 1
  fi
  echo "40-docker: dockerd answers ($($sudo docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi

echo "40-docker: starting dockerd in the background (log: $log)"
$sudo mkdir -p "$(dirname "$log")"
# setsid detaches it from this script's process group, so it outlives `make test` steps and CI shells.
$sudo setsid dockerd >>"$log" 2>&1 </dev/null &
for _ in $(seq 1 60); do
  if $sudo docker info >/dev/null 2>&1; then
    echo "40-docker: dockerd answers ($($sudo docker version --format '{{.Server.Version}}' 2>/dev/null))"
    exit 0
  fi
  sleep 1
done
echo "40-docker: dockerd did not answer within 60 s; last lines of $log:" >&2
tail -n 30 "$log" >&2 || true
exit 1
