#!/usr/bin/env bash
# Acceptance: wal-fetch exit statuses follow PostgreSQL's contract, through
# the daemon and in-process: 1 for a segment the archive does not have;
# with the store unreadable, above 125 during targeted recovery
# (recovery.signal) and 1 on a standby (standby.signal); a corrupt object
# stops recovery on both, and never leaves a file at the destination.
source "$(dirname "$0")/lib.sh"

start_daemon
data=$T/data
mkdir -p "$data/pg_wal/archive_status"
make_segment "$data/pg_wal/000000010000000000000001" 000000010000000000000001
chown -R "$TEST_USER": "$data"
(cd "$data" && wal_e wal-push pg_wal/000000010000000000000001 2> /dev/null)
cp "$STORE/wal_005/000000010000000000000001.lzo" "$T/good.lzo"

fetch() {  # fetch SOCKET NAME: runs wal-fetch from $data, prints the status
  set +e
  (cd "$data" && as_user env WALE_FILE_PREFIX="$PREFIX" WALE_SOCKET="$1" WALE_LOG_DESTINATION=stderr WALE_STORE_TIMEOUT=3 \
    "$BIN/wal-e" wal-fetch "$2" pg_wal/RECOVERYXLOG) > /dev/null 2> "$T/err"
  echo $?
  set -e
}

for via in "$SOCKET" "$T/no-daemon.sock"; do
  path=daemon; [ "$via" = "$SOCKET" ] || path=in-process
  log "checking wal-fetch statuses ($path)"
  rm -f "$data/recovery.signal" "$data/standby.signal" "$data/pg_wal/RECOVERYXLOG"
  assert_eq "$(fetch "$via" 000000010000000000000001)" 0 "fetch of an archived segment"
  cmp -s "$data/pg_wal/RECOVERYXLOG" "$data/pg_wal/000000010000000000000001" || fail "fetched file differs"
  rm -f "$data/pg_wal/RECOVERYXLOG"

  for signal in recovery standby; do
    rm -f "$data/recovery.signal" "$data/standby.signal"
    as_user touch "$data/$signal.signal"
    assert_eq "$(fetch "$via" 0000000100000000000000FE)" 1 "missing segment ($signal)"
    assert_eq "$(fetch "$via" 00000002.history)" 1 "missing history file ($signal)"

    chmod 0000 "$STORE/wal_005"
    unreadable=$(fetch "$via" 000000010000000000000001)
    chmod 0700 "$STORE/wal_005"
    if [ $signal = recovery ]; then
      [ "$unreadable" -gt 125 ] || fail "unreadable store during targeted recovery gave $unreadable, not > 125"
    else
      assert_eq "$unreadable" 1 "unreadable store on a standby"
    fi
    assert_one_line_error "$T/err" "Permission denied"

    # A damaged object: a flipped byte in the compressed data.
    "$PY" - "$STORE/wal_005/000000010000000000000001.lzo" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[len(b) // 2] ^= 0xFF
open(p, 'wb').write(bytes(b))
PY
    corrupt=$(fetch "$via" 000000010000000000000001)
    cp "$T/good.lzo" "$STORE/wal_005/000000010000000000000001.lzo"
    [ "$corrupt" -gt 125 ] || fail "a corrupt object gave $corrupt, not > 125 ($signal)"
    assert_one_line_error "$T/err" "corrupt|damaged|checksum"
    [ ! -e "$data/pg_wal/RECOVERYXLOG" ] || fail "a failed fetch left a file at the destination"
    [ -z "$(ls -A "$data/pg_wal" | grep wal-e-tmp || true)" ] || fail "a failed fetch left a temporary file"
  done
done
stop_daemon
log PASS
