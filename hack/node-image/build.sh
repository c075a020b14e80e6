#!/usr/bin/env bash
# Builds a kind node image locally, for machines where Docker cannot pull kindest/node and `kind build
# node-image` cannot finish (it pulls every image it does not build). A LOCAL STAND-IN, not kind's image:
#   - base: Debian bookworm by debootstrap (systemd 252, which still runs on a cgroup v1 host), with kind's
#     package list minus fuse-overlayfs, nfs and iscsi, and kind v0.33.0's node files (entrypoint, units,
#     containerd config) read from the pinned kind module;
#   - from the Go module proxy, at the versions pinned by the go.mod files here and in hack/control-plane:
#     kubeadm, kubelet, kubectl, kube-proxy and the control-plane binaries (one Kubernetes build for the
#     node and the local control plane), etcd, containerd, runc (cgo, seccomp), the CNI plugins, crictl;
#   - images preloaded into the node's containerd as kind's builder does, under the names kubeadm asks for:
#     kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, etcd, and pause compiled from the
#     Kubernetes module's build/pause/linux/pause.c. No CoreDNS (hack/node-image/cluster.yaml skips it), no
#     kindnetd (a static ptp conflist instead). Nothing in the node ever needs a registry.
# The image is tagged with a hash of everything it is built from, so a warm run finds it and builds nothing;
# the compiled binaries and the debootstrap tree are cached in $GREETER_CACHE_DIR (~/.cache/greeter-operator).
#
# Usage: hack/node-image/build.sh           build when missing; prints the image tag on stdout
#        hack/node-image/build.sh --tag     print the tag it would build, build nothing
#        hack/node-image/build.sh --kind    build the kind CLI (pinned in hack/node-image/kind) when missing;
#                                           prints its path
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mode="${1:-build}"
case "$mode" in build | --tag | --kind) ;; *) echo "usage: $0 [--tag|--kind]" >&2; exit 2 ;; esac

