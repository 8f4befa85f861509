#!/usr/bin/env bash
# Installs what wal-e needs to build and to run its tests on Debian 12, from
# Debian's own packages only. Safe to run again; does nothing when all is
# there. Needs root (or sudo) for apt.
set -euo pipefail

packages=(
  # build
  g++ cmake ninja-build pkg-config
  libboost-dev libboost-program-options-dev nlohmann-json3-dev liblz4-dev liblzo2-dev libzstd-dev
  libssl-dev libgpgme-dev libgpgmepp-dev libsqlite3-dev libspdlog-dev catch2 libpq-dev libsystemd-dev
  # run and test
  postgresql-15 postgresql-client-15 lzop pv gnupg python3 util-linux procps daemontools
  # fuzzing the decoders
  clang libclang-rt-14-dev
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
