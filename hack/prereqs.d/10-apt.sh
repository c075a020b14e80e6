#!/usr/bin/env bash
# Installs the Debian packages the system tests and the benchmark use: prometheus (the binary only; its
# systemd service is not used — tests start their own on loopback) and wrk (the benchmark's load generator).
# Fast when everything is present; runs `apt-get update` only when something is missing.
set -euo pipefail
# shellcheck source=hack/lib/apt-install.sh
source "$(dirname "$0")/../lib/apt-install.sh"
need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ "${#need[@]}" -eq 0 ]; then
  echo "10-apt: prometheus, promtool and wrk present"
  exit 0
fi
apt_install 10-apt "${need[@]}"
