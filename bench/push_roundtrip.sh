#!/usr/bin/env bash
# The archive round trip for a segment the daemon has already stored: the
# median of N runs of `sh -c '<archive_command with %p filled in>'`, next to
# `sh -c 'true'` run the same way, measured in the same run. Also the
# in-process path (no daemon) for the same already-stored segment.
#   bench/push_roundtrip.sh [RUNS=200]
# Run as root (PostgreSQL's user runs the daemon) or as an ordinary user.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
BIN=$here/build/bin
runs=${1:-200}
W=$(mktemp -d /tmp/wale-bench-roundtrip.XXXXXX)
user=$(id -un); [ "$user" = root ] && user=postgres
as_user() { if [ "$(id -u)" = 0 ]; then setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"; else "$@"; fi; }
trap 'kill $(cat "$W/pid" 2>/dev/null) 2>/dev/null; rm -rf "$W"' EXIT

mkdir -p "$W/data/pg_wal/archive_status" "$W/run" "$W/store"
# A realistic 16 MiB segment: the fixture's WAL, decompressed and repeated.
for f in "$here"/tests/fixtures/wale-archive-1/wal_005/0000000100000000000000{06,07,08,09,0A,0B,0C,10,11,12,06,07,08,09,0A,0B}.lzo; do
  lzop -dc "$f"
done > "$W/data/pg_wal/000000010000000000000001"
[ "$(id -u)" = 0 ] && chown -R "$user": "$W"
export WALE_FILE_PREFIX=file://localhost$W/store WALE_SOCKET=$W/run/wal-ed.sock WALE_LOG_DESTINATION=stderr
( [ "$(id -u)" = 0 ] && exec setpriv --reuid="$user" --regid="$user" --init-groups -- "$BIN/wal-ed" --socket "$WALE_SOCKET" --state-dir "$W/state"
  exec "$BIN/wal-ed" --socket "$WALE_SOCKET" --state-dir "$W/state" ) 2> "$W/daemon.log" &
echo $! > "$W/pid"
for _ in $(seq 100); do [ -S "$WALE_SOCKET" ] && break; sleep 0.1; done
cd "$W/data"
as_user "$BIN/wal-e" wal-push pg_wal/000000010000000000000001 2> /dev/null

as_user /usr/bin/python3 - "$runs" "$BIN/wal-e wal-push pg_wal/000000010000000000000001" "$W/none.sock" <<'PY'
import os, statistics, subprocess, sys, time
runs, command, no_socket = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def median_ms(cmd, env=None):
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(["sh", "-c", cmd], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), min(samples)
noop = median_ms("true")
daemon = median_ms(command)
env = dict(os.environ, WALE_SOCKET=no_socket)
inproc = median_ms(command, env)
print(f"runs per case: {runs}")
print(f"{'case':<44}{'median ms':>10}{'min ms':>9}{'vs no-op':>10}")
for name, (med, low) in [("sh -c 'true' (no-op)", noop), ("wal-push, already stored, through wal-ed", daemon),
                         ("wal-push, already stored, in-process", inproc)]:
    print(f"{name:<44}{med:>10.3f}{low:>9.3f}{med - noop[0]:>+10.3f}")
PY
