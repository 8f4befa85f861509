#!/usr/bin/env bash
# Configures and builds wal-e into build/ (or $1), warnings as errors.
# Extra arguments go to cmake, e.g. -DWALE_SANITIZE=ON. WALE_BUILD_TARGETS
# (space-separated) builds only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="${WALE_BUILD_TYPE:-RelWithDebInfo}" "$@" > "$dir.configure.log" 2>&1 \
  || { cat "$dir.configure.log" >&2; exit 1; }
# Which PostgreSQL versions the archive module is built for, and which not.
grep '^-- wal_e_archive' "$dir.configure.log" || true
# shellcheck disable=SC2086
ninja -C "$dir" -j "${WALE_JOBS:-$(nproc)}" ${WALE_BUILD_TARGETS:-}
