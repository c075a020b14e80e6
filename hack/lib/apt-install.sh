# shellcheck shell=bash
# Sourced by hack/prereqs.d/*.sh. `apt_install TAG PACKAGE...` installs Debian packages (duplicates named
# once) after an `apt-get update`, as root or through sudo, and prints progress prefixed with TAG.
apt_install() {
  local tag=$1
  shift
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  local pkgs
  mapfile -t pkgs < <(printf '%s\n' "$@" | awk '!seen[$0]++')
  echo "$tag: installing ${pkgs[*]} (apt-get update first)"
  $sudo apt-get update -qq
  # policy-rc.d 101 keeps a package's postinst from starting its packaged service (prometheus, docker) where
  # an init system would honour it: the tests start their own, the same way with or without an init system.
  local policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    # shellcheck disable=SC2064 # expand now: the trap fires after this function's locals are gone
    trap "$sudo rm -f $policy" EXIT
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
  echo "$tag: installed ${pkgs[*]}"
}
