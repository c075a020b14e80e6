#!/usr/bin/env bash
# Installs the Debian packages the system tests and the benchmark use: prometheus (the binary only; its
# systemd service is not used — tests start their own on loopback) and wrk (the benchmark's load generator).
# Fast when everything is present; runs `apt-get update` only when something is missing.
set -euo pipefail
need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ "${#need[@]}" -eq 0 ]; then
  echo "10-apt: prometheus, promtool and wrk present"
  exit 0
fi
# Unique, order kept.
mapfile -t pkgs < <(printf '%s\n' "${need[@]}" | awk '!seen[$0]++')
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "10-apt: installing ${pkgs[*]} (apt-get update first)"
$sudo apt-get update -qq
# policy-rc.d 101 keeps Debian's postinst from starting the packaged prometheus service where an init system
# would honour it; the tests never depend on that service.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  made_policy=1
fi
trap '[ "$made_policy" = 1 ] && $sudo rm -f "$policy"' EXIT
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
echo "10-apt: installed ${pkgs[*]}"
