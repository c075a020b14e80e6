#!/usr/bin/env bash
# What `npm run dashboards:preview` and its system tests draw with: Debian's Chromium (driven headless by
# playwright-core, which downloads no browser of its own) and a font for the text in the pictures.
set -euo pipefail
# shellcheck source=hack/lib/apt-install.sh
source "$(dirname "$0")/../lib/apt-install.sh"
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ "${#need[@]}" -eq 0 ]; then
  echo "60-chromium: chromium and fonts-dejavu-core present"
  exit 0
fi
apt_install 60-chromium "${need[@]}"
