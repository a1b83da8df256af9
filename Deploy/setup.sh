#!/usr/bin/env bash
# Installs what building and testing Liaison needs on Debian, and nothing that is
# already there. Safe to run repeatedly. Used by the demo, the tests and CI.
#   - libsodium-dev, libsqlite3-dev, pkg-config: the system libraries we link
#   - git: SwiftPM fetches the Swift packages with it (a swift.org tarball has none)
#   - python3 + PyNaCl + noiseprotocol: independent implementations for Tests/Interop
# Set LIAISON_SETUP_BENCH=1 to also install the tools the benchmark compares against.
set -euo pipefail

need_apt=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in libsodium-dev libsqlite3-dev pkg-config git ca-certificates python3 python3-pip systemd; do
  have_pkg "$pkg" || need_apt+=("$pkg")
done
if [ "${LIAISON_SETUP_BENCH:-0}" = 1 ]; then
  for pkg in age minisign gnupg time nncp; do have_pkg "$pkg" || need_apt+=("$pkg"); done
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root, or install sudo, to install ${need_apt[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "setup: swift is in /opt/swift/usr/bin; add it to PATH" >&2
  else
    echo "setup: Swift 6.x is required (https://www.swift.org/install/linux/); not found on PATH" >&2
  fi
  exit 1
fi

if ! python3 -c 'import nacl, noise' >/dev/null 2>&1; then
  echo "setup: installing PyNaCl and noiseprotocol (independent implementations for the interop tests)"
  python3 -m pip install --quiet --disable-pip-version-check pynacl noiseprotocol 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages pynacl noiseprotocol
fi