log() { printf '[node-image] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=hack/lib/go-env.sh
source "$root/hack/lib/go-env.sh"
# shellcheck source=hack/lib/debian-mirror.sh
source "$root/hack/lib/debian-mirror.sh"

cache_root="${GREETER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/greeter-operator}"
cache="$cache_root/node-image"
suite=bookworm
arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
# kind's base package list (images/base/Dockerfile) without fuse-overlayfs (rootless only), nfs-common and
# open-iscsi (storage drivers the tests do not use); dbus and systemd-sysv make systemd a working PID 1.
packages=(systemd systemd-sysv dbus conntrack iptables nftables iproute2 ethtool util-linux mount kmod
  libseccomp2 pigz e2fsprogs bash ca-certificates curl jq procps)

mod_version() { awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$here/$1/go.mod"; }
k8s_version="$(bash "$root/hack/control-plane/build.sh" --versions | awk -F= '$1 == "k8s" { print $2 }')"
etcd_version="$(bash "$root/hack/control-plane/build.sh" --versions | awk -F= '$1 == "etcd" { print $2 }')"
kind_version="$(mod_version kind sigs.k8s.io/kind)"
containerd_version="$(mod_version containerd github.com/containerd/containerd/v2)"
runc_version="$(mod_version runc github.com/opencontainers/runc)"
cni_version="$(mod_version cni github.com/containernetworking/plugins)"
crictl_version="$(mod_version cri-tools sigs.k8s.io/cri-tools)"
# The tags kubeadm $k8s_version asks for (cmd/kubeadm/app/constants) and kind's containerd sandbox image.
etcd_tag="${etcd_version#v}-0"
pause_tags=(3.10 3.10.2)

# Everything the image is made of: a change to any of these is a new tag.
key="$(
  {
    printf '%s\n' "$suite" "$arch" "${packages[@]}" "$k8s_version" "$etcd_version"
    cat "$here/build.sh" "$here/cni.conflist" "$here"/*/go.sum "$root/hack/control-plane/k8s/go.sum" \
      "$root/hack/control-plane/etcd/go.sum" "$root/hack/docker/runc-bounded"
  } | sha256sum | cut -c1-12
)"
tag="greeter-operator.local/kind-node:$k8s_version-$key"

if [ "$mode" = --tag ]; then
  echo "$tag"
  exit 0
fi

go_prepared=0
# go_build COMPONENT VERSION BINARY PACKAGE [LDFLAGS] -> path of the cached binary (built once)
go_build() {
  local dir=$1 version=$2 name=$3 pkg=$4 ldflags="-s -w ${5:-}"
  local out="$cache/$dir/$version/bin/$name"
  if [ ! -x "$out" ]; then
    [ "$go_prepared" = 1 ] || prepare_go # once, in the main shell, when it builds several (see below)
    [ "$dir" != runc ] || export CGO_ENABLED=1
    local tags=""
    case "$dir" in
      runc) tags=seccomp ;;
      containerd) tags="no_aufs,no_zfs,no_btrfs,no_devmapper" ;; # as kind's base image builds it
    esac
    log "building $name $version (go $(go env GOVERSION | sed 's/^go//'), nice'd)..."
    local start=$SECONDS
    mkdir -p "$(dirname "$out")"
    (cd "$here/$dir" && nice -n 10 go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$out.tmp" "$pkg") >&2 ||
      die "go build of $pkg failed"
    mv -f "$out.tmp" "$out"
    log "built $name in $((SECONDS - start))s"
  fi
  printf '%s' "$out"
}

kind_cli() {
  go_build kind "$kind_version" kind sigs.k8s.io/kind
}

if [ "$mode" = --kind ]; then
  kind_cli
  echo
  exit 0
fi

docker_up() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }
if docker_up && docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag is built (a local stand-in for kindest/node)"
  echo "$tag"
  exit 0
fi

log "=================================================================================================="
log "Docker cannot use kindest/node here: building a LOCAL STAND-IN node image $tag"
log "(Kubernetes $k8s_version, containerd $containerd_version, runc $runc_version, CNI plugins $cni_version, kind $kind_version node files)"
log "=================================================================================================="
total_start=$SECONDS
mkdir -p "$cache"
exec 9>"$cache/.build.lock"
flock 9
# Another run may have built it while this one waited for the lock.
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi

# --- binaries --------------------------------------------------------------------------------------------
# go_build runs in a $(...) subshell: what prepare_go exports there (and its checksum-database probe) would
# be lost and repeated for every binary.
prepare_go
go_prepared=1
command -v gcc >/dev/null || die "gcc is needed for runc and pause (apt-get install gcc libc6-dev)"
[ -e /usr/include/seccomp.h ] || die "libseccomp-dev is needed for runc's seccomp support (hack/prereqs.d/50-kind.sh installs it)"
declare -A k8s=()
k8s_paths="$(bash "$root/hack/control-plane/build.sh" --node)" || die "the Kubernetes binaries did not build"
while IFS='=' read -r name path; do k8s[$name]="$path"; done <<<"$k8s_paths"
containerd_ld="-X github.com/containerd/containerd/v2/version.Version=$containerd_version"
containerd="$(go_build containerd "$containerd_version" containerd github.com/containerd/containerd/v2/cmd/containerd "$containerd_ld")"
ctr="$(go_build containerd "$containerd_version" ctr github.com/containerd/containerd/v2/cmd/ctr "$containerd_ld")"
shim="$(go_build containerd "$containerd_version" containerd-shim-runc-v2 github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 "$containerd_ld")"
runc="$(go_build runc "$runc_version" runc github.com/opencontainers/runc "-X main.version=${runc_version#v}")"
crictl="$(go_build cri-tools "$crictl_version" crictl sigs.k8s.io/cri-tools/cmd/crictl "-X sigs.k8s.io/cri-tools/pkg/version.Version=$crictl_version")"
cni_plugins=(ptp:main/ptp host-local:ipam/host-local loopback:main/loopback portmap:meta/portmap)
declare -A cni=()
for p in "${cni_plugins[@]}"; do
  cni[${p%%:*}]="$(go_build cni "$cni_version" "${p%%:*}" "github.com/containernetworking/plugins/plugins/${p#*:}")"
done
kind_src="$(cd "$here/kind" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' sigs.k8s.io/kind)"
k8s_src="$(cd "$root/hack/control-plane/k8s" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' k8s.io/kubernetes)"
[ -d "$kind_src/images/base/files" ] || die "kind's node files are not in $kind_src"
pause="$cache/pause/$k8s_version/pause"
if [ ! -x "$pause" ]; then
  mkdir -p "$(dirname "$pause")"
  # Upstream's flags (build/pause/Makefile); static, so the image holds nothing else.
  gcc -Os -Wall -Werror -static -DVERSION="v${pause_tags[-1]}-greeter-stand-in" -o "$pause.tmp" \
    "$k8s_src/build/pause/linux/pause.c"
  strip "$pause.tmp"
  mv -f "$pause.tmp" "$pause"
fi

docker_up || die "Docker does not answer (bash hack/prereqs.d/40-docker.sh starts it)"

# --- the Debian tree -------------------------------------------------------------------------------------
rootfs_key="$(printf '%s\n' "$suite" "$arch" "${packages[@]}" | sha256sum | cut -c1-12)"
rootfs_tar="$cache/rootfs-$suite-$arch-$rootfs_key.tar"
if [ ! -s "$rootfs_tar" ]; then
  command -v debootstrap >/dev/null || die "debootstrap is needed (hack/prereqs.d/40-docker.sh installs it)"
  mirror="$(debian_mirror)"
  tmp="$(mktemp -d "$cache/debootstrap.XXXXXX")"
  log "debootstrap $suite ($arch) with ${packages[*]} from $mirror (once; a few minutes)"
  start=$SECONDS
  if ! debootstrap --variant=minbase --arch="$arch" --include="$(
    IFS=,
    echo "${packages[*]}"
  )" "$suite" "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1; then
    tail -n 30 "$cache/debootstrap.log" >&2
    rm -rf "$tmp"
    die "debootstrap failed (log: $cache/debootstrap.log)"
  fi
  rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
  tar -C "$tmp" --numeric-owner -cf "$rootfs_tar.tmp" .
  mv -f "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf "$tmp"
  log "debootstrap done in $((SECONDS - start))s"
fi

work="$(mktemp -d "$cache/assemble.XXXXXX")"
cleanup() {
  if [ -n "${containerd_pid:-}" ]; then kill "$containerd_pid" 2>/dev/null || true; wait "$containerd_pid" 2>/dev/null || true; fi
  for i in "${image_ids[@]:-}"; do [ -z "$i" ] || docker rmi -f "$i" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
image_ids=()

# --- images kubeadm's static pods and DaemonSet run ------------------------------------------------------
# docker_import NAME:TAG DIR [ENTRYPOINT-JSON]: a one-layer image of DIR, PATH set as upstream's images do.
docker_import() {
  local ref=$1 dir=$2 entrypoint=${3:-}
  local changes=(--change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin')
  [ -z "$entrypoint" ] || changes+=(--change "ENTRYPOINT $entrypoint")
  tar -C "$dir" --numeric-owner -c . | docker import "${changes[@]}" - "$ref" >/dev/null
  image_ids+=("$ref")
}
stage_binary_image() { # REF BINARY
  local d="$work/img-$(basename "$2")"
  mkdir -p "$d/usr/local/bin" "$d/tmp" "$d/etc"
  chmod 1777 "$d/tmp"
  cp "$2" "$d/usr/local/bin/"
  docker_import "$1" "$d"
}
log "making the component images (registry.k8s.io names, local content)"
refs=()
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  stage_binary_image "registry.k8s.io/$c:$k8s_version" "${k8s[$c]}"
  refs+=("registry.k8s.io/$c:$k8s_version")
done
stage_binary_image "registry.k8s.io/etcd:$etcd_tag" "${k8s[etcd]}"
refs+=("registry.k8s.io/etcd:$etcd_tag")
# kube-proxy programs the node's iptables: its image is the Debian tree (iptables, nft, conntrack) plus it.
mkdir -p "$work/img-kube-proxy"
tar -C "$work/img-kube-proxy" -xf "$rootfs_tar"
cp "${k8s[kube-proxy]}" "$work/img-kube-proxy/usr/local/bin/"
docker_import "registry.k8s.io/kube-proxy:$k8s_version" "$work/img-kube-proxy"
rm -rf "$work/img-kube-proxy"
refs+=("registry.k8s.io/kube-proxy:$k8s_version")
mkdir -p "$work/img-pause"
cp "$pause" "$work/img-pause/pause"
docker_import "registry.k8s.io/pause:${pause_tags[0]}" "$work/img-pause" '["/pause"]'
refs+=("registry.k8s.io/pause:${pause_tags[0]}")
for t in "${pause_tags[@]:1}"; do
  docker tag "registry.k8s.io/pause:${pause_tags[0]}" "registry.k8s.io/pause:$t"
  image_ids+=("registry.k8s.io/pause:$t")
  refs+=("registry.k8s.io/pause:$t")
done
docker save "${refs[@]}" >"$work/images.tar"

# --- the node's tree -------------------------------------------------------------------------------------
node="$work/node"
mkdir -p "$node"
tar -C "$node" -xf "$rootfs_tar"
files="$kind_src/images/base/files"
install -m 0755 "$files"/usr/local/bin/* "$node/usr/local/bin/"
mkdir -p "$node/kind/bin" "$node/etc/containerd" "$node/etc/kubernetes/manifests" "$node/opt/cni/bin" "$node/etc/cni/net.d"
install -m 0755 "$files"/kind/bin/* "$node/kind/bin/"
install -m 0644 "$files/etc/crictl.yaml" "$node/etc/"
install -m 0644 "$files"/etc/containerd/* "$node/etc/containerd/"
# Lowering an oom_score_adj needs CAP_SYS_RESOURCE, which the hosts this image is built for may not grant
# (hack/docker/runc-bounded): kubelet asks -998 for every sandbox, and runc init then fails with "failed to
# update /proc/self/oom_score_adj: Permission denied". containerd's rootless setting clamps each container's
# score to containerd's own instead; the pods then only lose their place in the OOM killer's order.
grep -q '^  restrict_oom_score_adj = false$' "$node/etc/containerd/config.toml" ||
  die "kind's containerd config no longer has 'restrict_oom_score_adj = false'"
sed -i 's/^  restrict_oom_score_adj = false$/  restrict_oom_score_adj = true/' "$node/etc/containerd/config.toml"
# Nothing in this node may reach a registry: every image it runs is preloaded or `kind load`ed. Every
# registry's host is replaced by a closed port on the node's loopback, so a pull (a typo, a missing image)
# fails at once with "connection refused" and no name is looked up.
cat >>"$node/etc/containerd/config.toml" <<'EOF_TOML'

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
EOF_TOML
mkdir -p "$node/etc/containerd/certs.d/_default"
cat >"$node/etc/containerd/certs.d/_default/hosts.toml" <<'EOF_TOML'
# greeter-operator's stand-in node: no registry (hack/node-image/build.sh).
server = "http://127.0.0.1:1"
EOF_TOML
install -m 0644 "$files"/etc/default/* "$node/etc/default/"
install -m 0644 "$files"/etc/sysctl.d/* "$node/etc/sysctl.d/"
mkdir -p "$node/etc/systemd/system/kubelet.service.d"
install -m 0644 "$files"/etc/systemd/system/*.service "$files"/etc/systemd/system/*.slice "$node/etc/systemd/system/"
install -m 0644 "$files"/etc/systemd/system/kubelet.service.d/* "$node/etc/systemd/system/kubelet.service.d/"
# What kind's Dockerfile does after its apt step: no units a container must not run, no kmsg.
find "$node/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
rm -f "$node"/lib/systemd/system/multi-user.target.wants/* "$node"/etc/systemd/system/*.wants/* \
  "$node"/lib/systemd/system/local-fs.target.wants/* "$node"/lib/systemd/system/sockets.target.wants/*udev* \
  "$node"/lib/systemd/system/sockets.target.wants/*initctl* "$node"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$node/etc/systemd/journald.conf"
# systemctl enable and mask, as symlinks (the host may have no systemctl): all three are WantedBy=multi-user.
mkdir -p "$node/etc/systemd/system/multi-user.target.wants"
for unit in kubelet.service containerd.service undo-mount-hacks.service; do
  ln -sf "/etc/systemd/system/$unit" "$node/etc/systemd/system/multi-user.target.wants/$unit"
done
ln -sf /dev/null "$node/etc/systemd/system/systemd-binfmt.service"
install -m 0755 "${k8s[kubeadm]}" "${k8s[kubelet]}" "${k8s[kubectl]}" "$node/usr/bin/"
install -m 0755 "$containerd" "$ctr" "$shim" "$crictl" "$node/usr/local/bin/"
install -m 0755 "$runc" "$node/usr/local/sbin/runc"
for p in "${!cni[@]}"; do install -m 0755 "${cni[$p]}" "$node/opt/cni/bin/$p"; done
install -m 0644 "$here/cni.conflist" "$node/etc/cni/net.d/10-kindnet.conflist"
echo "$k8s_version" >"$node/kind/version"
cat >"$node/kind/README.stand-in.txt" <<EOF
A LOCAL STAND-IN for kindest/node, built by greeter-operator's hack/node-image/build.sh because no
registry was reachable. Kubernetes $k8s_version, etcd $etcd_version, containerd $containerd_version, runc $runc_version,
CNI plugins $cni_version (ptp), crictl $crictl_version, kind $kind_version node files, Debian $suite. Not kind's image.
EOF
# kind's base spec for CRI containers: containerd's default, with kind's product-uuid hook, no rlimits.
"$ctr" oci spec |
  jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' |
  jq 'del(.process.rlimits)' >"$node/etc/containerd/cri-base.json"

# Preload the images into the node's containerd store, as kind's builder does, with a containerd of the
# same version run on this host against the tree (no CRI, no snapshots: --no-unpack).
log "importing ${#refs[@]} images into the node's containerd"
state="$work/containerd-state"
mkdir -p "$state"
cat >"$work/containerd.toml" <<EOF
version = 3
root = "$node/var/lib/containerd"
state = "$state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images", "io.containerd.podsandbox.controller.v1.podsandbox", "io.containerd.sandbox.controller.v1.shim"]
[grpc]
  address = "$state/containerd.sock"
[ttrpc]
  address = "$state/containerd.sock.ttrpc"
EOF
"$containerd" --config "$work/containerd.toml" >"$work/containerd.log" 2>&1 &
containerd_pid=$!
for _ in $(seq 1 50); do
  [ -S "$state/containerd.sock" ] && break
  sleep 0.2
done
[ -S "$state/containerd.sock" ] || { tail -n 30 "$work/containerd.log" >&2; die "containerd for the import did not start"; }
"$ctr" --address "$state/containerd.sock" --namespace=k8s.io images import \
  --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests "$work/images.tar" >"$work/import.log" 2>&1 ||
  { tail -n 30 "$work/import.log" "$work/containerd.log" >&2; die "ctr images import failed"; }
kill "$containerd_pid"
wait "$containerd_pid" 2>/dev/null || true
containerd_pid=""
rm -f "$work/images.tar"

log "committing $tag"
tar -C "$node" --numeric-owner -c . |
  docker import --change 'ENV container=docker' \
    --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' - "$tag-rootfs" >/dev/null
image_ids+=("$tag-rootfs")
# STOPSIGNAL is not a change `docker import` takes; a build of one instruction on the imported tree is.
printf 'FROM %s\nSTOPSIGNAL SIGRTMIN+3\nLABEL org.greeter-operator.stand-in=true org.greeter-operator.stand-in.for=kindest/node:%s\n' \
  "$tag-rootfs" "$k8s_version" | DOCKER_BUILDKIT=0 docker build -q -t "$tag" - >/dev/null 2>"$work/build.log" ||
  { cat "$work/build.log" >&2; die "docker build of $tag failed"; }
# Stand-ins built from older sources are 0.9 GiB each: keep only this one (an image a node runs stays).
docker image ls --format '{{.Repository}}:{{.Tag}}' "${tag%%:*}" | grep -vxF "$tag" |
  xargs -r docker rmi >/dev/null 2>&1 || true
log "built $tag in $((SECONDS - total_start))s ($(docker image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.0f MiB", $1 / 1048576}'))"
echo "$tag"
