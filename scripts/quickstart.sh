#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to wal-e archiving a real
# cluster: installs the Debian packages, builds, and runs the quick start
# (examples/quickstart.sh) on the embedded default, a local directory store.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
exec examples/quickstart.sh "$@"
