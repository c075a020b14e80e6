# shellcheck shell=bash
# Sourced by the scripts that debootstrap a Debian tree (hack/stand-in-images.sh, hack/node-image/build.sh).
# The Debian mirror apt already uses here (deb822 .sources or one-line .list), so debootstrap needs no other host.
debian_mirror() {
  local uri
  uri="$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' |
    grep -v -e security -e updates | head -n1 || true)"
  if [ -z "$uri" ]; then
    uri="$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      grep -v -e security -e updates | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' ||
      true)"
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}
