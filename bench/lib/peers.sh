# The blob-store peers for the benches, sourced after single.sh and
# archive.sh: the integration tests' starters (tests/integration/peers.sh,
# the one place that knows how to start each peer on loopback) with their
# data under $W, every process they launch added to archive.sh's pids.
#   start_s3_peer                        the SigV4-checking s3rver fork (data on disk)
#   start_azurite                        Azurite, SharedKey checked (data on disk)
#   GCS_ANONYMOUS=1 start_gcs_emulator   the Firebase storage emulator alone, no credentials
#                                        (blobs on disk, its index in memory)
#   start_swift                          the Swift all-in-one, Swift's own API (tempauth v1; data on disk)
# Each sets WALE_ENV for its store, with the prefix .../archive;
#   prefixed_env SUFFIX                  sets RUN_ENV: WALE_ENV with the prefix .../archive-SUFFIX (an empty one)
T=$W
PY=/usr/bin/python3
WALE_SOURCE_DIR=$here
remember_pid() { pids+=("$1"); }
fail() { echo "$*" >&2; exit 1; }
wait_for() { local end=$((SECONDS + $1)); shift; until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.1; done; }
[ -d "$here/tests/peers/node_modules/@20minutes/s3rver" ] && [ -d "$here/tests/peers/node_modules/firebase-tools" ] &&
  [ -x "$here/tests/peers/node_modules/.bin/azurite-blob" ] || (cd "$here/tests/peers" && npm ci --no-audit --no-fund --loglevel=error)
# shellcheck source=../../tests/integration/peers.sh
source "$here/tests/integration/peers.sh"

prefixed_env() {
  local v
  RUN_ENV=()
  for v in "${WALE_ENV[@]}"; do
    [[ $v == WALE_*_PREFIX=* ]] && v+="-$1"
    RUN_ENV+=("$v")
  done
}

