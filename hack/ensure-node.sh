#!/usr/bin/env bash
# Puts a Node.js of the project's pinned major on PATH and prints its bin directory.
# The machine's own Node may be older (20 is past end of life); the npm registry ships Node itself as the
# `node` package, so we install it once into a cache outside the repo and reuse it.
# Usage: eval "$(hack/ensure-node.sh --export)"   or   bin=$(hack/ensure-node.sh)
set -euo pipefail
NODE_MAJOR="${NODE_MAJOR:-24}"
current_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

bin_dir=""
if [ "$(current_major)" -ge "$NODE_MAJOR" ]; then
  bin_dir="$(dirname "$(command -v node)")"
else
  cache="${GREETER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/greeter-operator}/node-$NODE_MAJOR"
  if [ ! -x "$cache/node_modules/node/bin/node" ]; then
    echo "ensure-node: installing node@$NODE_MAJOR from the npm registry into $cache" >&2
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-audit --no-fund --loglevel=error "node@$NODE_MAJOR" >&2
  fi
  bin_dir="$cache/node_modules/node/bin"
  # npm itself comes from the machine; it runs on the newer node unchanged.
fi
if [ "${1:-}" = "--export" ]; then
  echo "export PATH=\"$bin_dir:\$PATH\""
else
  echo "$bin_dir"
fi
