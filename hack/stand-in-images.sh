#!/usr/bin/env bash
# Makes a local stand-in for a base image that is missing and cannot be pulled (a machine that reaches
# package registries but no container registry), and `docker import`s it under the exact tag the Dockerfile
# names, so `docker build` uses it without pulling. The Dockerfiles stay what a user builds anywhere.
#
# Usage: hack/stand-in-images.sh IMAGE...
# Known images:
#   node:24-bookworm-slim                      the build stage: Debian bookworm (debootstrap, minbase),
#                                              the project's pinned Node 24, npm, and this machine's CA bundle
#                                              with NODE_EXTRA_CA_CERTS and npm registry, so `npm ci` inside
#                                              `docker build` reaches the registry the way the host does;
#   gcr.io/distroless/nodejs24-debian12:nonroot  the runtime stage: only node, the C/C++ runtime libraries it
#                                              links, CA bundle, passwd/group with nonroot 65532, /tmp.
# The debootstrap tree is cached in $GREETER_CACHE_DIR (default ~/.cache/greeter-operator)/images, so warm
# runs only re-import. Every stand-in carries the label org.greeter-operator.stand-in=true.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(hack/ensure-node.sh --export)"

cache="${GREETER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/greeter-operator}/images"
suite=bookworm
arch="$(dpkg --print-architecture)"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

say() { echo "stand-in-images: $*" >&2; }

# shellcheck source=hack/lib/debian-mirror.sh
source hack/lib/debian-mirror.sh

# A minimal Debian tree as a tarball, made once.
rootfs_tar() {
  local tar="$cache/debian-$suite-$arch-minbase.tar"
  if [ ! -s "$tar" ]; then
    local mirror dir
    mirror="$(debian_mirror)"
    dir="$(mktemp -d "$cache/debootstrap.XXXXXX")"
    say "debootstrap $suite ($arch, minbase) from $mirror into the cache (once; a few minutes)"
    $sudo debootstrap --variant=minbase --arch="$arch" "$suite" "$dir" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
      {
        tail -n 20 "$cache/debootstrap.log" >&2
        exit 1
      }
    # apt lists and caches are not part of a base image.
    $sudo rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    $sudo tar -C "$dir" --numeric-owner -cf "$tar.tmp" .
    $sudo mv "$tar.tmp" "$tar"
    $sudo rm -rf "$dir"
  fi
  echo "$tar"
}

ca_bundle() {
  local f
  for f in "${NODE_EXTRA_CA_CERTS:-}" "$(npm config get cafile 2>/dev/null || true)" /etc/ssl/certs/ca-certificates.crt; do
    if [ -n "$f" ] && [ "$f" != "null" ] && [ "$f" != "undefined" ] && [ -s "$f" ]; then
      echo "$f"
      return
    fi
  done
  say "no CA bundle found on this machine"
  exit 1
}

node_bin() { command -v node; }
npm_dir() { (cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd); }

# The build stage: what node:24-bookworm-slim offers that the Dockerfiles use (node, npm, a Debian userland,
# user `node` 1000), plus how this machine reaches the npm registry.
make_node_slim() {
  local tag="$1" stage version
  stage="$(mktemp -d "$cache/stage.XXXXXX")"
  $sudo tar -C "$stage" -xf "$(rootfs_tar)"
  version="$(node -p process.versions.node)"
  $sudo install -m 0755 "$(node_bin)" "$stage/usr/local/bin/node"
  $sudo mkdir -p "$stage/usr/local/lib/node_modules" "$stage/usr/local/etc"
  $sudo cp -a "$(npm_dir)" "$stage/usr/local/lib/node_modules/npm"
  $sudo ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$stage/usr/local/bin/npm"
  $sudo ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$stage/usr/local/bin/npx"
  $sudo mkdir -p "$stage/etc/ssl/certs"
  $sudo install -m 0644 "$(ca_bundle)" "$stage/etc/ssl/certs/ca-certificates.crt"
  # Same registry and proxies as the host's npm; the CA bundle is the copy above.
  {
    printf 'cafile=/etc/ssl/certs/ca-certificates.crt\nupdate-notifier=false\n'
    local key value
    for key in registry proxy https-proxy noproxy strict-ssl; do
      value="$(npm config get "$key" 2>/dev/null || true)"
      case "$value" in "" | null | undefined) ;; *) printf '%s=%s\n' "$key" "$value" ;; esac
    done
  } | $sudo tee "$stage/usr/local/etc/npmrc" >/dev/null
  if ! grep -q '^node:' "$stage/etc/passwd"; then
    echo 'node:x:1000:1000::/home/node:/bin/bash' | $sudo tee -a "$stage/etc/passwd" >/dev/null
    echo 'node:x:1000:' | $sudo tee -a "$stage/etc/group" >/dev/null
    $sudo install -d -o 1000 -g 1000 "$stage/home/node"
  fi
  $sudo tar -C "$stage" --numeric-owner -c . | docker import \
    --change "ENV NODE_VERSION=$version" \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'LABEL org.greeter-operator.stand-in=true' \
    --change 'CMD ["node"]' \
    --message "stand-in for $tag: debootstrap $suite + node $version" - "$tag" >/dev/null
  $sudo rm -rf "$stage"
}

# The runtime stage: the shape of distroless nodejs (node at /nodejs/bin/node as the entrypoint, nonroot
# 65532, no shell, no package manager), built from the same Debian tree so the libraries match.
make_distroless_node() {
  local tag="$1" stage root lib
  stage="$(mktemp -d "$cache/stage.XXXXXX")"
  root="$(mktemp -d "$cache/rootfs.XXXXXX")"
  $sudo tar -C "$root" -xf "$(rootfs_tar)"
  $sudo install -d -m 0755 "$stage/nodejs/bin" "$stage/etc/ssl/certs"
  $sudo install -m 0755 "$(node_bin)" "$stage/nodejs/bin/node"
  # Every shared object node links, taken from the Debian tree (not the host) under the path the loader asks for.
  while read -r lib; do
    $sudo install -D -m 0755 "$(readlink -f "$root$lib" 2>/dev/null || echo "$root$lib")" "$stage$lib"
  done < <(ldd "$(node_bin)" | grep -oE '/[^ ]+\.so[^ ]*' | sort -u)
  $sudo install -m 0644 "$(ca_bundle)" "$stage/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' |
    $sudo tee "$stage/etc/passwd" >/dev/null
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' | $sudo tee "$stage/etc/group" >/dev/null
  $sudo install -d -m 1777 "$stage/tmp"
  $sudo install -d -m 0700 "$stage/root"
  $sudo install -d -m 0700 -o 65532 -g 65532 "$stage/home/nonroot"
  $sudo tar -C "$stage" --numeric-owner -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'USER 65532' \
    --change 'WORKDIR /home/nonroot' \
    --change 'LABEL org.greeter-operator.stand-in=true' \
    --change 'ENTRYPOINT ["/nodejs/bin/node"]' \
    --message "stand-in for $tag: node $(node -p process.versions.node) and its libraries from debootstrap $suite" \
    - "$tag" >/dev/null
  $sudo rm -rf "$stage" "$root"
}

mkdir -p "$cache"
for image in "$@"; do
  case "$image" in
  node:24-bookworm-slim) make_node_slim "$image" ;;
  gcr.io/distroless/nodejs24-debian12:nonroot) make_distroless_node "$image" ;;
  *)
    say "no stand-in recipe for $image; pull it, or add a recipe here"
    exit 1
    ;;
  esac
  say "imported stand-in $image ($(docker image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}'))"
done
