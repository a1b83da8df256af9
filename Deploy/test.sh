#!/usr/bin/env bash
# Sets up a Debian machine and runs Liaison's whole test suite.
# Usage: bash Deploy/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
bash Deploy/setup.sh
swift build --build-tests
swift test --skip-build
