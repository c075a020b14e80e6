#!/usr/bin/env bash
# What the kind suite (hack/e2e-kind.sh, run by make test) needs beyond Docker, on a machine where the node
# image may have to be built locally (hack/node-image/build.sh): gcc and the static C library for the pause
# binary, libseccomp-dev for runc's seccomp support, jq for the node's base OCI spec. The kind CLI and the
# node image themselves are built on first use by hack/e2e-kind.sh, and cached.
set -euo pipefail
# shellcheck source=hack/lib/apt-install.sh
source "$(dirname "$0")/../lib/apt-install.sh"
need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e "/usr/lib/$(uname -m)-linux-gnu/libc.a" ] || need+=(libc6-dev)
[ -e /usr/include/seccomp.h ] || need+=(libseccomp-dev)
command -v jq >/dev/null 2>&1 || need+=(jq)
if [ "${#need[@]}" -eq 0 ]; then
  echo "50-kind: gcc, libc6-dev, libseccomp-dev and jq present"
  exit 0
fi
apt_install 50-kind "${need[@]}"
