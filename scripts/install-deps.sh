#!/usr/bin/env bash
# Installs what wal-e needs to build and to run its tests on Debian 12, from
# Debian's own packages only. Safe to run again; does nothing when all is
# there. Needs root (or sudo) for apt.
set -euo pipefail

packages=(
  # build
  g++ cmake ninja-build pkg-config
  libboost-dev libboost-program-options-dev nlohmann-json3-dev liblz4-dev liblzo2-dev libzstd-dev
  libssl-dev libgpgme-dev libgpgmepp-dev libsqlite3-dev libspdlog-dev catch2 libpq-dev libsystemd-dev libxxhash-dev
  # the archive module (module/): PostgreSQL 15's server headers
  postgresql-server-dev-15
  # run and test
  postgresql-15 postgresql-client-15 lzop pv gnupg python3 util-linux procps daemontools
  # systemd-analyze and systemd-socket-activate for the unit tests of the units
  systemd
  # the compression tools that must read our objects; packaging (dpkg-shlibdeps, man -l, groff)
  lz4 zstd dpkg-dev man-db groff-base
  # clock jumps under libfaketime (tests/faults/fault_clock_jump.sh); what the shim sends (test_secrets.sh)
  faketime strace
  # fuzzing the decoders
  clang libclang-rt-14-dev
  # blob-store peers and what stands in front of them in the tests
  swift swift-proxy swift-account swift-container swift-object memcached stunnel4 curl openssl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The tests run PostgreSQL and wal-ed as an unprivileged user; the
# postgresql package creates it, but make sure.
if ! id postgres >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

# The npm peers (the SigV4-checking s3rver fork, Azurite, the Firebase
# storage emulator for GCS), pinned by
# tests/peers/package-lock.json. The fork needs Node.js 20 or later.
if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "install-deps: Node.js 20 or later is needed for the test peers (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
peers=$(cd "$(dirname "$0")/../tests/peers" && pwd)
# npm ci again whenever one of the pinned peers is missing (a new one added).
for pkg in @20minutes/s3rver s3rver azurite firebase-tools; do
  if [ ! -d "$peers/node_modules/$pkg" ]; then
    (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error)
    break
  fi
done
