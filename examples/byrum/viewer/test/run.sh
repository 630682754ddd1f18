#!/usr/bin/env bash
# Browser test of the map viewer of one byrum output folder:
#   bash examples/byrum/viewer/test/run.sh OUT_DIR [SCREENSHOT.png]
# Installs what it needs: the npm packages (npm ci) when node_modules is
# missing, and Debian's chromium when /usr/bin/chromium (or $CHROMIUM) is
# missing. Then runs test/browser.mjs (file:// and python3 -m http.server).
set -euo pipefail
viewer="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: run.sh OUT_DIR [SCREENSHOT.png]}"
shot="${2:-$out/viewer.png}"

if [ ! -f "$viewer/node_modules/playwright-core/package.json" ] || [ ! -f "$viewer/node_modules/leaflet/dist/leaflet.js" ]; then
  echo "viewer test: npm ci in $viewer"
  (cd "$viewer" && npm ci --no-audit --no-fund)
fi

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "viewer test: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y --no-install-recommends chromium; then
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends chromium
  fi
fi
export CHROMIUM="$chromium"

node "$viewer/test/browser.mjs" "$out" "$shot"
