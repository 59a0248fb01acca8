#!/usr/bin/env bash
# Installs Debian's Chromium for the console's browser tests (tests/console), unless it is there.
# Playwright drives it at /usr/bin/chromium: no browser is downloaded from anywhere else.
#
# Usage: chromium.sh install
set -euo pipefail

[[ "${1:-}" == "install" ]] || { echo "usage: $0 install" >&2; exit 2; }
if [[ -x /usr/bin/chromium ]]; then
  exit 0
fi
if [[ "$(id -u)" == 0 ]]; then
  as_root=()
elif sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "chromium: /usr/bin/chromium is missing and this user cannot install Debian packages;" >&2
  echo "  install it once as root: apt-get install chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# apt's lock may be held for a while by another install on a fresh machine.
"${as_root[@]}" apt-get -o DPkg::Lock::Timeout=120 update -q
"${as_root[@]}" apt-get -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends chromium
/usr/bin/chromium --version
