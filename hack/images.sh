#!/usr/bin/env bash
# Builds the two container images, tagged with the version in package.json:
#   greeter:$VERSION           from Dockerfile.greeter
#   greeter-operator:$VERSION  from Dockerfile.operator
# (the names config/manager deploys). Makes sure dockerd runs first (hack/prereqs.d/40-docker.sh). A base
# image that is missing and cannot be pulled gets a local stand-in (hack/stand-in-images.sh), announced
# loudly: the Dockerfiles themselves stay what a user builds anywhere. Prints each image's size.
#
# Usage: hack/images.sh [greeter|operator]...   (default: both)
#        hack/images.sh --tags                    print the tags it builds, nothing else
# Env:   VERSION (default: package.json), IMAGE_PREFIX (e.g. registry.example.com/team/, default none),
#        STAND_INS=never to fail instead of making stand-ins.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(hack/ensure-node.sh --export)"

version="${VERSION:-$(node -p 'require("./package.json").version')}"
prefix="${IMAGE_PREFIX:-}"
image_name() { [ "$1" = greeter ] && echo "${prefix}greeter" || echo "${prefix}greeter-operator"; }

if [ "${1:-}" = --tags ]; then
  # What would be built, one tag a line, without Docker (config/manager is checked against it).
  for c in greeter operator; do echo "$(image_name "$c"):$version"; done
  exit 0
fi

components=("$@")
[ "${#components[@]}" -gt 0 ] || components=(greeter operator)

bash hack/prereqs.d/40-docker.sh >&2

# Base images every Dockerfile names (FROM lines that are not earlier stages).
base_images() {
  awk 'toupper($1) == "FROM" {
         img = $2; for (i = 2; i <= NF; i++) if ($i !~ /^--/) { img = $i; break }
         if (!(img in stage)) print img
         for (i = 1; i <= NF; i++) if (toupper($i) == "AS") stage[$(i + 1)] = 1
       }' "$@" | sort -u
}

loud() {
  local line="################################################################################"
  printf '%s\n# %s\n%s\n' "$line" "$*" "$line" >&2
}

dockerfiles=()
for c in "${components[@]}"; do
  case "$c" in
  greeter | operator) dockerfiles+=("Dockerfile.$c") ;;
  *)
    echo "images: unknown image '$c' (greeter or operator)" >&2
    exit 2
    ;;
  esac
done

missing=()
while read -r base; do
  if docker image inspect "$base" >/dev/null 2>&1; then
    if [ "$(docker image inspect --format '{{index .Config.Labels "org.greeter-operator.stand-in"}}' "$base")" = true ]; then
      loud "USING A LOCAL STAND-IN for $base (made earlier by hack/stand-in-images.sh, not the published image)"
    fi
    continue
  fi
  echo "images: pulling $base" >&2
  if docker pull "$base" >&2; then continue; fi
  missing+=("$base")
done < <(base_images "${dockerfiles[@]}")

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${STAND_INS:-}" = never ]; then
    echo "images: cannot pull ${missing[*]} and STAND_INS=never" >&2
    exit 1
  fi
  loud "CANNOT PULL ${missing[*]}: building LOCAL STAND-INS under the same tags (hack/stand-in-images.sh). Images built on them are for local testing; publish images built on the real bases."
  hack/stand-in-images.sh "${missing[@]}"
fi

# Predefined proxy build args reach `npm ci` inside the build when this machine needs a proxy.
build_args=(--build-arg "VERSION=$version")
for v in HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy; do
  [ -z "${!v:-}" ] || build_args+=(--build-arg "$v=${!v}")
done

for c in "${components[@]}"; do
  tag="$(image_name "$c"):$version"
  echo "images: building $tag from Dockerfile.$c" >&2
  start=$(date +%s)
  # Host network: the build reaches the npm registry the way this machine does.
  docker build --network host -f "Dockerfile.$c" "${build_args[@]}" -t "$tag" . >&2
  echo "images: built $tag in $(($(date +%s) - start)) s" >&2
done

echo "images: sizes" >&2
for c in "${components[@]}"; do
  tag="$(image_name "$c"):$version"
  docker image inspect --format '{{.Size}}' "$tag" | awk -v t="$tag" '{printf "  %-32s %6.1f MB\n", t, $1 / 1e6}' >&2
done
