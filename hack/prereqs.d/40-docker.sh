#!/usr/bin/env bash
# Makes sure a Docker daemon answers, for the image tests and hack/images.sh: installs Debian's docker.io
# (and debootstrap, which hack/images.sh needs for its stand-in base images) when missing, and starts dockerd
# in the background when nothing answers on the socket. Fast when the daemon is already up.
# The daemon's log goes to $DOCKERD_LOG (default /var/log/greeter-dockerd.log).
set -euo pipefail
log="${DOCKERD_LOG:-/var/log/greeter-dockerd.log}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
# A docker CLI may already be on PATH without a daemon; docker.io brings both.
command -v docker >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ "${#need[@]}" -gt 0 ]; then
  mapfile -t pkgs < <(printf '%s\n' "${need[@]}" | awk '!seen[$0]++')
  echo "40-docker: installing ${pkgs[*]} (apt-get update first)"
  $sudo apt-get update -qq
  # policy-rc.d 101 keeps the package's postinst from starting its own docker service; we start dockerd
  # ourselves below, the same way with or without an init system.
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    made_policy=1
  fi
  trap '[ "$made_policy" = 1 ] && $sudo rm -f "$policy"' EXIT
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" \
    ca-certificates iptables
  echo "40-docker: installed ${pkgs[*]}"
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
