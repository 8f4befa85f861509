#!/usr/bin/env bash
# Acceptance: wal-ed serves WAL-G's daemon protocol, so that WAL-G's own
# clients (walg-daemon-client, the walg_archive module) work against it
# unchanged. CI cannot build them (no WAL-G source there): this test
# replays the bytes the real clients sent, recorded with
# tests/tools/walg_capture_fake_daemon.py (tests/fixtures/walg-protocol/
# captures.json says from which builds), against a real wal-ed, and
# checks the replies byte for byte: push, fetch found, fetch not found
# ('N': the client exits 74), check, walg_archive's check and push on one
# connection; then malformed, oversized and stalled messages ('E' and a
# clean close), a daemon without a data directory, and the uid check.
# With WALG_DAEMON_CLIENT pointing at a built walg-daemon-client, the real
# client runs too.
source "$(dirname "$0")/lib.sh"

CAPTURES=$WALE_SOURCE_DIR/tests/fixtures/walg-protocol/captures.json
replay() { as_user "$PY" "$WALE_SOURCE_DIR/tests/integration/walg_replay.py" "$@"; }
# expect_replay EXPECTED SOCKET MODE WHAT: the replies and the connection's end.
expect_replay() {
  local expected=$1 got; shift
  got=$(replay "$@") || fail "replaying $2 $3 failed"
  [ "$got" = "$expected" ] || fail "replaying $2 '${3:0:60}': expected '$expected', got '$got'"
  log "  $2 ${3:0:40}: $got"
}

log "the fixture records what WAL-G's client does with each reply"
"$PY" - "$CAPTURES" <<'PY'
import json, sys
statuses = {"O": 0, "E": 1, "N": 74}
for c in json.load(open(sys.argv[1]))["captures"]:
    if "client_exit_status" in c:
        reply = c["exchanges"][-1]["reply"]
        assert c["client_exit_status"] == statuses[reply], (c["name"], reply, c["client_exit_status"])
PY

# walg_message TYPE BODY: the hex of a message of WAL-G's framing.
walg_message() { "$PY" -c 'import sys; b = sys.argv[2].encode(); print((sys.argv[1].encode() + (len(b) + 3).to_bytes(2, "big") + b).hex())' "$1" "$2"; }

data=$T/data
mkdir -p "$data/pg_wal/archive_status"
for seg in 000000010000000000000001 000000010000000000000002; do make_segment "$data/pg_wal/$seg" $seg; done
[ "$(id -u)" = 0 ] && chown -R "$TEST_USER": "$data"
WALG_SOCKET=$T/run/walg.sock
DAEMON_ARGS=(--pgdata "$data" --walg-socket "$WALG_SOCKET")
start_daemon
assert_eq "$(stat -c %a "$WALG_SOCKET")" 600 "WAL-G socket mode"

log "walg-daemon-client's push, on the main socket"
expect_replay "O closed" "$SOCKET" capture "push stored"
store_cat wal_005/000000010000000000000002.lzo | cmp -s - "$data/pg_wal/000000010000000000000002" \
  || fail "the pushed segment is not in the store as it is in pg_wal"
log "again, on the WAL-G socket: already stored"
expect_replay "O closed" "$WALG_SOCKET" capture "push stored"

log "walg-daemon-client's fetch of a stored segment and of a missing one"
expect_replay "O closed" "$WALG_SOCKET" capture "fetch found"
cmp -s "$data/pg_wal/RECOVERYXLOG" "$data/pg_wal/000000010000000000000002" || fail "the fetched segment differs"
expect_replay "N closed" "$SOCKET" capture "fetch not found"

log "walg_archive's check and push on one connection"
expect_replay "OO closed" "$SOCKET" capture "walg_archive check and push"
store_cat wal_005/000000010000000000000001.lzo | cmp -s - "$data/pg_wal/000000010000000000000001" \
  || fail "walg_archive's segment is not in the store"
log "a check alone keeps the connection open for the push that follows"
expect_replay "O open" "$WALG_SOCKET" raw 430008434845434b

