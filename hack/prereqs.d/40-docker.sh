#!/usr/bin/env bash
# Makes sure a Docker daemon answers, for the image tests and hack/images.sh: installs Debian's docker.io
# (and debootstrap, which hack/images.sh needs for its stand-in base images) when missing, and starts dockerd
# in the background when nothing answers on the socket. Fast when the daemon is already up.
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
if [ "${#need[@]}" -gt 0 ]; then
  apt_install 40-docker "${need[@]}" ca-certificates iptables
fi

if $sudo docker info >/dev/null 2>&1; then
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