log "malformed, oversized and stalled messages: 'E' and a clean close"
expect_replay "E closed" "$WALG_SOCKET" raw 580003                  # unknown type (on the main socket a first byte
                                                                     # of neither protocol gets wal-e's refusal: test_daemon_hostile_clients)
expect_replay "E closed" "$WALG_SOCKET" raw 57414c4500010051         # wal-e's magic on the WAL-G socket
expect_replay "E closed" "$SOCKET" raw 460002                       # length shorter than the header
expect_replay "E closed" "$SOCKET" raw 66000602000941               # argument longer than its message
expect_replay "E closed" "$SOCKET" raw 6600090100023030ff           # bytes after the last argument
expect_replay "E closed" "$SOCKET" raw 660008010003303030           # one argument instead of two
expect_replay "E closed" "$SOCKET" raw 460003                       # a push without a name
walg_message F "$("$PY" -c 'print("A" * 65532)')" > "$T/largest.hex"
expect_replay "E closed" "$SOCKET" raw "@$T/largest.hex"                                       # the largest message there is
expect_replay "E closed" "$SOCKET" raw "$(walg_message F ../../../../etc/passwd)"             # not in pg_wal
expect_replay "E closed" "$SOCKET" raw "$(walg_message F 000000010000000000000007)"           # no such file
log "  a message that stops half-way is answered once wal-ed's read deadline passes"
expect_replay "E closed" "$WALG_SOCKET" raw 46001b30303030
grep -q "a WAL-G client stopped half-way through a message" "$T/daemon.log" || fail "the stalled message was not logged"
grep -q "answered a malformed WAL-G message with an error" "$T/daemon.log" || fail "malformed messages were not logged"

if [ "$(id -u)" = 0 ]; then
  log "a WAL-G client of another uid (root) is refused with 'E'"
  got=$("$PY" "$WALE_SOURCE_DIR/tests/integration/walg_replay.py" "$WALG_SOCKET" capture "push stored")
  assert_eq "$got" "E closed" "root's push"
  grep -q "wal-ed refuses uid 0" "$T/daemon.log" || fail "the refusal was not logged"
fi

log "status counts WAL-G's clients"
wal_e status > "$T/status.json" 2> /dev/null || fail "wal-e status failed"
"$PY" - "$T/status.json" "$data" "$WALG_SOCKET" <<'PY'
import json, sys
walg = json.load(open(sys.argv[1]))["clients"]["walg"]
assert walg["requests"] >= 6, walg
assert walg["pgdata"] == sys.argv[2] and walg["socket"] == sys.argv[3], walg
PY

log "a daemon that does not know the data directory answers 'E' and says why"
stop_daemon
DAEMON_ARGS=()
start_daemon
expect_replay "E closed" "$SOCKET" capture "push failed"
expect_replay "E closed" "$SOCKET" capture "fetch failed"
expect_replay "E closed" "$SOCKET" raw 430008434845434b
grep -q "start wal-ed with --pgdata DIR" "$T/daemon.log" || fail "no hint about --pgdata in the daemon's log"

if [ -n "${WALG_DAEMON_CLIENT:-}" ]; then
  log "the real walg-daemon-client ($WALG_DAEMON_CLIENT)"
  stop_daemon
  DAEMON_ARGS=(--pgdata "$data")
  start_daemon
  client() { as_user "$WALG_DAEMON_CLIENT" "$SOCKET" "$@"; }
  assert_status 0 client wal-push 000000010000000000000002
  rm -f "$data/pg_wal/RECOVERYXLOG"
  assert_status 0 client wal-fetch 000000010000000000000001 pg_wal/RECOVERYXLOG
  cmp -s "$data/pg_wal/RECOVERYXLOG" "$data/pg_wal/000000010000000000000001" || fail "the real client's fetch differs"
  assert_status 74 client wal-fetch 000000010000000000000009 pg_wal/RECOVERYXLOG
else
  log "WALG_DAEMON_CLIENT is not set: the real client is not run (the replayed captures stand for it)"
fi
stop_daemon
log PASS
